# Two commands do everything on a fresh machine (see README.md):
#   make demo   install, then run the demo on the local GRVT sandbox
#   make test   install, then lint and run the whole test suite
PYTHON ?= python3
VENV_PYTHON := .venv/bin/python
LINT_PATHS := hummingbot/connector/derivative/grvt_perpetual grvt_sandbox grvt_tools hummingbot_grvt test bench bin scripts \
	controllers setup.py
CONNECTOR_PACKAGE := hummingbot/connector/derivative/grvt_perpetual
TYPED_PACKAGES := $(CONNECTOR_PACKAGE) controllers grvt_sandbox grvt_tools bench hummingbot_grvt

.PHONY: install lint unit-test test demo report fleet sandbox bench clean

install:
	$(PYTHON) bin/install.py

# mypy checks bin/ apart (its hummingbot_grvt.py would pass for the package of that name) and scripts/ as a package
lint: install
	$(VENV_PYTHON) -m flake8 $(LINT_PATHS)
	$(VENV_PYTHON) -m isort --check-only --diff $(LINT_PATHS)
	$(VENV_PYTHON) -m mypy $(TYPED_PACKAGES)
	$(VENV_PYTHON) -m mypy bin
	$(VENV_PYTHON) -m mypy --explicit-package-bases scripts

# coverage runs pytest (not pytest-cov: it makes numpy import twice under Hummingbot's overlay)
unit-test: install
	$(VENV_PYTHON) -m coverage run --source=$(CONNECTOR_PACKAGE) -m pytest -m "not soak" -p no:cacheprovider -q
	$(VENV_PYTHON) -m coverage report --fail-under=90

test: lint unit-test

demo: install
	$(VENV_PYTHON) bin/demo.py

# The report of a finished run: RUN=<Hummingbot root, its data/ folder or a .sqlite> (default: the demo's root)
RUN ?= .demo
report: install
	$(VENV_PYTHON) bin/report.py $(RUN)

# Three bots, one per pair and sub-account, on a local sandbox (bin/fleet.py; Ctrl-C stops them all)
fleet: install
	$(VENV_PYTHON) bin/fleet.py docker/fleet.example.yml --sandbox --folder .fleet

sandbox: install
	$(VENV_PYTHON) -m grvt_sandbox

bench: install
	$(VENV_PYTHON) -m bench

clean:
	rm -rf .venv
	git clean -fdXq hummingbot
