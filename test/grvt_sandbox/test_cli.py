"""`python -m grvt_sandbox` binds 127.0.0.1 on a free port, prints its URL and serves GRVT routes."""
import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from grvt_sandbox import control
from grvt_sandbox.__main__ import apply_cli_faults, parse_args, parse_schedule
from grvt_sandbox.server import SandboxServer

REPOSITORY = Path(__file__).resolve().parents[2]


def test_cli_prints_the_bound_url_and_serves():
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    process = subprocess.Popen([sys.executable, "-m", "grvt_sandbox", "--port", "0", "--log-level", "WARNING"],
                               stdout=subprocess.PIPE, text=True, env=environment, cwd=str(REPOSITORY))
    try:
        announcement = json.loads(process.stdout.readline())
        assert announcement["url"].startswith("http://127.0.0.1:") and announcement["chain_id"] == 326
        request = urllib.request.Request(f"{announcement['url']}/full/v1/instrument", method="POST",
                                         data=json.dumps({"instrument": "BTC_USDT_Perp"}).encode())
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["result"]["instrument_hash"] == "0x030501"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_cli_fault_options_are_applied():
    args = parse_args(["--fault", "create_order:status:502", "--fault", "book:empty", "--fault", "order:delay:0.5",
                       "--reject-next", "2", "--speed-bump-ms", "0", "--chain-id", "325"])
    assert (args.speed_bump_ms, args.chain_id, args.market) == (0.0, 325, False)
    server = SandboxServer()
    apply_cli_faults(server, args.fault, args.reject_next)
    faults = server.faults.rest_faults
    assert (faults["create_order"].kind, faults["create_order"].status) == ("status", 502)
    assert faults["book"].kind == "empty" and faults["order"].delay_s == 0.5
    assert [(entry.remaining, entry.code, entry.reason) for entry in server.trading.forced_rejects.pending] == [
        (2, None, "SYSTEM_FAILOVER")]


def test_fault_schedule_option():
    assert parse_schedule(["drop_sockets:30", "inject_sequence_gap:2.5"]) == [
        ("drop_sockets", 30.0), ("inject_sequence_gap", 2.5)]
    with pytest.raises(SystemExit):
        parse_schedule(["explode:3"])


@pytest.mark.asyncio
async def test_control_command_drives_admin_routes(sandbox):
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(None, control.request, sandbox.url, "fail_rest",
                                        control.parse_params(["route=book", "kind=empty", "count=1"]))
    assert result["result"]["ack"] is True and sandbox.faults.rest_faults["book"].remaining == 1
    params = control.parse_params(["instrument=BTC_USDT_Perp", "index_price=91000.5"], as_text=True)
    result = await loop.run_in_executor(None, control.request, sandbox.url, "price", params)
    assert result == {"result": {"ack": True}} and str(sandbox.exchange.markets["BTC_USDT_Perp"].index_price) == (
        "91000.5")
    status = await loop.run_in_executor(None, control.request, sandbox.url, "status", {})
    assert status["rest_faults"] == {"book": "empty"}
    with pytest.raises(SystemExit):
        control.parse_params(["novalue"])
