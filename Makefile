# Two entry points (see README): `make demo` runs the main job, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint wheel-check bench bench-dedup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/evisynth demo --out out/vitk2 --replace

lint: $(STAMP)
	$(BIN)/ruff check src tests bench validation
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# The wheel a user installs: built, checked for every packaged file, installed into a fresh
# virtualenv outside the source tree, `evisynth demo` run from there (.ci/wheel-check).
wheel-check: $(STAMP)
	.ci/wheel-check $(BIN)/python

bench: $(STAMP)
	$(BIN)/python bench/bench_pool.py

# bib-dedupe runs from its own venv (not a project dependency): see bench/bench_dedup.py
bench-dedup: $(STAMP)
	$(BIN)/python bench/bench_dedup.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
