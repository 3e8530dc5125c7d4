"""Shared helpers for the sandbox tests: signed orders (libsecp256k1), a small REST/WebSocket client."""
import asyncio
import itertools
import json
import random
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SIGNER, DEMO_SUB_ACCOUNT_ID
from grvt_sandbox.numbers import PRICE_DECIMALS, parse_decimal, to_scaled
from grvt_sandbox.signing.eip712 import OrderSigningFields, order_digest, sign_digest

OTHER_PRIVATE_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # noqa: mock
BTC = "BTC_USDT_Perp"
ETH = "ETH_USDT_Perp"
SOL = "SOL_USDT_Perp"
ASSETS = {BTC: (0x030501, 9), ETH: (0x030401, 9), SOL: (0x030601, 9)}
TIF_VALUES = {"GOOD_TILL_TIME": 1, "ALL_OR_NONE": 2, "IMMEDIATE_OR_CANCEL": 3, "FILL_OR_KILL": 4}
_client_ids = itertools.count(2 ** 63 + 1000)


def next_client_order_id() -> str:
    return str(next(_client_ids))


def signed_order(
    instrument: str = BTC,
    size: str = "0.01",
    price: Optional[str] = "50000.0",
    is_buy: bool = True,
    sub_account_id: str = DEMO_SUB_ACCOUNT_ID,
    time_in_force: str = "GOOD_TILL_TIME",
    post_only: bool = False,
    reduce_only: bool = False,
    is_market: bool = False,
    client_order_id: Optional[str] = None,
    expiration: Optional[int] = None,
    nonce: Optional[int] = None,
    private_key: str = DEMO_PRIVATE_KEY,
    chain_id: int = 326,
    signer: Optional[str] = None,
) -> dict:
    """An `Order` JSON object signed like GRVT's clients sign it."""
    asset_id, base_decimals = ASSETS[instrument]
    expiration = expiration if expiration is not None else time.time_ns() + 3600 * 10 ** 9
    nonce = nonce if nonce is not None else random.randint(0, 2 ** 32 - 1)
    price_int = to_scaled(parse_decimal(price), PRICE_DECIMALS) if price is not None else 0
    fields = OrderSigningFields(int(sub_account_id), is_market, TIF_VALUES.get(time_in_force, 1), post_only,
                                reduce_only, ((asset_id, to_scaled(parse_decimal(size), base_decimals), price_int,
                                               is_buy),), nonce, expiration)
    r, s, v = sign_digest(order_digest(fields, chain_id), bytes.fromhex(private_key))
    leg = {"instrument": instrument, "size": size, "is_buying_asset": is_buy}
    if price is not None:
        leg["limit_price"] = price
    return {
        "sub_account_id": sub_account_id,
        "is_market": is_market,
        "time_in_force": time_in_force,
        "post_only": post_only,
        "reduce_only": reduce_only,
        "legs": [leg],
        "signature": {"signer": signer or DEMO_SIGNER, "r": f"0x{r:064x}", "s": f"0x{s:064x}", "v": v,
                      "expiration": str(expiration), "nonce": nonce},
        "metadata": {"client_order_id": client_order_id or next_client_order_id()},
    }


class WsClient:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.backlog: List[dict] = []
        self._ids = itertools.count(1)

    async def send(self, message: Any) -> None:
        await self.ws.send_str(message if isinstance(message, str) else json.dumps(message))

    async def receive(self, timeout: float = 3.0) -> dict:
        if self.backlog:
            return self.backlog.pop(0)
        message = await self.ws.receive(timeout=timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket closed: {message.type} {message.data}")
        return json.loads(message.data)

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 3.0) -> dict:
        """The first message (kept ones included) matching `predicate`; others are kept for later."""
        for index, message in enumerate(self.backlog):
            if predicate(message):
                return self.backlog.pop(index)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise asyncio.TimeoutError("no matching message")
            message = await self.ws.receive(timeout=remaining)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {message.type} {message.data}")
            data = json.loads(message.data)
            if predicate(data):
                return data
            self.backlog.append(data)

    async def call(self, method: str, params: dict, timeout: float = 3.0) -> dict:
        request_id = next(self._ids)
        await self.send({"jsonrpc": "2.0", "method": method, "params": params, "id": request_id})
        return await self.wait_for(lambda m: m.get("id") == request_id and "feed" not in m, timeout)

    async def subscribe(self, stream: str, selectors: List[str]) -> dict:
        return await self.call("subscribe", {"stream": stream, "selectors": selectors})

    async def feed(self, stream: str, predicate: Callable[[dict], bool] = lambda m: True,
                   timeout: float = 3.0) -> dict:
        return await self.wait_for(lambda m: m.get("stream") == stream and "feed" in m and predicate(m), timeout)

    async def close(self) -> None:
        await self.ws.close()


class SandboxClient:
    """A plain aiohttp client: login, POST routes, WebSocket sockets with the session cookie."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = aiohttp.ClientSession()
        self.cookie: Optional[str] = None
        self.account_id: Optional[str] = None

    async def login(self, api_key: str = DEMO_API_KEY) -> Tuple[int, dict, aiohttp.typedefs.LooseHeaders]:
        async with self.session.post(f"{self.base_url}/auth/api_key/login", json={"api_key": api_key}) as response:
            body = await response.json()
            if response.status == 200:
                self.cookie = response.cookies["gravity"].value
                self.account_id = response.headers["X-Grvt-Account-Id"]
            return response.status, body, response.headers

    def auth_headers(self) -> Dict[str, str]:
        headers = {}
        if self.cookie:
            headers["Cookie"] = f"gravity={self.cookie}"
        if self.account_id:
            headers["X-Grvt-Account-Id"] = self.account_id
        return headers

    async def post(self, path: str, body: Any = None, raw: Optional[str] = None, auth: bool = True) -> Tuple[int, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        if "/" not in path.lstrip("/"):
            url = f"{self.base_url}/full/v1/{path}"
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        async with self.session.post(url, data=data, headers=self.auth_headers() if auth else {}) as response:
            text = await response.text()
            return response.status, json.loads(text)

    async def create_order(self, **kwargs) -> Tuple[int, Any]:
        return await self.post("create_order", {"order": signed_order(**kwargs)})

    async def ws(self, authenticated: bool = True, path: str = "/ws/full") -> WsClient:
        headers = self.auth_headers() if authenticated else {}
        ws = await self.session.ws_connect(f"{self.base_url.replace('http', 'ws', 1)}{path}", headers=headers)
        return WsClient(ws)

    async def close(self) -> None:
        await self.session.close()
