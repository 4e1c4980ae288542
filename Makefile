# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ./custodio-data
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.7.0
LOCK := requirements.lock

.PHONY: run test prerequisites lint unit bench lock lock-upgrade clean

# Python packages come from the lock file (exact versions, SHA-256 of every file): a new
# machine installs what the tests ran with, not whatever is newest that day.
$(BIN)/.installed: pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON): sudo apt-get install -y python3.11 python3.11-venv"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==$(PIP_VERSION)
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# Initialise the data directory on first use (asks for the first administrator's
# password, or takes CUSTODIO_PASSWORD), then run the service on the embedded defaults.
run: $(BIN)/.installed
	test -f $(DATA)/custodio.toml || $(BIN)/custodio --data $(DATA) init
	$(BIN)/custodio --data $(DATA) serve

# Debian packages and services the tests use (installed and started when run as root;
# otherwise named, with the command to run).
prerequisites:
	bash scripts/test-prerequisites.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(BIN)/.installed
	$(BIN)/pytest -q

test: prerequisites lint unit

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/audit_append.py

# Refresh the lock: `lock` after changing pyproject.toml (keeps the other pins),
# `lock-upgrade` to move every package to its newest release. Then run `make test`.
LOCK_FLAGS := --generate-hashes --allow-unsafe --strip-extras --extra dev \
	--no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
	--index-url https://pypi.org/simple -o $(LOCK) pyproject.toml

lock: $(BIN)/.installed
	$(BIN)/python -m pip install -q pip-tools==$(PIP_TOOLS_VERSION)
	$(BIN)/pip-compile -q $(LOCK_FLAGS)

lock-upgrade: $(BIN)/.installed
	$(BIN)/python -m pip install -q pip-tools==$(PIP_TOOLS_VERSION)
	$(BIN)/pip-compile -q --upgrade $(LOCK_FLAGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
