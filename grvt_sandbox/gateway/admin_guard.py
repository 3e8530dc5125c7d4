"""Keeps web pages in the user's browser away from the /sandbox/ admin routes.

A page cannot add a custom header to a cross-site request without a CORS preflight the sandbox never grants, so
every state-changing admin request needs `X-Sandbox-Admin` and a JSON body; requests a browser marks with a
foreign `Origin` are refused; and while the sandbox listens on a loopback address the `Host` must name a loopback
host, which defeats DNS rebinding. With an admin token configured (needed to listen beyond loopback) every admin
request, reads included, must carry it as the header's value.
"""
import hmac
import ipaddress
from typing import Optional

from aiohttp import web

from grvt_sandbox.gateway.http import json_response

ADMIN_HEADER = "X-Sandbox-Admin"
LOOPBACK_NAMES = ("localhost", "localhost.")


def is_loopback(host: Optional[str]) -> bool:
    """True for localhost and loopback IP literals (IPv6 with or without brackets)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(detail: str) -> web.Response:
    return json_response({"code": 1001, "message": "You are not authorized to access this functionality",
                          "status": 403, "detail": detail}, status=403)


class AdminGuard:
    def __init__(self, bind_host: str, token: Optional[str] = None):
        self.token = token
        self.check_host = is_loopback(bind_host)

    def refuse(self, request: web.Request) -> Optional[web.Response]:
        """The refusal to answer instead of running the admin route, or None when the request may pass."""
        if self.check_host and not is_loopback(request.url.host):
            return _refusal("admin routes answer requests for a loopback host only")
        origin = request.headers.get("Origin")
        if origin is not None and not self._same_origin(request, origin):
            return _refusal("admin routes refuse requests from web pages (foreign Origin)")
        sent = request.headers.get(ADMIN_HEADER)
        if self.token is not None:
            if sent is None or not hmac.compare_digest(sent.encode(), self.token.encode()):
                return _refusal(f"admin routes need the sandbox's admin token in the {ADMIN_HEADER} header")
        elif request.method not in ("GET", "HEAD", "OPTIONS") and not sent:
            return _refusal(f"admin requests that change something need the {ADMIN_HEADER} header")
        if request.method == "POST" and request.content_type != "application/json":
            return _refusal("admin requests must send a JSON body (Content-Type: application/json)")
        return None

    @staticmethod
    def _same_origin(request: web.Request, origin: str) -> bool:
        return origin.rstrip("/").lower() == f"{request.scheme}://{request.host}".lower()
