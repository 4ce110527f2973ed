# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rrag-setup-done

.PHONY: run test test-fast setup ref bench clean lint

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh scripts/build-llama.sh scripts/setup-system.sh scripts/model-packages.txt scripts/debian-packages.txt
	PYTHON=$(PYTHON) VENV=$(VENV) ./scripts/setup.sh
	touch $@

## make test: set everything up on a fresh machine, check the code, and run the whole suite.
test: setup ref lint
	$(PY) -m pytest -q --durations=15 tests

## make test-fast: for contributors between commits: no model, no editor, nothing marked slow.
## `make test` is still what a change must pass.
test-fast: setup
	$(PY) -m pytest -q -m "not slow" tests/py --ignore=tests/py/test_llm_worker.py \
		--ignore=tests/py/test_llm_openai.py --ignore=tests/py/test_loop_guard.py

## make lint: ruff (errors, unused names, long lines), mypy on the typed seams, the editor
## tables generated from python/rrag/protocol.py and config.py, and the Lua: luacheck and StyLua
## (`node scripts/lua-style.mjs --write` formats it).
lint: setup
	$(VENV)/bin/ruff check python tests bench scripts rplugin
	$(VENV)/bin/mypy
	$(PY) scripts/gen-editor-tables.py --check
	luacheck --quiet --no-color lua plugin
	node scripts/lua-style.mjs --check

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
