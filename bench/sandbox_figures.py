"""The sandbox's own order throughput: runs bench/sandbox_throughput.py (another benchmark of this folder) in a
subprocess and reads the operations per second it prints for each layer."""
import asyncio
import re
import sys
from typing import Dict

from bench.upstream_root import REPO

_LINE = re.compile(r"^(?P<name>.+?)\s+(?P<ops>\d+) ops in\s+(?P<seconds>[\d.]+) s =\s+(?P<rate>[\d,]+) ops/s")
_LAYERS = (("engine: place + cancel (resting)", "engine_ops_per_s"), ("api:", "api_ops_per_s"),
           ("websocket", "websocket_ops_per_s"), ("rest", "rest_ops_per_s"))


def parse_throughput(text: str) -> Dict[str, float]:
    figures = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        for prefix, key in _LAYERS:
            if match.group("name").startswith(prefix) and key not in figures:
                figures[key] = float(match.group("rate").replace(",", ""))
    return figures


async def sandbox_throughput(orders: int, timeout: float = 240.0) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(REPO / "bench" / "sandbox_throughput.py"), "--orders", str(orders), cwd=str(REPO),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        return {"error": f"bench/sandbox_throughput.py timed out after {timeout:.0f} s"}
    figures = parse_throughput(stdout.decode(errors="replace"))
    if not figures:
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
        return {"error": f"bench/sandbox_throughput.py: {tail[0]}"}
    return figures
