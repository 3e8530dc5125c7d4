"""Sandbox-only admin routes under /sandbox/ (not GRVT's): inspect the exchange, move prices, inject faults.
Every route sits behind `admin_guard.AdminGuard` (requests from browser pages are refused)."""
from decimal import Decimal
from typing import TYPE_CHECKING, Awaitable, Callable, List, Optional

from aiohttp import web

from grvt_sandbox.config import AccountConfig
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway import encoding
from grvt_sandbox.gateway.admin_guard import AdminGuard
from grvt_sandbox.gateway.http import json_response, read_json_body
from grvt_sandbox.numbers import format_decimal, parse_decimal

if TYPE_CHECKING:  # the server module imports this one
    from grvt_sandbox.server import SandboxServer

FAULTS = ("fail_rest", "clear_rest", "fail_rpc", "clear_rpc", "rate_limit", "drop_sockets", "stall_stream",
          "inject_sequence_gap", "restart_gateway", "restart_exchange", "expire_sessions", "reject_next_orders",
          "clear")

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _decimal(body: dict, key: str) -> Decimal:
    value = parse_decimal(body.get(key))
    if value is None:
        raise GrvtApiError(1003, f"{key} must be a decimal")
    return value


def _optional_decimal(body: dict, key: str) -> Optional[Decimal]:
    return None if body.get(key) is None else _decimal(body, key)


class AdminGateway:
    def __init__(self, server: "SandboxServer"):
        self.server = server
        self.guard = AdminGuard(server.config.host, server.config.admin_token)

    def routes(self) -> List[web.RouteDef]:
        guarded = self._guarded
        return [
            web.get("/sandbox/status", guarded(self.status)),
            web.get("/sandbox/books/{instrument}", guarded(self.book)),
            web.get("/sandbox/accounts", guarded(self.accounts)),
            web.get("/sandbox/accounts/{sub_account_id}", guarded(self.account)),
            web.post("/sandbox/accounts", guarded(self.add_account)),
            web.get("/sandbox/orders/{sub_account_id}", guarded(self.orders)),
            web.post("/sandbox/price", guarded(self.set_price)),
            web.post("/sandbox/funding", guarded(self.settle_funding)),
            web.post("/sandbox/clock/advance", guarded(self.advance_clock)),
            web.post("/sandbox/faults/{name}", guarded(self.fault)),
        ]

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.Response:
            refusal = self.guard.refuse(request)
            return refusal if refusal is not None else await handler(request)
        return guarded

    @property
    def exchange(self) -> Exchange:
        return self.server.exchange

    async def status(self, request: web.Request) -> web.Response:
        return json_response({
            "url": self.server.url,
            "chain_id": self.server.config.chain_id,
            "instruments": self.exchange.instruments.names(),
            "accounts": len(self.exchange.accounts),
            "sessions": len(self.server.sessions),
            "websockets": len(self.server.ws_gateway.connections),
            "feeds": len(self.server.hub.feeds),
            "rest_faults": {route: fault.kind for route, fault in self.server.faults.rest_faults.items()},
            "rpc_faults": {route: fault.kind for route, fault in self.server.faults.rpc_faults.items()},
            "rate_limits": self.server.rate_limiter.limits,
            "market": self.server.market is not None,
        })

    async def book(self, request: web.Request) -> web.Response:
        instrument = self.exchange.instruments.get(request.match_info["instrument"])
        if instrument is None:
            raise GrvtApiError(3000)
        depth = request.query.get("depth")
        book = self.exchange.books[instrument.name]
        result = encoding.book_json(book, int(depth) if depth and depth.isdecimal() else None, self.exchange.now_ns())
        market = self.exchange.markets[instrument.name]
        result.update(index_price=format_decimal(market.index_price), mark_price=format_decimal(market.mark_price))
        return json_response(result)

    async def accounts(self, request: web.Request) -> web.Response:
        now = self.exchange.now_ns()
        return json_response([encoding.account_summary_json(account, self.exchange, now)
                              for account in self.exchange.accounts])

    async def account(self, request: web.Request) -> web.Response:
        account = self.exchange.accounts.get(request.match_info["sub_account_id"])
        if account is None:
            raise GrvtApiError(1004)
        return json_response(encoding.account_summary_json(account, self.exchange, self.exchange.now_ns()))

    async def add_account(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        sub_account_id = body.get("sub_account_id")
        if not isinstance(sub_account_id, str) or not sub_account_id.isdecimal():
            raise GrvtApiError(3020)
        signers = body.get("signers") or []
        if not isinstance(signers, list) or not all(isinstance(s, str) for s in signers):
            raise GrvtApiError(1003, "signers must be a list of addresses")
        config = AccountConfig(sub_account_id=sub_account_id, api_key=body.get("api_key"), signers=signers,
                               balance=_optional_decimal(body, "balance") or Decimal("100000"),
                               main_account_id=body.get("main_account_id"))
        self.server.add_account(config)
        return json_response({"result": {"ack": True}})

    async def orders(self, request: web.Request) -> web.Response:
        account = self.exchange.accounts.get(request.match_info["sub_account_id"])
        if account is None:
            raise GrvtApiError(1004)
        return json_response({"result": [encoding.order_json(order) for order in account.open_orders.values()]})

    async def set_price(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        instrument = body.get("instrument")
        if not isinstance(instrument, str) or instrument not in self.exchange.instruments:
            raise GrvtApiError(3000)
        self.exchange.set_index_price(instrument, _decimal(body, "index_price"),
                                      _optional_decimal(body, "mark_price"))
        return json_response({"result": {"ack": True}})

    async def settle_funding(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        instrument = body.get("instrument")
        if not isinstance(instrument, str) or instrument not in self.exchange.instruments:
            raise GrvtApiError(3000)
        rate = self.exchange.settle_funding(instrument, _optional_decimal(body, "rate"))
        return json_response({"result": {"funding_rate": format_decimal(rate, 6)}})

    async def advance_clock(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        seconds = _decimal(body, "seconds")
        self.exchange.clock.advance(float(seconds))
        return json_response({"result": {"now": str(self.exchange.now_ns())}})

    async def fault(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in FAULTS:
            raise GrvtApiError(1004, f"unknown fault {name!r}")
        body = await read_json_body(request)
        try:
            result = getattr(self.server.faults, name)(**body)
        except (TypeError, ValueError) as error:
            raise GrvtApiError(1003, str(error))
        return json_response({"result": {"ack": True, "affected": result if isinstance(result, int) else None}})
