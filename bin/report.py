#!/usr/bin/env python3
"""Builds a run report (trades CSV, JSON summary, PNG chart) from any Hummingbot bot's own trade records.

    bin/report.py .demo                      # the newest run database in a Hummingbot root
    bin/report.py path/to/data/bot.sqlite --out report/

See grvt_tools/report.py for every option.
"""
import sys

from grvt_tools.report import main

if __name__ == "__main__":
    sys.exit(main())
