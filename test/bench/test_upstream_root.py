import os
import subprocess
import sys

import pytest

from bench.upstream_root import HUMMINGBOT_DIST, REPO, build_upstream_root, child_environment, connector_folder


def _fake_dist(tmp_path):
    dist = tmp_path / "dist" / "hummingbot"
    connector = dist / "connector" / "derivative" / "grvt_perpetual"
    connector.mkdir(parents=True)
    (dist / "__init__.py").write_text("# upstream package\n")
    (connector / "grvt_perpetual_constants.py").write_text("UPSTREAM = True\n")
    return dist


def test_root_links_every_upstream_folder_and_copies_the_top_level_init(tmp_path):
    dist = _fake_dist(tmp_path)
    root = build_upstream_root(tmp_path / "root", dist=dist)
    package = root / "hummingbot"
    assert (package / "connector").is_symlink()
    assert not (package / "__init__.py").is_symlink()
    assert connector_folder(root) == (dist / "connector" / "derivative" / "grvt_perpetual").resolve()
    assert (root / "conf" / "connectors").is_dir() and (root / "logs").is_dir()


def test_missing_upstream_build_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make install"):
        build_upstream_root(tmp_path / "root", dist=tmp_path / "nowhere")


def test_child_environment_puts_the_root_before_the_repository(tmp_path):
    env = child_environment(tmp_path, base={"PATH": "/bin"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), str(REPO)]
    assert env["PATH"] == "/bin"


@pytest.mark.skipif(not HUMMINGBOT_DIST.is_dir(), reason="needs `make install`")
def test_a_child_started_in_the_root_imports_the_upstream_connector(tmp_path):
    root = build_upstream_root(tmp_path / "root")
    code = ("import hummingbot.connector.derivative.grvt_perpetual as package, os; "
            "print(os.path.realpath(package.__path__[0]))")
    output = subprocess.run([sys.executable, "-c", code], cwd=root, env=child_environment(root),
                            capture_output=True, text=True, check=True).stdout.strip()
    assert output == str((HUMMINGBOT_DIST / "connector" / "derivative" / "grvt_perpetual").resolve())
    assert not output.startswith(str(REPO / "hummingbot"))
