"""The GRVT sandbox as a subprocess on an ephemeral port, for the demo, fleets and operator tests.

::

    with SandboxProcess(seed=7, log_file=run_dir / "sandbox.log") as sandbox:
        print(sandbox.url)           # http://127.0.0.1:PORT, for sandbox_env() and SandboxAdmin

The sandbox runs in its own session: a Ctrl-C in the caller's terminal does not stop it, so a bot being stopped can
still cancel its orders. Its log (warnings by default) goes to ``log_file`` or is discarded.
"""
import json
import subprocess
import sys
from pathlib import Path
from typing import IO, List, Optional, Sequence, cast

from grvt_tools.bot_root import REPO


class SandboxStartError(Exception):
    """The sandbox process did not come up."""


class SandboxProcess:
    def __init__(self, seed: Optional[int] = 7, market: bool = True, log_file: Optional[Path] = None,
                 log_level: str = "WARNING", extra_args: Sequence[str] = ()):
        self.seed = seed
        self.market = market
        self.log_file = Path(log_file) if log_file else None
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.process: Optional[subprocess.Popen] = None
        self.url: Optional[str] = None
        self.chain_id: Optional[int] = None
        self.admin_token: Optional[str] = None  # announced by a sandbox listening beyond loopback

    def command(self) -> List[str]:
        command = [sys.executable, "-m", "grvt_sandbox", "--port", "0", "--log-level", self.log_level]
        if self.market:
            command.append("--market")
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        return command + self.extra_args

    def start(self) -> "SandboxProcess":
        if self.log_file:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab") if self.log_file else None
        try:
            self.process = subprocess.Popen(self.command(), cwd=REPO, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL if log is None else log,
                                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        finally:
            if log is not None:
                log.close()
        first_line = cast(IO[str], self.process.stdout).readline()  # stdout=PIPE
        try:
            announced = json.loads(first_line)
            self.url, self.chain_id = announced["url"], announced.get("chain_id")
            self.admin_token = announced.get("admin_token")
        except (ValueError, KeyError, TypeError):
            self.stop()
            where = f"; see {self.log_file}" if self.log_file else ""
            raise SandboxStartError(f"The sandbox did not start: {first_line.strip()!r}{where}") from None
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> "SandboxProcess":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
