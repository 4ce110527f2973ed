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


rrag_setup = _export("rrag_setup")
rrag_ask = _export("rrag_ask")
rrag_explain = _export("rrag_explain")
rrag_refactor = _export("rrag_refactor")
rrag_context = _export("rrag_context")
rrag_search = _export("rrag_search")
rrag_index = _export("rrag_index")
rrag_reindex = _export("rrag_reindex")
rrag_status = _export("rrag_status")
rrag_cancel = _export("rrag_cancel")
rrag_doctor = _export("rrag_doctor", sync=True)
rrag_upgrade = _export("rrag_upgrade")
