#!/usr/bin/env python3
"""Starts Hummingbot from this repository: headless with a strategy file, or as the interactive CLI.

The PyPI build of Hummingbot has no ``bin/hummingbot.py``; this launcher stands in for it and uses
this repository's ``conf/``, ``scripts/`` and ``grvt_perpetual`` connector (see bin/install.py).

Examples:
    bin/hummingbot_grvt.py                                  # interactive CLI
    bin/hummingbot_grvt.py --headless -f pmm_grvt.yml -p PW   # V1 strategy file from conf/strategies/
    bin/hummingbot_grvt.py --headless --v2 grvt_mm.yml        # script config from conf/scripts/
    bin/hummingbot_grvt.py --convert-v1 pmm_grvt.yml          # V1 market maker file -> GRVT market maker configs
A pure_market_making or avellaneda_market_making file that names a GRVT connector (those strategies accept spot
connectors only) runs as the GRVT market maker with the same parameters: the launcher converts it and says so.
A strategy that fails to load or start ends the launcher with exit code 1 and Hummingbot's reason on one line.
The password may also come from $CONFIG_PASSWORD or $HBOT_PASSWORD; --create-password makes a first
run create the password file non-interactively.
"""
import argparse
import asyncio
import importlib.util
import logging
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, List, Mapping, Optional, Sequence, Tuple, cast

if TYPE_CHECKING:
    from controllers.grvt_common.v1_conversion import Conversion
    from hummingbot.client.config.config_crypt import BaseSecretsManager
    from hummingbot.client.config.config_helpers import ClientConfigAdapter
    from hummingbot.client.hummingbot_application import HummingbotApplication
    from hummingbot.client.ui.hummingbot_cli import HummingbotCLI

REPO = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("hummingbot") is None:  # run outside the project venv: use this checkout's overlay
    sys.path.insert(0, str(REPO))

EXIT_OK = 0
EXIT_STRATEGY_FAILED = 1
EXIT_USAGE = 2
EXIT_BAD_PASSWORD = 4
EXIT_INTERRUPTED = 130  # the shell's code for a run ended by Ctrl-C


class LaunchError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Run Hummingbot with the GRVT connector and this repository's configs.")
    parser.add_argument("--config-file-name", "-f", help="V1 strategy file in conf/strategies/")
    parser.add_argument("--v2", dest="v2_conf", help="script config file in conf/scripts/")
    parser.add_argument("--config-password", "-p",
                        help="password of the encrypted configs (else $CONFIG_PASSWORD or $HBOT_PASSWORD)")
    parser.add_argument("--headless", action="store_true", default=None,
                        help="run without the terminal UI (also $HEADLESS_MODE=true)")
    parser.add_argument("--create-password", action="store_true",
                        help="on a first run, create the password file with the given password")
    parser.add_argument("--stop-after", type=float, default=None, metavar="SECONDS",
                        help="headless only: stop the strategy (cancelling its orders) after this many seconds")
    parser.add_argument("--status-file", default=None, metavar="PATH",
                        help="headless only: rewrite this JSON file every second with the bot's state")
    parser.add_argument("--offline", action=argparse.BooleanOptionalAction, default=None,
                        help="contact no exchange but the ones in use (no paper-trade markets, rate oracle from "
                             "the bot's own prices); default: $GRVT_OFFLINE, else on when GRVT points at localhost")
    parser.add_argument("--convert-v1", metavar="FILE",
                        help="convert a pure_market_making or avellaneda_market_making file from conf/strategies/ "
                             "naming a GRVT connector into a GRVT market maker config, then exit")
    return parser


def resolve_arguments(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> argparse.Namespace:
    """Fills unset options from the environment, as Hummingbot's own launcher does."""
    if args.config_file_name is None and environ.get("CONFIG_FILE_NAME"):
        args.config_file_name = environ["CONFIG_FILE_NAME"]
    if args.v2_conf is None and environ.get("SCRIPT_CONFIG"):
        args.v2_conf = environ["SCRIPT_CONFIG"]
    if args.config_password is None:
        args.config_password = environ.get("CONFIG_PASSWORD") or environ.get("HBOT_PASSWORD") or None
    if args.headless is None:
        args.headless = environ.get("HEADLESS_MODE", "").lower() == "true"
    if args.config_file_name and args.v2_conf:
        raise LaunchError("Give either --config-file-name (V1 strategy) or --v2 (script config), not both.")
    if args.stop_after is not None and not args.headless:
        raise LaunchError("--stop-after only applies to --headless runs.")
    if args.status_file is not None and not args.headless:
        raise LaunchError("--status-file only applies to --headless runs.")
    if args.status_file is not None:  # relative to where the launcher started, not Hummingbot's root it moves to
        args.status_file = str(Path(args.status_file).absolute())
    if args.offline is None:
        from grvt_tools.offline import grvt_points_at_this_machine

        setting = environ.get("GRVT_OFFLINE", "").strip().lower()
        args.offline = setting in ("1", "true", "yes") if setting else grvt_points_at_this_machine(environ)
    return args


def check_strategy_file(args: argparse.Namespace) -> None:
    from hummingbot.client.settings import SCRIPT_STRATEGY_CONF_DIR_PATH, STRATEGIES_CONF_DIR_PATH

    if args.config_file_name:
        path = STRATEGIES_CONF_DIR_PATH / args.config_file_name
    elif args.v2_conf:
        path = SCRIPT_STRATEGY_CONF_DIR_PATH / args.v2_conf
    else:
        if args.headless:
            raise LaunchError("Headless mode needs a strategy: --config-file-name FILE or --v2 FILE.")
        return
    if not path.is_file():
        raise LaunchError(f"Config file not found: {path}", EXIT_STRATEGY_FAILED)


def convert_v1_file(file_name: str) -> Tuple["Conversion", Path, Path]:
    """Converts conf/strategies/<file_name> into conf/controllers/ and conf/scripts/; returns (conversion, paths)."""
    from controllers.grvt_common.v1_conversion import ConversionError, convert_file
    from hummingbot.client.settings import (
        CONTROLLERS_CONF_DIR_PATH,
        SCRIPT_STRATEGY_CONF_DIR_PATH,
        STRATEGIES_CONF_DIR_PATH,
    )

    try:
        return convert_file(STRATEGIES_CONF_DIR_PATH / file_name, CONTROLLERS_CONF_DIR_PATH,
                            SCRIPT_STRATEGY_CONF_DIR_PATH)
    except ConversionError as error:
        raise LaunchError(f"{file_name}: {error}", EXIT_STRATEGY_FAILED)


def print_conversion(file_name: str, conversion: "Conversion", controller_path: Path, script_path: Path,
                     running: bool) -> None:
    from hummingbot import root_path

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(root_path()))
        except ValueError:
            return str(path)
    verb = "running it as" if running else "converted to"
    print(f"hummingbot_grvt: {file_name}: {conversion.strategy} accepts spot connectors only, not "
          f"{conversion.connector}; {verb} the GRVT market maker ({conversion.controller['pricing_mode']} pricing) "
          f"with the same parameters: {shown(controller_path)}, {shown(script_path)}", flush=True)
    for line in conversion.summary_lines():
        print(f"hummingbot_grvt: {line}", flush=True)


def v1_file_contents(args: argparse.Namespace) -> Optional[dict]:
    """The V1 strategy file's settings; None without one, or when Hummingbot will report it unreadable itself."""
    from controllers.grvt_common.v1_conversion import read_v1
    from hummingbot.client.settings import STRATEGIES_CONF_DIR_PATH

    return read_v1(STRATEGIES_CONF_DIR_PATH / args.config_file_name) if args.config_file_name else None


def check_v1_position_mode(args: argparse.Namespace) -> None:
    """perpetual_market_making quotes only once the connector has switched to its position_mode, and GRVT has one-way
    positions only: a Hedge file would run without ever placing an order."""
    from controllers.grvt_common.v1_conversion import is_grvt_connector

    data = v1_file_contents(args) or {}
    if data.get("strategy") == "perpetual_market_making" and is_grvt_connector(data.get("derivative")) \
            and data.get("position_mode") == "Hedge":
        raise LaunchError(f"{args.config_file_name}: GRVT has one-way positions only; set position_mode: One-way "
                          f"(with Hedge, perpetual_market_making would never quote).", EXIT_STRATEGY_FAILED)


def check_v1_settings(args: argparse.Namespace) -> None:
    """Hummingbot reads a V1 file by its strategy template's keys and ignores the others: a misspelt setting of a
    file trading on GRVT (stop_loss_spred) would leave its default in force without a word."""
    import yaml

    from controllers.grvt_common.v1_conversion import is_grvt_connector
    from hummingbot.client.config.config_helpers import get_strategy_template_path

    data = v1_file_contents(args) or {}
    template = get_strategy_template_path(str(data.get("strategy")))
    if not any(map(is_grvt_connector, data.values())) or not template.is_file():
        return
    unknown = sorted(str(key) for key in set(data) - set(yaml.safe_load(template.read_text()) or {}))
    if unknown:
        raise LaunchError(f"{args.config_file_name}: {unknown} are not settings of {data['strategy']} (Hummingbot "
                          f"would ignore them): check their spelling.", EXIT_STRATEGY_FAILED)
    missing = [key for key in required_v1_settings(str(data.get("strategy"))) if data.get(key) is None]
    if missing:  # headless, Hummingbot does not ask for them: without order_amount the strategy quotes nothing
        raise LaunchError(f"{args.config_file_name}: {missing} must be set: {data['strategy']} has no default for "
                          f"them.", EXIT_STRATEGY_FAILED)


def required_v1_settings(strategy: str) -> List[str]:
    """The settings of a V1 strategy (legacy config map) that Hummingbot's CLI would ask for: required, no default.
    Those required only depending on another setting's value are left to Hummingbot."""
    from hummingbot.client.config.config_helpers import get_strategy_config_map

    try:
        config_map = get_strategy_config_map(strategy)
    except Exception:
        return []
    required = []
    for key, config_var in (config_map.items() if isinstance(config_map, dict) else ()):
        try:
            if config_var.default is None and config_var.required:
                required.append(key)
        except Exception:  # its condition reads other settings, unset here
            continue
    return required


def route_v1_market_maker(args: argparse.Namespace) -> argparse.Namespace:
    """A V1 pure_market_making or avellaneda_market_making file naming a GRVT connector runs as the GRVT market
    maker: the file is converted and the script config that runs the converted controller starts instead."""
    from controllers.grvt_common.v1_conversion import needs_conversion

    if not needs_conversion(v1_file_contents(args)):
        return args
    conversion, controller_path, script_path = convert_v1_file(args.config_file_name)
    print_conversion(args.config_file_name, conversion, controller_path, script_path, running=True)
    args.config_file_name, args.v2_conf = None, script_path.name
    return args


class FailureReasons(logging.Handler):
    """Collects what Hummingbot logs while it loads and starts a strategy, to name the reason of a failure."""
    GENERIC = ("Failed to start strategy", "Unknown error during initialization.")
    MAX_LENGTH = 300

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(" ".join(record.getMessage().split()))
        except Exception:  # a record that cannot be formatted is no reason
            pass

    def reason(self) -> str:
        specific = [message for message in self.messages if message not in self.GENERIC]
        if not specific:
            return "see logs/ for the reason"
        for message in specific:  # Hummingbot's reason is then a bare KeyError naming it: 'grvt_perpetual_tn'
            unknown = re.fullmatch(r"Failed to create connector (\S+): '\1'", message)
            if unknown:
                return (f"Hummingbot has no connector named {unknown.group(1)}: check connector_name in the "
                        f"controller configs (grvt_perpetual or grvt_perpetual_testnet)")
        preferred = [message for message in specific
                     if message.startswith(("Invalid value", "Failed to start strategy", "Error loading strategy"))]
        reason = (preferred or specific)[0]
        choices = re.search(r",? ?please choose value from \{([^}]*)\}", reason)
        if choices:  # Hummingbot lists every connector it would accept: name the kind instead
            count = len(choices.group(1).split(","))
            reason = reason[:choices.start()] + f" (not one of the {count} connectors this strategy accepts)" + \
                reason[choices.end():]
        return reason if len(reason) <= self.MAX_LENGTH else reason[:self.MAX_LENGTH - 3] + "..."


def connector_config_problems(connectors_dir: Path) -> List[str]:
    """
    One line per invalid setting in the GRVT connector files of `connectors_dir` (conf/connectors/), naming the file
    and the setting; Hummingbot itself would stop with a multi-line validation traceback. Secret values are never
    repeated.
    """
    import yaml
    from pydantic import ValidationError

    from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_utils as utils

    problems = []
    for config_map in (utils.GrvtPerpetualConfigMap, utils.GrvtPerpetualTestnetConfigMap):
        path = connectors_dir / f"{config_map.model_fields['connector'].default}.yml"
        if not path.exists():
            continue
        try:
            config_map.model_validate(yaml.safe_load(path.read_text()) or {})
        except ValidationError as error:
            for detail in error.errors(include_input=False, include_url=False):
                setting = ".".join(str(part) for part in detail["loc"]) or "(file)"
                problems.append(f"{path}: {setting}: {detail['msg'].removeprefix('Value error, ')}")
        except yaml.YAMLError as error:
            problems.append(f"{path}: not valid YAML ({error.__class__.__name__})")
    return problems


def check_connector_settings() -> None:
    """GRVT settings in conf/connectors/ are checked before Hummingbot loads them: one line per bad setting."""
    from hummingbot.client.settings import CONNECTORS_CONF_DIR_PATH

    problems = connector_config_problems(CONNECTORS_CONF_DIR_PATH)
    if problems:
        raise LaunchError("invalid connector setting:\n" + "\n".join(problems))


def unlock_secrets(args: argparse.Namespace) -> Optional["BaseSecretsManager"]:
    """Returns the secrets manager for the given password, creating the password file when asked to."""
    from hummingbot.client.config.config_crypt import (
        ETHKeyFileSecretManger,
        store_password_verification,
        validate_password,
    )
    from hummingbot.client.config.security import Security

    password = args.config_password
    if password is None:
        if args.headless:
            raise LaunchError("No password: pass --config-password or set CONFIG_PASSWORD.")
        return None  # the interactive CLI asks for it
    if password == "":
        raise LaunchError("The password must not be empty.")
    secrets_manager = ETHKeyFileSecretManger(password)
    if Security.new_password_required():
        if not args.create_password:
            raise LaunchError("No password has been set up yet: run once with --create-password "
                              "(or start the interactive CLI) to create it.")
        store_password_verification(secrets_manager)
        logging.getLogger(__name__).info("Created the password file.")
    elif not validate_password(secrets_manager):
        raise LaunchError("Invalid password.", EXIT_BAD_PASSWORD)
    return secrets_manager


def stop_requests() -> asyncio.Event:
    """Set by Ctrl-C, SIGTERM or SIGHUP (the terminal of a shell run closed). Listening from the start of a run, so
    a stop asked for while Hummingbot starts ends it the clean way, cancelling whatever the strategy placed."""
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop_event.set)
    return stop_event


async def wait_for_stop(stop_event: asyncio.Event, stop_after: Optional[float]) -> None:
    try:
        await asyncio.wait_for(stop_event.wait(), timeout=stop_after)
    except asyncio.TimeoutError:
        pass


def apply_offline_mode_if_asked(args: argparse.Namespace, hb: "HummingbotApplication") -> None:
    """Before anything else runs on the loop: no paper-trade markets, rate oracle from the bot's own prices."""
    if args.offline:
        from grvt_tools.offline import apply_offline_mode

        apply_offline_mode(hb)


def start_status_file(args: argparse.Namespace, hb: "HummingbotApplication") -> Optional[asyncio.Task]:
    if not args.status_file:
        return None
    from grvt_tools.bot_status import publish_status

    return asyncio.ensure_future(publish_status(hb, Path(args.status_file)))


async def forward_market_events_over_mqtt(hb: "HummingbotApplication", poll_seconds: float = 0.5) -> None:
    """With the MQTT bridge on (mqtt_autostart), the markets' order, fill and funding events are published on
    <namespace>/<instance id>/events, as in Hummingbot's own headless run. The bridge comes up in the background
    after the strategy started, so this waits for it."""
    if not hb.client_config_map.mqtt_bridge.mqtt_autostart:
        return
    while hb._mqtt is None:
        await asyncio.sleep(poll_seconds)
    hb._mqtt.start_market_events_fw()


async def bootstrap(args: argparse.Namespace, secrets_manager: Optional["BaseSecretsManager"],
                    headless: bool) -> Tuple["HummingbotApplication", "ClientConfigAdapter"]:
    """Hummingbot's application and its client config map, offline mode applied when asked, and a kill switch that
    completes the shutdown it starts (grvt_tools.kill_switch)."""
    from grvt_tools.kill_switch import let_the_kill_switch_finish_its_shutdown
    from hummingbot.client.config.config_helpers import load_client_config_map_from_file
    from hummingbot.client.runner import bootstrap_application

    client_config_map = load_client_config_map_from_file()
    hb = await bootstrap_application(client_config_map, secrets_manager, headless=headless)
    if hb is None:
        raise LaunchError("Invalid password.", EXIT_BAD_PASSWORD)
    apply_offline_mode_if_asked(args, hb)
    let_the_kill_switch_finish_its_shutdown()
    return hb, client_config_map


async def cancel_orders_an_earlier_run_left(hb: "HummingbotApplication", started: float,
                                            poll_seconds: float = 0.5) -> None:
    """Hummingbot restores the orders an earlier run of a V1 strategy file left open (a crash, a kill) into the
    connectors, but the strategy manages only the orders it places: they rested next to its new quotes until it
    stopped. They are cancelled once their connector is ready."""
    for connector in list(hb.trading_core.markets.values()):
        leftovers = [order for order in connector.in_flight_orders.values() if order.creation_timestamp < started]
        if not leftovers:
            continue
        while not connector.ready:
            await asyncio.sleep(poll_seconds)
        logging.getLogger(__name__).info(f"Cancelling {len(leftovers)} orders an earlier run left open on "
                                         f"{connector.name}: {', '.join(o.client_order_id for o in leftovers)}.")
        for order in leftovers:
            connector.cancel(order.trading_pair, order.client_order_id)


async def unlisted_trading_pairs(hb: "HummingbotApplication", poll_seconds: float = 1.0) -> Optional[str]:
    """Why the strategy cannot trade, once a GRVT connector has GRVT's instrument list and one of the strategy's pairs
    is not on it (BTC-USD for BTC-USDT): the connector would only log it while the bot runs and quotes nothing."""
    from controllers.grvt_common.v1_conversion import is_grvt_connector

    for name, connector in list(hb.trading_core.markets.items()):
        if not is_grvt_connector(name):
            continue
        # The connector loads the list as it starts; until GRVT answered, keep waiting (a network problem is no
        # config error), without asking GRVT again.
        while not connector.trading_pair_symbol_map_ready():
            await asyncio.sleep(poll_seconds)
        listed = set((await connector.trading_pair_symbol_map()).values())
        unlisted = sorted(set(connector.trading_pairs) - listed)
        if unlisted:
            shown = ", ".join(sorted(listed)[:30]) + (", ..." if len(listed) > 30 else "")
            return (f"{name}: GRVT lists no active perpetual for {', '.join(unlisted)}: check the trading pair "
                    f"(market in V1 files, trading_pair in controller configs); GRVT lists {shown}")
    return None


async def stop_on_unlisted_trading_pairs(hb: "HummingbotApplication", stop_event: asyncio.Event,
                                         failures: List[str]) -> None:
    reason = await unlisted_trading_pairs(hb)
    if reason:
        failures.append(reason)
        stop_event.set()


async def load_strategy(hb: "HummingbotApplication", args: argparse.Namespace, headless: bool) -> Tuple[bool, str]:
    """Hummingbot's load-and-start of the configured strategy, with the reason it logged should that fail."""
    from hummingbot.client.runner import load_and_start_strategy

    reasons = FailureReasons()
    logging.getLogger().addHandler(reasons)
    try:
        started = await load_and_start_strategy(
            hb, config_file_name=args.config_file_name, v2_conf=args.v2_conf, headless=headless)
    finally:
        logging.getLogger().removeHandler(reasons)
    return started, reasons.reason()


async def run_headless(args: argparse.Namespace, secrets_manager: Optional["BaseSecretsManager"]) -> int:
    from hummingbot.client.runner import wait_for_gateway_ready

    stop_event = stop_requests()
    hb, _ = await bootstrap(args, secrets_manager, headless=True)
    start_time = int(time.time())  # orders of this run are stamped with the clock's whole seconds
    started, reason = await load_strategy(hb, args, headless=True)
    # A V1 strategy whose start function fails only logs it: the engine then runs with no strategy at all.
    if not started or hb.trading_core.strategy is None:
        await hb.trading_core.stop_clock()
        raise LaunchError(f"The strategy could not be started: {reason}", EXIT_STRATEGY_FAILED)
    await wait_for_gateway_ready(hb)
    failures: List[str] = []
    tasks = [asyncio.ensure_future(forward_market_events_over_mqtt(hb)),
             asyncio.ensure_future(stop_on_unlisted_trading_pairs(hb, stop_event, failures))]
    if args.config_file_name:  # the GRVT controllers cancel them themselves
        tasks.append(asyncio.ensure_future(cancel_orders_an_earlier_run_left(hb, start_time)))
    print(f"Hummingbot running headless with {args.config_file_name or args.v2_conf}; "
          f"stop with Ctrl-C, SIGTERM or SIGHUP.", flush=True)
    status_task = start_status_file(args, hb)
    await wait_for_stop(stop_event, args.stop_after)
    print("Stopping: cancelling the strategy's orders...", flush=True)
    try:
        await hb.stop_loop()
    finally:
        await hb.trading_core.shutdown()
        for task in tasks:
            task.cancel()
        if status_task is not None:
            status_task.cancel()
    print("Stopped.", flush=True)
    if failures:
        raise LaunchError(failures[0], EXIT_STRATEGY_FAILED)
    return EXIT_OK


async def run_interactive(args: argparse.Namespace, secrets_manager: Optional["BaseSecretsManager"]) -> int:
    from hummingbot.core.event.event_listener import EventListener
    from hummingbot.core.event.events import HummingbotUIEvent

    hb, client_config_map = await bootstrap(args, secrets_manager, headless=False)
    if args.config_file_name or args.v2_conf:
        loaded, reason = await load_strategy(hb, args, headless=False)
        if not loaded:
            raise LaunchError(f"The strategy could not be loaded: {reason}", EXIT_STRATEGY_FAILED)

        class StartStrategyWhenUiIsUp(EventListener):
            def __call__(self, _: object) -> None:
                hb.start(log_level=client_config_map.log_level, v2_conf=args.v2_conf, is_quickstart=True)

        listener = StartStrategyWhenUiIsUp()
        cast("HummingbotCLI", hb.app).add_listener(HummingbotUIEvent.Start, listener)  # None only when headless
    await hb.run()
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = resolve_arguments(build_parser().parse_args(argv))
        from hummingbot import root_path

        os.chdir(root_path())  # Hummingbot looks up scripts/ relative to the working directory
        if args.convert_v1:
            print_conversion(args.convert_v1, *convert_v1_file(args.convert_v1), running=False)
            return EXIT_OK
        check_strategy_file(args)
        check_connector_settings()
        check_v1_position_mode(args)
        args = route_v1_market_maker(args)
        check_v1_settings(args)
        secrets_manager = unlock_secrets(args)
        if secrets_manager is None:
            from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger
            from hummingbot.client.config.config_helpers import load_client_config_map_from_file
            from hummingbot.client.ui import login_prompt
            from hummingbot.client.ui.style import load_style

            secrets_manager = login_prompt(ETHKeyFileSecretManger, style=load_style(load_client_config_map_from_file()))
            if secrets_manager is None:
                return EXIT_BAD_PASSWORD
        runner = run_headless if args.headless else run_interactive
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(runner(args, secrets_manager))
    except LaunchError as error:
        print(f"hummingbot_grvt: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:  # before a strategy ran: nothing to cancel
        print("hummingbot_grvt: interrupted while starting.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
