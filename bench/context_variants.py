"""The variants bench/context_quality.py tries when tuning (--variants, --pack-variants), always on
the tune split: ranking weights (ContextConfig fields) and packing constants (``module.NAME`` of
``rrag.rank``), one change at a time around the defaults."""

from __future__ import annotations

import dataclasses
from typing import Any

# Weight variants tried when tuning (--variants), each changing one default of config.py.
VARIANTS = {
    "default": {},
    "usage_low": {"w_usage": 0.2},
    "usage_high": {"w_usage": 2.0},
    "no_graph": {"w_graph": 0.0},
    "graph_heavy": {"w_graph": 2.0},
    "no_link": {"w_link": 0.0},
    "link_light": {"w_link": 0.5},
    "lexical_heavy": {"w_lexical": 1.5},
    "lexical_off": {"w_lexical": 0.0},
    "docs_heavy": {"w_docs": 0.5},
    "usage_1.5": {"w_usage": 1.5},
    "usage_3": {"w_usage": 3.0},
    "usage_2_graph_2": {"w_usage": 2.0, "w_graph": 2.0},
    "usage_2_link_1.5": {"w_usage": 2.0, "w_link": 1.5},
}


def packing_variants() -> dict[str, dict]:
    """Packing shares and limits tried on the tune split (issue 19), one change at a time."""
    from rrag.rank import packing
    ask = packing.SHARES["ask"]

    def shares(**kw):
        return {"packing.SHARES": packing.SHARES | {"ask": dataclasses.replace(ask, **kw)}}

    return {"default": {},
            "cursor_0.2": shares(cursor=0.2), "cursor_0.45": shares(cursor=0.45),
            "file_0.05": shares(own_file=0.05), "file_0.25": shares(own_file=0.25),
            "graph_0.6": shares(graph=0.6), "graph_0.9": shares(graph=0.9),
            "search_0.15": shares(search=0.15), "search_0.5": shares(search=0.5),
            "search_0.05": shares(search=0.05),
            "full_40": shares(full_max=40), "full_140": shares(full_max=140),
            "item_cap_0.1": {"packing.ITEM_CAP": 0.1},
            "members_2": {"render.MEMBER_CAP": 2}, "members_3": {"render.MEMBER_CAP": 3},
            "members_6": {"render.MEMBER_CAP": 6},
            "top_docs_0": {"packing.TOP_DOCS": 0}, "top_docs_6": {"packing.TOP_DOCS": 6}}


def apply_variant(engine: Any, base_cfg: Any, overrides: dict) -> None:
    """``w_*`` keys replace ContextConfig fields; ``module.NAME`` keys set a constant of an
    ``rrag.rank`` module (the packing shares) until the next variant resets it."""
    plain = {k: v for k, v in overrides.items() if "." not in k}
    engine.assistant.config = dataclasses.replace(
        base_cfg, context=dataclasses.replace(base_cfg.context, **plain))
    for key, value in overrides.items():
        if "." in key:
            module, name = key.rsplit(".", 1)
            mod = __import__(f"rrag.rank.{module}", fromlist=[name])
            ORIGINAL.setdefault(key, getattr(mod, name))
            setattr(mod, name, value)


ORIGINAL: dict[str, object] = {}


def reset_variants() -> None:
    for key, value in ORIGINAL.items():
        module, name = key.rsplit(".", 1)
        setattr(__import__(f"rrag.rank.{module}", fromlist=[name]), name, value)
