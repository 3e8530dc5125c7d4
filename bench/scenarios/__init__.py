"""One module per benchmark scenario; each has `async def run(ctx: bench.harness.ChildContext) -> dict`."""
