#!/usr/bin/env python3
"""The demo: Hummingbot market making on the local GRVT sandbox, no network and no keys.

It starts the sandbox with its synthetic market, prepares a private Hummingbot root under
``.demo/`` (so your own ``conf/`` and keys are never touched), stores the sandbox demo account's
keys for ``grvt_perpetual_testnet`` there, runs the ``perpetual_market_making`` strategy from
``conf/strategies/grvt_demo_perpetual_market_making.yml`` headless, and when it stops prints what
the exchange saw: orders, fills, position, and that nothing was left resting.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional, Sequence

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID

REPO = Path(__file__).resolve().parent.parent
DEMO_ROOT = REPO / ".demo"
DEMO_PASSWORD = "grvt-sandbox-demo"
DEMO_STRATEGY = "grvt_demo_perpetual_market_making.yml"
DEMO_CONNECTOR = "grvt_perpetual_testnet"


def prepare_root() -> Path:
    """A Hummingbot root of its own: linked code, private conf/ logs/ data/."""
    sys.path.insert(0, str(REPO / "bin"))
    from install import overlay_package

    overlay_package(REPO / "hummingbot", DEMO_ROOT / "hummingbot", owned=())
    for relative in ("conf/strategies", "conf/scripts", "conf/connectors", "logs", "data"):
        (DEMO_ROOT / relative).mkdir(parents=True, exist_ok=True)
    scripts = DEMO_ROOT / "scripts"
    if not scripts.is_symlink():
        if scripts.exists():
            shutil.rmtree(scripts)
        scripts.symlink_to(REPO / "scripts")
    shutil.copyfile(REPO / "conf" / "strategies" / DEMO_STRATEGY, DEMO_ROOT / "conf" / "strategies" / DEMO_STRATEGY)
    return DEMO_ROOT


def store_demo_keys() -> None:
    """Runs inside the demo root: creates the password file and the encrypted connector keys."""
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger, store_password_verification
    from hummingbot.client.config.config_helpers import (
        ClientConfigAdapter,
        load_client_config_map_from_file,
        save_to_yml,
    )
    from hummingbot.client.config.security import Security
    from hummingbot.client.settings import CLIENT_CONFIG_PATH
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_utils import GrvtPerpetualTestnetConfigMap

    secrets_manager = ETHKeyFileSecretManger(DEMO_PASSWORD)
    if Security.new_password_required():
        store_password_verification(secrets_manager)
    if not Security.login(secrets_manager):
        raise SystemExit(f"{DEMO_ROOT}/conf holds files made with another password: delete {DEMO_ROOT} and retry.")
    config = GrvtPerpetualTestnetConfigMap(
        grvt_perpetual_testnet_api_key=DEMO_API_KEY,
        grvt_perpetual_testnet_private_key=DEMO_PRIVATE_KEY,
        grvt_perpetual_testnet_trading_account_id=DEMO_SUB_ACCOUNT_ID,
    )
    Security.update_secure_config(ClientConfigAdapter(config))
    # The demo runs offline: no paper-trade exchanges whose markets Hummingbot would try to download.
    client_config = load_client_config_map_from_file()
    client_config.paper_trade.paper_trade_exchanges = []
    save_to_yml(CLIENT_CONFIG_PATH, client_config)


def start_sandbox(seed: int) -> (subprocess.Popen, str):
    process = subprocess.Popen(
        [sys.executable, "-m", "grvt_sandbox", "--port", "0", "--market", "--seed", str(seed),
         "--log-level", "WARNING"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
        start_new_session=True)  # Ctrl-C stops the bot, which still needs the exchange to cancel its orders
    first_line = process.stdout.readline()
    try:
        url = json.loads(first_line)["url"]
    except (ValueError, KeyError):
        process.kill()
        raise SystemExit(f"The sandbox did not start: {first_line!r}")
    return process, url


def admin_get(url: str, path: str):
    request = urllib.request.Request(f"{url}{path}", headers={"X-Sandbox-Admin": "1"})  # the admin routes' guard
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def print_summary(url: str) -> int:
    account = admin_get(url, f"/sandbox/accounts/{DEMO_SUB_ACCOUNT_ID}")
    resting = admin_get(url, f"/sandbox/orders/{DEMO_SUB_ACCOUNT_ID}")["result"]
    print("\n=== What the sandbox exchange saw ===")
    print(f"equity {account.get('total_equity')} {account.get('settle_currency')}, "
          f"unrealized PnL {account.get('unrealized_pnl')}")
    for position in account.get("positions", []):
        print(f"position {position['instrument']}: size {position['size']} entry {position['entry_price']} "
              f"realized PnL {position.get('realized_pnl')}")
    print(f"orders left resting: {len(resting)}")
    return 0 if not resting else 1


def run_demo(duration: float, seed: int) -> int:
    root = prepare_root()
    sandbox, url = start_sandbox(seed)
    print(f"GRVT sandbox with a synthetic market at {url}", flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(REPO)]),
               GRVT_PERPETUAL_TESTNET_BASE_URL=url, PYTHONUNBUFFERED="1")
    try:
        subprocess.run([sys.executable, __file__, "--store-keys"], env=env, check=True)
        started = time.monotonic()
        bot = subprocess.Popen([sys.executable, str(REPO / "bin" / "hummingbot_grvt.py"), "--headless",
                                "-f", DEMO_STRATEGY, "-p", DEMO_PASSWORD, "--create-password",
                                "--stop-after", str(duration)], env=env)
        try:
            bot_code = bot.wait()
        except KeyboardInterrupt:  # the bot received the same Ctrl-C and is winding down
            bot_code = bot.wait()
        print(f"Hummingbot ran {time.monotonic() - started:.0f} s; its log: {root / 'logs'}", flush=True)
        summary_code = print_summary(url)
        return bot_code or summary_code
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DEMO_DURATION", 120)),
                        help="seconds the strategy runs before a clean stop (default 120; Ctrl-C stops earlier)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the sandbox's synthetic market")
    parser.add_argument("--store-keys", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.store_keys:
        store_demo_keys()
        return 0
    return run_demo(args.duration, args.seed)


if __name__ == "__main__":
    sys.exit(main())
