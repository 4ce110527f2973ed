#!/usr/bin/env bash
# Builds llama-cpp-python's wheel once per machine and version, with CPU flags named explicitly,
# and installs it into the venv. Why not pip's default build: it compiles llama.cpp with
# GGML_NATIVE (-march=native), which on CPUs with AMX (seen on a Xeon with amx_int8/amx_tile)
# turns on llama.cpp's AMX kernels, and every decode of more than one token then dies with
# SIGSEGV (llama-cpp-python 0.3.36 with SmolLM2's Q4_1). pip's wheel cache cannot tell two builds
# with different CMAKE_ARGS apart, so the wheel lives in a folder keyed by the flags. Known upstream:
# ggml-org/llama.cpp#20824 (segfault in ggml_backend_amx_mul_mat), stanfordnlp/dspy#10079.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
VERSION=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml | head -1)
[ -n "$VERSION" ] || { echo "rrag: pyproject.toml must pin llama-cpp-python==X.Y.Z" >&2; exit 1; }

flags="-DGGML_NATIVE=OFF"
if [ "$(uname -m)" = "x86_64" ]; then
    for isa in avx avx2 fma f16c; do
        grep -qw "$isa" /proc/cpuinfo && flags="$flags -DGGML_$(echo "$isa" | tr a-z A-Z)=ON"
    done
else
    flags=""  # no AMX elsewhere: the native build is the fast one
fi
key=$(printf '%s %s' "$VERSION" "$flags" | sha256sum | cut -c1-12)
stamp="$VENV/.llama-cpp-$key"
[ -e "$stamp" ] && exit 0

wheels="${XDG_CACHE_HOME:-$HOME/.cache}/rrag-build/llama-cpp-python-$key"
if ! ls "$wheels"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
    echo "rrag: building llama-cpp-python $VERSION (llama.cpp from source, several minutes; flags: ${flags:-native})" >&2
    mkdir -p "$wheels.tmp"
    CMAKE_ARGS="$flags" "$VENV/bin/pip" wheel -q --no-deps --no-cache-dir \
        "llama-cpp-python==$VERSION" -w "$wheels.tmp"
    rm -rf "$wheels" && mv "$wheels.tmp" "$wheels"
fi
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-"$VERSION"-*.whl
rm -f "$VENV"/.llama-cpp-*
touch "$stamp"
