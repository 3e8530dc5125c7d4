"""Private Hummingbot roots: layout, configs, and keys stored encrypted with Hummingbot's own key storage."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools.bot_root import (
    MID_PRICE_SAMPLING_SETTINGS,
    OFFLINE_CLIENT_SETTINGS,
    REPO,
    BotRootError,
    grvt_keys,
    prepare_root,
    store_keys,
)

CONNECTOR = "grvt_perpetual_testnet"
STRATEGY = "grvt_demo_perpetual_market_making.yml"


def test_root_has_private_state_and_the_repository_code(tmp_path):
    root = prepare_root(tmp_path / "bot", strategies=[STRATEGY])
    for folder in (root.strategies, root.script_configs, root.controller_configs, root.conf / "connectors",
                   root.logs, root.data):
        assert folder.is_dir() and not folder.is_symlink(), folder
    assert os.path.realpath(root.path / "scripts") == str(REPO / "scripts")
    assert os.path.realpath(root.path / "controllers") == str(REPO / "controllers")
    connector = root.path / "hummingbot" / "connector" / "derivative" / "grvt_perpetual"
    assert os.path.realpath(connector) == str(REPO / "hummingbot" / "connector" / "derivative" / "grvt_perpetual")
    assert (root.strategies / STRATEGY).read_text() == (REPO / "conf" / "strategies" / STRATEGY).read_text()
    assert root.database(STRATEGY) == root.data / "grvt_demo_perpetual_market_making.sqlite"
    env = root.env({"CONFIG_PASSWORD": "x", "HOME": "/home/u"}, GRVT_X="1")
    assert env["PYTHONPATH"].split(os.pathsep) == [str(root.path), str(REPO)]
    assert "CONFIG_PASSWORD" not in env and env["HOME"] == "/home/u" and env["GRVT_X"] == "1"


def test_preparing_again_keeps_state_and_a_missing_config_is_named(tmp_path):
    root = prepare_root(tmp_path / "bot")
    (root.data / "kept.sqlite").write_text("x")
    prepare_root(tmp_path / "bot")
    assert (root.data / "kept.sqlite").exists()
    with pytest.raises(BotRootError, match="no_such_strategy.yml"):
        prepare_root(tmp_path / "bot", strategies=["no_such_strategy.yml"])


def test_keys_are_stored_encrypted_and_client_settings_applied(tmp_path):
    root = prepare_root(tmp_path / "bot")
    store_keys(root, CONNECTOR, grvt_keys(CONNECTOR, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
               password="root-password", client_settings={**OFFLINE_CLIENT_SETTINGS, **MID_PRICE_SAMPLING_SETTINGS})
    stored = (root.conf / "connectors" / f"{CONNECTOR}.yml").read_text()
    for secret in (DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID):
        assert secret not in stored
    fields = yaml.safe_load(stored)
    assert "crypto" in json.loads(bytes.fromhex(fields[f"{CONNECTOR}_private_key"]))
    client = yaml.safe_load((root.conf / "conf_client.yml").read_text())
    assert client["paper_trade"]["paper_trade_exchanges"] == []
    assert client["market_data_collection"]["market_data_collection_enabled"] is True
    assert client["market_data_collection"]["market_data_collection_interval"] == 1
    assert (root.conf / ".password_verification").is_file()


def test_another_password_and_bad_input_are_clear_errors_without_the_keys(tmp_path):
    root = prepare_root(tmp_path / "bot")
    store_keys(root, None, {}, password="first-password")
    with pytest.raises(BotRootError, match="another password"):
        store_keys(root, CONNECTOR, grvt_keys(CONNECTOR, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
                   password="second-password")
    with pytest.raises(BotRootError, match="unknown connector 'no_such_exchange'"):
        store_keys(root, "no_such_exchange", {}, password="first-password")
    with pytest.raises(BotRootError) as raised:
        store_keys(root, CONNECTOR, {f"{CONNECTOR}_private_key": DEMO_PRIVATE_KEY, "not_a_field": "v"},
                   password="first-password")
    assert DEMO_PRIVATE_KEY not in str(raised.value)
    assert not (root.conf / "connectors" / f"{CONNECTOR}.yml").exists()


def store_from_environment(root, **environ):
    """The Docker image's first command, `python -m grvt_tools.bot_root --from-env CONNECTOR --if-missing`."""
    env = root.env(GRVT_OFFLINE="true", **environ)
    return subprocess.run([sys.executable, "-m", "grvt_tools.bot_root", "--from-env", CONNECTOR, "--if-missing"],
                          env=env, cwd=root.path, capture_output=True, text=True, timeout=120)


def test_a_recreated_container_starts_again_with_the_keys_kept_in_its_volume(tmp_path):
    root = prepare_root(tmp_path / "bot")
    keys = {"GRVT_API_KEY": DEMO_API_KEY, "GRVT_PRIVATE_KEY": DEMO_PRIVATE_KEY,
            "GRVT_TRADING_ACCOUNT_ID": DEMO_SUB_ACCOUNT_ID}
    mqtt = {"GRVT_MQTT_HOST": "emqx", "GRVT_INSTANCE_ID": "grvt-btc"}
    first = store_from_environment(root, CONFIG_PASSWORD="volume-password", **keys, **mqtt)
    assert first.returncode == 0, first.stderr
    keys_file = root.conf / "connectors" / f"{CONNECTOR}.yml"
    stored = keys_file.read_bytes()

    # A new container (`docker compose up` after the keys were unset, a rebuilt image) keeps only the volumes:
    # conf/connectors/ holds the keys, the rest of conf/ comes fresh from the image.
    (root.conf / ".password_verification").unlink()
    (root.conf / "conf_client.yml").unlink()
    wrong = store_from_environment(root, CONFIG_PASSWORD="another-password", **mqtt)
    assert wrong.returncode == 1 and "another password" in wrong.stderr, wrong.stderr
    assert not (root.conf / ".password_verification").exists()

    again = store_from_environment(root, CONFIG_PASSWORD="volume-password", **mqtt)
    assert again.returncode == 0, again.stderr
    assert keys_file.read_bytes() == stored
    assert (root.conf / ".password_verification").is_file()  # the launcher can unlock the stored keys
    store_keys(root, None, {}, password="volume-password")  # raises if the password file is for another one
    client = yaml.safe_load((root.conf / "conf_client.yml").read_text())
    assert client["instance_id"] == "grvt-btc"
    assert (client["mqtt_bridge"]["mqtt_host"], client["mqtt_bridge"]["mqtt_autostart"]) == ("emqx", True)
    assert client["paper_trade"]["paper_trade_exchanges"] == []


def test_new_keys_in_the_environment_of_a_container_with_stored_keys_are_not_ignored_silently(tmp_path):
    root = prepare_root(tmp_path / "bot")
    keys = {"GRVT_API_KEY": DEMO_API_KEY, "GRVT_PRIVATE_KEY": DEMO_PRIVATE_KEY,
            "GRVT_TRADING_ACCOUNT_ID": DEMO_SUB_ACCOUNT_ID}
    assert store_from_environment(root, CONFIG_PASSWORD="volume-password", **keys).returncode == 0
    keys_file = root.conf / "connectors" / f"{CONNECTOR}.yml"
    stored = keys_file.read_bytes()

    rotated = {"GRVT_API_KEY": "rotated-api-key-9f3k", "GRVT_PRIVATE_KEY": "0x" + "5" * 64,  # noqa: mock
               "GRVT_TRADING_ACCOUNT_ID": DEMO_SUB_ACCOUNT_ID}
    again = store_from_environment(root, CONFIG_PASSWORD="volume-password", **rotated)
    assert again.returncode == 0, again.stderr
    assert keys_file.read_bytes() == stored  # --if-missing keeps them, as documented
    assert f"{CONNECTOR}.yml" in again.stderr and "GRVT_API_KEY" in again.stderr and "not used" in again.stderr
    assert "rotated-api-key-9f3k" not in again.stderr + again.stdout and "5555555555" not in again.stderr


def test_a_script_config_brings_the_controller_configs_it_lists(tmp_path):
    # A V2 script config only names its controller configs: without them in the root, Hummingbot cannot start it.
    root = prepare_root(tmp_path / "bot", script_configs=["grvt_market_maker.yml"])
    listed = yaml.safe_load((root.script_configs / "grvt_market_maker.yml").read_text())["controllers_config"]
    assert listed and all((root.controller_configs / name).is_file() for name in listed)
