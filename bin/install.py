#!/usr/bin/env python3
"""Idempotent setup: virtual environment, pinned Hummingbot build and the connector overlay.

Hummingbot finds connectors, ``conf/`` and ``scripts/`` relative to the folder that holds its
``hummingbot`` package. We therefore install Hummingbot's build out of the import path
(``.venv/hummingbot-dist``) and make ``./hummingbot`` a thin overlay of it: real folders down to
``connector/derivative/``, links to everything else, and this repository's ``grvt_perpetual``
in place of the copy Hummingbot ships. Edits in the working tree are live without reinstalling.

Run it with Python 3.11 (what CI tests); a second run with nothing changed takes a few seconds.
"""
import argparse
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any, List, Sequence, Union

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
HUMMINGBOT_VERSION = "20260922"
HUMMINGBOT_DIST = VENV / "hummingbot-dist"
OVERLAY_ROOT = REPO / "hummingbot"
OWNED_PATH = ("connector", "derivative", "grvt_perpetual")
STAMP = VENV / ".install-stamp"
STAMP_INPUTS = (
    "requirements/hummingbot.txt",
    "requirements/project.txt",
    "requirements/test.txt",
    "setup.py",
    "bin/install.py",
)
RUNTIME_DIRS = ("conf", "conf/connectors", "conf/strategies", "conf/scripts", "conf/controllers",
                "logs", "data", "scripts", "controllers")


def log(message: str) -> None:
    print(f"[install] {message}", flush=True)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def site_packages() -> Path:
    out = subprocess.check_output(
        [str(venv_python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True)
    return Path(out.strip())


def inputs_digest() -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]}|{HUMMINGBOT_VERSION}".encode())
    for relative in STAMP_INPUTS:
        path = REPO / relative
        digest.update(relative.encode())
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run(command: Sequence[Union[str, Path]], **kwargs: Any) -> None:
    log("$ " + " ".join(str(part) for part in command))
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def ensure_python_version() -> None:
    if sys.version_info < (3, 11):
        raise SystemExit(f"Python >= 3.11 is required (the book path uses asyncio.Task.uncancel); "
                         f"this is {sys.version.split()[0]}")


def venv_python_version() -> str:
    """major.minor of the existing virtual environment's interpreter, "" when there is none."""
    config = VENV / "pyvenv.cfg"
    if not venv_python().exists() or not config.exists():
        return ""
    for line in config.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return ".".join(value.strip().split(".")[:2])
    return ""


def ensure_venv() -> None:
    wanted = f"{sys.version_info[0]}.{sys.version_info[1]}"
    existing = venv_python_version()
    if existing == wanted:
        return
    if existing:
        log(f"recreating {VENV.relative_to(REPO)}: it has Python {existing}, this install runs Python {wanted}")
        shutil.rmtree(VENV)
    log(f"creating virtual environment in {VENV.relative_to(REPO)}")
    venv.EnvBuilder(with_pip=True, clear=False).create(VENV)


def install_requirements() -> None:
    pip: List[Union[str, Path]] = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # The resolver of the pip that venv bundles gives up on Hummingbot's web3/websockets constraints.
    run(pip + ["--upgrade", "pip>=25", "setuptools", "wheel"])
    run(pip + ["-r", REPO / "requirements/hummingbot.txt",
               "-r", REPO / "requirements/project.txt",
               "-r", REPO / "requirements/test.txt"])


def installed_hummingbot_version() -> str:
    version_file = HUMMINGBOT_DIST / "hummingbot" / "VERSION"
    marker = HUMMINGBOT_DIST / ".hummingbot-version"
    if version_file.exists() and marker.exists():
        return marker.read_text().strip()
    return ""


def install_hummingbot() -> None:
    if installed_hummingbot_version() == HUMMINGBOT_VERSION:
        return
    log(f"building Hummingbot {HUMMINGBOT_VERSION} from its sdist (first time ~4-5 min; pip caches the wheel)")
    if HUMMINGBOT_DIST.exists():
        shutil.rmtree(HUMMINGBOT_DIST)
    run([venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
         "--target", HUMMINGBOT_DIST, f"hummingbot=={HUMMINGBOT_VERSION}"])
    (HUMMINGBOT_DIST / ".hummingbot-version").write_text(HUMMINGBOT_VERSION + "\n")


def _place_link(link: Path, target: Path) -> None:
    if link.is_symlink():
        if Path(os.readlink(link)) == target:
            return
        link.unlink()
    elif link.exists():
        if link.is_dir():
            shutil.rmtree(link)
        else:
            link.unlink()
    link.symlink_to(target)


def _place_copy(destination: Path, source: Path) -> None:
    if destination.is_symlink():
        destination.unlink()
    if destination.exists() and filecmp.cmp(destination, source, shallow=False):
        return
    shutil.copyfile(source, destination)


def overlay_package(source: Path, destination: Path, owned: Sequence[str]) -> None:
    """Mirror ``source`` into ``destination`` with links, descending only along ``owned``.

    ``__init__.py`` files of the folders we create are copied, not linked: Hummingbot's
    ``root_path()`` resolves symlinks, and a linked top-level ``__init__.py`` would send it back
    into the build folder instead of this repository.
    """
    destination.mkdir(parents=True, exist_ok=True)
    expected = set()
    for entry in source.iterdir():
        name = entry.name
        if name == "__pycache__":
            continue
        expected.add(name)
        target = destination / name
        if owned and name == owned[0]:
            if len(owned) > 1:
                overlay_package(entry, target, owned[1:])
            continue
        if name == "__init__.py":
            _place_copy(target, entry)
        else:
            _place_link(target, entry)
    for stale in destination.iterdir():
        if stale.is_symlink() and (stale.name not in expected or not stale.exists()):
            stale.unlink()


def write_path_file() -> None:
    """Puts the repository on the venv's import path, so `hummingbot` resolves to the overlay."""
    (site_packages() / "hummingbot_grvt_repository.pth").write_text(str(REPO) + "\n")


def ensure_runtime_dirs() -> None:
    for relative in RUNTIME_DIRS:
        (REPO / relative).mkdir(parents=True, exist_ok=True)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="reinstall requirements even if nothing changed")
    args = parser.parse_args(argv)

    started = time.monotonic()
    ensure_python_version()
    ensure_venv()
    digest = inputs_digest()
    up_to_date = (not args.force and STAMP.exists() and STAMP.read_text().strip() == digest
                  and installed_hummingbot_version() == HUMMINGBOT_VERSION)
    if not up_to_date:
        if STAMP.exists():
            STAMP.unlink()
        install_requirements()
        install_hummingbot()
    overlay_package(HUMMINGBOT_DIST / "hummingbot", OVERLAY_ROOT, OWNED_PATH)
    write_path_file()
    ensure_runtime_dirs()
    if not up_to_date:
        STAMP.write_text(digest + "\n")
    log(f"{'up to date' if up_to_date else 'installed'} in {time.monotonic() - started:.1f} s "
        f"(python {VENV / 'bin' / 'python'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
