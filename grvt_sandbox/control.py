"""Drive a running sandbox's admin routes from the command line.

    python -m grvt_sandbox.control --url http://127.0.0.1:PORT drop_sockets abort=true
    python -m grvt_sandbox.control --url ... inject_sequence_gap stream=v1.book.d skip=2
    python -m grvt_sandbox.control --url ... fail_rest route=create_order kind=status status=503 count=3
    python -m grvt_sandbox.control --url ... price instrument=BTC_USDT_Perp index_price=91000
    python -m grvt_sandbox.control --url ... status

Arguments are key=value; values are read as JSON when they parse (numbers, true/false) and as text otherwise; ids
(sub_account_id, api_key) are always text.
Requests carry the X-Sandbox-Admin header the admin routes require (the admin token with --token).
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Dict, List, Optional

from grvt_sandbox.gateway.admin import FAULTS
from grvt_sandbox.gateway.admin_guard import ADMIN_HEADER

TOKEN_ENVIRONMENT_VARIABLE = "GRVT_SANDBOX_ADMIN_TOKEN"

ACTIONS = {"price": "price", "funding": "funding", "advance_clock": "clock/advance", "add_account": "accounts"}
TEXT_PARAMS = ("sub_account_id", "api_key")  # GRVT writes its uint64 ids as strings: 7300001 must not become a number


def parse_params(items: List[str], as_text: bool = False) -> Dict[str, object]:
    """key=value pairs; values as JSON where they parse, unless `as_text` (prices stay exact decimal strings)."""
    params: Dict[str, object] = {}
    for item in items:
        key, separator, text = item.partition("=")
        if not separator:
            raise SystemExit(f"expected key=value, got {item!r}")
        if as_text or key in TEXT_PARAMS:
            params[key] = text
            continue
        try:
            params[key] = json.loads(text)
        except ValueError:
            params[key] = text
    return params


def request(url: str, command: str, params: Dict[str, object], token: Optional[str] = None) -> dict:
    """Runs one command; `token` is the sandbox's admin token when it was started with one."""
    if command == "status":
        target, data = f"{url}/sandbox/status", None
    elif command in FAULTS:
        target, data = f"{url}/sandbox/faults/{command}", json.dumps(params).encode()
    elif command in ACTIONS:
        target, data = f"{url}/sandbox/{ACTIONS[command]}", json.dumps(params).encode()
    else:
        raise SystemExit(f"unknown command {command!r}; one of status, {', '.join(FAULTS + tuple(ACTIONS))}")
    http_request = urllib.request.Request(target, data=data, method="POST" if data is not None else "GET",
                                          headers={"Content-Type": "application/json", ADMIN_HEADER: token or "1"})
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grvt_sandbox.control", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the sandbox's base URL")
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENVIRONMENT_VARIABLE),
                        help=f"the sandbox's admin token, if it has one (default: ${TOKEN_ENVIRONMENT_VARIABLE})")
    parser.add_argument("command")
    parser.add_argument("params", nargs="*", help="key=value")
    args = parser.parse_args(argv)
    result = request(args.url.rstrip("/"), args.command,
                     parse_params(args.params, as_text=args.command in ("price", "funding")), args.token)
    print(json.dumps(result))
    if "code" in result:
        sys.exit(1)


if __name__ == "__main__":
    main()
