"""HTTP gateway: edge login, `/full/v1/<route>`, `/full/v2/bulk_orders`, `/time`, the WebSocket upgrade, and GRVT's
error envelope for everything that goes wrong (malformed JSON, unknown routes, internal errors)."""
import asyncio
import json
import logging
from typing import TYPE_CHECKING, Awaitable, Callable, Dict, List, Optional

from aiohttp import web
from aiohttp.typedefs import Handler

from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.faults import RequestFault
from grvt_sandbox.gateway.sessions import cookie_expires_text

if TYPE_CHECKING:  # the server module imports this one
    from grvt_sandbox.server import SandboxServer

logger = logging.getLogger(__name__)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
MAX_BODY_BYTES = 4 * 1024 * 1024


def json_response(body: object, status: int = 200, headers: Optional[Dict[str, str]] = None) -> web.Response:
    return web.Response(text=_dumps(body), status=status, content_type="application/json", headers=headers)


def error_response(error: GrvtApiError) -> web.Response:
    return json_response(error.to_envelope(), status=error.status)


@web.middleware
async def grvt_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except GrvtApiError as error:
        return error_response(error)
    except web.HTTPNotFound:
        return error_response(GrvtApiError(1004, "unknown route"))
    except web.HTTPMethodNotAllowed:
        return error_response(GrvtApiError(1003, "method not allowed"))
    except web.HTTPException as error:
        if error.status >= 400:
            return error_response(GrvtApiError(1003 if error.status < 500 else 1002, error.reason))
        raise
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:
        logger.exception("request %s %s failed", request.method, request.path)
        return error_response(GrvtApiError(1002))


async def read_json_body(request: web.Request) -> dict:
    raw = await request.read()
    if not raw or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GrvtApiError(1003, "body is not valid JSON")
    if not isinstance(body, dict):
        raise GrvtApiError(1003, "body must be a JSON object")
    return body


class HttpGateway:
    def __init__(self, server: "SandboxServer"):
        self.server = server

    def routes(self) -> List[web.RouteDef]:
        return [
            web.post("/auth/api_key/login", self.login),
            web.post("/full/{version:v1|v2}/{route}", self.rest),
            web.get("/time", self.time),
            web.post("/time", self.time),
        ]

    async def _answer(self, request: web.Request, route: str,
                      execute: Callable[[], Awaitable[web.Response]]) -> web.Response:
        """Executes a request, bent by the route's fault if one is set (see grvt_sandbox.faults)."""
        faults = self.server.faults
        fault = faults.take_rest_fault(route) if faults.rest_faults else None
        if fault is None:
            return await execute()

        def client_gone() -> bool:
            return request.transport is None or request.transport.is_closing()

        if fault.kind == "delay":  # waits before reading the body: a client that gave up never gets it executed
            await asyncio.sleep(fault.delay_s)
            return json_response({}) if client_gone() else await execute()
        if not fault.executes:
            return self._fault_answer(fault)

        if fault.executes_later:
            await request.read()  # kept by aiohttp: the deferred run reads it after the client is gone
            faults.run_later(fault.delay_s, execute)
            if fault.kind == "deferred":
                await faults.hold(client_gone)
            return json_response({})
        try:
            response = await execute()
        except GrvtApiError as error:
            response = error_response(error)
        if fault.kind == "late":
            await faults.hold(client_gone, fault.delay_s)
        elif fault.kind == "lost":
            await faults.hold(client_gone)
        elif fault.kind == "executed_empty":
            return json_response({})
        elif fault.kind == "executed_error":
            return self._fault_answer(fault)
        return response

    @staticmethod
    def _fault_answer(fault: RequestFault) -> web.Response:
        if fault.kind == "empty":
            return json_response({})
        return json_response(fault.envelope(), status=fault.status)

    async def login(self, request: web.Request) -> web.Response:
        return await self._answer(request, "login", lambda: self._login(request))

    async def _login(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        session = self.server.sessions.login(body.get("api_key"))
        if session is None:
            raise GrvtApiError(1000, "unknown API key")
        key = session.api_key
        response = json_response(
            {"status": "success", "location": "", "sub_account_id": key.sub_account_ids[0] if key.sub_account_ids
             else "", "funding_account_address": key.account_id},
            headers={"X-Grvt-Account-Id": key.account_id})
        response.headers.add("Set-Cookie", f"gravity={session.token}; Path=/; "
                                           f"Expires={cookie_expires_text(session.expires_ns)}; HttpOnly")
        return response

    async def rest(self, request: web.Request) -> web.Response:
        return await self._answer(request, request.match_info["route"], lambda: self._rest(request))

    async def _rest(self, request: web.Request) -> web.Response:
        method = f"{request.match_info['version']}/{request.match_info['route']}"
        session = None
        if method in self.server.trading.routes:  # authentication comes before looking at the body
            account_id = request.headers.get("X-Grvt-Account-Id")
            if not account_id:
                raise GrvtApiError(1000, "X-Grvt-Account-Id header missing")
            session = self.server.sessions.lookup(request.cookies.get("gravity"), account_id)
            if session is None:
                raise GrvtApiError(1000)
        body = await read_json_body(request)
        return json_response(await self.server.call_route(method, body, session, client=request.remote))

    async def time(self, request: web.Request) -> web.Response:
        return json_response({"server_time": str(self.server.exchange.now_ns() // 1_000_000)})
