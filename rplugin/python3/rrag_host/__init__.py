"""rrag's classic remote-plugin adapter (transport = 'rplugin'): no logic lives here.

One manifest entry, ``_rrag_init``, so :UpdateRemotePlugins is needed once and never again when
methods are added; every other handler is ``rpc_export``ed (not in the manifest) and delegates
to ``rrag.bridge``. The default transport (``python -m rrag.host``) serves the same handlers.
"""

import sys
from pathlib import Path

try:
    import rrag  # noqa: F401 - installed into this interpreter
except ImportError:  # running from the plugin's checkout: use its python/ folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

import pynvim


def _bridge(nvim):
    from rrag.bridge import shared_bridge

    return shared_bridge(nvim, "rplugin")


@pynvim.function("_rrag_init", sync=True)
def rrag_init(nvim, args):
    _bridge(nvim)
    nvim.vars["rrag_channel"] = nvim.channel_id
    return nvim.channel_id


def _export(method, sync=False):
    def handler(nvim, *args):
        return _bridge(nvim).handle(method, list(args))

    handler.__name__ = method
    return pynvim.rpc_export(method, sync=sync)(handler)


# Every method of the protocol (python/rrag/protocol.py), under its RPC name, so this list can
# never lag behind the Lua table generated from the same registry.
from rrag import protocol  # noqa: E402

for _method in protocol.METHODS:
    globals()[_method.rpc_name] = _export(_method.rpc_name, sync=_method.sync)
