"""The replayed terminal screen that the interactive CLI test reads."""
import sys

from test.foundation.pty_session import PtySession, Screen


def test_screen_replays_diff_rendering():
    screen = Screen(rows=4, columns=20)
    screen.feed("\x1b[?1049h\x1b[2J\x1b[1;1Hstale text\x1b[1;1H\x1b[Knew\x1b[2Cword")  # erase, then skip 2 cells
    screen.feed("\x1b[3;5H\x1b[1mbold\x1b[0m\r\n\x1b[4Gnext\x1b[A\x1b[2Dx")
    assert screen.text().splitlines() == ["new  word", "", "    bxld", "   next"]


def test_screen_gives_wide_characters_two_cells_and_scrolls():
    screen = Screen(rows=2, columns=10)
    screen.feed("a\U0001F534b\r\nline 2\r\nline 3")
    assert screen.text().splitlines() == ["line 2", "line 3"]
    screen.feed("\x1b[1;1H\x1b[2J\U0001F534ok")
    assert screen.region(2, 4) == "ok\n"


def test_session_reads_a_split_escape_and_reports_the_exit_status():
    program = "import sys, time; sys.stdout.write('\\x1b['); sys.stdout.flush(); time.sleep(0.2); print('31mred')"
    session = PtySession([sys.executable, "-c", program], env={}, rows=5, columns=20)
    try:
        session.expect("red", timeout=30)
        assert session.wait_exit(30) == 0
        assert "31m" not in session.screen_text()
        assert session.ever_printed("\x1b[31mred")
    finally:
        session.close()
