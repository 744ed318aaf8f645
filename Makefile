# The two quick-start commands: `make train` and `make test`. Each creates .venv and installs
# kerascli into it on first use, so they work on a fresh machine with only Python 3.10+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kerascli-installed
CONFIG ?= configs/mnist_cnn.yaml

.PHONY: install train test test-all bench schema docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

train: $(STAMP)
	$(BIN)/kerascli train $(CONFIG)

# The suite runs in 3 processes (pytest-xdist), a test file each at a time: most tests wait on
# TensorFlow subprocesses, servers and workers, so 3 keep 2 cores busy.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 3 --dist loadfile

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 3 --dist loadfile -m "slow or not slow"

# The JSON Schemas editors read (schema/kerascli.schema.json; .partial for files composed with
# others): regenerate them after changing the config's fields or upgrading Keras; a test checks
# that they are up to date.
schema: $(STAMP)
	$(BIN)/kerascli schema --out schema/kerascli.schema.json
	$(BIN)/kerascli schema --partial --out schema/kerascli.partial.schema.json

# The docs' reference pages (docs/reference/: every config key, every command and option),
# generated from the code: regenerate them after changing the config or a command; a test checks
# that they are up to date. `$(BIN)/python -m mkdocs serve` previews the site.
docs: $(STAMP)
	$(BIN)/python docs/gen_reference.py
	$(BIN)/python -m mkdocs build --strict --site-dir .site

bench: $(STAMP)
	$(BIN)/python benchmarks/train_step.py

clean:
	rm -rf $(VENV) .pytest_cache .site
