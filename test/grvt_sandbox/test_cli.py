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
from grvt_sandbox.__main__ import apply_cli_faults, parse_args, parse_rate_limits, parse_schedule
from grvt_sandbox.gateway.rate_limits import DEFAULT_RATE_LIMITS
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


def test_cli_request_fault_and_rate_limit_options():
    args = parse_args(["--fault", "create_order:late:2.5", "--fault", "cancel_order:lost", "--fault",
                       "bulk_orders:executed_error:500", "--rpc-fault", "v1/create_order:drop_after",
                       "--rpc-fault", "cancel_order:deferred_empty:1", "--rate-limits", "--rate-limit", "book:3"])
    server = SandboxServer()
    apply_cli_faults(server, args.fault, args.reject_next, args.rpc_fault)
    rest, rpc = server.faults.rest_faults, server.faults.rpc_faults
    assert (rest["create_order"].kind, rest["create_order"].delay_s) == ("late", 2.5)
    assert rest["cancel_order"].kind == "lost" and (rest["bulk_orders"].status, rest["bulk_orders"].code) == (
        500, 1002)
    assert (rpc["create_order"].kind, rpc["cancel_order"].kind, rpc["cancel_order"].delay_s) == (
        "drop_after", "deferred_empty", 1.0)
    limits = parse_rate_limits(args.rate_limits, args.rate_limit)
    assert limits["book"] == 3.0 and limits["create_order"] == DEFAULT_RATE_LIMITS["create_order"]
    assert parse_rate_limits(False, []) is None
    for bad in (["--fault", "create_order:drop_after"], ["--fault", "create_order:lost:3"],
                ["--fault", "create_order:late:soon"], ["--rpc-fault", "create_order"]):
        arguments = parse_args(bad)
        with pytest.raises(SystemExit):
            apply_cli_faults(SandboxServer(), arguments.fault, 0, arguments.rpc_fault)
    with pytest.raises(SystemExit):
        parse_rate_limits(False, ["book:fast"])
    with pytest.raises(SystemExit):
        parse_rate_limits(False, ["book:0"])


def test_fault_schedule_option():
    assert parse_schedule(["drop_sockets:30", "inject_sequence_gap:2.5"]) == [
        ("drop_sockets", 30.0), ("inject_sequence_gap", 2.5)]
    for bad in ("explode:3", "drop_sockets:soon", "drop_sockets:0", "drop_sockets:-1", "drop_sockets:nan"):
        with pytest.raises(SystemExit):  # a period of 0 would repeat the fault without pause, hogging the loop
            parse_schedule([bad])


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
