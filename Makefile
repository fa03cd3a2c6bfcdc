# Every target installs what it needs into .venv first, so each works from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The project's modules, compiled as pip compiles an installed package's: an editable install
# is not, and where PYTHONDONTWRITEBYTECODE is set (many containers) every command would
# compile them again at start-up. `bench` compiles what changed since.
COMPILE = $(BIN)/python -m compileall -q esfbank crawler load parsers

.PHONY: setup test lint bench demo clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,serve]'
	$(COMPILE)
	touch $@

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python -m bench $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/esfbank demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
