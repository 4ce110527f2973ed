#!/usr/bin/env bash
# The benchmark-only environment holding aider's repo map (PyPI aider-chat), the baseline that
# bench/context_quality.py compares rrag's context against. Kept apart from the product's .venv
# and never used by `make test`: aider pins many packages of its own. Idempotent (a stamp records
# a finished set-up).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
AIDER_VENV=${AIDER_VENV:-.venv-aider}
AIDER_SPEC=${AIDER_SPEC:-aider-chat==0.86.2}
STAMP="$AIDER_VENV/.rrag-aider-done"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$AIDER_SPEC" ] && [ -x "$AIDER_VENV/bin/python" ]; then
    exit 0
fi
if [ ! -x "$AIDER_VENV/bin/python" ]; then
    "$PYTHON" -m venv "$AIDER_VENV"
fi
"$AIDER_VENV/bin/pip" install --quiet --upgrade pip
"$AIDER_VENV/bin/pip" install --quiet "$AIDER_SPEC"
"$AIDER_VENV/bin/python" -c "from aider.repomap import RepoMap; print('aider repo map ok')"
echo "$AIDER_SPEC" >"$STAMP"
