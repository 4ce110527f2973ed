"""Front end: ``python -m rrag.vimhost`` — the host process of the Vim 9 front end.

Vim starts this package's interpreter with ``job_start(..., {'mode': 'nl'})`` (no +python3
needed) and both sides exchange one JSON object per line: Vim sends ``{"method", "params"}``,
the host answers with the same events the Neovim bridge sends (``token``, ``progress``,
``result``, ``error``, ``cancelled``), with the same views, shaped in ``rrag.bridge.views``.
The request handling, the single worker thread owning the engines, cancellation and the
coalesced re-index on save are the Neovim bridge's own (``rrag.bridge.core.Bridge``, which
imports no pynvim); only the transport differs.

Layout: ``channel`` (stdio framing, the read loop).
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> int:
    # Imported here: multiprocessing's spawn re-imports the main module (this package) in every
    # parse worker, and those need neither the bridge nor the engine.
    from .channel import serve

    return serve()
