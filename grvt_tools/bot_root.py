"""A private Hummingbot root: this repository's code with its own ``conf/``, ``logs/`` and ``data/``.

Hummingbot derives every runtime folder from the folder that holds its ``hummingbot`` package. A root made here holds
an overlay of that package (links to this checkout's ``hummingbot/``, see ``bin/install.py``), so a bot started with
``PYTHONPATH=<root>:<repository>`` reads and writes only inside the root, while running this checkout's connector,
``scripts/`` and ``controllers/`` (linked, so edits are live). Many roots can run side by side: one per bot.

Typical use::

    root = prepare_root(Path("/tmp/bot-1"), strategies=["grvt_demo_perpetual_market_making.yml"])
    store_keys(root, "grvt_perpetual_testnet", grvt_keys("grvt_perpetual_testnet", api_key, private_key, sub_id),
               password="...", client_settings=OFFLINE_CLIENT_SETTINGS)

``store_keys`` runs Hummingbot's own key storage inside the root (in a subprocess, since paths are fixed at import),
with the keys passed on stdin: they never appear in a command line, a log or an exception message.
"""
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence

if TYPE_CHECKING:  # Hummingbot fixes its paths when imported: this module imports it only in a root's subprocess
    from hummingbot.client.config.config_crypt import BaseSecretsManager

REPO = Path(__file__).resolve().parent.parent
CONF_SOURCE = REPO / "conf"
RUNTIME_DIRS = ("conf", "conf/strategies", "conf/scripts", "conf/controllers", "conf/connectors", "logs", "data")
LINKED_DIRS = ("scripts", "controllers")

# conf_client.yml settings for a bot that needs no network besides its exchange: no paper-trade exchanges (whose
# markets Hummingbot would download at start) and Hummingbot's own mid-price sampling on (the report's mid line).
OFFLINE_CLIENT_SETTINGS: Dict[str, Any] = {
    "paper_trade.paper_trade_exchanges": [],
}
MID_PRICE_SAMPLING_SETTINGS: Dict[str, Any] = {
    "market_data_collection.market_data_collection_enabled": True,
    "market_data_collection.market_data_collection_interval": 1,
    "market_data_collection.market_data_collection_depth": 2,
}


class BotRootError(Exception):
    """A problem with a root or its inputs, worded for the operator (never contains a key)."""


@dataclass(frozen=True)
class BotRoot:
    """Paths of a prepared Hummingbot root."""

    path: Path

    @property
    def conf(self) -> Path:
        return self.path / "conf"

    @property
    def strategies(self) -> Path:
        return self.conf / "strategies"

    @property
    def script_configs(self) -> Path:
        return self.conf / "scripts"

    @property
    def controller_configs(self) -> Path:
        return self.conf / "controllers"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def data(self) -> Path:
        return self.path / "data"

    @property
    def hummingbot_log(self) -> Path:
        """The log file Hummingbot writes (the launcher starts Hummingbot's logging with its default name)."""
        return self.logs / "logs_hummingbot.log"

    def database(self, config_file_name: str) -> Path:
        """Hummingbot's sqlite of trades for a strategy or script config: ``data/<config name>.sqlite``."""
        return self.data / f"{Path(config_file_name).stem}.sqlite"

    def env(self, base: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
        """Environment for a process that should run Hummingbot inside this root.

        Variables that would make the launcher pick another strategy or password are dropped from ``base``
        (``os.environ`` by default); ``extra`` is added last.
        """
        source = os.environ if base is None else base
        env = {key: value for key, value in source.items()
               if key not in ("CONFIG_PASSWORD", "HBOT_PASSWORD", "CONFIG_FILE_NAME", "SCRIPT_CONFIG",
                              "HEADLESS_MODE")}
        env["PYTHONPATH"] = os.pathsep.join([str(self.path), str(REPO)])
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env


class _OverlayPackage(Protocol):  # bin/install.py's overlay_package
    def __call__(self, source: Path, destination: Path, owned: Sequence[str]) -> None: ...


def _install_overlay() -> _OverlayPackage:
    sys.path.insert(0, str(REPO / "bin"))
    try:
        from install import overlay_package
    finally:
        sys.path.remove(str(REPO / "bin"))
    return overlay_package


def _link_dir(link: Path, target: Path) -> None:
    if link.is_symlink():
        if Path(os.readlink(link)) == target:
            return
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    elif link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def _copy_configs(names: Iterable[str], source_dir: Path, destination_dir: Path) -> None:
    for name in names:
        source = Path(name) if Path(name).is_absolute() else source_dir / name
        if not source.is_file():
            raise BotRootError(f"Config file not found: {source}")
        shutil.copyfile(source, destination_dir / source.name)


def _controllers_listed_by(script_configs: Iterable[str], conf_source: Path) -> List[str]:
    """The controller configs of ``conf_source`` that the script configs list (``controllers_config``)."""
    import yaml

    names = []
    for name in script_configs:
        source = Path(name) if Path(name).is_absolute() else conf_source / "scripts" / name
        listed = (yaml.safe_load(source.read_text()) or {}).get("controllers_config") or []
        names += [item for item in listed if isinstance(item, str) and (conf_source / "controllers" / item).is_file()]
    return names


def prepare_root(path: Path,
                 strategies: Iterable[str] = (),
                 script_configs: Iterable[str] = (),
                 controller_configs: Iterable[str] = (),
                 conf_source: Path = CONF_SOURCE) -> BotRoot:
    """Creates (or refreshes) a Hummingbot root at ``path`` and copies the given configs into it.

    :param strategies: V1 strategy files, names in ``conf_source/strategies`` or absolute paths.
    :param script_configs: V2 script configs, names in ``conf_source/scripts`` or absolute paths.
    :param controller_configs: controller configs, names in ``conf_source/controllers`` or absolute paths; those the
        script configs list are copied too.
    :return: the root's paths. Existing conf files, keys and data in the root are kept.
    """
    root = BotRoot(Path(path).resolve())
    overlay_package = _install_overlay()
    overlay_package(REPO / "hummingbot", root.path / "hummingbot", owned=())
    for relative in RUNTIME_DIRS:
        (root.path / relative).mkdir(parents=True, exist_ok=True)
    for name in LINKED_DIRS:
        (REPO / name).mkdir(exist_ok=True)
        _link_dir(root.path / name, REPO / name)
    _copy_configs(strategies, conf_source / "strategies", root.strategies)
    _copy_configs(script_configs, conf_source / "scripts", root.script_configs)
    _copy_configs(list(controller_configs) + _controllers_listed_by(script_configs, conf_source),
                  conf_source / "controllers", root.controller_configs)
    return root


def grvt_keys(connector: str, api_key: str, private_key: str, trading_account_id: str) -> Dict[str, str]:
    """The config-map fields of a GRVT connector (``grvt_perpetual`` or ``grvt_perpetual_testnet``)."""
    return {f"{connector}_api_key": api_key,
            f"{connector}_private_key": private_key,
            f"{connector}_trading_account_id": str(trading_account_id)}


def store_keys(root: BotRoot, connector: Optional[str], keys: Mapping[str, str], password: str,
               client_settings: Optional[Mapping[str, Any]] = None, timeout: float = 120.0) -> None:
    """Stores a connector's keys in the root, encrypted with ``password``, as ``connect`` would.

    Creates the root's password file on first use. ``client_settings`` maps dotted ``conf_client.yml`` paths to
    values (e.g. ``OFFLINE_CLIENT_SETTINGS``) and is applied in the same step. ``connector=None`` only creates
    the password file and applies the settings.

    :raises BotRootError: the root holds files made with another password, or Hummingbot refused the keys.
    """
    request = {"password": password, "connector": connector, "keys": dict(keys),
               "client_settings": dict(client_settings or {})}
    result = subprocess.run([sys.executable, "-m", "grvt_tools.bot_root"], input=json.dumps(request),
                            env=root.env(), cwd=root.path, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BotRootError(f"Storing keys in {root.path} failed: {last_line}")


def _apply_client_settings(settings: Mapping[str, Any]) -> None:
    from hummingbot.client.config.config_helpers import load_client_config_map_from_file, save_to_yml
    from hummingbot.client.settings import CLIENT_CONFIG_PATH

    client_config = load_client_config_map_from_file()
    for dotted, value in settings.items():
        *parents, name = dotted.split(".")
        target = client_config
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, name, value)
    save_to_yml(CLIENT_CONFIG_PATH, client_config)


def _check_stored_keys_open_with(secrets_manager: "BaseSecretsManager") -> None:
    """Keys kept without their password file (a container's conf/connectors volume) must open with the password
    about to be recorded for them: a password file for another password would lock them out for good."""
    from hummingbot.client.config.security import Security

    Security.secrets_manager = secrets_manager
    try:
        Security.decrypt_all()
    except ValueError:
        raise BotRootError("the root holds keys stored with another password: use that password or a new root")
    finally:
        Security.secrets_manager = None


def _store_inside_root(request: Mapping[str, Any]) -> None:
    """Runs in a process whose ``hummingbot`` package is the root's overlay."""
    from hummingbot import root_path
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger, store_password_verification
    from hummingbot.client.config.config_helpers import ClientConfigAdapter
    from hummingbot.client.config.security import Security
    from hummingbot.client.settings import AllConnectorSettings

    (root_path() / "conf" / "connectors").mkdir(parents=True, exist_ok=True)
    secrets_manager = ETHKeyFileSecretManger(request["password"])
    if Security.new_password_required():
        _check_stored_keys_open_with(secrets_manager)
        store_password_verification(secrets_manager)
    if not Security.login(secrets_manager):
        raise BotRootError("the root holds files made with another password: use that password or a new root")
    connector = request.get("connector")
    if connector:
        settings = AllConnectorSettings.get_connector_settings().get(connector)
        if settings is None or settings.config_keys is None:
            raise BotRootError(f"unknown connector {connector!r}")
        config = settings.config_keys.__class__(**request["keys"])
        Security.update_secure_config(ClientConfigAdapter(config))
    if request.get("client_settings"):
        _apply_client_settings(request["client_settings"])


def _describe_without_values(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            problems = [f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', 'invalid')}"
                        for item in errors(include_input=False)]
            return "invalid value for " + "; ".join(problems)
        except Exception:
            pass
    return f"{type(error).__name__} while storing the keys"


def request_from_environment(connector: str, environ: Mapping[str, str] = os.environ,
                             keys_stored: bool = False) -> Dict[str, Any]:
    """The storage request of ``python -m grvt_tools.bot_root --from-env CONNECTOR`` (Docker containers).

    Password from ``$CONFIG_PASSWORD``; keys from ``$GRVT_API_KEY``, ``$GRVT_PRIVATE_KEY`` and
    ``$GRVT_TRADING_ACCOUNT_ID``; optional ``$GRVT_MQTT_HOST``/``$GRVT_MQTT_PORT`` join Hummingbot's MQTT bridge
    with ``$GRVT_INSTANCE_ID`` as the bot's instance id; ``$GRVT_OFFLINE=true`` applies the offline settings.
    With ``keys_stored`` the keys are not needed and not stored: only the password file (when missing) and the
    client settings are made, as a new container with the keys in its volume needs them.
    """
    needed = ("CONFIG_PASSWORD",) if keys_stored else \
        ("CONFIG_PASSWORD", "GRVT_API_KEY", "GRVT_PRIVATE_KEY", "GRVT_TRADING_ACCOUNT_ID")
    missing = [name for name in needed if not environ.get(name)]
    if missing:
        raise BotRootError(f"set {', '.join(missing)} to store the {connector} keys")
    settings: Dict[str, Any] = dict(MID_PRICE_SAMPLING_SETTINGS)
    if environ.get("GRVT_OFFLINE", "").lower() in ("1", "true", "yes"):
        settings.update(OFFLINE_CLIENT_SETTINGS)
    if environ.get("GRVT_MQTT_HOST"):
        settings.update({"mqtt_bridge.mqtt_host": environ["GRVT_MQTT_HOST"],
                         "mqtt_bridge.mqtt_port": int(environ.get("GRVT_MQTT_PORT", "1883")),
                         "mqtt_bridge.mqtt_autostart": True})
    if environ.get("GRVT_INSTANCE_ID"):
        settings["instance_id"] = environ["GRVT_INSTANCE_ID"]
    if keys_stored:
        return {"password": environ["CONFIG_PASSWORD"], "connector": None, "keys": {}, "client_settings": settings}
    return {"password": environ["CONFIG_PASSWORD"], "connector": connector,
            "keys": grvt_keys(connector, environ["GRVT_API_KEY"], environ["GRVT_PRIVATE_KEY"],
                              environ["GRVT_TRADING_ACCOUNT_ID"]),
            "client_settings": settings}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Stores keys in the Hummingbot root this process runs in: a JSON request on stdin (``store_keys``), or
    ``--from-env CONNECTOR`` (see ``request_from_environment``); with ``--if-missing`` keys stored before are kept,
    and only the password file (when missing, checked against them) and the client settings are written."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grvt_tools.bot_root")
    parser.add_argument("--from-env", metavar="CONNECTOR", help="read the password and keys from the environment")
    parser.add_argument("--if-missing", action="store_true", help="keep the connector's keys when they exist")
    args = parser.parse_args(argv)
    try:
        if args.from_env:
            keys_file = Path("conf") / "connectors" / f"{args.from_env}.yml"
            keys_stored = args.if_missing and keys_file.exists()
            given = [name for name in ("GRVT_API_KEY", "GRVT_PRIVATE_KEY") if os.environ.get(name)]
            if keys_stored and given:  # a rotated key would otherwise be ignored without a word
                print(f"grvt_tools.bot_root: {keys_file} holds keys stored at an earlier start; {', '.join(given)} "
                      f"in the environment not used (remove that file to store new keys)", file=sys.stderr)
            request = request_from_environment(args.from_env, keys_stored=keys_stored)
        else:
            request = json.loads(sys.stdin.read())
        _store_inside_root(request)
    except BotRootError as error:
        print(f"grvt_tools.bot_root: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a validation error quotes its input (a key): name the fields only
        print(f"grvt_tools.bot_root: {_describe_without_values(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
