# Two commands on a fresh machine:  `make run` (the default study)  and  `make test`.
VENV ?= .venv
CORES ?= 2
BIN := $(VENV)/bin

.PHONY: setup run test lint clean

# The venv is (re)built when missing or when the dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || python3.11 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/snakemake --cores $(CORES)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake
