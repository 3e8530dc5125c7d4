"""Operator tooling for running Hummingbot with the GRVT connector: headless bots, progress, reports, fleets.

Modules:

- ``bot_root``: prepares a private Hummingbot root (its own ``conf/``, ``logs/``, ``data/``; this repository's code,
  scripts and controllers) and stores a connector's keys there, encrypted with a password.
- ``headless``: starts ``bin/hummingbot_grvt.py --headless`` in such a root as a subprocess, pointed at a sandbox or
  at GRVT, and stops it with SIGINT (the strategy cancels its orders) collecting the exit code and log paths.
- ``records``: reads a finished (or running) bot's own records: Hummingbot's sqlite in ``data/`` (fills, orders,
  funding payments, sampled mid prices).
- ``exchange_view``: what the exchange saw: the sandbox's admin view of an account, and fills, positions and open
  orders through GRVT's own API (works against GRVT's testnet and mainnet as well as the sandbox).
- ``sandbox_process``: runs the sandbox as a subprocess on an ephemeral port.

None of these imports Hummingbot at module level, so they can be used from any Python process; only the key
storage runs inside the root (in a subprocess) because Hummingbot derives every path from where its package lives.
"""
