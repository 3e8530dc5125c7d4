import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_install_module():
    spec = importlib.util.spec_from_file_location("grvt_install", REPO / "bin" / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def install_module():
    return _load_install_module()


@pytest.fixture
def isolated_root(tmp_path, install_module):
    """A throwaway Hummingbot root: its own conf/, scripts/, logs/ and data/, the repository's code.

    Hummingbot derives every runtime folder from the folder holding its package, so a copy of the
    package's top-level __init__.py with links to the rest gives a process its own state.
    """
    root = tmp_path / "root"
    install_module.overlay_package(REPO / "hummingbot", root / "hummingbot", owned=())
    for relative in ("conf", "conf/strategies", "conf/scripts", "conf/connectors", "scripts", "logs", "data"):
        (root / relative).mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def root_env(isolated_root):
    env = {key: value for key, value in os.environ.items()
           if key not in ("CONFIG_PASSWORD", "HBOT_PASSWORD", "CONFIG_FILE_NAME", "SCRIPT_CONFIG", "HEADLESS_MODE")}
    env["PYTHONPATH"] = os.pathsep.join([str(isolated_root), str(REPO)])
    env["PYTHONUNBUFFERED"] = "1"
    return env
