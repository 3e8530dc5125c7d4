"""`make demo` runs perpetual_market_making on the sandbox and leaves nothing resting when it stops."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_trades_on_the_sandbox_and_stops_clean():
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRVT_PERPETUAL")}
    result = subprocess.run([sys.executable, str(REPO / "bin" / "demo.py"), "--duration", "20"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Created LIMIT BUY order" in output
    assert "Created LIMIT SELL order" in output
    assert "orders left resting: 0" in output
    assert "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0" not in output  # noqa: mock
