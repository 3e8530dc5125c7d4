"""
The market-data socket, read as raw frames: Hummingbot's WSAssistant json-decodes every text frame into a dict
through several coroutines per frame, while the market-data path decodes frames straight into typed messages.
"""
import asyncio
import time
from typing import Any, Dict, Optional, Union

import aiohttp

_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


class GrvtPerpetualMarketDataSocket:

    def __init__(self) -> None:
        self._session: Optional[aiohttp.ClientSession] = None
        self._ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self.last_recv_time = 0.0  # time.time() of the last data frame, like Hummingbot's WSConnection

    async def connect(self, url: str, heartbeat: float, timeout: float) -> None:
        """`timeout` bounds the handshake: a peer that never answers would otherwise hold a reconnect for minutes.
        aiohttp pings every `heartbeat` seconds and closes the socket when the pong does not come."""
        session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(timeout):
                self._ws = await session.ws_connect(url, heartbeat=heartbeat)
        except BaseException:
            await session.close()
            raise
        self._session = session

    def _connected(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise ConnectionError("the GRVT market-data socket is not connected")
        return self._ws

    async def send_json(self, payload: Dict[str, Any]) -> None:
        await self._connected().send_json(payload)

    async def receive(self) -> Union[str, bytes]:
        """The next text or binary frame of the connected socket; ConnectionError once it is closed, which is all
        aiohttp returns besides data (it answers pings itself)."""
        message = await self._connected().receive()
        if message.type in _DATA:
            self.last_recv_time = time.time()
            return message.data
        raise ConnectionError(f"GRVT market-data socket closed ({message.type.name} {message.data!r})")

    async def disconnect(self) -> None:
        ws, session = self._ws, self._session
        self._ws = self._session = None
        try:
            if ws is not None and not ws.closed:
                await ws.close()
        finally:
            if session is not None:
                await session.close()
