# infercost: the two front-door commands are `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-installed
FULL_STAMP := $(VENV)/.full-installed
OUT ?= report

.PHONY: demo test lint bench fuzz mutate venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

$(FULL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,spark,bench,otel,mlflow,kubeflow,ray,serve]"
	touch $@ $(CORE_STAMP)

venv: $(CORE_STAMP)

## demo: install into .venv and run the bundled examples end to end, writing $(OUT)/
demo: $(CORE_STAMP)
	$(BIN)/infercost demo --out $(OUT)

## test: install everything the tests need (Spark local mode, CPU torch) and run them
test: $(FULL_STAMP)
	$(BIN)/python -m pytest -q --durations=10

## lint: ruff, and import-linter for the layers drawn in DESIGN.md
lint: $(CORE_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

## bench: the speed benchmarks, each printing ratios against a baseline from the same run
bench: $(FULL_STAMP)
	$(BIN)/python benchmarks/run_all.py

## fuzz: property tests at length (~3 min), then every parser fuzzed for FUZZ_MINUTES (default 10)
fuzz: $(FULL_STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/test_properties.py
	FUZZ_MINUTES=$${FUZZ_MINUTES:-10} $(BIN)/python tests/fuzz/run_fuzz.py

## mutate: mutation testing with mutmut (time box MUTATE_MINUTES, default 60; outside CI)
mutate: $(FULL_STAMP)
	$(BIN)/python -m pip install -q -e ".[mutate]"
	MUTATE_MINUTES=$${MUTATE_MINUTES:-60} $(BIN)/python scripts/mutate.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build src/*.egg-info
