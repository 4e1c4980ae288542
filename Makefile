# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ./custodio-data

.PHONY: run test lint unit bench clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Debian: apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Initialise the data directory on first use (asks for the first administrator's
# password, or takes CUSTODIO_PASSWORD), then run the service on the embedded defaults.
run: $(BIN)/.installed
	test -f $(DATA)/custodio.toml || $(BIN)/custodio --data $(DATA) init
	$(BIN)/custodio --data $(DATA) serve

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(BIN)/.installed
	$(BIN)/pytest -q

test: lint unit

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/audit_append.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
