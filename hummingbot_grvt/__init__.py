"""Serves this distribution's GRVT connector to an installed Hummingbot without touching Hummingbot's files.

Hummingbot discovers connectors by the folders in its package (``hummingbot/connector/derivative/grvt_perpetual``
ships with it) and imports them by name. ``pip install hummingbot-grvt`` places our connector in
``hummingbot_grvt/grvt_perpetual/`` and a ``hummingbot_grvt.pth`` start-up hook that registers an import finder:
the package ``hummingbot.connector.derivative.grvt_perpetual`` is then loaded from our folder, every module of it,
while Hummingbot's own copy stays on disk untouched and unused (none of its modules can be imported alongside ours).
``pip uninstall hummingbot-grvt`` removes the hook and the folder, and Hummingbot's shipped connector is back.
"""
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Optional, Sequence

CONNECTOR_PACKAGE = "hummingbot.connector.derivative.grvt_perpetual"
CONNECTOR_FOLDER = Path(__file__).resolve().parent / "grvt_perpetual"


class GrvtConnectorFinder(importlib.abc.MetaPathFinder):
    """Finds the connector package in this distribution; its submodules follow through the package's path."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[ModuleSpec]:
        if fullname != CONNECTOR_PACKAGE or not (CONNECTOR_FOLDER / "__init__.py").is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname, CONNECTOR_FOLDER / "__init__.py", submodule_search_locations=[str(CONNECTOR_FOLDER)])


def install() -> None:
    """Registers the finder ahead of the standard ones (idempotent); run by ``hummingbot_grvt.pth`` at start-up."""
    if not any(isinstance(finder, GrvtConnectorFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, GrvtConnectorFinder())
