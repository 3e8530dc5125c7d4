"""Three bots at once on one sandbox, one per pair and sub-account: each trades only its own account, all stop clean."""
import time
from decimal import Decimal

import pytest
import yaml
from eth_account import Account

from grvt_tools.exchange_view import GrvtAccountView
from grvt_tools.fleet import Fleet, FleetBot, MqttSettings, load_fleet_file
from grvt_tools.headless import sandbox_env
from grvt_tools.records import read_records

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


def client_order_ids(view: GrvtAccountView) -> set:
    orders = view.order_history() + view.open_orders()
    return {order["metadata"]["client_order_id"] for order in orders}


def test_three_bots_trade_only_their_own_accounts_and_stop_clean(tmp_path, sandbox_process, sandbox_admin, fleet_bots):
    fleet = Fleet(tmp_path / "fleet", fleet_bots, "fleet-password", env=sandbox_env(sandbox_process.url, CONNECTOR))
    with fleet:
        fleet.wait_until_running()
        for name, bot in fleet.bots.items():
            wait_for(lambda bot=bot: bot.database.exists() and read_records(bot.database).quotes,
                     f"{name}'s first quotes")
        statuses = fleet.status()
        assert {name: list(status["connectors"][CONNECTOR]["trading_pairs"]) for name, status in statuses.items()} \
            == {name: [pair] for name, (pair, _) in PAIRS.items()}
    assert all(bot.stopped_cleanly() for bot in fleet.bots.values()), {name: bot.exit_code for name, bot in fleet.bots.items()}
    assert all(bot.stopped_cleanly() for bot in fleet.bots.values()), \
        {name: bot.console_text()[-2000:] for name, bot in fleet.bots.items()}

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
