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
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional, Sequence

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools import bot_root

REPO = Path(__file__).resolve().parent.parent
DEMO_ROOT = REPO / ".demo"
DEMO_PASSWORD = "grvt-sandbox-demo"
DEMO_STRATEGY = "grvt_demo_perpetual_market_making.yml"
DEMO_CONNECTOR = "grvt_perpetual_testnet"


def prepare_root() -> Path:
    """A Hummingbot root of its own: linked code, private conf/ logs/ data/ (see grvt_tools.bot_root)."""
    return bot_root.prepare_root(DEMO_ROOT, strategies=[DEMO_STRATEGY]).path


def store_demo_keys() -> None:
    """Creates the demo root's password file and the sandbox demo account's encrypted connector keys."""
    bot_root.store_keys(bot_root.BotRoot(DEMO_ROOT), DEMO_CONNECTOR,
                        bot_root.grvt_keys(DEMO_CONNECTOR, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
                        password=DEMO_PASSWORD, client_settings=bot_root.OFFLINE_CLIENT_SETTINGS)


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
    with urllib.request.urlopen(f"{url}{path}", timeout=10) as response:
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
        store_demo_keys()
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
