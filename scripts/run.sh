#!/usr/bin/env bash
# `make run`: index the example project and open it in Neovim with the plugin loaded from this
# checkout and its engine running from this checkout's virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXAMPLE=${RRAG_EXAMPLE:-examples/bevy_game}
FILE=${RRAG_EXAMPLE_FILE:-src/game_loop.rs}
NVIM=$(./scripts/find-nvim.sh)

echo "rrag: indexing $EXAMPLE (first run also unpacks the default models)..." >&2
.venv/bin/rrag index --root "$EXAMPLE"
.venv/bin/rrag stats --root "$EXAMPLE" | head -8

cd "$EXAMPLE"
[ -f "$FILE" ] || FILE=src/main.rs
exec "$NVIM" --cmd "set rtp^=$ROOT" \
    --cmd "let g:rrag_python = '$ROOT/.venv/bin/python'" \
    "$FILE"
