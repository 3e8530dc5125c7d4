"""Operator tooling fixtures: a sandbox subprocess with its synthetic market and throwaway bot roots."""
from pathlib import Path
from typing import Iterator

import pytest

from grvt_tools.exchange_view import SandboxAdmin
from grvt_tools.sandbox_process import SandboxProcess


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[SandboxProcess]:
    with SandboxProcess(seed=7, log_file=tmp_path / "sandbox.log") as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_admin(sandbox_process: SandboxProcess) -> SandboxAdmin:
    return SandboxAdmin(sandbox_process.url, token=sandbox_process.admin_token)
