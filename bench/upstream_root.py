"""A throwaway Hummingbot root in which `hummingbot` is the pinned upstream build, GRVT connector included.

Hummingbot derives its runtime folders from the folder holding its package, and `import hummingbot` follows
PYTHONPATH, so a process started with PYTHONPATH=<root> (and cwd=<root>) imports the upstream connector while the
repository keeps ours. The root mirrors .venv/hummingbot-dist/hummingbot with links (bin/install.py's
`overlay_package` with nothing owned): nothing is copied into the repository and nothing there changes.
"""
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Dict, Mapping, Optional

REPO = Path(__file__).resolve().parent.parent
HUMMINGBOT_DIST = REPO / ".venv" / "hummingbot-dist" / "hummingbot"
CONNECTOR_PATH = Path("connector", "derivative", "grvt_perpetual")
RUNTIME_DIRS = ("conf", "conf/connectors", "conf/strategies", "conf/scripts", "scripts", "logs", "data")


def _install_module() -> ModuleType:
    path = REPO / "bin" / "install.py"
    spec = importlib.util.spec_from_file_location("grvt_bench_install", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_upstream_root(destination: Path, dist: Path = HUMMINGBOT_DIST) -> Path:
    """Creates `destination`/hummingbot linking into `dist` entirely; returns `destination`."""
    if not (dist / CONNECTOR_PATH).is_dir():
        raise FileNotFoundError(f"upstream GRVT connector not found under {dist}; run `make install` first")
    _install_module().overlay_package(dist, destination / "hummingbot", owned=())
    for relative in RUNTIME_DIRS:
        (destination / relative).mkdir(parents=True, exist_ok=True)
    return destination


def connector_folder(root: Path) -> Path:
    """The folder `hummingbot.connector.derivative.grvt_perpetual` resolves to under `root`, links followed."""
    return (root / "hummingbot" / CONNECTOR_PATH).resolve()


def child_environment(root: Path, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Environment for a child process importing `hummingbot` from `root` and `bench` from the repository."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(REPO)])
    env["PYTHONUNBUFFERED"] = "1"
    return env
