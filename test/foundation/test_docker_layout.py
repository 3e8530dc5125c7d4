"""The Docker image and compose files, tested without a Docker engine.

Every path the Dockerfile copies exists in the repository; its pinned extra requirements match ours; the compose
files are consistent (configs the image holds, keys matching the sandbox accounts they create). Then the image's
layout is rebuilt the way the Dockerfile builds it, on a Hummingbot tree from this install, and the image's own CMD
runs a bot in it against the sandbox: keys stored from the environment, strategy from CONFIG_FILE_NAME, quotes
placed, clean stop.
"""
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import yaml
from eth_account import Account

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from grvt_tools.exchange_view import GrvtAccountView, SandboxAdmin
from grvt_tools.sandbox_process import SandboxProcess

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
HUMMINGBOT_DIST = REPO / ".venv" / "hummingbot-dist" / "hummingbot"


def dockerfile_instructions():
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            yield keyword.upper(), rest.strip()


def tracked_files():
    return set(subprocess.check_output(["git", "ls-files"], cwd=REPO, text=True).splitlines())


def test_base_image_is_pinned_and_every_copied_path_exists():
    instructions = list(dockerfile_instructions())
    base = next(rest for keyword, rest in instructions if keyword == "ARG" and rest.startswith("HUMMINGBOT_IMAGE="))
    image = base.partition("=")[2]
    assert image.startswith("hummingbot/hummingbot:") and not image.endswith((":latest", ":development"))
    tracked = tracked_files()
    copies = [shlex.split(rest) for keyword, rest in instructions if keyword == "COPY"]
    assert copies
    for *sources, _ in copies:
        for source in sources:
            assert any(path == source or path.startswith(source.rstrip("/") + "/") for path in tracked), source


def test_image_requirements_are_pinned_like_the_project():
    project = {line.split("==")[0].lower(): line for line in (REPO / "requirements" / "project.txt").read_text()
               .splitlines() if "==" in line and not line.startswith("#")}
    for line in (DOCKER / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert "==" in line, line
            assert project.get(line.split("==")[0].lower()) == line, line


def test_docker_stop_leaves_a_bot_the_time_its_stop_may_take():
    """docker stop sends SIGTERM, then SIGKILL after stop_grace_period (10 s unless set): a bot killed while it stops
    leaves its orders resting. Its stop may take the executors' close-out (at most 30 s) and cancel_all's
    TradingCore.KILL_TIMEOUT."""
    from hummingbot.core.trading_core import TradingCore

    needed = 30 + TradingCore.KILL_TIMEOUT
    for name in ("docker-compose.yml", "docker-compose.fleet.yml"):
        for service_name, service in yaml.safe_load((DOCKER / name).read_text())["services"].items():
            if (service.get("environment") or {}).get("HEADLESS_MODE") == "true":
                grace = re.fullmatch(r"(\d+)s", service.get("stop_grace_period", "10s"))
                assert grace and int(grace.group(1)) > needed, (name, service_name, service.get("stop_grace_period"))


def test_compose_files_are_consistent():
    strategies = {path.name for path in (REPO / "conf" / "strategies").glob("*.yml")}
    script_configs = {path.name for path in (REPO / "conf" / "scripts").glob("*.yml")}
    for name in ("docker-compose.yml", "docker-compose.fleet.yml"):
        compose = yaml.safe_load((DOCKER / name).read_text())
        for service_name, service in compose["services"].items():
            if "build" in service:
                assert (DOCKER / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
            environment = service.get("environment") or {}
            config = environment.get("CONFIG_FILE_NAME", "")
            if config and not config.startswith("${"):
                assert config in strategies, (name, service_name, config)
            script = re.sub(r"^\$\{\w+:-(.*)\}$", r"\1", environment.get("SCRIPT_CONFIG", ""))
            if script:
                assert script in script_configs, (name, service_name, script)
            for volume in service.get("volumes") or []:
                assert volume.split(":")[1].startswith("/home/hummingbot/"), volume
            if any(str(value).startswith("http://sandbox:") for key, value in environment.items()
                   if key.endswith("_BASE_URL")):  # a bot on the sandbox stays off public exchanges
                assert environment.get("GRVT_OFFLINE") == "true", (name, service_name)
    # docker/README.md: GRVT_CONNECTOR=grvt_perpetual on the host moves the testnet service to mainnet
    testnet = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())["services"]["testnet"]["environment"]
    assert testnet["GRVT_CONNECTOR"] == "${GRVT_CONNECTOR:-grvt_perpetual_testnet}"
    fleet = yaml.safe_load((DOCKER / "docker-compose.fleet.yml").read_text())["services"]
    accounts_arguments = shlex.split(fleet["sandbox-accounts"]["command"][-1])
    for name in ("bot-btc", "bot-eth", "bot-sol"):
        environment = fleet[name]["environment"]
        signer = Account.from_key(bytes.fromhex(environment["GRVT_PRIVATE_KEY"])).address
        expected = [f"sub_account_id={environment['GRVT_TRADING_ACCOUNT_ID']}",
                    f"api_key={environment['GRVT_API_KEY']}", f'signers=["{signer}"]']
        assert any(accounts_arguments[i:i + 3] == expected for i in range(len(accounts_arguments))), (name, expected)
        assert environment["GRVT_INSTANCE_ID"] and environment["GRVT_MQTT_HOST"] == "emqx"
        # started only once the accounts exist (a bare list would wait for the accounts service to start, no more)
        assert fleet[name]["depends_on"]["sandbox-accounts"] == {"condition": "service_completed_successfully"}
    assert fleet["sandbox-accounts"]["depends_on"]["sandbox"] == {"condition": "service_healthy"}
    assert "healthcheck" in fleet["sandbox"]


def compose_commands():
    for name in ("docker-compose.yml", "docker-compose.fleet.yml"):
        for service_name, service in yaml.safe_load((DOCKER / name).read_text())["services"].items():
            if "command" in service:
                yield name, service_name, service["command"]


def test_compose_commands_needing_a_shell_run_in_one():
    # Compose splits a command string into arguments and runs no shell: '&&' would reach the program as an argument.
    for name, service_name, command in compose_commands():
        if isinstance(command, str):
            assert not {"&&", "||", ";", "|"} & set(shlex.split(command)), (name, service_name)


def test_the_fleet_creates_the_sandbox_accounts_its_bots_log_in_with(tmp_path):
    fleet = yaml.safe_load((DOCKER / "docker-compose.fleet.yml").read_text())["services"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with SandboxProcess(seed=7, log_file=tmp_path / "sandbox.log") as sandbox:
        # Compose's own interpolation, then the sandbox's address in place of the service name
        command = [re.sub(r"\$\{(\w+):-([^}]*)\}", lambda match: env.get(match[1], match[2]), part)
                   .replace("http://sandbox:7070", sandbox.url) for part in fleet["sandbox-accounts"]["command"]]
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        for name in ("bot-btc", "bot-eth", "bot-sol"):
            environment = fleet[name]["environment"]
            view = GrvtAccountView.on_sandbox(sandbox.url, environment["GRVT_API_KEY"],
                                              environment["GRVT_TRADING_ACCOUNT_ID"])
            view.login()
            assert view.open_orders() == [], name


def build_image_layout(root: Path) -> None:
    """Applies the Dockerfile's WORKDIR, RUN rm and COPY steps to a Hummingbot tree (other RUN steps install
    packages this environment already has)."""
    sys.path.insert(0, str(REPO / "bin"))
    try:
        from install import overlay_package
    finally:
        sys.path.remove(str(REPO / "bin"))
    # The image's Hummingbot checkout; the connector folder is real so the Dockerfile's steps can replace it.
    overlay_package(HUMMINGBOT_DIST, root / "hummingbot", ("connector", "derivative", "grvt_perpetual"))
    shutil.copytree(HUMMINGBOT_DIST / "connector" / "derivative" / "grvt_perpetual",
                    root / "hummingbot" / "connector" / "derivative" / "grvt_perpetual")
    for folder in ("conf/connectors", "conf/strategies", "conf/scripts", "conf/controllers", "logs", "data", "certs",
                   "scripts", "controllers", "bin"):  # the image's mount points
        (root / folder).mkdir(parents=True, exist_ok=True)
    for keyword, rest in dockerfile_instructions():
        if keyword == "RUN" and rest.startswith("rm -rf "):
            for target in shlex.split(rest)[2:]:
                path = (root / target).resolve()
                assert root.resolve() in path.parents, target
                shutil.rmtree(path, ignore_errors=True)
        elif keyword == "COPY":
            *sources, destination = shlex.split(rest)
            for source in sources:
                origin = REPO / source
                target = root / destination
                if origin.is_dir():
                    shutil.copytree(origin, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    if destination.endswith("/"):
                        target.mkdir(parents=True, exist_ok=True)
                        target = target / origin.name
                    shutil.copyfile(origin, target)


def image_command() -> str:
    return next(rest for keyword, rest in dockerfile_instructions() if keyword == "CMD")


def image_env(root: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GRVT_", "CONFIG_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(root),
               PYTHONUNBUFFERED="1")
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            name, _, value = rest.partition("=")
            if name != "PATH":  # the image's PATH leads to Hummingbot's environment: here, this interpreter's
                env[name] = value
    env.update(extra)
    return env


@pytest.mark.skipif(not HUMMINGBOT_DIST.is_dir(), reason="no Hummingbot build (run make install)")
def test_the_image_layout_runs_a_bot_on_the_sandbox(tmp_path):
    from test.operator.records_fixture import has_quotes

    root = tmp_path / "home" / "hummingbot"
    root.mkdir(parents=True)
    build_image_layout(root)
    ours = root / "hummingbot" / "connector" / "derivative" / "grvt_perpetual"
    assert sorted(p.name for p in ours.glob("*.py")) == \
        sorted(p.name for p in (REPO / "hummingbot/connector/derivative/grvt_perpetual").glob("*.py"))
    compose_bot = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())["services"]["bot"]["environment"]
    with SandboxProcess(seed=7, log_file=tmp_path / "sandbox.log") as sandbox:
        env = image_env(root, **{key: str(value) for key, value in compose_bot.items()})
        env["GRVT_PERPETUAL_TESTNET_BASE_URL"] = sandbox.url
        process = subprocess.Popen(["/bin/sh", "-c", image_command()], cwd=root, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            config = compose_bot.get("SCRIPT_CONFIG") or compose_bot["CONFIG_FILE_NAME"]
            database = root / "data" / re.sub(r"\.yml$", ".sqlite", config)
            deadline = time.monotonic() + 240
            while not has_quotes(database):
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "no quotes from the image's bot"
                time.sleep(1.0)
            process.send_signal(signal.SIGTERM)  # docker stop: the init process signals its child, the shell
            output, _ = process.communicate(timeout=180)
        finally:
            with contextlib.suppress(ProcessLookupError):  # whatever the shell left running
                os.killpg(process.pid, signal.SIGKILL)
        assert process.returncode == 0, output[-3000:]
        assert "Stopped." in output
        assert SandboxAdmin(sandbox.url).open_orders(DEMO_SUB_ACCOUNT_ID) == []
    assert (root / "conf" / "connectors" / "grvt_perpetual_testnet.yml").is_file()
    assert (root / "logs" / "status.json").is_file()
    assert compose_bot["GRVT_PRIVATE_KEY"] not in output


@pytest.mark.skipif(not HUMMINGBOT_DIST.is_dir(), reason="no Hummingbot build (run make install)")
def test_the_report_command_runs_in_the_image_layout(tmp_path):
    # docker/README.md: `python bin/report.py /home/hummingbot --out ...` in a container, where nothing puts
    # /home/hummingbot on the import path (Hummingbot's image does not install it as a package).
    from test.operator.records_fixture import TradeDatabase

    root = tmp_path / "home" / "hummingbot"
    root.mkdir(parents=True)
    build_image_layout(root)
    database = TradeDatabase(root / "data" / "grvt_market_maker.sqlite")
    database.order("b1", "BUY", "99990", "0.01", 1_800_000_000_000, ended_ms=1_800_000_001_000,
                   ended_as="BuyOrderCompleted")
    database.fill("b1", "BUY", "99990", "0.01", "0.01", 1_800_000_001_000)
    env = image_env(root, PYTHONPATH=sysconfig.get_paths()["purelib"])  # the image's packages, none of ours
    result = subprocess.run([sys.executable, "-S", "bin/report.py", str(root), "--out", str(root / "data" / "reports")],
                            cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert (root / "data" / "reports" / "summary.json").is_file()


@pytest.mark.skipif(not HUMMINGBOT_DIST.is_dir(), reason="no Hummingbot build (run make install)")
def test_the_fleet_command_prepares_its_bots_in_the_image_layout(tmp_path):
    # The image ships bin/fleet.py (docker/README.md): each bot's root is an overlay of the image's Hummingbot.
    root = tmp_path / "home" / "hummingbot"
    root.mkdir(parents=True)
    build_image_layout(root)
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text("bots:\n  - name: btc\n    strategy: grvt_demo_perpetual_market_making.yml\n"
                          "    api_key_env: K\n    private_key_env: P\n    trading_account_id: 1\n")
    prepare = ("import runpy, sys; sys.path[0] = 'bin'; fleet = runpy.run_path('bin/fleet.py'); "  # as a script
               f"bots = fleet['load_fleet_file']({str(fleet_file)!r}); "
               f"fleet['Fleet']({str(tmp_path / 'fleet')!r}, bots, 'pw').prepare()")
    env = image_env(root, PYTHONPATH=sysconfig.get_paths()["purelib"], K="key", P="ab" * 32)
    result = subprocess.run([sys.executable, "-S", "-c", prepare], cwd=root, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert (tmp_path / "fleet" / "btc" / "conf" / "connectors" / "grvt_perpetual_testnet.yml").is_file()
