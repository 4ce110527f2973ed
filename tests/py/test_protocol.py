"""The editor protocol is described once (rrag.protocol): the bridge serves exactly its methods,
the remote-plugin adapter exports all of them, both editors' tables are generated from it, and a
request built wrongly gets one ``rrag:`` line."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from rrag import protocol
from rrag.bridge import jobs
from rrag.bridge.core import Bridge
from rrag.bridge.views import GENERIC_VIEWS
from rrag.errors import RragError

REPO = Path(__file__).resolve().parents[2]


def test_the_bridge_serves_exactly_the_protocol_methods():
    handlers = {name.removeprefix("on_") for name in dir(Bridge) if name.startswith("on_")}
    generic = {m.name for m in protocol.METHODS if m.command is not None}
    assert handlers | generic == set(protocol.BY_NAME) and not handlers & generic


def test_every_generic_command_has_a_job_and_a_view():
    for method in protocol.METHODS:
        if method.command is not None:
            assert callable(getattr(jobs, method.name, None)), method.name
            assert method.name in GENERIC_VIEWS, method.name
            assert method.command.name.startswith("Rrag"), method.command.name


def test_the_editor_tables_are_generated_from_the_protocol():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen-editor-tables.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lua = (REPO / "lua" / "rrag" / "methods.lua").read_text()
    vim = (REPO / "autoload" / "rrag" / "methods.vim").read_text()
    for method in protocol.METHODS:
        assert f'    {method.name} = {{ rpc_name = "{method.rpc_name}"' in lua
        assert f"'{method.name}': {{'rpc_name': '{method.rpc_name}'" in vim


def test_the_remote_plugin_exports_every_method_with_its_sync_flag(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "rplugin" / "python3"))
    module = importlib.import_module("rrag_host")
    for method in protocol.METHODS:
        handler = getattr(module, method.rpc_name)
        assert handler._nvim_rpc_method_name == method.rpc_name
        assert handler._nvim_rpc_sync is method.sync


def test_a_missing_required_parameter_is_named():
    with pytest.raises(RragError) as err:
        protocol.check_params(protocol.BY_NAME["ask"], {"path": "/x.rs"})
    assert str(err.value).startswith("rrag: ask: the request has no question")


def test_a_parameter_of_the_wrong_type_is_named():
    with pytest.raises(RragError) as err:
        protocol.check_params(protocol.BY_NAME["context"], {"path": "/x.rs", "line": "7"})
    assert str(err.value).startswith("rrag: context: line should be of type integer, got str")
    protocol.check_params(protocol.BY_NAME["context"], {"path": "/x.rs", "line": 7})


def test_the_bridge_answers_a_bad_request_with_an_error_event():
    events: list[dict] = []
    bridge = Bridge(None, emit=events.append)
    try:
        reply = bridge.handle("rrag_search", [{"id": 3, "k": 5}])
    finally:
        bridge.worker.stop()
    assert reply["error"]["text"].startswith("rrag: search: the request has no query")
    assert events == [{"id": 3, "type": "error", "kind": "search", "error": reply["error"]}]
