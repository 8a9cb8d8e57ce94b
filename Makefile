# Entry points: `make demo`, `make test`, `make bench`. Everything installs from this repo.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
MELTANO_VENV := .venv-meltano
BENCH_VENV := .venv-bench
MELTANO := $(MELTANO_VENV)/bin/meltano
TAPS := tap-greenhouse $(wildcard tap-bullhorn tap-invenias)
PACKAGES := $(wildcard sandbox/pyproject.toml tap-*/pyproject.toml)

.PHONY: demo test lint typecheck pytest bench meltano-install clean

$(VENV)/.installed: requirements-dev.txt $(PACKAGES)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt $(foreach t,$(TAPS),-e ./$(t))
	touch $@

$(MELTANO_VENV)/.installed: requirements-meltano.txt
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/pip install --quiet --upgrade pip
	$(MELTANO_VENV)/bin/pip install --quiet -r requirements-meltano.txt
	touch $@

# dlt and its Postgres driver live apart from the taps: they are bench peers only.
$(BENCH_VENV)/.installed: requirements-bench.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r requirements-bench.txt
	touch $@

# Meltano installs each plugin into .meltano/ from meltano.yml and the lock files in plugins/.
.meltano/.installed: $(MELTANO_VENV)/.installed meltano.yml $(wildcard plugins/*/*.lock) $(PACKAGES)
	PATH="$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(MELTANO) install
	touch $@

meltano-install: .meltano/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy $(foreach t,$(TAPS),-p $(subst -,_,$(t))) -p sandbox

pytest: $(VENV)/.installed .meltano/.installed
	$(VENV)/bin/pytest $(PYTEST_ARGS) tests $(foreach t,$(TAPS),$(t)/tests)

test: lint typecheck pytest

demo: $(VENV)/.installed .meltano/.installed
	$(VENV)/bin/python scripts/demo.py

bench: $(VENV)/.installed .meltano/.installed $(BENCH_VENV)/.installed
	$(VENV)/bin/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(BENCH_VENV) .meltano output
