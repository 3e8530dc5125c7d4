"""Three bots at once on one sandbox, one per pair and sub-account: each trades only its own account, all stop clean."""
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
import types
import uuid
from decimal import Decimal
from pathlib import Path

import aiomqtt
import pytest
import yaml
from eth_account import Account

from grvt_tools.bot_root import BotRootError
from grvt_tools.exchange_view import GrvtAccountView
from grvt_tools.fleet import Fleet, FleetBot, MqttSettings, load_fleet_file
from grvt_tools.headless import sandbox_env
from grvt_tools.records import read_records
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_web_utils import endpoints
from test.operator.records_fixture import has_quotes

REPO = Path(__file__).resolve().parents[2]
CONNECTOR = "grvt_perpetual_testnet"
STRATEGY = "grvt_demo_perpetual_market_making.yml"
PAIRS = {"btc": ("BTC-USDT", "0.002"), "eth": ("ETH-USDT", "0.05"), "sol": ("SOL-USDT", "1")}


def wait_for(fact, description, timeout=180.0):
    deadline = time.monotonic() + timeout
    while not fact():
        if time.monotonic() > deadline:
            raise AssertionError(f"{description}: not within {timeout:.0f} s")
        time.sleep(1.0)


@pytest.fixture
def fleet_bots(sandbox_admin):
    bots = []
    for number, (name, (pair, amount)) in enumerate(PAIRS.items(), start=1):
        signer = Account.create()
        sub_account_id = str(7100000 + number)
        sandbox_admin.add_account(sub_account_id, f"fleet-key-{name}", [signer.address], balance=Decimal("50000"))
        bots.append(FleetBot(name, CONNECTOR, f"fleet-key-{name}", signer.key.hex(), sub_account_id,
                             strategy=STRATEGY, overrides={"market": pair, "order_amount": amount}))
    return bots


@pytest.fixture
def mqtt_port():
    broker = subprocess.Popen([sys.executable, "-m", "test.operator.mqtt_broker"], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        announced = broker.stdout.readline().split()
        assert announced[:1] == ["ready"], announced
        yield int(announced[1])
    finally:
        broker.terminate()
        broker.wait(timeout=30)
        broker.stdout.close()


class RemoteInterface:
    """Talks to the bots the way Hummingbot's API does: heartbeats and RPC commands over MQTT."""

    def __init__(self, port: int, namespace: str = "hbot"):
        self.port, self.namespace = port, namespace

    async def _session(self, work):
        identifier = f"operator-test-{uuid.uuid4().hex[:8]}"
        async with aiomqtt.Client("127.0.0.1", self.port, identifier=identifier) as client:
            return await asyncio.wait_for(work(client), timeout=120)

    def heartbeats(self, expected: set) -> set:
        async def work(client):
            seen = set()
            await client.subscribe(f"{self.namespace}/+/hb")
            async for message in client.messages:
                seen.add(str(message.topic).split("/")[1])
                if seen >= expected:
                    return seen
        return asyncio.run(self._session(work))

    def event_types(self, instance_id: str, wanted: set) -> set:
        """The types of the market events a bot publishes, once one of the wanted ones came."""
        async def work(client):
            seen = set()
            await client.subscribe(f"{self.namespace}/{instance_id}/events")
            async for message in client.messages:
                seen.add(json.loads(message.payload)["type"])
                if seen & wanted:
                    return seen
        return asyncio.run(self._session(work))

    def command(self, instance_id: str, command: str, data: dict) -> dict:
        reply_to = f"operator-test/{uuid.uuid4().hex}"

        async def work(client):
            await client.subscribe(reply_to)
            request = {"header": {"reply_to": reply_to, "timestamp": int(time.time() * 1000)}, "data": data}
            await client.publish(f"{self.namespace}/{instance_id}/{command}", json.dumps(request).encode(), qos=1)
            async for message in client.messages:
                return json.loads(message.payload)["data"]
        return asyncio.run(self._session(work))


def client_order_ids(view: GrvtAccountView) -> set:
    orders = view.order_history() + view.open_orders()
    return {order["metadata"]["client_order_id"] for order in orders}


def test_three_bots_trade_only_their_own_accounts_and_stop_clean(
        tmp_path, sandbox_process, sandbox_admin, fleet_bots, mqtt_port):
    fleet = Fleet(tmp_path / "fleet", fleet_bots, "fleet-password", env=sandbox_env(sandbox_process.url, CONNECTOR),
                  mqtt=MqttSettings(host="127.0.0.1", port=mqtt_port))
    remote = RemoteInterface(mqtt_port)
    with fleet:
        fleet.wait_until_running()
        for name, bot in fleet.bots.items():
            wait_for(lambda bot=bot: has_quotes(bot.database),
                     f"{name}'s first quotes")
        statuses = fleet.status()
        assert {name: list(status["connectors"][CONNECTOR]["trading_pairs"]) for name, status in statuses.items()} \
            == {name: [pair] for name, (pair, _) in PAIRS.items()}

        # Orchestration over Hummingbot's MQTT remote interface: every bot announces itself under its own
        # instance id, and one is stopped by command without touching the others. (Hummingbot 20260922's MQTT
        # `status` command fails on its own: it reads an attribute the application no longer has.)
        assert remote.heartbeats(set(PAIRS)) == set(PAIRS)
        stopped = remote.command("btc", "stop", {"async_backend": False})
        assert stopped["status"] == 200, stopped
        wait_for(lambda: not sandbox_admin.open_orders(fleet_bots[0].trading_account_id), "btc's quotes cancelled")
        quotes = {name: len(read_records(bot.database).quotes) for name, bot in fleet.bots.items()}
        wait_for(lambda: len(read_records(fleet.bots["eth"].database).quotes) > quotes["eth"]
                 and len(read_records(fleet.bots["sol"].database).quotes) > quotes["sol"], "eth and sol quoting on")
        assert len(read_records(fleet.bots["btc"].database).quotes) == quotes["btc"]  # btc stays stopped
        assert all(bot.is_running() for bot in fleet.bots.values())
    exit_codes = {name: bot.exit_code for name, bot in fleet.bots.items()}
    assert all(bot.stopped_cleanly() for bot in fleet.bots.values()), \
        (exit_codes, {name: bot.console_text()[-2000:] for name, bot in fleet.bots.items()})

    views = {spec.name: GrvtAccountView.on_sandbox(sandbox_process.url, spec.api_key, spec.trading_account_id)
             for spec in fleet_bots}
    seen = {name: client_order_ids(view) for name, view in views.items()}
    for spec in fleet_bots:
        records = read_records(fleet.bots[spec.name].database)
        ours = {quote.order_id for quote in records.quotes}
        pair = PAIRS[spec.name][0]
        assert ours and {quote.trading_pair for quote in records.quotes} == {pair}
        assert ours <= seen[spec.name], f"{spec.name}: orders missing from its own account"
        for other, other_ids in seen.items():
            if other != spec.name:
                assert not ours & other_ids, f"{spec.name}'s orders reached {other}'s account"
        assert sandbox_admin.open_orders(spec.trading_account_id) == []
        instruments = {order["legs"][0]["instrument"] for order in views[spec.name].order_history()}
        assert instruments == {pair.replace("-", "_") + "_Perp"}
        exchange_fills = {fill["trade_id"] for fill in views[spec.name].fills()}
        assert exchange_fills == {fill.exchange_trade_id for fill in records.fills}  # the bot recorded every fill
        root_log = fleet.bots[spec.name].hummingbot_log.read_text()
        assert spec.private_key not in root_log and spec.api_key not in root_log


def test_fleet_file_takes_keys_from_the_environment_only(tmp_path):
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n"
                          "  - name: btc\n    strategy: s.yml\n    overrides: {market: BTC-USDT}\n"
                          "    api_key_env: BTC_KEY\n    private_key_env: BTC_SECRET\n    trading_account_id: 42\n")
    bots = load_fleet_file(fleet_file, {"BTC_KEY": "k", "BTC_SECRET": "s"})
    assert [(b.name, b.connector, b.api_key, b.private_key, b.trading_account_id, b.config_file_name)
            for b in bots] == [("btc", CONNECTOR, "k", "s", "42", "btc_s.yml")]
    assert "'s'" not in repr(bots[0]) and "'k'" not in repr(bots[0])
    with pytest.raises(ValueError, match="BTC_SECRET is not set"):
        load_fleet_file(fleet_file, {"BTC_KEY": "k"})
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: s.yml\n    api_key: inline\n")
    with pytest.raises(ValueError, match="api_key_env"):
        load_fleet_file(fleet_file, {})


def test_a_misspelt_fleet_file_setting_is_refused_not_ignored(tmp_path):
    fleet_file = tmp_path / "fleet.yml"
    bot = ("  - name: btc\n    strategy: s.yml\n    api_key_env: K\n    private_key_env: P\n"
           "    trading_account_id: 42\n")
    environ = {"K": "k", "P": "p"}
    for text, misspelt in ((f"bots:\n{bot}    overides: {{market: ETH-USDT}}\n", "overides"),
                           (f"conector: grvt_perpetual\nbots:\n{bot}", "conector")):
        fleet_file.write_text(text)
        with pytest.raises(ValueError, match=misspelt):
            load_fleet_file(fleet_file, environ)
    fleet_file.write_text(f"connector: grvt_perpetual\nbots:\n{bot}    overrides: {{market: ETH-USDT}}\n")
    assert load_fleet_file(fleet_file, environ)[0].overrides == {"market": "ETH-USDT"}


def test_a_key_pasted_in_place_of_its_variable_name_is_never_repeated(tmp_path):
    fleet_file = tmp_path / "fleet.yml"
    private_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # noqa: mock
    api_key = "kX9pQ2rT7vW4yZ1bN8mC3dF6gH"  # noqa: mock
    for field, pasted in (("private_key_env", private_key), ("private_key_env", private_key[2:]),
                          ("api_key_env", api_key)):
        other = "api_key_env: BTC_KEY" if field == "private_key_env" else "private_key_env: BTC_SECRET"
        fleet_file.write_text(f"bots:\n  - name: btc\n    strategy: s.yml\n    {field}: '{pasted}'\n"
                              f"    {other}\n    trading_account_id: 42\n")
        with pytest.raises(ValueError) as raised:
            load_fleet_file(fleet_file, {"BTC_KEY": "k", "BTC_SECRET": "s"})
        assert pasted[-20:] not in str(raised.value)
        assert f"bot 'btc': {field}" in str(raised.value)


def test_no_bot_process_inherits_the_key_variables_of_the_fleet(tmp_path, monkeypatch):
    # the keys are stored encrypted in each bot's root: a bot's process needs none, and never another bot's
    keys = {"BTC_KEY": "btc-api-key", "BTC_SECRET": "0" * 63 + "1", "ETH_KEY": "eth-api-key",
            "ETH_SECRET": "0x" + "0" * 63 + "2", "GRVT_API_KEY": "btc-api-key"}
    for variable, value in keys.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("UNRELATED", "kept")
    fleet_file = tmp_path / "fleet.yml"
    bot = "  - name: {name}\n    strategy: {strategy}\n    api_key_env: {upper}_KEY\n" \
          "    private_key_env: {upper}_SECRET\n    trading_account_id: {account}\n"
    fleet_file.write_text("bots:\n" + "".join(bot.format(name=name, upper=name.upper(), strategy=STRATEGY,
                                                         account=account)
                                              for name, account in (("btc", 1), ("eth", 2))))
    monkeypatch.setattr("grvt_tools.fleet.store_keys", lambda *args, **kwargs: None)
    started = {}

    def popen(command, env, cwd, **kwargs):
        started[Path(cwd).name] = env
        return types.SimpleNamespace(pid=0, poll=lambda: None)

    monkeypatch.setattr(subprocess, "Popen", popen)
    Fleet(tmp_path / "fleet", load_fleet_file(fleet_file), "pw", env={"GRVT_OFFLINE": "true"}).start()

    assert set(started) == {"btc", "eth"}
    for env in started.values():
        assert not set(keys) & set(env)
        assert not {value.removeprefix("0x") for value in keys.values()} & \
            {value.removeprefix("0x") for value in env.values()}
        assert (env["UNRELATED"], env["GRVT_OFFLINE"], env["CONFIG_PASSWORD"]) == ("kept", "true", "pw")


def test_mqtt_settings_give_each_bot_its_instance_id(tmp_path):
    bot = FleetBot("btc", CONNECTOR, "k", "0" * 63 + "1", "42", strategy=STRATEGY, overrides={"market": "BTC-USDT"})
    roots = Fleet(tmp_path, [bot], "pw", mqtt=MqttSettings(host="emqx", port=1884)).prepare()
    client = yaml.safe_load((roots["btc"].conf / "conf_client.yml").read_text())
    assert client["instance_id"] == "btc"
    assert (client["mqtt_bridge"]["mqtt_host"], client["mqtt_bridge"]["mqtt_port"]) == ("emqx", 1884)
    assert client["mqtt_bridge"]["mqtt_autostart"] is True
    assert yaml.safe_load((roots["btc"].strategies / f"btc_{STRATEGY}").read_text())["market"] == "BTC-USDT"
    with pytest.raises(ValueError):
        FleetBot("b/1", CONNECTOR, "k", "p", "1", strategy=STRATEGY)
    with pytest.raises(ValueError):
        Fleet("x", [FleetBot("a", CONNECTOR, "k", "p", "1", strategy=STRATEGY)] * 2, "pw")


def test_an_override_that_is_no_setting_of_the_strategy_file_is_refused_not_dropped(tmp_path):
    # Hummingbot loads a V1 file by its template's keys: a mistyped override would be ignored without a word and the
    # bot would trade the file's own amount.
    bot = FleetBot("btc", CONNECTOR, "k", "0" * 63 + "1", "42", strategy=STRATEGY,
                   overrides={"market": "ETH-USDT", "order_amont": 0.5})
    with pytest.raises(BotRootError, match="order_amont") as raised:
        Fleet(tmp_path, [bot], "pw").prepare()
    assert "'market'" not in str(raised.value)


def load_fleet_command():
    spec = importlib.util.spec_from_file_location("grvt_fleet_command", REPO / "bin" / "fleet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_fleet_refuses_two_bots_on_one_sub_account_or_name(tmp_path, monkeypatch):
    # Two bots on one sub-account share its positions, margin and orders (one's cancel-all or cancel-on-disconnect
    # reaches the other's): one sub-account per bot.
    same_account = [FleetBot("btc", CONNECTOR, "k1", "p1", "42", strategy=STRATEGY),
                    FleetBot("eth", CONNECTOR, "k2", "p2", "42", strategy=STRATEGY)]
    with pytest.raises(ValueError, match="sub-account 42"):
        Fleet(tmp_path, same_account, "pw")
    with pytest.raises(ValueError, match="sub-account 42"):  # the connector strips the id it trades
        Fleet(tmp_path, [same_account[0], FleetBot("eth", CONNECTOR, "k2", "p2", " 42\n", strategy=STRATEGY)], "pw")
    Fleet(tmp_path, [same_account[0], FleetBot("m", "grvt_perpetual", "k", "p", "42", strategy=STRATEGY)], "pw")

    fleet_file = tmp_path / "fleet.yml"
    bot = ("  - name: {name}\n    strategy: s.yml\n    api_key_env: K\n    private_key_env: P\n"
           "    trading_account_id: {id}\n")
    environ = {"K": "k", "P": "p", "CONFIG_PASSWORD": "pw"}
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    fleet_command = load_fleet_command()
    started = []
    monkeypatch.setattr(fleet_command, "SandboxProcess", lambda **kwargs: started.append(kwargs))
    for bots, problem in (((("btc", 1), ("eth", 1)), "sub-account 1"), ((("btc", 1), ("btc", 2)), "unique")):
        fleet_file.write_text("bots:\n" + "".join(bot.format(name=name, id=number) for name, number in bots))
        with pytest.raises(ValueError, match=problem):
            load_fleet_file(fleet_file, environ)
        assert fleet_command.main([str(fleet_file), "--sandbox", "--folder", str(tmp_path / "fleet")]) == 2
    assert started == []  # refused before anything started


def test_fleet_command_stops_its_sandbox_when_the_fleet_cannot_start(tmp_path, monkeypatch):
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("connector: grvt_perp_testnet\nbots:\n  - name: btc\n    strategy: s.yml\n"
                          "    api_key_env: K\n    private_key_env: P\n    trading_account_id_env: A\n")
    fleet_command = load_fleet_command()
    sandboxes = []

    class RecordedSandbox(fleet_command.SandboxProcess):
        def start(self):
            sandboxes.append(self)
            return super().start()

    monkeypatch.setattr(fleet_command, "SandboxProcess", RecordedSandbox)
    assert fleet_command.main([str(fleet_file), "--sandbox", "--folder", str(tmp_path / "fleet")]) == 2
    assert len(sandboxes) == 1 and sandboxes[0].process.poll() is not None  # not left running on its own


def test_fleet_command_on_the_sandbox_points_every_bot_at_it(tmp_path, monkeypatch):
    fleet_file = tmp_path / "fleet.yml"
    bot = "  - name: {name}\n    connector: {connector}\n    strategy: s.yml\n    api_key_env: K_{name}\n" \
          "    private_key_env: P_{name}\n    trading_account_id_env: A_{name}\n"
    fleet_file.write_text("bots:\n" + bot.format(name="btc", connector=CONNECTOR)
                          + bot.format(name="eth", connector="grvt_perpetual"))
    fleet_command = load_fleet_command()
    given = {}

    def fleet_stub(folder, bots, password, env, **kwargs):
        given.update(env=env, connectors=[spec.connector for spec in bots])
        raise ValueError("stop here")

    monkeypatch.setattr(fleet_command, "Fleet", fleet_stub)
    assert fleet_command.main([str(fleet_file), "--sandbox", "--folder", str(tmp_path / "fleet")]) == 2
    for variable in [name for name in os.environ if name.startswith("GRVT_PERPETUAL")]:
        monkeypatch.delenv(variable)
    for variable, value in given["env"].items():
        monkeypatch.setenv(variable, value)
    sandbox_url = given["env"][f"{CONNECTOR.upper()}_BASE_URL"]
    for connector in given["connectors"]:
        assert endpoints(connector).trades == sandbox_url, connector  # never GRVT itself


def test_fleet_command_on_the_sandbox_takes_keys_as_the_connector_does(tmp_path, monkeypatch, capsys):
    # The connector strips the keys and accepts a private key with or without 0x; so does the sandbox set-up.
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: s.yml\n    api_key_env: K\n    private_key_env: P\n"
                          "    trading_account_id_env: A\n")
    private_key = Account.create().key.hex().removeprefix("0x")
    monkeypatch.setenv("K", " sandbox-key\n")
    monkeypatch.setenv("A", "7400042\n")
    fleet_command = load_fleet_command()

    def fleet_stub(folder, bots, password, env, **kwargs):
        raise ValueError("stop here: the sandbox accounts were made")

    monkeypatch.setattr(fleet_command, "Fleet", fleet_stub)
    for given in (f" 0x{private_key}\n", f"{private_key} "):
        monkeypatch.setenv("P", given)
        assert fleet_command.main([str(fleet_file), "--sandbox", "--folder", str(tmp_path / "fleet")]) == 2
        assert "stop here: the sandbox accounts were made" in capsys.readouterr().err


def test_fleet_command_fails_when_a_bot_could_not_start(tmp_path, monkeypatch):
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: s.yml\n    api_key_env: K\n    private_key_env: P\n"
                          "    trading_account_id: 1\n")
    for variable, value in {"K": "k", "P": "p", "CONFIG_PASSWORD": "pw"}.items():
        monkeypatch.setenv(variable, value)
    fleet_command = load_fleet_command()

    class FleetThatNeverRuns:
        def __init__(self, folder, bots, password, **kwargs):
            self.bots = {"btc": types.SimpleNamespace(root=types.SimpleNamespace(path=folder / "btc"))}

        def start(self):
            pass

        def wait_until_running(self):
            raise fleet_command.HeadlessBotError("btc did not start within 300 s")

        def stop(self):
            return {"btc": 0}  # stopped cleanly after the failed start

    monkeypatch.setattr(fleet_command, "Fleet", FleetThatNeverRuns)
    monkeypatch.setattr(fleet_command.signal, "signal", lambda *args: None)
    assert fleet_command.main([str(fleet_file), "--folder", str(tmp_path / "fleet")]) == 1


def test_fleet_command_names_a_config_it_cannot_find_without_a_traceback(tmp_path, monkeypatch, capsys):
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: no_such_strategy.yml\n    api_key_env: K\n"
                          "    private_key_env: P\n    trading_account_id: 1\n")
    for variable, value in {"K": "k", "P": "p", "CONFIG_PASSWORD": "pw"}.items():
        monkeypatch.setenv(variable, value)
    fleet_command = load_fleet_command()
    monkeypatch.setattr(fleet_command.signal, "signal", lambda *args: None)
    assert fleet_command.main([str(fleet_file), "--folder", str(tmp_path / "fleet")]) == 1
    assert "fleet: Config file not found:" in capsys.readouterr().err


def test_fleet_command_refuses_a_fleet_file_that_is_not_yaml_without_a_traceback(tmp_path, monkeypatch, capsys):
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: [unclosed\n")
    monkeypatch.setenv("CONFIG_PASSWORD", "pw")
    assert load_fleet_command().main([str(fleet_file), "--folder", str(tmp_path / "fleet")]) == 2
    assert capsys.readouterr().err.startswith("fleet: while parsing a flow sequence")


def test_fleet_command_refuses_bots_that_are_not_a_list_of_mappings(tmp_path, monkeypatch, capsys):
    fleet_file = tmp_path / "fleet.yml"
    monkeypatch.setenv("CONFIG_PASSWORD", "pw")
    fleet_command = load_fleet_command()
    for text in ("bots:\n  btc:\n    strategy: s.yml\n", "bots:\n  - btc\n", "btc\n"):  # by name, names, text
        fleet_file.write_text(text)
        for sandbox in ([], ["--sandbox"]):
            assert fleet_command.main([str(fleet_file), "--folder", str(tmp_path / "fleet"), *sandbox]) == 2
            assert "'bots:' must be a list of bots" in capsys.readouterr().err


def test_a_bot_on_mqtt_publishes_its_order_events(tmp_path, sandbox_process, fleet_bots, mqtt_port):
    # Hummingbot's API and dashboard follow a bot's orders and fills on <namespace>/<instance id>/events.
    fleet = Fleet(tmp_path / "fleet", fleet_bots[:1], "fleet-password", env=sandbox_env(sandbox_process.url, CONNECTOR),
                  mqtt=MqttSettings(host="127.0.0.1", port=mqtt_port))
    with fleet:
        fleet.wait_until_running()
        seen = RemoteInterface(mqtt_port).event_types("btc", {"BuyOrderCreated", "SellOrderCreated"})
    assert seen & {"BuyOrderCreated", "SellOrderCreated"}, seen
