"""Headless Hummingbot in a private root, as a subprocess: start, wait until it trades, stop cleanly.

::

    bot = HeadlessBot(root, password, strategy="grvt_demo_perpetual_market_making.yml",
                      env=sandbox_env(sandbox_url, "grvt_perpetual_testnet"))
    bot.start()
    bot.wait_until_running()          # the strategy started (raises with the console's tail if the bot died)
    ...
    exit_code = bot.stop()            # SIGINT: the strategy cancels its orders, Hummingbot shuts down

``script_config=`` runs a V2 script config from ``conf/scripts/`` instead of a V1 strategy file. The password reaches
the bot through ``$CONFIG_PASSWORD`` (never the command line). The bot runs in its own session, so a Ctrl-C in the
caller's terminal reaches only the caller, which decides when to stop the bot (and keeps the exchange up meanwhile).
Everything the bot prints goes to ``logs/console.log`` in its root; Hummingbot's own log is ``logs/logs_hummingbot.log``
and its trade records ``data/<config name>.sqlite`` (read them with ``grvt_tools.records``).
"""
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, cast

from grvt_tools.bot_root import REPO, BotRoot

LAUNCHER = REPO / "bin" / "hummingbot_grvt.py"
RUNNING_MARKER = "Hummingbot running headless"
STOPPED_MARKER = "Stopped."
CONSOLE_LOG = "console.log"


class HeadlessBotError(Exception):
    """The bot did not start or stop as expected; the message carries the end of its console output."""


def sandbox_env(url: str, connector: str = "grvt_perpetual_testnet") -> Dict[str, str]:
    """Environment that points a GRVT connector's every gateway at one URL (the sandbox's)."""
    prefix = connector.upper()
    if not prefix.startswith("GRVT_PERPETUAL"):
        raise ValueError(f"not a GRVT connector: {connector!r}")
    return {f"{prefix}_BASE_URL": url.rstrip("/")}


def recorded_config(root: BotRoot, strategy: str) -> str:
    """The config Hummingbot runs a V1 strategy file as, and records its trades under: a V1 market maker file naming
    GRVT runs as the script config the launcher converts it into."""
    from controllers.grvt_common.v1_conversion import converted_name, needs_conversion, read_v1

    return f"{converted_name(strategy)}.yml" if needs_conversion(read_v1(root.strategies / strategy)) else strategy


@dataclass
class HeadlessBot:
    """One headless Hummingbot process running one strategy (V1 file) or one V2 script config in a root."""

    root: BotRoot
    password: str = field(repr=False)  # decrypts the root's stored keys
    strategy: Optional[str] = None
    script_config: Optional[str] = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # may carry keys for a first start
    inherit: Optional[Mapping[str, str]] = field(default=None, repr=False)  # the base environment (os.environ)
    stop_after: Optional[float] = None
    create_password: bool = True
    extra_args: Sequence[str] = ()
    process: Optional[subprocess.Popen] = field(default=None, init=False, repr=False)
    started_at: Optional[float] = field(default=None, init=False)
    stopped_at: Optional[float] = field(default=None, init=False)
    _stop_sent: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if bool(self.strategy) == bool(self.script_config):
            raise ValueError("give exactly one of strategy (V1 file) or script_config (V2 script config)")

    @property
    def config_file_name(self) -> str:
        if self.strategy:
            return recorded_config(self.root, self.strategy)
        return cast(str, self.script_config)  # set when strategy is not (__post_init__)

    @property
    def console_log(self) -> Path:
        return self.root.logs / CONSOLE_LOG

    @property
    def hummingbot_log(self) -> Path:
        return self.root.hummingbot_log

    @property
    def database(self) -> Path:
        return self.root.database(self.config_file_name)

    def command(self) -> List[str]:
        command = [sys.executable, str(LAUNCHER), "--headless"]
        command += ["-f", self.strategy] if self.strategy else ["--v2", self.config_file_name]
        if self.create_password:
            command.append("--create-password")
        if self.stop_after is not None:
            command += ["--stop-after", str(self.stop_after)]
        return command + list(self.extra_args)

    def start(self) -> "HeadlessBot":
        if self.process is not None:
            raise HeadlessBotError("this bot was already started")
        self.root.logs.mkdir(parents=True, exist_ok=True)
        env = self.root.env(self.inherit, **dict(self.env), CONFIG_PASSWORD=self.password)
        self._console_offset = self.console_log.stat().st_size if self.console_log.exists() else 0
        with open(self.console_log, "ab") as console:
            self.process = subprocess.Popen(self.command(), env=env, cwd=self.root.path, stdin=subprocess.DEVNULL,
                                            stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.time()
        return self

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process is not None else None

    @property
    def exit_code(self) -> Optional[int]:
        return self.process.poll() if self.process is not None else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def console_text(self) -> str:
        """What this run printed so far (Hummingbot's console log lines and the launcher's messages)."""
        if not self.console_log.exists():
            return ""
        with open(self.console_log, "rb") as console:
            console.seek(getattr(self, "_console_offset", 0))
            return console.read().decode(errors="replace")

    def _tail(self, lines: int = 25) -> str:
        return "\n".join(self.console_text().splitlines()[-lines:])

    def wait_until_running(self, timeout: float = 180.0) -> None:
        """Waits until the launcher reports the strategy started; raises if the bot exits or the time runs out."""
        deadline = time.monotonic() + timeout
        while RUNNING_MARKER not in self.console_text():
            if self.process is None:
                raise HeadlessBotError("the bot was not started")
            if self.process.poll() is not None:
                raise HeadlessBotError(f"the bot exited with code {self.process.returncode} before its strategy "
                                       f"started; its console:\n{self._tail()}")
            if time.monotonic() >= deadline:
                raise HeadlessBotError(f"the strategy did not start within {timeout:.0f} s; its console:\n"
                                       f"{self._tail()}")
            time.sleep(0.2)

    def request_stop(self) -> None:
        """Sends SIGINT once (the launcher stops the strategy, cancelling its orders); returns at once.

        Only once: a second SIGINT reaching a bot that has finished its stop and released the signal would end it
        with KeyboardInterrupt instead of its clean exit code.
        """
        process = self.process
        if process is not None and process.poll() is None and not self._stop_sent:
            self._stop_sent = True
            os.kill(process.pid, signal.SIGINT)

    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for the process to end and returns its exit code (``subprocess.TimeoutExpired`` on timeout)."""
        if self.process is None:
            raise HeadlessBotError("the bot was not started")
        code = self.process.wait(timeout=timeout)
        if self.stopped_at is None:
            self.stopped_at = time.time()
        return code

    def stop(self, timeout: float = 120.0) -> int:
        """Stops the bot cleanly and returns its exit code; kills it (exit code -9) if it hangs past ``timeout``."""
        if self.process is None:
            raise HeadlessBotError("the bot was not started")
        self.request_stop()
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.wait()

    def stopped_cleanly(self) -> bool:
        """Exit code 0 and the launcher's own "Stopped." after the strategy was stopped."""
        return self.exit_code == 0 and STOPPED_MARKER in self.console_text()

    def __enter__(self) -> "HeadlessBot":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self.is_running():
            self.stop()
