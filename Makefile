# Two commands set up a fresh machine (see README):
#   make run    installs what running needs (.venv, node_modules) and runs the connector locally on Azurite +
#               the sandbox emulators; no Python 3.13 and no checkov venv (those are make test's)
#   make test   installs everything and runs the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.13 for the worker-parity test (azure-functions-runtime needs >= 3.13).
# (pyenv's python3.13 shim refuses to run unless 3.13 is selected, so look in pyenv's versions first.)
PY313 ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13 2>/dev/null | tail -n 1 || true)
ifeq ($(strip $(PY313)),)
PY313 := $(shell command -v python3.13 2>/dev/null)
endif

.PHONY: setup run-setup run emulators test test-fast lint format bench chaos clean

# What running needs; tests/unit/test_make_run.py checks that it stays this small.
run-setup: $(VENV)/.installed node_modules/.installed

setup: run-setup .venv313/.installed .venv-iac/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.venv313/.installed: requirements.txt
	@test -n "$(PY313)" || { echo "Python 3.13 not found (pyenv install 3.13, or set PY313=...): needed for the worker-parity test" >&2; exit 1; }
	test -x .venv313/bin/python || $(PY313) -m venv .venv313
	.venv313/bin/python -m pip install --quiet --upgrade pip
	.venv313/bin/python -m pip install --quiet -r requirements.txt azure-functions-runtime==1.3.0
	touch $@

# checkov pins libraries that conflict with the app's, so it gets its own venv (tests/infra/test_checkov.py).
.venv-iac/.installed: requirements-iac.txt
	test -x .venv-iac/bin/python || $(PYTHON) -m venv .venv-iac
	.venv-iac/bin/python -m pip install --quiet --upgrade pip
	.venv-iac/bin/python -m pip install --quiet -r requirements-iac.txt
	touch $@

run: run-setup
	$(PY) -m sandbox

# Azurite and the emulators on fixed ports for `func start` (README, "With Azure Functions Core Tools").
emulators: run-setup
	$(PY) -m sandbox --emulators-only

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest tests/unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: run-setup
	$(PY) -m bench

chaos: run-setup
	$(PY) -m sandbox.chaos --orders 1000

clean:
	rm -rf .sandbox .pytest_cache .mypy_cache .ruff_cache
