#!/usr/bin/env python3
"""Runs a fleet of headless bots from a fleet file: one root, config and key set per bot; Ctrl-C stops them all.

    CONFIG_PASSWORD=... GRVT_BTC_API_KEY=... GRVT_BTC_PRIVATE_KEY=... bin/fleet.py fleet.yml
    bin/fleet.py fleet.yml --sandbox          # on a local sandbox; each bot's sub-account is created there
    bin/fleet.py fleet.yml --mqtt-host localhost --mqtt-port 1883   # join Hummingbot's MQTT remote interface

The fleet file format is described in grvt_tools/fleet.py (load_fleet_file). Each bot keeps its state in
<folder>/<bot name>/ (conf/, logs/, data/), the layout of one Hummingbot Docker container; bin/report.py
<folder>/<bot name> reports on one of them.
"""
import argparse
import importlib.util
import os
import signal
import sys
import time
from pathlib import Path
from typing import Optional, Sequence, cast

import yaml
from eth_account import Account

if importlib.util.find_spec("grvt_tools") is None:  # e.g. in the Docker image: nothing installs this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grvt_tools.bot_root import BotRootError  # noqa: E402
from grvt_tools.exchange_view import ExchangeViewError, SandboxAdmin  # noqa: E402
from grvt_tools.fleet import Fleet, MqttSettings, fleet_entries, load_fleet_file  # noqa: E402
from grvt_tools.headless import HeadlessBotError, sandbox_env  # noqa: E402
from grvt_tools.sandbox_process import SandboxProcess, SandboxStartError  # noqa: E402

STATUS_EVERY_S = 10.0


def status_line(name: str, status: Optional[dict]) -> str:
    if not status:
        return f"{name}: starting"
    parts = []
    for connector, state in (status.get("connectors") or {}).items():
        pairs = ", ".join(state.get("trading_pairs") or [])
        positions = ", ".join(f"{p['side']} {p['amount']}" for p in state.get("positions") or []) or "flat"
        parts.append(f"{connector} {pairs}: {len(state.get('open_orders') or [])} orders resting, {positions}")
    return f"{name}: " + ("; ".join(parts) or "no connector yet")


def sandbox_keys(fleet_file: Path) -> dict:
    """On the sandbox, keys the environment does not give are made up: one API key, signer and sub-account each."""
    environ = dict(os.environ)
    for number, entry in enumerate(fleet_entries(yaml.safe_load(fleet_file.read_text()), fleet_file), start=1):
        made_up = {"api_key_env": f"sandbox-{entry.get('name')}", "private_key_env": Account.create().key.hex(),
                   "trading_account_id_env": str(7400000 + number)}
        for field, value in made_up.items():
            if entry.get(field) and not environ.get(entry[field]):
                environ[entry[field]] = value
    return environ


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fleet_file", type=Path)
    parser.add_argument("--folder", type=Path, default=Path("fleet"), help="where the bots' roots live")
    parser.add_argument("--sandbox", action="store_true", help="run on a local sandbox (creates the sub-accounts)")
    parser.add_argument("--mqtt-host", help="MQTT broker of Hummingbot's remote interface")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args(argv)
    password = os.environ.get("CONFIG_PASSWORD") or os.environ.get("HBOT_PASSWORD")
    if not password and args.sandbox:
        password = "grvt-sandbox-fleet"  # sandbox money only
    if not password:
        print("fleet: set CONFIG_PASSWORD (the password the bots' keys are encrypted with)", file=sys.stderr)
        return 2
    try:
        environ = sandbox_keys(args.fleet_file) if args.sandbox else os.environ
        bots = load_fleet_file(args.fleet_file, environ)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as error:
        print(f"fleet: {error}", file=sys.stderr)
        return 2
    sandbox = None
    env = {}
    try:  # the sandbox runs in its own session: nothing else stops it should the fleet fail to come together
        if args.sandbox:
            sandbox = SandboxProcess(seed=7, log_file=args.folder / "sandbox.log").start()
            sandbox_url = cast(str, sandbox.url)  # start() read it from the sandbox or raised
            admin = SandboxAdmin(sandbox_url)
            for bot in bots:  # the keys as the connector reads them: stripped, the private key with or without 0x
                try:
                    signer = Account.from_key(bot.private_key.strip()).address
                except ValueError:
                    raise ValueError(f"bot {bot.name!r}: the private key is not 64 hex characters") from None
                admin.add_account(bot.trading_account_id.strip(), bot.api_key.strip(), [signer])
            for connector in {bot.connector for bot in bots}:  # every bot's domain, not only the first bot's
                env.update(sandbox_env(sandbox_url, connector))
            print(f"GRVT sandbox at {sandbox_url}", flush=True)
        mqtt = MqttSettings(host=args.mqtt_host, port=args.mqtt_port) if args.mqtt_host else None
        fleet = Fleet(args.folder, bots, password, env=env, mqtt=mqtt, offline=args.sandbox)
    except BaseException as error:
        if sandbox is not None:
            sandbox.stop()
        if isinstance(error, (ValueError, ExchangeViewError, SandboxStartError)):
            print(f"fleet: {error}", file=sys.stderr)
            return 2
        raise
    stop = []
    failed = False
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        fleet.start()
        fleet.wait_until_running()
        print(f"{len(bots)} bots running; Ctrl-C stops them all (each cancels its orders).", flush=True)
        last = 0.0
        while not stop:
            if time.monotonic() - last >= STATUS_EVERY_S:
                last = time.monotonic()
                for name, status in fleet.status().items():
                    print(status_line(name, status), flush=True)
            if any(not bot.is_running() for bot in fleet.bots.values()):
                print("fleet: a bot exited on its own; stopping the others", flush=True)
                break
            time.sleep(0.5)
    except (HeadlessBotError, BotRootError) as error:  # a bot that would not start, a root it could not prepare
        failed = True  # the bots may all stop cleanly afterwards: the fleet still did not run
        print(f"fleet: {error}", file=sys.stderr)
    finally:
        print("Stopping every bot...", flush=True)
        codes = fleet.stop()
        if sandbox is not None:
            sandbox.stop()
    for name, code in codes.items():
        print(f"{name}: exit code {code}; state in {fleet.bots[name].root.path}", flush=True)
    return 0 if not failed and all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
