#!/usr/bin/env bash
# The reference environment for embedding tests and benchmarks: sentence-transformers on a CPU
# build of torch, kept apart from the product's .venv so torch can never become a runtime
# dependency of rrag. Idempotent: a stamp records a finished set-up; re-running with everything
# in place only checks the stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
REF_VENV=${REF_VENV:-.venv-ref}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0+cpu}
# sentence-transformers 5.x and 6.x accept torch 2.13; transformers comes with it.
ST_SPEC=${ST_SPEC:-sentence-transformers>=5.0,<7}
STAMP="$REF_VENV/.rrag-ref-done"
WANT="$TORCH_SPEC $ST_SPEC numpy>=1.26,<3"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$REF_VENV/bin/python" ]; then
    exit 0
fi

if [ ! -x "$REF_VENV/bin/python" ]; then
    "$PYTHON" -m venv "$REF_VENV"
fi
PIP="$REF_VENV/bin/pip"
# The CPU wheel of torch lies in PIP_FIND_LINKS (/opt/wheels on these machines); the '+cpu'
# local version matches only that file, so pip can never fall back to a multi-GB CUDA build.
export PIP_FIND_LINKS=${PIP_FIND_LINKS:-/opt/wheels}
CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
echo "$TORCH_SPEC" >"$CONSTRAINTS"
"$PIP" install -q "$TORCH_SPEC" || {
    echo "rrag: cannot install $TORCH_SPEC into $REF_VENV (is the CPU wheel in PIP_FIND_LINKS=$PIP_FIND_LINKS?)" >&2
    exit 1
}
# The constraint pins torch so no dependency of sentence-transformers may swap it for CUDA.
"$PIP" install -q -c "$CONSTRAINTS" "$ST_SPEC" "numpy>=1.26,<3"
"$REF_VENV/bin/python" -c "import torch, sentence_transformers; assert not torch.version.cuda, torch.version.cuda" || {
    echo "rrag: the reference environment $REF_VENV is broken; remove it and re-run $0" >&2
    exit 1
}
echo "$WANT" >"$STAMP"
