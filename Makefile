# One command each: `make demo` and `make test` set themselves up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test check lint types unit bench screenshots mutants clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tokenvault demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy vault

unit: $(STAMP)
	$(BIN)/pytest -n 2 -p no:cacheprovider

test: lint types unit

check: test

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Not part of `test`: each named mutation runs its tests in a copy of the tree (minutes).
# `make mutants ARGS="--only NAME"` runs one; `ARGS=--list` lists them.
mutants: $(STAMP)
	$(BIN)/python tests/mutants/run.py -j 2 $(ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m vault.tui.screenshots screenshots

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis
