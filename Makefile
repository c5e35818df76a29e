# The two entry points: `make demo` (the main job) and `make test` (the test suite).
# Each creates .venv with the Python found as `python3` (3.11 or newer) if it is missing,
# and installs the project with what that target needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKED := src tests benchmarks examples tools docs conftest.py

.PHONY: demo test docs lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "upweight needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	# PyTorch's CPU build first, from this machine's package index, so that nothing pulls
	# a multi-GB CUDA build; the [test] extra's torch>=2.1 is then already satisfied
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@ $(VENV)/.installed-core

## demo: the main job: sweep factors and corrections on generated data, write the report
demo: $(VENV)/.installed-core
	$(BIN)/upweight demo

## test: lint, type-check and run the test suite
# On every core (pytest-xdist): tests one by one, except those marked xdist_group (a Spark
# session, a module's large inputs), which stay together in one worker. `python -m pytest`
# alone runs in one process, as it always did: for one test, pdb, or without pytest-xdist.
test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy
	$(BIN)/python tools/check_architecture.py

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[docs]"
	@touch $@

## docs: build the documentation site into docs/_build/html (warnings are errors; offline)
docs: $(VENV)/.installed-docs
	rm -rf docs/_build/html docs/api/generated docs/auto_examples docs/sg_execution_times.rst
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	$(BIN)/python tools/check_offline.py docs/_build/html

## bench: the benchmark scripts (minutes; not part of the tests)
bench: $(VENV)/.installed-test
	# bytecode for the sources, as a regular (non-editable) install has it: startup is timed
	$(BIN)/python -m compileall -q src > /dev/null
	$(BIN)/python benchmarks/fit_time.py
	$(BIN)/python benchmarks/in_memory.py
	$(BIN)/python benchmarks/boosted_trees.py
	$(BIN)/python benchmarks/large_file.py
	$(BIN)/python benchmarks/wide_csv.py
	$(BIN)/python benchmarks/sweep_large.py
	$(BIN)/python benchmarks/real_shaped.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache docs/_build docs/_generated docs/api/generated docs/auto_examples
