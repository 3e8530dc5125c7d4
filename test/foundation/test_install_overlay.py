"""bin/install.py: the overlay mirrors Hummingbot's build, keeps our connector, and is idempotent."""
from pathlib import Path


def _fake_build(root: Path) -> Path:
    package = root / "hummingbot"
    (package / "connector" / "derivative" / "grvt_perpetual").mkdir(parents=True)
    (package / "connector" / "derivative" / "binance_perpetual").mkdir(parents=True)
    (package / "core").mkdir()
    (package / "__init__.py").write_text("# hummingbot\n")
    (package / "connector" / "__init__.py").write_text("")
    (package / "connector" / "derivative" / "__init__.py").write_text("")
    (package / "connector" / "derivative" / "grvt_perpetual" / "upstream.py").write_text("")
    (package / "VERSION").write_text("20260922\n")
    return package


def test_overlay_links_everything_but_the_owned_connector(tmp_path, install_module):
    build = _fake_build(tmp_path / "dist")
    overlay = tmp_path / "repo" / "hummingbot"
    ours = overlay / "connector" / "derivative" / "grvt_perpetual"
    ours.mkdir(parents=True)
    (ours / "ours.py").write_text("")

    install_module.overlay_package(build, overlay, install_module.OWNED_PATH)

    assert (overlay / "__init__.py").is_file() and not (overlay / "__init__.py").is_symlink()
    assert (overlay / "core").is_symlink() and (overlay / "core").resolve() == (build / "core").resolve()
    assert (overlay / "connector" / "derivative" / "binance_perpetual").is_symlink()
    assert not ours.is_symlink() and (ours / "ours.py").exists() and not (ours / "upstream.py").exists()


def test_overlay_is_idempotent_and_drops_stale_links(tmp_path, install_module):
    build = _fake_build(tmp_path / "dist")
    overlay = tmp_path / "repo" / "hummingbot"
    install_module.overlay_package(build, overlay, install_module.OWNED_PATH)
    install_module.overlay_package(build, overlay, install_module.OWNED_PATH)
    (build / "core").rename(build / "core_renamed")

    install_module.overlay_package(build, overlay, install_module.OWNED_PATH)

    assert not (overlay / "core").exists() and not (overlay / "core").is_symlink()
    assert (overlay / "core_renamed").is_symlink()


def test_venv_python_version_reads_pyvenv_cfg(tmp_path, install_module, monkeypatch):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    monkeypatch.setattr(install_module, "VENV", venv)
    assert install_module.venv_python_version() == ""
    (venv / "bin" / "python").write_text("")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    assert install_module.venv_python_version() == "3.12"
