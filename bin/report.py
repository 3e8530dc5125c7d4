#!/usr/bin/env python3
"""Builds a run report (trades CSV, JSON summary, PNG chart) from any Hummingbot bot's own trade records.

    bin/report.py .demo                      # the newest run database in a Hummingbot root
    bin/report.py path/to/data/bot.sqlite --out report/

See grvt_tools/report.py for every option.
"""
import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("grvt_tools") is None:  # e.g. in the Docker image: nothing installs this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grvt_tools.report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
