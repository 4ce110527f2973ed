"""Front end: the bridge between Neovim and the engine — the only code that imports pynvim.

Two transports serve the same ``Bridge.handle(method, args)``:

* ``python -m rrag.host`` (the default): Lua starts this package's own interpreter with
  ``jobstart(..., {rpc = true})`` and ``serve_stdio`` answers on stdin/stdout;
* the classic remote plugin ``rplugin/python3/rrag_host``, whose ``rpc_export`` handlers call
  ``shared_bridge(nvim)``.

Layout: ``core`` (handlers), ``worker`` (the one thread owning the engines), ``jobs`` (what each
request does there), ``events`` (batched, thread-safe delivery to Lua), ``doctor``
(:checkhealth data).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .core import METHODS, Bridge

__all__ = ["METHODS", "Bridge", "serve_stdio", "shared_bridge"]

_shared: Bridge | None = None


def shared_bridge(nvim: Any, transport: str = "rplugin") -> Bridge:
    """The bridge of this process, created on first use (never at import: the module is also
    imported while :UpdateRemotePlugins builds the manifest, pynvim#70)."""
    global _shared
    if _shared is None:
        _shared = Bridge(nvim, transport)
    return _shared


def serve_stdio() -> int:
    import pynvim

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="rrag: %(message)s")
    nvim = pynvim.attach("stdio")  # also points fd 1 at stderr, so children cannot corrupt RPC
    bridge = shared_bridge(nvim, "job")

    def on_request(name: str, args: list[Any]) -> Any:
        return bridge.handle(name, args)

    def on_notification(name: str, args: list[Any]) -> None:
        bridge.handle(name, args)

    nvim.run_loop(on_request, on_notification)
    bridge.worker.stop()
    return 0
