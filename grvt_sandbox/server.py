"""`SandboxServer`: the exchange engine plus every gateway on one aiohttp app, one port.

    async with SandboxServer(SandboxConfig()) as sandbox:
        sandbox.url          # http://127.0.0.1:<ephemeral port>
        sandbox.ws_url       # ws://127.0.0.1:<port>/ws/full
        sandbox.exchange     # the engine (grvt_sandbox.engine API)
        sandbox.faults       # fault injection (grvt_sandbox.faults.FaultInjector)
"""
import asyncio
import logging
from typing import TYPE_CHECKING, Optional

from aiohttp import web

from grvt_sandbox.accounts.account import SubAccount
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import AccountConfig, SandboxConfig
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.faults import FaultInjector
from grvt_sandbox.gateway.admin import AdminGateway
from grvt_sandbox.gateway.http import HttpGateway, grvt_errors
from grvt_sandbox.gateway.market_data import MarketDataService
from grvt_sandbox.gateway.rate_limits import RateLimiter
from grvt_sandbox.gateway.sessions import Session, SessionStore
from grvt_sandbox.gateway.streams import StreamHub
from grvt_sandbox.gateway.trading import TradingService
from grvt_sandbox.gateway.websocket import WebSocketGateway
from grvt_sandbox.signing.verifier import SignatureVerifier

if TYPE_CHECKING:  # imported when the market starts: the package is optional
    from grvt_sandbox.market import MarketSimulator

logger = logging.getLogger(__name__)
PREMIUM_SAMPLE_INTERVAL_NS = 1_000_000_000


class SandboxServer:
    def __init__(self, config: Optional[SandboxConfig] = None, clock: Optional[Clock] = None):
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.exchange = Exchange(self.config, self.clock)
        self.sessions = SessionStore(self.clock, self.config.session_ttl_s)
        for account_config in self.config.accounts:
            self._register_api_key(account_config)
        self.verifier = SignatureVerifier(self.config.chain_id, int(self.config.max_signature_duration_s * 1e9),
                                          enabled=self.config.verify_signatures)
        self.trading = TradingService(self.exchange, self.verifier)
        self.market_data = MarketDataService(self.exchange)
        self.hub = StreamHub(self.exchange)
        self.ws_gateway = WebSocketGateway(self)
        self.http_gateway = HttpGateway(self)
        self.admin_gateway = AdminGateway(self)
        self.faults = FaultInjector(self)
        self.rate_limiter = RateLimiter(self.clock, self.config.rate_limits)
        self.market: Optional["MarketSimulator"] = None
        self.app = self._build_app()
        self._runner: Optional[web.AppRunner] = None
        self._timer_task: Optional[asyncio.Task] = None
        self.port: Optional[int] = None

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[grvt_errors], client_max_size=4 * 1024 * 1024)
        app.add_routes(self.http_gateway.routes())
        app.add_routes(self.admin_gateway.routes())
        app.add_routes([web.get("/ws/full", self.ws_gateway.handle), web.get("/ws", self.ws_gateway.handle)])
        return app

    # ------------------------------------------------------------------ accounts
    def _register_api_key(self, config: AccountConfig) -> None:
        if not config.api_key:
            return
        account = self.exchange.accounts[config.sub_account_id]
        existing = self.sessions.api_keys.get(config.api_key)
        sub_accounts = (existing.sub_account_ids if existing else []) + [config.sub_account_id]
        self.sessions.add_api_key(config.api_key, sub_accounts, account.main_account_id)

    def add_account(self, config: AccountConfig) -> SubAccount:
        """Adds a sub-account (and its API key, if any) while running."""
        account = self.exchange.add_account_from_config(config)
        self._register_api_key(config)
        return account

    # ------------------------------------------------------------------ routes shared by REST and JSON-RPC
    async def call_route(self, method: str, params: dict, session: Optional[Session],
                         client: Optional[str] = None) -> dict:
        """Runs a REST route / JSON-RPC method; `client` (the peer address) keys rate limits of public calls."""
        handler = self.trading.routes.get(method)
        if handler is not None:
            if session is None or not self.sessions.is_valid(session):
                raise GrvtApiError(1000)
            if self.rate_limiter.enabled:
                self.rate_limiter.charge(session.account_id, method, params)
            return handler(session, params)
        handler = self.market_data.routes.get(method)
        if handler is not None:
            if self.rate_limiter.enabled:
                self.rate_limiter.charge(f"client {client}", method, params)
            return handler(None, params)
        raise GrvtApiError(1004, f"unknown method {method!r}")

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/ws/full"

    async def start(self) -> "SandboxServer":
        self.faults.reset_hold()
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._timer_task = asyncio.ensure_future(self._run_timer())
        if self.config.market:
            self.start_market()
        logger.info("GRVT sandbox listening on %s", self.url)
        return self

    def start_market(self, seed: Optional[int] = None) -> Optional["MarketSimulator"]:
        """Starts the synthetic market (grvt_sandbox.market) on this exchange, when that package is present."""
        if self.market is not None:
            return self.market
        try:
            from grvt_sandbox.market import MarketSimulator, default_market_config
        except ImportError:
            logger.warning("grvt_sandbox.market is not available; running without a synthetic market")
            return None
        self.market = MarketSimulator(self.exchange, default_market_config(
            seed=seed if seed is not None else self.config.market_seed))
        self.market.start()
        return self.market

    async def stop(self) -> None:
        self.faults.release_held()
        if self.market is not None:
            await self.market.stop()
            self.market = None
        if self._timer_task is not None:
            self._timer_task.cancel()
            await asyncio.gather(self._timer_task, return_exceptions=True)
            self._timer_task = None
        self.ws_gateway.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _run_timer(self) -> None:
        next_sample = 0
        while True:
            await asyncio.sleep(self.config.tick_interval_s)
            try:
                now = self.clock.now_ns()
                self.exchange.on_timer()
                if now >= next_sample:
                    next_sample = now + PREMIUM_SAMPLE_INTERVAL_NS
                    self.exchange.sample_premium()
                self.hub.on_timer(now)
            except Exception:  # the timer must survive anything a single tick does
                logger.exception("sandbox timer tick failed")

    async def __aenter__(self) -> "SandboxServer":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
