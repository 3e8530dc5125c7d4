"""Headless Hummingbot bots on one GRVT sandbox: what the strategy acceptance tests are built on.

The sandbox, with its synthetic market, runs in a thread of the test process (its own event loop, an ephemeral port
on 127.0.0.1); each bot is ``bin/hummingbot_grvt.py --headless`` in a private Hummingbot root of its own (see
``prepare_root``) trading its own sandbox sub-account, so several bots share the market without sharing a position.
What a test asserts comes from the sandbox's own records of each sub-account (``AccountView``), never from the bot.
"""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

from grvt_sandbox.config import DEMO_PRIVATE_KEY, DEMO_SIGNER, AccountConfig, SandboxConfig
from grvt_sandbox.numbers import scaled_to_decimal
from grvt_sandbox.server import SandboxServer
from grvt_tools import bot_root

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "bin" / "hummingbot_grvt.py"
CONNECTOR = "grvt_perpetual_testnet"
PASSWORD = "grvt-strategies-acceptance"
RUNNING_MARKER = "Hummingbot running headless"
STOPPED_MARKER = "Stopped."


def prepare_root(path: Path) -> Path:
    """A Hummingbot root of its own (``grvt_tools.bot_root``): linked code, private conf, logs and data."""
    return bot_root.prepare_root(path).path


def root_env(root: Path, sandbox_url: str) -> Dict[str, str]:
    """The root's environment pointed at the sandbox; GRVT URL settings of the calling shell are dropped."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("GRVT_PERPETUAL")}
    return bot_root.BotRoot(root).env(base, GRVT_PERPETUAL_TESTNET_BASE_URL=sandbox_url)


def store_keys(root: Path, api_key: str, sub_account_id: str) -> None:
    """The root's password file and its encrypted ``grvt_perpetual_testnet`` keys, offline client settings."""
    bot_root.store_keys(bot_root.BotRoot(root), CONNECTOR,
                        bot_root.grvt_keys(CONNECTOR, api_key, DEMO_PRIVATE_KEY, sub_account_id),
                        password=PASSWORD, client_settings=bot_root.OFFLINE_CLIENT_SETTINGS, timeout=180)


# ---------------------------------------------------------------------------------------------------------------------
# The sandbox, in a thread of the test process
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class AccountView:
    """One sub-account as the sandbox records it."""
    orders: int
    fills: int
    buys: int
    sells: int
    max_abs_position: Decimal
    position: Decimal
    open_orders: int
    realized_pnl: Decimal
    fees: Decimal
    funding: Decimal
    equity: Decimal
    start_balance: Decimal
    buy_orders: int = 0
    sell_orders: int = 0
    reduce_only_fills: int = 0

    @property
    def pnl(self) -> Decimal:
        """Equity change since the account was opened (trading, fees and funding included)."""
        return self.equity - self.start_balance


class SandboxThread:
    """``SandboxServer`` with the synthetic market on an event loop in a background thread."""

    def __init__(self, seed: int = 11, **config):
        self._config = SandboxConfig(market=True, market_seed=seed, **config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="grvt-sandbox", daemon=True)
        self.server: Optional[SandboxServer] = None
        self._start_balances: Dict[str, Decimal] = {}

    def __enter__(self) -> "SandboxThread":
        self._thread.start()
        self.server = SandboxServer(self._config)
        self.run(self.server.start())
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.run(self.server.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)

    @property
    def url(self) -> str:
        return self.server.url

    def run(self, coroutine, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def call(self, function: Callable, *args, **kwargs) -> Any:
        """Runs ``function`` on the sandbox's loop (the engine is not thread-safe) and returns its result."""
        async def invoke():
            return function(*args, **kwargs)
        return self.run(invoke())

    def add_trader(self, sub_account_id: str, api_key: str, balance: Decimal = Decimal("100000")) -> None:
        self._start_balances[sub_account_id] = Decimal(balance)
        self.call(self.server.add_account, AccountConfig(
            sub_account_id=sub_account_id, api_key=api_key, signers=[DEMO_SIGNER], balance=Decimal(balance),
            main_account_id=DEMO_SIGNER.lower()))

    def mid(self, instrument: str) -> Decimal:
        return self.call(self.server.exchange.mid_price, instrument)

    def jump(self, instrument: str, relative_move: float) -> float:
        return self.call(self.server.market.jump, instrument, relative_move)

    def account(self, sub_account_id: str) -> AccountView:
        return self.call(self._account_view, sub_account_id)

    def _account_view(self, sub_account_id: str) -> AccountView:
        exchange = self.server.exchange
        account = exchange.accounts[sub_account_id]
        fills = sorted(account.fill_history.latest(len(account.fill_history)), key=lambda fill: fill.event_time)
        position = Decimal(0)
        max_abs_position = Decimal(0)
        fees = Decimal(0)
        buys = sells = 0
        for fill in fills:
            size = scaled_to_decimal(fill.size, fill.instrument.base_decimals)
            position += size if fill.is_buyer else -size
            max_abs_position = max(max_abs_position, abs(position))
            fees += fill.fee
            buys += fill.is_buyer
            sells += not fill.is_buyer
        orders = {order.order_id: order for order in account.order_history.latest(len(account.order_history))}
        orders.update(account.open_orders)
        reduce_only_ids = {order_id for order_id, order in orders.items() if order.reduce_only}
        margin = exchange.margin(account)
        return AccountView(
            orders=len(orders),
            fills=len(fills),
            buys=buys,
            sells=sells,
            max_abs_position=max_abs_position,
            position=sum((p.size for p in account.positions.values()), Decimal(0)),
            open_orders=len(account.open_orders),
            realized_pnl=sum((fill.realized_pnl for fill in fills), Decimal(0)),
            fees=fees,
            funding=-sum((payment.amount for payment in account.funding_history.latest(len(account.funding_history))),
                         Decimal(0)),
            equity=margin.total_equity,
            start_balance=self._start_balances.get(sub_account_id, Decimal(0)),
            buy_orders=sum(1 for order in orders.values() if order.is_buy),
            sell_orders=sum(1 for order in orders.values() if not order.is_buy),
            reduce_only_fills=sum(1 for fill in fills if fill.order_id in reduce_only_ids),
        )

    def faults(self, name: str, **kwargs) -> Any:
        return self.call(getattr(self.server.faults, name), **kwargs)

    def stall_book(self, instrument: str, seconds: float) -> int:
        """Holds back the order book stream of one instrument (every depth and rate), then delivers it late."""
        def stall():
            selectors = {selector for stream, selector in self.server.hub.feeds
                         if stream == "v1.book.d" and selector.startswith(instrument)}
            return sum(self.server.faults.stall_stream("v1.book.d", seconds, selector) for selector in selectors)
        return self.call(stall)


# ---------------------------------------------------------------------------------------------------------------------
# Bots
# ---------------------------------------------------------------------------------------------------------------------
class Bot:
    """One headless Hummingbot in its own root, trading its own sandbox sub-account."""

    def __init__(self, name: str, root: Path, sandbox: SandboxThread, sub_account_id: str,
                 launch_args: Sequence[str], files: Optional[Dict[str, str]] = None):
        self.name = name
        self.root = root
        self.sandbox = sandbox
        self.sub_account_id = sub_account_id
        self.launch_args = list(launch_args)
        self.files = files or {}
        self.process: Optional[subprocess.Popen] = None
        self.exit_code: Optional[int] = None
        self._console = root / "logs" / "console.log"

    def prepare(self) -> "Bot":
        prepare_root(self.root)
        for relative, content in self.files.items():
            (self.root / relative).write_text(content)
        api_key = f"strategies-key-{self.sub_account_id}"
        self.sandbox.add_trader(self.sub_account_id, api_key)
        store_keys(self.root, api_key, self.sub_account_id)
        return self

    def start(self, stop_after: float = 600.0) -> "Bot":
        with open(self._console, "w") as console:
            self.process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), "--headless", *self.launch_args, "-p", PASSWORD,
                 "--stop-after", str(stop_after)],
                cwd=self.root, env=root_env(self.root, self.sandbox.url), stdout=console, stderr=subprocess.STDOUT,
                text=True, start_new_session=True)
        return self

    def console(self) -> str:
        return self._console.read_text() if self._console.exists() else ""

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted((self.root / "logs").glob("logs_*.log")))

    def wait_for(self, condition: Callable[["Bot"], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.process.returncode}) while waiting for {what}:\n"
                                     f"{self.console()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {what} after {timeout:.0f} s:\n{self.console()[-3000:]}")
            time.sleep(0.5)

    def wait_until_running(self, timeout: float = 180.0) -> None:
        self.wait_for(lambda bot: RUNNING_MARKER in bot.console(), timeout, "start")

    def stop(self, timeout: float = 120.0) -> int:
        if self.process is None:
            return self.exit_code
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.exit_code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.exit_code = self.process.wait(timeout=30)
        return self.exit_code

    def view(self) -> AccountView:
        return self.sandbox.account(self.sub_account_id)


class Fleet:
    """Bots prepared, started and stopped side by side (each step in parallel: they are separate processes)."""

    def __init__(self, sandbox: SandboxThread, base_dir: Path):
        self.sandbox = sandbox
        self.base_dir = base_dir
        self.bots: Dict[str, Bot] = {}
        self._next_account = 7_100_001

    def add(self, name: str, launch_args: Sequence[str], files: Optional[Dict[str, str]] = None) -> Bot:
        bot = Bot(name, self.base_dir / name, self.sandbox, str(self._next_account), launch_args, files)
        self._next_account += 1
        self.bots[name] = bot
        return bot

    def _each(self, action: Callable[[Bot], Any]) -> Dict[str, Any]:
        with ThreadPoolExecutor(max_workers=len(self.bots)) as pool:
            futures = {name: pool.submit(action, bot) for name, bot in self.bots.items()}
            return {name: future.result() for name, future in futures.items()}

    def prepare(self) -> None:
        self._each(Bot.prepare)

    def start(self, stop_after: float = 600.0, timeout: float = 240.0) -> None:
        for bot in self.bots.values():
            bot.start(stop_after)
        self._each(lambda bot: bot.wait_until_running(timeout))

    def stop(self) -> Dict[str, int]:
        return self._each(Bot.stop)
