"""Benchmarks: our GRVT connector against the upstream one shipped with Hummingbot, on one local sandbox.

`make bench` (or `.venv/bin/python -m bench`) runs everything and writes bench/results/. See bench/README.md.
"""
