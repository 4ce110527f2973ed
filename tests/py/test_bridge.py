"""The bridge without an editor: token batching, payload cleaning, error mapping, the single
worker thread (engines created and used on it only), supersession, cancellation and save
coalescing. A recording stand-in for pynvim's Nvim replaces the editor here; the real editor
path is tests/nvim."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rrag.bridge import Bridge
from rrag.bridge.events import TokenStream, clean, error_payload
from rrag.errors import ModelError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nvim"))
from fake_engine import FakeEngine  # noqa: E402 - the UI double: the whole EngineAPI

THREADS: list[int] = []


class RecordingEngine(FakeEngine):
    """Records which thread builds and uses it; ``ask`` blocks while the question says so."""

    release = threading.Event()

    def __init__(self, root: Path, config: Any = None) -> None:
        super().__init__(root, config)
        THREADS.append(threading.get_ident())

    def ask(self, question, path, line, selection, on_token, cancel, pinned=[], excluded=[],
            **_: Any):
        THREADS.append(threading.get_ident())
        if question == "block":
            while not cancel.is_set() and not self.release.is_set():
                time.sleep(0.005)
        if question == "fail":
            raise ModelError("model file missing", "set llm.model_path")
        for word in ("a", "b", "c"):
            on_token(word)
        return {"text": "abc", "sources": [], "ttft_s": None}

    def locate(self, items):
        return items

    def index(self, embed=True, progress=lambda *a: None, **_: Any):
        for i in range(1, 4):
            progress("parsing", i, 3)
        return {"files_parsed": 3}

    def stats(self):
        return {"files": 3}

    def status(self):
        return {"files": 3, "model": "m", "last_errors": []}

    def close(self):
        pass


class FakeNvim:
    """Collects what the bridge would send to Lua; async_call runs the callback at once."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.lock = threading.Lock()

    def async_call(self, fn, *args):
        fn(*args)

    def exec_lua(self, code, payload, async_=False):
        assert async_ and code == "require('rrag.rpc')._on_event(...)"
        with self.lock:
            self.events.append(payload)

    def wait(self, pred, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                found = [e for e in self.events if pred(e)]
            if found:
                return found
            time.sleep(0.005)
        raise AssertionError(f"no such event in {self.events}")


@pytest.fixture
def bridge(monkeypatch, tmp_path):
    monkeypatch.setenv("RRAG_ENGINE_FACTORY", f"{__name__}:RecordingEngine")
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\n')
    RecordingEngine.release.clear()
    THREADS.clear()
    nvim = FakeNvim()
    b = Bridge(nvim)
    b.nvim = nvim
    yield b
    RecordingEngine.release.set()
    b.worker.stop()


def test_token_stream_batches_and_loses_nothing():
    sent: list[dict] = []
    stream = TokenStream(sent.append, 7, interval=0.05)
    for i in range(200):
        stream(f"{i} ")
    stream.flush()
    assert "".join(e["text"] for e in sent) == "".join(f"{i} " for i in range(200))
    assert len(sent) < 20 and all(e["id"] == 7 and e["type"] == "token" for e in sent)


def test_clean_drops_none_and_lists_tuples():
    assert clean({"a": None, "b": (1, 2), "c": {"d": None, "e": [None, 1]}}) == {
        "b": [1, 2], "c": {"e": [None, 1]}}


def test_error_payload_maps_rrag_errors_and_hides_tracebacks(monkeypatch, tmp_path):
    err = error_payload(ModelError("model file missing", "set llm.model_path"))
    assert err == {"code": "model", "message": "rrag: model file missing",
                   "hint": "set llm.model_path",
                   "text": "rrag: model file missing (set llm.model_path)"}
    monkeypatch.setenv("RRAG_CACHE_DIR", str(tmp_path))
    try:
        raise KeyError("boom")
    except KeyError as exc:
        internal = error_payload(exc)
    assert internal["code"] == "internal" and "\n" not in internal["text"]
    assert internal["text"].startswith("rrag: internal error: KeyError")
    assert "KeyError" in (tmp_path / "rrag.log").read_text()


def test_requests_run_on_one_worker_thread_and_stream(bridge, tmp_path):
    main = threading.get_ident()
    for i in (1, 2):
        bridge.handle("rrag_ask", [{"id": i, "question": "q", "path": str(tmp_path / "a.rs")}])
    results = bridge.nvim.wait(lambda e: e["type"] == "result" and e["id"] == 2)
    assert results[0]["result"]["text"] == "abc" and "ttft_s" not in results[0]["result"]
    assert results[0]["root"] == str(tmp_path.resolve())
    assert len(set(THREADS)) == 1 and main not in THREADS  # built and used on the worker only
    tokens = [e for e in bridge.nvim.events if e["type"] == "token" and e["id"] == 2]
    assert "".join(t["text"] for t in tokens) == "abc"


def test_a_newer_request_of_the_same_kind_cancels_the_older(bridge, tmp_path):
    bridge.handle("rrag_ask", [{"id": 1, "question": "block", "root": str(tmp_path)}])
    bridge.handle("rrag_ask", [{"id": 2, "question": "q", "root": str(tmp_path)}])
    bridge.nvim.wait(lambda e: e["type"] == "cancelled" and e["id"] == 1)
    bridge.nvim.wait(lambda e: e["type"] == "result" and e["id"] == 2)
    assert not [e for e in bridge.nvim.events if e["type"] == "result" and e["id"] == 1]


def test_cancel_all_and_errors_as_events(bridge, tmp_path):
    bridge.handle("rrag_ask", [{"id": 1, "question": "block", "root": str(tmp_path)}])
    assert bridge.handle("rrag_cancel", [{}]) == {"cancelled": 1}
    bridge.nvim.wait(lambda e: e["type"] == "cancelled" and e["id"] == 1)
    bridge.handle("rrag_ask", [{"id": 3, "question": "fail", "root": str(tmp_path)}])
    err = bridge.nvim.wait(lambda e: e["type"] == "error" and e["id"] == 3)[0]["error"]
    assert err["code"] == "model" and err["text"].startswith("rrag: model file missing")
    assert bridge.host_state()["host"]["errors"][-1]["code"] == "model"


def test_handler_errors_and_unknown_methods_never_raise(bridge, tmp_path):
    out = bridge.handle("rrag_ask", [{"id": 4, "question": "q", "path": "/no/such/dir/x.rs"}])
    assert out["error"]["code"] == "workspace"
    assert bridge.handle("rrag_frobnicate", [{"id": 5}])["error"]["message"].startswith("rrag:")
    assert bridge.handle("rrag_setup", [{"engine": {"llm": {"n_ctx": "big"}}}])["error"][
        "text"] == "rrag: llm.n_ctx: expected int, got 'big'"


def test_index_progress_and_save_coalescing(bridge, tmp_path, monkeypatch):
    bridge.handle("rrag_index", [{"id": 1, "root": str(tmp_path)}])
    progress = bridge.nvim.wait(lambda e: e["type"] == "progress" and e["done"] == 3)
    assert progress[0]["phase"] == "parsing" and progress[0]["total"] == 3
    bridge.nvim.wait(lambda e: e["type"] == "result" and e["id"] == 1)
    # Saves of a never-indexed workspace are skipped; of an indexed one, coalesced while queued.
    skipped = bridge.handle("rrag_reindex", [{"id": 2, "path": str(tmp_path / "a.rs")}])
    assert skipped["skipped"] is True
    monkeypatch.setattr("rrag.bridge.core.index_db_path",
                        lambda root, d="": tmp_path / "Cargo.toml")
    bridge.handle("rrag_ask", [{"id": 3, "question": "block", "root": str(tmp_path)}])
    first = bridge.handle("rrag_reindex", [{"id": 4, "path": str(tmp_path / "a.rs")}])
    second = bridge.handle("rrag_reindex", [{"id": 5, "path": str(tmp_path / "b.rs")}])
    assert first == {"id": 4} and second == {"id": 4, "coalesced": True}
    RecordingEngine.release.set()
    bridge.nvim.wait(lambda e: e["type"] == "result" and e["id"] == 4)


@pytest.mark.slow
def test_vectors_fill_in_the_background_between_requests(monkeypatch, tmp_path):
    """Real engine: :RragIndex answers after the structural index; the vectors fill in
    afterwards, small batches at a time, and a request arriving meanwhile is served first."""
    import shutil

    monkeypatch.delenv("RRAG_ENGINE_FACTORY", raising=False)
    root = tmp_path / "simple_app"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "simple_app", root,
                    ignore=shutil.ignore_patterns("target"))
    nvim = FakeNvim()
    b = Bridge(nvim)
    try:
        b.handle("rrag_index", [{"id": 1, "root": str(root),
                                 "path": str(root / "src" / "report.rs")}])
        result = nvim.wait(lambda e: e["type"] == "result" and e["id"] == 1, 60)[0]["result"]
        assert result["stats"]["items"] > 100
        assert result["stats"]["vectors"] == 0  # answered before any vector was computed
        # Requests keep being answered while the vectors fill in (the first model load may
        # unpack the model: seconds); at some point the index is seen part-embedded.
        seen_partial, done, request_id = False, {}, 2
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            b.handle("rrag_status", [{"id": request_id, "root": str(root)}])
            done = nvim.wait(lambda e: e["type"] == "result" and e["id"] == request_id,
                             60)[0]["result"]
            request_id += 1
            seen_partial |= 0 < done["embedded_items"] < done["items"]
            if done["embed_pending"] == 0:
                break
            time.sleep(0.2)
        assert seen_partial
        assert done["embed_pending"] == 0 and done["embedded_items"] == done["items"]
    finally:
        b.worker.stop()


def test_a_save_precaches_the_files_contexts_once_the_model_is_loaded(monkeypatch, tmp_path):
    """Real engine: a re-index of a saved file queues its symbols' contexts in the background,
    but only when the model is already loaded (a first save never loads a model)."""
    import shutil

    from rrag.service.engine import Engine

    root = tmp_path / "simple_app"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "simple_app", root,
                    ignore=shutil.ignore_patterns("target"))
    with Engine(root, db_path=tmp_path / "i.sqlite") as engine:
        engine.index(embed=False)
        shapes = str(root / "src" / "geometry" / "shapes.rs")
        assert engine.precache(shapes, only_if_model_loaded=True) == 0
        assert not engine.assistant.backend_loaded
        engine.context(shapes, 20)  # loads the model's tokenizer (the worker)
        queued = engine.precache(shapes, only_if_model_loaded=True)
        assert queued > 5
        deadline = time.monotonic() + 120
        while engine.assistant.precacher.done < queued and time.monotonic() < deadline:
            time.sleep(0.2)
        assert engine.assistant.precacher.done >= queued


def test_checkhealth_warns_exactly_when_the_demo_model_answers(tmp_path):
    from rrag.bridge.doctor import model_checks
    from rrag.config import Config
    from rrag.llm.model_file import default_model_path

    demo = [c for c in model_checks(Config()) if c["name"] == "chat model"]
    assert len(demo) == 1 and demo[0]["level"] == "warn"
    assert "engine.llm.model_path" in demo[0]["fix"]
    chosen = Config.from_dict({"llm": {"model_path": str(default_model_path())}})
    assert [c for c in model_checks(chosen) if c["name"] == "chat model"] == []
    server = Config.from_dict({"llm": {"backend": "openai"}})
    assert [c for c in model_checks(server) if c["name"] == "chat model"] == []


def test_cancelling_a_running_index_of_the_real_engine(tmp_path, monkeypatch):
    """Through the real Engine, not a double: the cancel is sent from inside the first progress
    event of the parse (so it always lands while files are still being parsed), the request
    ends as cancelled with no result, nothing half-built is left, and the next index is whole."""
    monkeypatch.delenv("RRAG_ENGINE_FACTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ws = tmp_path / "many"
    (ws / "src").mkdir(parents=True)
    (ws / "Cargo.toml").write_text('[package]\nname = "many"\nversion = "0.1.0"\n'
                                   'edition = "2021"\n')
    files = 60
    (ws / "src" / "lib.rs").write_text("".join(f"pub mod m{i};\n" for i in range(files)))
    for i in range(files):
        (ws / "src" / f"m{i}.rs").write_text(
            f"pub fn f{i}(x: u32) -> u32 {{ x + {i} }}\n"
            f"pub struct S{i} {{ pub v: u32 }}\n"
            f"impl S{i} {{ pub fn get(&self) -> u32 {{ f{i}(self.v) }} }}\n")
    events: list[dict] = []
    done = threading.Event()
    holder: dict[str, Bridge] = {}

    def emit(event: dict) -> None:
        events.append(event)
        if event.get("type") == "progress" and event.get("phase") == "indexing" \
                and event["id"] == 1 and event["done"] < event["total"]:
            holder["bridge"].handle("rrag_cancel", [{"id": 1}])
        if event.get("type") in ("result", "error", "cancelled"):
            done.set()

    bridge = holder["bridge"] = Bridge(None, emit=emit)
    try:
        bridge.handle("rrag_index", [{"id": 1, "path": str(ws / "src" / "lib.rs"),
                                      "embed": False}])
        assert done.wait(300), events
        final = [e for e in events if e.get("type") in ("result", "error", "cancelled")]
        assert [e["type"] for e in final] == ["cancelled"], final
        assert not list((tmp_path / "cache").rglob("*.bulk-*"))  # no half-built file left
        done.clear()
        bridge.handle("rrag_index", [{"id": 2, "path": str(ws / "src" / "lib.rs"),
                                      "embed": False}])
        assert done.wait(300), events
        result = events[-1]
        assert result["type"] == "result" and result["id"] == 2, result
        assert result["result"]["stats"]["files"] == files + 1
    finally:
        bridge.worker.stop()
