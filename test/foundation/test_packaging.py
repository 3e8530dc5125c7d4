"""`pip install .` next to an installed Hummingbot: install, upgrade and uninstall each leave Hummingbot whole.

A throwaway virtual environment gets Hummingbot 20260922 installed exactly as `make install` built it (the files
and dist-info of .venv/hummingbot-dist), with its dependencies visible from the project venv. After each step a
fresh interpreter discovers and builds the `grvt_perpetual` connector and reports where its modules come from:
ours after install and upgrade (none of Hummingbot's shipped modules importable alongside), Hummingbot's own after
uninstall; Hummingbot's files are byte-identical throughout. About a minute on 2 cores (three pip runs, four
Hummingbot start-ups).
"""
import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HUMMINGBOT_DIST = REPO / ".venv" / "hummingbot-dist"
SOURCES = ("setup.py", "pyproject.toml", "README.md", "hummingbot_grvt", "grvt_sandbox", "grvt_tools",
           "hummingbot/connector/derivative/grvt_perpetual", "controllers/grvt_common")
OURS_ONLY = "grvt_perpetual_order_transport"  # a module our connector has and Hummingbot's has not
UPSTREAM_ONLY = "grvt_perpetual_api_user_stream_data_source"  # the reverse

INSPECT = textwrap.dedent('''
    import importlib.util, json
    from hummingbot.client.settings import AllConnectorSettings

    package = "hummingbot.connector.derivative.grvt_perpetual"
    settings = AllConnectorSettings.get_connector_settings()
    connector = settings["grvt_perpetual"].non_trading_connector_instance_with_default_configuration()
    utils = importlib.import_module(package + ".grvt_perpetual_utils")
    print(json.dumps({
        "discovered": sorted(name for name in settings if name.startswith("grvt_perpetual")),
        "connector_class": type(connector).__name__,
        "utils_file": utils.__file__,
        "ours_only": importlib.util.find_spec(package + ".''' + OURS_ONLY + '''") is not None,
        "upstream_only": importlib.util.find_spec(package + ".''' + UPSTREAM_ONLY + '''") is not None,
    }))
''')


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    if not (HUMMINGBOT_DIST / "hummingbot").is_dir():
        pytest.skip("no Hummingbot build in .venv/hummingbot-dist (run make install)")
    base = tmp_path_factory.mktemp("packaging")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(python), "-c", where], text=True).strip())
    for entry in HUMMINGBOT_DIST.iterdir():
        if entry.is_dir() and entry.name != "bin":
            shutil.copytree(entry, site / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
    # Hummingbot's dependencies come from the project venv (a plain path: its .pth files are not run).
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    source = base / "source"
    for relative in SOURCES:
        origin, copy = REPO / relative, source / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(origin, copy)
    return {"python": python, "site": site, "source": source, "cwd": base}


def pip(venv, *args):
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv["python"]),
                             "--disable-pip-version-check", "-q", *args],
                            capture_output=True, text=True, timeout=600, cwd=venv["cwd"])
    assert result.returncode == 0, result.stdout + result.stderr


def inspect(venv) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(venv["cwd"])}
    result = subprocess.run([str(venv["python"]), "-c", INSPECT], capture_output=True, text=True, timeout=300,
                            cwd=venv["cwd"], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_install_upgrade_and_uninstall_leave_hummingbot_whole(venv):
    upstream_folder = venv["site"] / "hummingbot" / "connector" / "derivative" / "grvt_perpetual"
    upstream_digest = tree_digest(upstream_folder)
    ours_folder = venv["site"] / "hummingbot_grvt" / "grvt_perpetual"

    before = inspect(venv)
    assert before["discovered"] == ["grvt_perpetual", "grvt_perpetual_testnet"]
    assert Path(before["utils_file"]).parent == upstream_folder and before["upstream_only"]
    assert not before["ours_only"]

    for step in (["install", "--no-deps", "--no-build-isolation", str(venv["source"])],  # install
                 ["install", "--no-deps", "--no-build-isolation", "--force-reinstall", str(venv["source"])]):  # again
        pip(venv, *step)
        installed = inspect(venv)
        assert installed["discovered"] == ["grvt_perpetual", "grvt_perpetual_testnet"]
        assert installed["connector_class"] == "GrvtPerpetualDerivative"
        assert Path(installed["utils_file"]).parent == ours_folder
        assert installed["ours_only"] and not installed["upstream_only"]  # no mix of the two connectors
        assert tree_digest(upstream_folder) == upstream_digest  # Hummingbot's files untouched
        assert (venv["site"] / "hummingbot_grvt.pth").is_file()

    pip(venv, "uninstall", "-y", "hummingbot-grvt")
    after = inspect(venv)
    assert after == before  # Hummingbot's own connector again, discovered and working
    assert tree_digest(upstream_folder) == upstream_digest
    assert not (venv["site"] / "hummingbot_grvt").exists() and not (venv["site"] / "hummingbot_grvt.pth").exists()


def test_the_installed_report_command_reports_on_a_database(venv, tmp_path):
    from test.operator.records_fixture import TradeDatabase

    database = TradeDatabase(tmp_path / "bot.sqlite")
    database.order("b1", "BUY", "99990", "0.01", 1_800_000_000_000, ended_ms=1_800_000_001_000,
                   ended_as="BuyOrderCompleted")
    database.fill("b1", "BUY", "99990", "0.01", "0.01", 1_800_000_001_000)
    pip(venv, "install", "--no-deps", "--no-build-isolation", str(venv["source"]))
    result = subprocess.run([str(venv["python"].parent / "grvt-report"), str(database.path), "--out",
                             str(tmp_path / "report")], capture_output=True, text=True, timeout=300, cwd=venv["cwd"],
                            env={"PATH": "/usr/bin:/bin", "HOME": str(venv["cwd"]), "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert json.loads((tmp_path / "report" / "summary.json").read_text())["markets"][0]["fills"] == 1
