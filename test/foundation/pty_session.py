"""Drives a full-screen terminal program (Hummingbot's prompt_toolkit CLI) through a pseudo-terminal.

Only the standard library (pexpect is not a project dependency): a child on a pty of a fixed size, and a
small VT100 screen that replays its output. prompt_toolkit renders by diff (cursor moves plus the changed
characters only), so stripping escapes from the byte stream does not give readable text; the replayed screen
does, and callers wait for substrings to appear on it.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
import unicodedata
from typing import Callable, Dict, Optional, Sequence

TOKEN = re.compile(
    r"\x1b\[(?P<private>[<=>?]?)(?P<params>[0-9;:]*)[ -/]*(?P<final>[@-~])"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, e.g. the window title
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS and other strings
    r"|\x1b[()*+#%].|\x1b[^\[\]PX^_()*+#%]"  # charset selection and two-byte escapes
    r"|(?P<control>[\x00-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f\x1b]+)")
INCOMPLETE_ESCAPE = re.compile(r"\x1b(?:\[[0-9;:<=>? -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[()*+#%])?$")


class Screen:
    """Just enough of a VT100 to replay prompt_toolkit's diff rendering onto a grid of characters."""

    def __init__(self, rows: int, columns: int):
        self.rows, self.columns = rows, columns
        self.cells = [[" "] * columns for _ in range(rows)]
        self.row = self.column = 0
        self._saved = (0, 0)

    def feed(self, data: str) -> None:
        for token in TOKEN.finditer(data):
            if token.group("text") is not None:
                self._write(token.group("text"))
            elif token.group("control") is not None:
                self._control(token.group("control"))
            elif token.group("final") is not None:
                if not token.group("private"):
                    self._csi(token.group("params"), token.group("final"))
            elif token.group(0) in ("\x1b7", "\x1b8"):
                if token.group(0) == "\x1b7":
                    self._saved = (self.row, self.column)
                else:
                    self.row, self.column = self._saved

    def text(self) -> str:
        return "\n".join("".join(line).rstrip() for line in self.cells)

    def region(self, first_column: int, last_column: int) -> str:
        """The text of a column range, e.g. one pane of a split screen."""
        return "\n".join("".join(line[first_column:last_column]).rstrip() for line in self.cells)

    def _write(self, text: str) -> None:
        for char in text:
            wide = not char.isascii() and unicodedata.east_asian_width(char) in "WF"
            if self.column + wide >= self.columns:
                self.column = 0
                self._line_feed()
            self.cells[self.row][self.column] = char
            self.column += 1
            if wide:  # the terminal gives it two cells; the second one holds nothing
                self.cells[self.row][self.column] = ""
                self.column += 1

    def _line_feed(self) -> None:
        if self.row == self.rows - 1:
            self.cells.pop(0)
            self.cells.append([" "] * self.columns)
        else:
            self.row += 1

    def _control(self, char: str) -> None:
        if char == "\r":
            self.column = 0
        elif char == "\n":
            self._line_feed()
        elif char == "\b":
            self.column = max(0, self.column - 1)
        elif char == "\t":
            self.column = min(self.columns - 1, (self.column // 8 + 1) * 8)

    def _csi(self, params: str, final: str) -> None:
        numbers = [int(part) if part.isdigit() else 0 for part in params.replace(":", ";").split(";")]
        first = numbers[0] or 1
        if final == "A":
            self.row = max(0, self.row - first)
        elif final in "Be":
            self.row = min(self.rows - 1, self.row + first)
        elif final in "Ca":
            self.column = min(self.columns - 1, self.column + first)
        elif final == "D":
            self.column = max(0, min(self.column, self.columns - 1) - first)
        elif final in "Hf":
            column = numbers[1] if len(numbers) > 1 and numbers[1] else 1
            self.row, self.column = min(self.rows, first) - 1, min(self.columns, column) - 1
        elif final in "G`":
            self.column = min(self.columns, first) - 1
        elif final == "d":
            self.row = min(self.rows, first) - 1
        elif final == "K":
            self._erase_line(numbers[0])
        elif final == "J":
            self._erase_display(numbers[0])

    def _erase_line(self, mode: int) -> None:
        line = self.cells[self.row]
        start, stop = {0: (self.column, self.columns), 1: (0, self.column + 1)}.get(mode, (0, self.columns))
        line[start:stop] = [" "] * (min(stop, self.columns) - start)

    def _erase_display(self, mode: int) -> None:
        if mode == 0:
            self._erase_line(0)
            rows = range(self.row + 1, self.rows)
        elif mode == 1:
            self._erase_line(1)
            rows = range(0, self.row)
        else:
            rows = range(self.rows)
        for row in rows:
            self.cells[row] = [" "] * self.columns


class PtyTimeout(AssertionError):
    """What the screen showed when an expected text did not appear in time."""


class PtySession:
    """A child process on a pseudo-terminal of a fixed size, with its screen replayed for matching."""

    def __init__(self, argv: Sequence[str], env: Dict[str, str], cwd: Optional[str] = None,
                 rows: int = 60, columns: int = 200):
        env = dict(env, TERM="xterm", COLUMNS=str(columns), LINES=str(rows))
        self.pid, self._fd = pty.fork()
        if self.pid == 0:  # the child: the pty is already its controlling terminal and stdio
            try:  # the size is set before the program starts, so its first look at the terminal sees it
                fcntl.ioctl(pty.STDOUT_FILENO, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], list(argv), env)
            finally:
                os._exit(127)
        self.screen = Screen(rows, columns)
        self._transcript = bytearray()  # every byte the child wrote, for "was it ever printed" checks
        self.exit_status: Optional[int] = None
        self._pending = ""  # an escape sequence split across two reads

    def screen_text(self) -> str:
        return self.screen.text()

    def ever_printed(self, text: str) -> bool:
        """Whether the child ever wrote this text in one piece (a secret typed at a masked prompt must not be)."""
        return text.encode() in self._transcript

    def expect(self, *needles: str, timeout: float = 60.0) -> str:
        """Waits until the screen shows any of the needles; returns the one found."""
        return self.wait_for(lambda text: next((needle for needle in needles if needle in text), None),
                             timeout=timeout, description=" | ".join(map(repr, needles)))

    def wait_for(self, probe: Callable[[str], Optional[str]], timeout: float = 60.0,
                 description: str = "condition"):
        """Waits until probe(screen text) returns something true, reading the child's output meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            found = probe(self.screen_text())
            if found:
                return found
            if time.monotonic() >= deadline:
                raise PtyTimeout(f"{description} not seen within {timeout:.0f} s; screen:\n{self.screen_text()}")
            if not self._read_available(min(0.2, max(0.0, deadline - time.monotonic()))):
                raise PtyTimeout(f"{description}: the program ended (exit status {self.exit_status}); "
                                 f"screen:\n{self.screen_text()}")

    def pump(self, seconds: float) -> None:
        """Keeps reading output for a while (a child blocks when nobody drains its terminal)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read_available(min(0.2, deadline - time.monotonic())):
            pass

    def send(self, text: str) -> None:
        os.write(self._fd, text.encode())

    def send_line(self, text: str) -> None:
        self.send(text + "\r")

    def _read_available(self, wait_s: float) -> bool:
        """Feeds whatever the child printed within wait_s to the screen; False once the child is gone."""
        ready, _, _ = select.select([self._fd], [], [], wait_s)
        if not ready:
            return self._reap(block=False) is None
        try:
            chunk = os.read(self._fd, 65536)
        except OSError:  # EIO: the child closed its terminal
            chunk = b""
        if not chunk:
            self._reap(block=False)
            return False
        self._transcript += chunk
        data = self._pending + chunk.decode("utf-8", errors="replace")
        unfinished = INCOMPLETE_ESCAPE.search(data, max(0, len(data) - 256))
        if unfinished:
            data, self._pending = data[:unfinished.start()], data[unfinished.start():]
        else:
            self._pending = ""
        self.screen.feed(data)
        return True

    def _reap(self, block: bool) -> Optional[int]:
        if self.exit_status is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, -1
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status) if status != -1 else -1
        return self.exit_status

    def wait_exit(self, timeout: float) -> Optional[int]:
        """Reads output until the child exits or the timeout passes; returns its exit status or None."""
        deadline = time.monotonic() + timeout
        while self._reap(block=False) is None and time.monotonic() < deadline:
            try:
                self._read_available(0.2)
            except OSError:
                time.sleep(0.2)
        return self.exit_status

    def close(self, grace_s: float = 5.0) -> None:
        """Ends the child: SIGTERM, then SIGKILL after the grace period; always releases the terminal."""
        try:
            for signum, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
                if self._reap(block=False) is not None:
                    break
                try:
                    os.kill(self.pid, signum)
                except ProcessLookupError:
                    break
                self.wait_exit(wait_s)
        finally:
            try:
                os.close(self._fd)
            except OSError:
                pass
