# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rrag-setup-done

.PHONY: run test setup ref bench clean lint

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh scripts/build-llama.sh scripts/setup-system.sh scripts/model-packages.txt scripts/debian-packages.txt
	PYTHON=$(PYTHON) VENV=$(VENV) ./scripts/setup.sh
	touch $@

## make test: set everything up on a fresh machine and run the whole suite.
test: setup ref
	$(PY) -m pytest -q tests

# The reference environment (torch + sentence-transformers) that the embedding tests compare
# against; kept out of .venv so torch never becomes a runtime dependency.
ref:
	PYTHON=$(PYTHON) ./scripts/setup-ref-env.sh

## make run: set up, index the example project and open it in Neovim with the plugin.
run: setup
	./scripts/run.sh

bench: setup
	./scripts/bench.sh

clean:
	rm -rf $(VENV) .venv-ref build *.egg-info python/*.egg-info .pytest_cache
