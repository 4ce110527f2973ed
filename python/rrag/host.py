"""Front end: ``python -m rrag.host`` — the RPC job Neovim starts from the plugin's virtualenv.

The default transport: ``require('rrag.rpc')`` runs ``jobstart({python, '-m', 'rrag.host'},
{rpc = true})``, so neither :UpdateRemotePlugins nor ``g:python3_host_prog`` is needed, and
llama.cpp never shares the editor's common Python host with other plugins. The handlers are the
same ``rrag.bridge`` ones the remote plugin exports.
"""

from __future__ import annotations

import sys


def main() -> int:
    # Imported here, not at module level: multiprocessing's spawn re-imports the main module in
    # every parse worker, and those must not load pynvim (or attach to anything).
    from .bridge import serve_stdio

    return serve_stdio()


if __name__ == "__main__":
    sys.exit(main())
