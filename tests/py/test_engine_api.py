"""The seam between the editors' bridge and the engine (rrag.service.api.EngineAPI): the real
``Engine`` has every member with exactly the protocol's parameters, and the UI tests' double has
every member and accepts every parameter the protocol names, so the bridge needs no ``getattr``
hedging for a method one of them lacks."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from rrag.service.api import EngineAPI
from rrag.service.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nvim"))
from fake_engine import FakeEngine  # noqa: E402

MEMBERS = sorted(n for n in vars(EngineAPI) if not n.startswith("_")) + ["config"]


def _params(func) -> tuple[list[str], bool]:
    sig = inspect.signature(func)
    names = [p.name for p in sig.parameters.values()
             if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return names, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def test_the_protocol_names_what_the_bridge_calls():
    assert {"ask", "explain", "refactor", "context", "search", "locate", "index", "refresh",
            "status", "precache", "embed_pending", "cancel", "close", "index_runs"} <= set(MEMBERS)


def test_the_engine_has_every_member_with_the_protocols_parameters():
    for name in MEMBERS:
        if name == "config":
            continue  # an instance attribute, set in __init__
        wanted, real = getattr(EngineAPI, name), getattr(Engine, name)
        assert isinstance(real, property) == isinstance(wanted, property), name
        if callable(wanted):
            assert _params(real)[0] == _params(wanted)[0], name


def test_the_ui_double_accepts_every_call_the_protocol_allows(tmp_path):
    fake = FakeEngine(tmp_path, config=None)
    for name in MEMBERS:
        assert hasattr(fake, name), f"FakeEngine lacks {name}"
        wanted = getattr(EngineAPI, name, None)
        if callable(wanted) and not isinstance(wanted, property):
            names, takes_more = _params(getattr(fake, name))
            missing = [p for p in _params(wanted)[0] if p not in names]
            assert not missing or takes_more, f"FakeEngine.{name} does not take {missing}"
