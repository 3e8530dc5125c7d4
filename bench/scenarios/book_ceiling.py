"""Reference for the order-book figure: a bare aiohttp client that only reads and json-decodes the same flood.
No connector is involved; it shows how fast the sandbox can deliver, i.e. whether a connector's figure is its own."""
import json
import time
from decimal import Decimal

import aiohttp

from bench.harness import INSTRUMENT, ChildContext

SUBSCRIBE = {"jsonrpc": "2.0", "method": "subscribe", "id": 1,
             "params": {"stream": "v1.book.d", "selectors": [f"{INSTRUMENT}@100"]}}


async def run(ctx: ChildContext) -> dict:
    messages = int(ctx.params.get("messages", 20000))
    ws_url = "ws" + ctx.sandbox_url[len("http"):] + "/ws/full"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as socket:
        await socket.send_str(json.dumps(SUBSCRIBE))
        while True:  # the snapshot (sequence number 0) comes after the subscription answer
            message = json.loads((await socket.receive(timeout=10)).data)
            if message.get("stream") == "v1.book.d":
                break
        marker = (await ctx.bench_call("POST", f"/bench/book/{INSTRUMENT}/flood",
                                       {"messages": messages, "changes_per_message": 4}))["marker"]
        received = 0
        while True:
            message = json.loads((await socket.receive(timeout=30)).data)
            if message.get("stream") != "v1.book.d":
                continue
            received += 1
            bids = message["feed"]["bids"]
            if bids and Decimal(bids[-1]["price"]) == Decimal(marker["price"]) and \
                    Decimal(bids[-1]["size"]) == Decimal(marker["size"]):
                break
        read_at = time.monotonic()
        flood = await ctx.bench_call("GET", f"/bench/book/{INSTRUMENT}/flood")
    return {"deltas_per_s": received / (read_at - flood["released_at"]), "messages": received}
