"""What the exchange saw: the sandbox's admin view and GRVT's own account API.

``SandboxAdmin`` reads a running sandbox's ``/sandbox/...`` routes (account summary with positions and PnL, open
orders, the book, accounts to add). ``GrvtAccountView`` logs in with an API key the way any GRVT client does and
reads fill history, positions and open orders through GRVT's API, so it works on the sandbox and on GRVT's testnet
or mainnet alike (``GrvtAccountView.for_domain`` resolves the URLs like the connector, environment overrides
included). Both use the standard library only (and the connector's cookie parser).
"""
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from http.client import HTTPMessage
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from grvt_sandbox import control as sandbox_control
from grvt_sandbox.gateway.admin_guard import ADMIN_HEADER


class ExchangeViewError(Exception):
    """A request to the exchange failed; the message names the route and GRVT's code when there is one."""


def _http(method: str, url: str, body: Optional[Mapping[str, Any]] = None, headers: Optional[Mapping[str, str]] = None,
          timeout: float = 10.0) -> Tuple[Any, HTTPMessage]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **dict(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        try:
            payload = json.loads(error.read() or b"{}")
        except ValueError:
            payload = {}
        raise ExchangeViewError(f"{method} {url}: HTTP {error.code} {payload.get('code', '')} "
                                f"{payload.get('message', '')}".rstrip()) from None
    except (urllib.error.URLError, OSError) as error:
        raise ExchangeViewError(f"{method} {url}: {getattr(error, 'reason', error)}") from None


@dataclass
class SandboxAdmin:
    """The sandbox's admin surface (not part of GRVT's API), guarded by the header its own control client sends;
    ``token`` is the sandbox's admin token when it was started with one (default ``$GRVT_SANDBOX_ADMIN_TOKEN``)."""

    url: str
    token: Optional[str] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if self.token is None:
            self.token = os.environ.get(sandbox_control.TOKEN_ENVIRONMENT_VARIABLE) or None

    def _headers(self) -> Dict[str, str]:
        return {ADMIN_HEADER: self.token or "1"}

    def get(self, path: str) -> Any:
        return _http("GET", f"{self.url}{path}", headers=self._headers())[0]

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return _http("POST", f"{self.url}{path}", body, headers=self._headers())[0]

    def status(self) -> dict:
        return self.get("/sandbox/status")

    def account(self, sub_account_id: str) -> dict:
        """GRVT's account summary of a sub-account: equity, unrealized PnL, positions with realized PnL."""
        return self.get(f"/sandbox/accounts/{sub_account_id}")

    def open_orders(self, sub_account_id: str) -> List[dict]:
        return self.get(f"/sandbox/orders/{sub_account_id}")["result"]

    def book(self, instrument: str, depth: int = 1) -> dict:
        """Bids, asks, index and mark price of an instrument (e.g. ``BTC_USDT_Perp``)."""
        return self.get(f"/sandbox/books/{instrument}?depth={depth}")

    def mid_price(self, instrument: str) -> Optional[Decimal]:
        book = self.book(instrument, depth=1)
        bids, asks = book.get("bids") or [], book.get("asks") or []
        if bids and asks:
            return (Decimal(str(bids[0]["price"])) + Decimal(str(asks[0]["price"]))) / 2
        mark = book.get("mark_price")
        return Decimal(str(mark)) if mark else None

    def add_account(self, sub_account_id: str, api_key: str, signers: List[str],
                    balance: Optional[Decimal] = None) -> None:
        """Creates a sub-account that logs in with ``api_key`` and accepts orders signed by ``signers``."""
        body: Dict[str, Any] = {"sub_account_id": str(sub_account_id), "api_key": api_key, "signers": signers}
        if balance is not None:
            body["balance"] = str(balance)
        self.post("/sandbox/accounts", body)


@dataclass
class GrvtAccountView:
    """Read-only GRVT API session of one sub-account (fills, positions, open orders)."""

    edge_url: str
    trades_url: str
    api_key: str = field(repr=False)
    sub_account_id: str
    _cookie: Optional[str] = field(default=None, init=False, repr=False)
    _account_id: Optional[str] = field(default=None, init=False, repr=False)

    @classmethod
    def for_domain(cls, domain: str, api_key: str, sub_account_id: str) -> "GrvtAccountView":
        """URLs of ``grvt_perpetual`` or ``grvt_perpetual_testnet``, with the connector's environment overrides."""
        from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_web_utils as web_utils

        gateways = web_utils.endpoints(domain)
        return cls(edge_url=gateways.edge, trades_url=gateways.trades, api_key=api_key,
                   sub_account_id=str(sub_account_id))

    @classmethod
    def on_sandbox(cls, url: str, api_key: str, sub_account_id: str) -> "GrvtAccountView":
        return cls(edge_url=url.rstrip("/"), trades_url=url.rstrip("/"), api_key=api_key,
                   sub_account_id=str(sub_account_id))

    def login(self) -> None:
        try:
            _, headers = _http("POST", f"{self.edge_url}/auth/api_key/login", {"api_key": self.api_key})
        except ExchangeViewError as error:  # the route, the HTTP status and GRVT's code, or the network's reason
            reason = str(error).replace(self.api_key, "<api key>") if self.api_key else str(error)
            raise ExchangeViewError(f"GRVT login failed ({reason}): check the API key and the domain") from None
        # the connector's parser: http.cookies drops a whole header with an attribute it does not know (Partitioned)
        from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import parse_session_cookie

        session = parse_session_cookie(headers.get_all("Set-Cookie") or (), now=time.time(), default_ttl=0)
        if session is None:
            raise ExchangeViewError("GRVT login answered without a session cookie")
        self._cookie = session.cookie
        self._account_id = headers.get("X-Grvt-Account-Id")

    def _post(self, path: str, body: Mapping[str, Any]) -> dict:
        if self._cookie is None:
            self.login()
        headers = {"Cookie": f"gravity={self._cookie}"}
        if self._account_id:
            headers["X-Grvt-Account-Id"] = self._account_id
        payload, _ = _http("POST", f"{self.trades_url}/full/v1/{path}", body, headers=headers)
        if payload.get("code"):
            raise ExchangeViewError(f"GRVT error {payload['code']} on {path}: {payload.get('message', '')}")
        return payload

    def _pages(self, path: str, body: Mapping[str, Any], limit: int = 500) -> Iterator[dict]:
        cursor = ""
        while True:
            request = dict(body, sub_account_id=self.sub_account_id, limit=limit)
            if cursor:
                request["cursor"] = cursor
            payload = self._post(path, request)
            yield from payload.get("result") or ()
            cursor = payload.get("next") or ""
            if not cursor or not payload.get("result"):
                return

    def fills(self, start_time_ns: Optional[int] = None) -> List[dict]:
        """Every fill of the sub-account (GRVT's ``Fill`` objects: price, size, is_buyer, fee, realized_pnl...)."""
        body = {"start_time": str(start_time_ns)} if start_time_ns else {}
        return list(self._pages("fill_history", body))

    def order_history(self) -> List[dict]:
        """Every closed order of the sub-account (filled, cancelled, rejected), newest first."""
        return list(self._pages("order_history", {}))

    def positions(self) -> List[dict]:
        return self._post("positions", {"sub_account_id": self.sub_account_id}).get("result") or []

    def open_orders(self) -> List[dict]:
        return self._post("open_orders", {"sub_account_id": self.sub_account_id}).get("result") or []
