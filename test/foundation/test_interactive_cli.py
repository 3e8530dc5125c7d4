"""The interactive Hummingbot CLI, typed at through a pseudo-terminal, connects to and trades on the GRVT sandbox.

Facts come from the sandbox's admin API and from files where possible; the screen (a replayed VT100 grid, see
pty_session.py) is only read for what exists nowhere else: the CLI's own answers to commands.
"""
import json
import re
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
import yaml

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools.bot_root import prepare_root
from grvt_tools.exchange_view import SandboxAdmin
from grvt_tools.sandbox_process import SandboxProcess
from test.foundation.pty_session import PtySession, PtyTimeout

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "bin" / "hummingbot_grvt.py"
PASSWORD = "interactive-cli-test"
CONNECTOR = "grvt_perpetual_testnet"
STRATEGY = "grvt_demo_perpetual_market_making"
CREATED_FILE = "grvt_pmm_created"
WRONG_SUB_ACCOUNT_ID = "1234567890"
TOGGLE_LOG_PANE = "\x14"  # Ctrl-T: the output pane gets the full width, and the log pane stops redrawing
STEP_TIMEOUT_S = 60.0

STORE_KEYS = textwrap.dedent('''
    import os

    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger, store_password_verification
    from hummingbot.client.config.config_helpers import ClientConfigAdapter
    from hummingbot.client.config.security import Security
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_utils import GrvtPerpetualTestnetConfigMap

    secrets_manager = ETHKeyFileSecretManger(os.environ["TEST_PASSWORD"])
    store_password_verification(secrets_manager)
    assert Security.login(secrets_manager)
    Security.update_secure_config(ClientConfigAdapter(GrvtPerpetualTestnetConfigMap(
        grvt_perpetual_testnet_api_key=os.environ["TEST_API_KEY"],
        grvt_perpetual_testnet_private_key=os.environ["TEST_PRIVATE_KEY"],
        grvt_perpetual_testnet_trading_account_id=os.environ["TEST_SUB_ACCOUNT_ID"],
    )))
''')


class CliSandbox(SandboxAdmin):
    def open_orders(self, sub_account_id: str = DEMO_SUB_ACCOUNT_ID) -> list:
        return super().open_orders(sub_account_id)


@pytest.fixture
def sandbox(tmp_path) -> Iterator[CliSandbox]:
    with SandboxProcess(seed=7, log_file=tmp_path / "sandbox.log") as process:
        yield CliSandbox(process.url)


@pytest.fixture
def cli_env(root_env, sandbox):
    return dict(root_env, GRVT_PERPETUAL_TESTNET_BASE_URL=sandbox.url)


@contextmanager
def hummingbot_cli(env, *arguments: str) -> Iterator[PtySession]:
    session = PtySession([sys.executable, str(LAUNCHER), *arguments], env, rows=80, columns=200)
    try:
        yield session
    finally:
        session.close()


def wait_for_main_screen(session: PtySession) -> None:
    session.expect("Useful Commands:", timeout=STEP_TIMEOUT_S)
    session.wait_for(lambda text: input_line(text) == ">>>", timeout=STEP_TIMEOUT_S, description="the >>> prompt")
    session.send(TOGGLE_LOG_PANE)


def input_line(screen: str) -> str:
    """The last line holding a ">>>" prompt: the input field (the output pane is above it)."""
    prompts = [line.strip() for line in screen.splitlines() if ">>>" in line]
    return prompts[-1] if prompts else ""


def field_text(field: str) -> str:
    """What an input field holds after its prompt."""
    return field.rpartition(">>>")[2].strip()


def settled_input_line(session: PtySession) -> str:
    """The input field once two reads half a second apart agree: the CLI can draw a prompt in several writes."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    line = input_line(session.screen_text())
    while True:
        session.pump(0.5)
        again = input_line(session.screen_text())
        if again == line:
            return line
        if time.monotonic() >= deadline:
            raise PtyTimeout(f"the input field kept changing for {STEP_TIMEOUT_S:.0f} s; screen:\n{again}")
        line = again


def clear_field(session: PtySession) -> None:
    """Backspaces over what the input field holds (a prompt's default) until it stays empty, as a person would.

    The field is read again after each round, because one read can catch a default only partly drawn; a Backspace in
    an empty field does nothing.
    """
    for _ in range(10):
        shown = field_text(settled_input_line(session))
        if not shown:
            return
        session.send("\x7f" * len(shown))
    raise PtyTimeout(f"the input field still holds {shown!r} after ten rounds of Backspace")


def type_line(session: PtySession, text: str, shown: Callable[[str], bool]) -> None:
    """Types text and Enter the way a person does: Enter only once the input field shows the text.

    The pause lets prompt_toolkit finish its completion-while-typing first; an Enter in the middle of one makes
    it recompute for the emptied field and leave a completion menu over the output pane.
    """
    session.send(text)
    session.wait_for(lambda screen: shown(input_line(screen)), timeout=STEP_TIMEOUT_S,
                     description=f"{len(text)} typed characters in the input field")
    session.pump(0.5)
    session.send("\r")


def run_command(session: PtySession, command: str) -> None:
    type_line(session, command, lambda field: command in field)
    session.wait_for(lambda screen: output_after(screen, command) is not None, timeout=STEP_TIMEOUT_S,
                     description=f"the echo of {command!r}")


def output_after(screen: str, command: str):
    """The output pane's text between the last echo of the command and the input field (None before the echo)."""
    # the pane may draw a scroll marker (v or ^) at the end of the line once its text outgrows it
    echo = re.compile(r"^\s*>>>  " + re.escape(command) + r"\s*[v^]?\s*$")
    lines = screen.splitlines()
    echoes = [index for index, line in enumerate(lines) if echo.match(line)]
    if not echoes:
        return None
    input_field = max(index for index, line in enumerate(lines) if ">>>" in line)
    return "\n".join(lines[echoes[-1] + 1:input_field])


def expect_output(session: PtySession, command: str, *needles: str, timeout: float = STEP_TIMEOUT_S) -> str:
    """Waits until everything in needles shows below the command's echo; returns that output."""
    def probe(screen):
        output = output_after(screen, command)
        return output if output is not None and all(needle in output for needle in needles) else None

    return session.wait_for(probe, timeout=timeout, description=f"{needles} after {command!r}")


def history_report(screen: str):
    """The output of "history" once complete: a trades report, or a note when nothing has filled yet."""
    output = output_after(screen, "history") or ""
    return output if "No past trades to report." in output or "Total P&L" in output else None


def wait_until(session: PtySession, fact: Callable[[], object], description: str,
               timeout: float = STEP_TIMEOUT_S):
    """Polls a fact (e.g. from the sandbox) while draining the terminal, so the CLI never blocks on output."""
    deadline = time.monotonic() + timeout
    while True:
        value = fact()
        if value:
            return value
        if time.monotonic() >= deadline or session.exit_status is not None:
            raise AssertionError(f"{description}: not within {timeout:.0f} s (CLI exit status "
                                 f"{session.exit_status}); screen:\n{session.screen_text()}")
        session.pump(0.5)


def connect_demo_account(session: PtySession, sub_account_id: str = DEMO_SUB_ACCOUNT_ID,
                         connected: bool = True) -> None:
    run_command(session, f"connect {CONNECTOR}")
    for prompt, answer in (("API key >>>", DEMO_API_KEY), ("signing wallet >>>", DEMO_PRIVATE_KEY),
                           ("(the sub-account id) >>>", sub_account_id)):
        session.wait_for(lambda screen: input_line(screen).endswith(prompt), timeout=STEP_TIMEOUT_S,
                         description=f"the prompt {prompt!r}")
        type_line(session, answer, lambda field: field.count("*") >= len(answer))  # a masked prompt
    if connected:
        session.expect(f"You are now connected to {CONNECTOR}.", timeout=STEP_TIMEOUT_S)


def assert_balance_shows_usdt(session: PtySession) -> None:
    run_command(session, "balance")
    output = expect_output(session, "balance", f"{CONNECTOR}:", "Exchanges Total:")
    assert re.search(r"^\s*USDT\s+[0-9]", output, re.MULTILINE), output


def assert_secrets_stay_secret(session: PtySession, root: Path) -> None:
    keys_file = root / "conf" / "connectors" / f"{CONNECTOR}.yml"
    stored = keys_file.read_text()
    for secret in (DEMO_PRIVATE_KEY, DEMO_API_KEY, DEMO_SUB_ACCOUNT_ID):
        assert secret not in stored
    for field in ("api_key", "private_key", "trading_account_id"):
        value = re.search(rf"^{CONNECTOR}_{field}: (\S+)$", stored, re.MULTILINE).group(1)
        assert "crypto" in json.loads(bytes.fromhex(value)), field  # Hummingbot's encrypted keystore format
    assert not session.ever_printed(DEMO_PRIVATE_KEY)
    for log_file in (root / "logs").iterdir():
        log_text = log_file.read_text(errors="replace")
        assert DEMO_PRIVATE_KEY not in log_text and DEMO_API_KEY not in log_text, log_file.name


def exit_cli(session: PtySession) -> None:
    run_command(session, "exit")
    assert session.wait_exit(STEP_TIMEOUT_S) == 0, session.screen_text()


# The answers a new user gives to `create` for perpetual_market_making, by a fragment of each prompt.
CREATE_ANSWERS = (
    ("Enter the strategy name", "perpetual_market_making"),
    ("maker derivative connector", CONNECTOR),
    ("token trading pair you would like to trade on", "BTC-USDT"),
    ("How much leverage", "5"),
    ("position mode", "One-way"),
    ("first bid order", "0.02"),
    ("first ask order", "0.02"),
    ("cancel and replace bids and asks", "10"),
    ("What is the amount of BTC per order", "0.002"),
    ("short order to reduce position", "0.05"),
    ("long order to reduce position", "0.05"),
    ("stop_loss order", "1"),
    ("stop loss order that has not been executed", "60"),
    ("slippage", "0.5"),
    ("file name", CREATED_FILE),
)
# What Hummingbot reaches out to on its own unless told to stay offline (see grvt_tools/offline.py).
FOREIGN_EXCHANGE_NOISE = ("binance", "gate_io", "gate.io", "kraken", "kucoin", "server time", "rate oracle",
                          "retrieving rates")


def answer_create_prompts(session: PtySession) -> None:
    """Answers each prompt of `create` as it appears, until the config file is saved."""
    answered = []
    while True:
        def next_prompt(screen):
            if f"{CREATED_FILE}.yml" in screen and "saved" in screen.lower() or "A new config file" in screen:
                return "done"
            field = input_line(screen)
            for fragment, answer in CREATE_ANSWERS:
                if fragment.lower() in field.lower() and (fragment, answer) not in answered[-1:]:
                    return fragment, answer
            return None

        found = session.wait_for(next_prompt, timeout=STEP_TIMEOUT_S,
                                 description=f"the next create prompt after {[a for a, _ in answered]}")
        if found == "done":
            return
        answered.append(found)
        clear_field(session)
        type_line(session, found[1], lambda field, text=found[1]: field_text(field) == text)
        if found[0] == "file name":
            return


def replace_field(session: PtySession, answer: str) -> None:
    """Clears what a prompt prefilled (its default) and types the answer, without pressing Enter."""
    clear_field(session)
    session.send(answer)
    session.wait_for(lambda screen: field_text(input_line(screen)) == answer, timeout=STEP_TIMEOUT_S,
                     description=f"{answer!r} in the input field")
    session.pump(0.5)


def answer_model_prompts(session: PtySession, answers: dict, file_name: str, command: str) -> None:
    """Walks through the prompts of `create --controller-config/--v2-config`: the given answers by prompt
    fragment, each other prompt's default accepted with Enter, and the file name."""
    previous = None
    for _ in range(60):
        def changed(screen):
            field = input_line(screen)
            return field if ">>>" in field and field != previous and field.rstrip() != ">>>" else None

        session.wait_for(changed, timeout=STEP_TIMEOUT_S, description=f"the next prompt of {command!r}")
        session.pump(1.0)  # the prompt shows before its default is filled in; typing earlier would be overwritten
        field = previous = settled_input_line(session)
        prompt = field.rpartition(">>>")[0]
        if "file name" in prompt.lower():
            replace_field(session, file_name)
            session.send("\r")
            return
        answer = next((value for fragment, value in answers.items() if fragment.lower() in prompt.lower()), None)
        if answer is not None:
            replace_field(session, answer)
        else:
            session.pump(0.3)
        session.send("\r")
    raise AssertionError(f"{command!r} asked more than 60 questions")


def complete_yaml(path: Path, *wanted: str):
    """A config file Hummingbot saved, once it is fully written (it appears before its last line does)."""
    try:
        config = yaml.safe_load(path.read_text()) if path.is_file() else None
    except yaml.YAMLError:
        return None
    return config if isinstance(config, dict) and all(config.get(key) is not None for key in wanted) else None


def complete_config(path: Path):
    return complete_yaml(path, "strategy", "derivative", "market", "order_amount", "bid_spread", "ask_spread")


def assert_no_foreign_exchange_noise(root: Path) -> None:
    for log_file in (root / "logs").iterdir():
        for line in log_file.read_text(errors="replace").splitlines():
            if " - ERROR - " in line or " - WARNING - " in line or " - NETWORK - " in line:
                assert not any(word in line.lower() for word in FOREIGN_EXCHANGE_NOISE), line


def test_connect_create_trade_and_stop_through_the_interactive_cli(cli_env, isolated_root, sandbox):
    with hummingbot_cli(cli_env, "-p", PASSWORD, "--create-password") as session:
        wait_for_main_screen(session)  # -p skips the login dialog; --create-password made the password file
        assert (isolated_root / "conf" / ".password_verification").is_file()
        assert "Enter your password" not in session.screen_text()

        connect_demo_account(session)
        assert_secrets_stay_secret(session, isolated_root)
        assert_balance_shows_usdt(session)

        run_command(session, "create")
        answer_create_prompts(session)
        created = isolated_root / "conf" / "strategies" / f"{CREATED_FILE}.yml"
        config = wait_until(session, lambda: complete_config(created), "the created strategy file, written out")
        assert (config["strategy"], config["derivative"], config["market"]) == \
            ("perpetual_market_making", CONNECTOR, "BTC-USDT")
        assert float(config["order_amount"]) == 0.002 and float(config["bid_spread"]) == 0.02

        run_command(session, "start")
        expect_output(session, "start", "started successfully")
        orders = wait_until(session, sandbox.open_orders, "the strategy's orders resting on the sandbox")
        assert all("BTC_USDT_Perp" in json.dumps(order) for order in orders), orders

        run_command(session, "status")
        expect_output(session, "status", "Markets:", CONNECTOR, "BTC-USDT", "Assets:")
        run_command(session, "history")
        history = session.wait_for(history_report, timeout=STEP_TIMEOUT_S, description="the history report")
        assert "Traceback" not in history and "rror" not in history, history
        assert "Total P&L" not in history or f"{CONNECTOR} / BTC-USDT" in history, history

        run_command(session, "stop")
        expect_output(session, "stop", "Hummingbot stopped.")
        wait_until(session, lambda: not sandbox.open_orders(), "no open orders after stop", timeout=30)
        exit_cli(session)
    assert not sandbox.open_orders()
    assert_no_foreign_exchange_noise(isolated_root)


def test_create_our_controller_and_script_configs_then_run_them(tmp_path, sandbox):
    # A root whose scripts/ and controllers/ are this repository's, as `make install` sets up for the CLI.
    root = prepare_root(tmp_path / "bot")
    isolated_root = root.path
    with hummingbot_cli(root.env(GRVT_PERPETUAL_TESTNET_BASE_URL=sandbox.url), "-p", PASSWORD,
                        "--create-password") as session:
        wait_for_main_screen(session)
        connect_demo_account(session)

        command = "create --controller-config market_making.grvt_market_maker"
        type_line(session, command, lambda field: command in field)
        answer_model_prompts(session, {"Enter the connector": CONNECTOR, "Order amount in base asset": "0.002"},
                             "grvt_mm_cli.yml", command)
        controller_file = isolated_root / "conf" / "controllers" / "grvt_mm_cli.yml"
        controller = wait_until(session, lambda: complete_yaml(controller_file, "connector_name", "order_amount"),
                                "the controller config")
        assert (controller["connector_name"], controller["trading_pair"]) == (CONNECTOR, "BTC-USDT")

        command = "create --v2-config grvt_v2_controllers"
        type_line(session, command, lambda field: command in field)
        answer_model_prompts(session, {"controller configurations": "grvt_mm_cli.yml"}, "grvt_mm_cli_script.yml",
                             command)
        script_file = isolated_root / "conf" / "scripts" / "grvt_mm_cli_script.yml"
        script = wait_until(session, lambda: complete_yaml(script_file, "script_file_name", "controllers_config"),
                            "the script config")
        assert script["script_file_name"] == "grvt_v2_controllers.py"
        assert script["controllers_config"] == ["grvt_mm_cli.yml"]

        run_command(session, "start --v2 grvt_mm_cli_script.yml")
        orders = wait_until(session, sandbox.open_orders, "the market maker's quotes on the sandbox", timeout=120)
        assert all(order["post_only"] for order in orders), orders
        run_command(session, "status")
        expect_output(session, "status", "BTC-USDT")
        run_command(session, "stop")
        expect_output(session, "stop", "Hummingbot stopped.")
        wait_until(session, lambda: not sandbox.open_orders(), "no open orders after stop", timeout=60)
        exit_cli(session)
    assert_no_foreign_exchange_noise(isolated_root)


def test_a_wrong_trading_account_id_is_named(cli_env, isolated_root):
    with hummingbot_cli(cli_env, "-p", PASSWORD, "--create-password") as session:
        wait_for_main_screen(session)
        connect_demo_account(session, sub_account_id=WRONG_SUB_ACCOUNT_ID, connected=False)
        session.expect(f"cannot access trading account id {WRONG_SUB_ACCOUNT_ID}", timeout=STEP_TIMEOUT_S)
        assert not session.ever_printed(DEMO_PRIVATE_KEY)
        exit_cli(session)
    assert not (isolated_root / "conf" / "connectors" / f"{CONNECTOR}.yml").exists()


def test_login_dialog_rejects_a_wrong_password_then_unlocks_the_stored_keys(cli_env, isolated_root):
    # cwd matters: "python -c" puts the working directory first on sys.path, and it must hold the root's package.
    subprocess.run([sys.executable, "-c", STORE_KEYS], check=True, timeout=STEP_TIMEOUT_S, cwd=isolated_root,
                   env=dict(cli_env, TEST_PASSWORD=PASSWORD, TEST_API_KEY=DEMO_API_KEY,
                            TEST_PRIVATE_KEY=DEMO_PRIVATE_KEY, TEST_SUB_ACCOUNT_ID=DEMO_SUB_ACCOUNT_ID))
    assert (isolated_root / "conf" / "connectors" / f"{CONNECTOR}.yml").is_file()
    with hummingbot_cli(cli_env) as session:
        for password in ("not-the-password", PASSWORD):
            session.expect("Enter your password:", timeout=STEP_TIMEOUT_S)
            session.send(password + "\r")  # Enter in the field moves the focus to OK,
            session.pump(0.3)
            session.send("\r")  # and Enter on OK accepts
            if password != PASSWORD:
                session.expect("Invalid password", timeout=STEP_TIMEOUT_S)
                session.send("\r")
        wait_for_main_screen(session)
        assert_balance_shows_usdt(session)  # the connector came up from the keys decrypted at login
        exit_cli(session)
