"""Starting scenario children: one process per scenario run, ours from the repository, upstream from its root."""
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from bench import harness
from bench.upstream_root import REPO, child_environment
from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID


@dataclass(frozen=True)
class Side:
    name: str
    cwd: Path  # first on sys.path with `python -m`: decides which `hummingbot` the child imports
    env: Dict[str, str]


def make_side(name: str, root: Path, sandbox_url: str) -> Side:
    env = child_environment(root)
    env.update({
        harness.ENV_SIDE: name,
        harness.ENV_SANDBOX_URL: sandbox_url,
        harness.ENV_API_KEY: DEMO_API_KEY,
        harness.ENV_SUB_ACCOUNT_ID: DEMO_SUB_ACCOUNT_ID,
        harness.ENV_PRIVATE_KEY: DEMO_PRIVATE_KEY,
        "GRVT_PERPETUAL_TESTNET_BASE_URL": sandbox_url,  # ours; upstream ignores it (patched in its child)
    })
    env.pop("GRVT_PERPETUAL_BASE_URL", None)
    return Side(name, root, env)


async def run_child(side: Side, scenario: str, params: dict, log_path: Path, timeout: float) -> dict:
    """Runs `python -m bench.child`; its last JSON stdout line is the result, stderr goes to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.child", scenario, json.dumps(params),
            cwd=str(side.cwd), env=side.env, stdout=asyncio.subprocess.PIPE, stderr=log)
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(), timeout)
        except asyncio.TimeoutError:
            return {"error": f"timed out after {timeout:.0f} s (log: {os.path.relpath(log_path, REPO)})"}
        finally:
            if process.returncode is None:  # timed out or the bench was interrupted: never leave a child behind
                process.kill()
                await process.wait()
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {"error": f"child exited {process.returncode} without a result (log: {os.path.relpath(log_path, REPO)})"}
