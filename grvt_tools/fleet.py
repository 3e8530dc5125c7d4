"""Many headless bots at once: one per trading pair or sub-account, each in its own root with its own config and keys.

Each bot gets the layout a Hummingbot Docker container has (its own ``conf/``, ``logs/``, ``data/``), so the same
fleet runs here as processes or under Docker Compose as one service per bot (``docker/docker-compose.fleet.yml``).
With ``mqtt=MqttSettings(host, port)`` every bot joins Hummingbot's MQTT remote interface under its own
``instance_id`` (the bot's name), which is how Hummingbot's API and dashboard find and command bots.

::

    bots = [FleetBot("btc", "grvt_perpetual_testnet", api_key, private_key, "1001",
                     strategy="grvt_demo_perpetual_market_making.yml", overrides={"market": "BTC-USDT"}), ...]
    with Fleet(Path("fleet"), bots, password, env=sandbox_env(url)) as fleet:
        fleet.wait_until_running()
        ...                                  # fleet.status(), fleet.bots["btc"].database
    # leaving the block stops every bot with SIGINT (each cancels its orders) and waits for all of them

A fleet file for ``bin/fleet.py`` lists the bots; keys come from environment variables it names, never from the
file itself (see ``load_fleet_file``).
"""
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, cast

import yaml

from grvt_tools.bot_root import (
    CONF_SOURCE,
    MID_PRICE_SAMPLING_SETTINGS,
    OFFLINE_CLIENT_SETTINGS,
    BotRoot,
    BotRootError,
    grvt_keys,
    prepare_root,
    store_keys,
)
from grvt_tools.bot_status import read_status
from grvt_tools.headless import HeadlessBot

STATUS_FILE = "status.json"


@dataclass(frozen=True)
class MqttSettings:
    """Hummingbot's MQTT bridge (conf_client.yml ``mqtt_bridge``) for every bot of a fleet."""

    host: str = "localhost"
    port: int = 1883
    namespace: str = "hbot"
    username: str = ""
    password: str = field(default="", repr=False)

    def client_settings(self, instance_id: str) -> Dict[str, Any]:
        return {"instance_id": instance_id,
                "mqtt_bridge.mqtt_host": self.host, "mqtt_bridge.mqtt_port": self.port,
                "mqtt_bridge.mqtt_namespace": self.namespace, "mqtt_bridge.mqtt_username": self.username,
                "mqtt_bridge.mqtt_password": self.password, "mqtt_bridge.mqtt_autostart": True}


@dataclass
class FleetBot:
    """One bot: a name (its folder and MQTT instance id), its connector keys and its strategy or script config.

    ``overrides`` change fields of a V1 strategy file for this bot (e.g. ``market``, ``order_amount``); the result
    is saved in the bot's root as ``<name>_<strategy file>``.
    """

    name: str
    connector: str
    api_key: str = field(repr=False)
    private_key: str = field(repr=False)
    trading_account_id: str
    strategy: Optional[str] = None
    script_config: Optional[str] = None
    controller_configs: Sequence[str] = ()
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if bool(self.strategy) == bool(self.script_config):
            raise ValueError(f"bot {self.name!r}: give exactly one of strategy or script_config")
        if not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"bot name {self.name!r}: use letters, digits, - and _ only")

    @property
    def config_file_name(self) -> str:
        if self.strategy and self.overrides:
            return f"{self.name}_{Path(self.strategy).name}"
        return Path(self.strategy or cast(str, self.script_config)).name  # one of the two is set (__post_init__)


def check_fleet(bots: Sequence[FleetBot]) -> None:
    """Each bot needs a name (its folder and MQTT instance id) and a sub-account of its own.

    Bots sharing a sub-account would share its positions, margin and open-order limit, and one bot's cancel-all or
    cancel-on-disconnect would cancel the other's orders.
    """
    names = [bot.name for bot in bots]
    if len(set(names)) != len(names):
        raise ValueError(f"bot names must be unique: {names}")
    owners: Dict[tuple, str] = {}
    for bot in bots:
        account = (bot.connector, str(bot.trading_account_id).strip())  # as the connector reads it
        if account in owners:
            raise ValueError(f"bots {owners[account]!r} and {bot.name!r} both trade sub-account "
                             f"{account[1]} on {bot.connector}: give each bot its own sub-account")
        owners[account] = bot.name


class Fleet:
    def __init__(self, folder: Path, bots: Sequence[FleetBot], password: str,
                 env: Optional[Mapping[str, str]] = None, mqtt: Optional[MqttSettings] = None,
                 offline: bool = True, conf_source: Path = CONF_SOURCE):
        check_fleet(bots)
        self.folder = Path(folder)
        self.specs = list(bots)
        self.password = password
        self.env = dict(env or {})
        self.mqtt = mqtt
        self.offline = offline
        self.conf_source = Path(conf_source)
        self.bots: Dict[str, HeadlessBot] = {}

    def _write_strategy(self, root: BotRoot, spec: FleetBot, strategy: str) -> None:
        source = Path(strategy) if Path(strategy).is_absolute() else self.conf_source / "strategies" / strategy
        if not source.is_file():
            raise BotRootError(f"Config file not found: {source}")
        config = yaml.safe_load(source.read_text()) or {}
        unknown = sorted(set(spec.overrides) - set(config))  # Hummingbot would drop them without a word
        if unknown:
            raise BotRootError(f"bot {spec.name!r}: overrides {unknown} are not settings of {source.name} "
                               f"(check their spelling, or add them to that file)")
        config.update(dict(spec.overrides))
        (root.strategies / spec.config_file_name).write_text(yaml.safe_dump(config, sort_keys=False))

    def prepare(self) -> Dict[str, BotRoot]:
        """Creates every bot's root, writes its config and stores its keys (encrypted with the fleet password)."""
        roots = {}
        for spec in self.specs:
            root = prepare_root(self.folder / spec.name, script_configs=[spec.script_config] if spec.script_config
                                else (), controller_configs=spec.controller_configs, conf_source=self.conf_source)
            if spec.strategy:
                self._write_strategy(root, spec, spec.strategy)
            settings: Dict[str, Any] = dict(MID_PRICE_SAMPLING_SETTINGS)
            if self.offline:
                settings.update(OFFLINE_CLIENT_SETTINGS)
            if self.mqtt is not None:
                settings.update(self.mqtt.client_settings(spec.name))
            store_keys(root, spec.connector,
                       grvt_keys(spec.connector, spec.api_key, spec.private_key, spec.trading_account_id),
                       password=self.password, client_settings=settings)
            roots[spec.name] = root
        return roots

    def start(self) -> "Fleet":
        roots = self.prepare()
        # the keys are stored encrypted in each root: no bot process gets a variable holding any bot's key
        keys = {_bare(key) for spec in self.specs for key in (spec.api_key, spec.private_key) if key.strip()}
        inherit = {name: value for name, value in os.environ.items() if _bare(value) not in keys}
        for spec in self.specs:
            root = roots[spec.name]
            config = spec.config_file_name
            extra = ["--status-file", str(root.logs / STATUS_FILE)]
            if self.offline:
                extra.append("--offline")
            self.bots[spec.name] = HeadlessBot(root, self.password, strategy=config if spec.strategy else None,
                                               script_config=None if spec.strategy else config, env=self.env,
                                               inherit=inherit, extra_args=extra).start()
        return self

    def wait_until_running(self, timeout: float = 300.0) -> None:
        for bot in self.bots.values():
            bot.wait_until_running(timeout=timeout)

    def status(self) -> Dict[str, Optional[dict]]:
        """Each bot's last status snapshot (see ``grvt_tools.bot_status``)."""
        return {name: read_status(bot.root.logs / STATUS_FILE) for name, bot in self.bots.items()}

    def stop(self, timeout: float = 180.0) -> Dict[str, int]:
        """Asks every bot to stop at once, then waits for each; returns the exit codes by bot name."""
        for bot in self.bots.values():
            bot.request_stop()
        return {name: bot.stop(timeout=timeout) for name, bot in self.bots.items()}

    def __enter__(self) -> "Fleet":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _bare(key: str) -> str:
    """A key as it may appear in a variable: without blanks, case or 0x (the connector reads all such forms)."""
    return key.strip().lower().removeprefix("0x")


def _from_env(entry: Mapping[str, Any], key: str, environ: Mapping[str, str]) -> str:
    if entry.get(f"{key}_env"):
        variable = entry[f"{key}_env"]
        if not environ.get(variable):
            if not re.fullmatch(r"[A-Z_][A-Z0-9_]{0,39}", str(variable)):  # maybe the key itself: never repeat it
                raise ValueError(f"bot {entry.get('name')!r}: {key}_env is not the name of a set environment "
                                 f"variable (upper-case letters, digits and _); is it the key itself? (not shown)")
            raise ValueError(f"bot {entry.get('name')!r}: environment variable {variable} is not set")
        return environ[variable]
    if key in entry and key == "trading_account_id":
        return str(entry[key])
    raise ValueError(f"bot {entry.get('name')!r}: give {key}_env (the name of an environment variable holding it)")


FLEET_FILE_SETTINGS = {"connector", "bots"}
BOT_SETTINGS = {"name", "connector", "strategy", "script_config", "controller_configs", "overrides", "api_key_env",
                "private_key_env", "trading_account_id", "trading_account_id_env", "api_key", "private_key"}


def fleet_entries(document: Any, path: Path) -> List[Mapping[str, Any]]:
    """The ``bots:`` of a parsed fleet file, each a mapping (ValueError, worded for the operator, otherwise)."""
    entries = (document.get("bots") or []) if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValueError(f"{path}: 'bots:' must be a list of bots, each a mapping (- name: ..., strategy: ...)")
    for where, settings, known in [("the file", document, FLEET_FILE_SETTINGS)] + \
            [(f"bot {entry.get('name')!r}", entry, BOT_SETTINGS) for entry in entries]:
        unknown = sorted(str(key) for key in settings if key not in known)  # a misspelt one would be ignored
        if unknown:
            raise ValueError(f"{path}: {where}: unknown settings {unknown} (known: {', '.join(sorted(known))})")
    return entries


def load_fleet_file(path: Path, environ: Mapping[str, str] = os.environ) -> List[FleetBot]:
    """Reads a fleet file::

        connector: grvt_perpetual_testnet            # default for every bot
        bots:
          - name: btc
            strategy: grvt_demo_perpetual_market_making.yml
            overrides: {market: BTC-USDT, order_amount: 0.002}
            api_key_env: GRVT_BTC_API_KEY
            private_key_env: GRVT_BTC_PRIVATE_KEY
            trading_account_id: "1234567890"          # or trading_account_id_env
          - name: eth-grid
            script_config: grvt_v2_controllers.yml
            ...

    API keys and private keys are read from the named environment variables only.
    """
    document = yaml.safe_load(Path(path).read_text()) or {}
    entries = fleet_entries(document, path)
    default_connector = document.get("connector", "grvt_perpetual_testnet")
    bots = []
    for entry in entries:
        bots.append(FleetBot(
            name=str(entry["name"]), connector=entry.get("connector", default_connector),
            api_key=_from_env(entry, "api_key", environ), private_key=_from_env(entry, "private_key", environ),
            trading_account_id=_from_env(entry, "trading_account_id", environ),
            strategy=entry.get("strategy"), script_config=entry.get("script_config"),
            controller_configs=tuple(entry.get("controller_configs") or ()), overrides=entry.get("overrides") or {}))
    if not bots:
        raise ValueError(f"{path}: no bots listed under 'bots:'")
    check_fleet(bots)
    return bots
