"""Front end (bridge): the request handlers that both transports serve.

Every handler takes one request dict ``{id, path, line, selection, ...}`` from Lua and returns
at once: work goes to the single worker thread, results come back as events (see events.py).
A newer request of the same kind cancels the older one; a save re-index is coalesced per
workspace. Only ``rrag_doctor`` answers synchronously, for :checkhealth. The user's config file
is followed: when it changes (``rrag models use`` in a terminal, or :RragModel), the next request
runs with it, under the editor's own ``setup()`` options.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import Config
from ..errors import RragError
from ..paths import index_db_path
from ..service.deps import workspace_locking
from ..service.roots import find_root
from . import jobs
from .. import protocol
from .buffers import BufferTexts
from .doctor import doctor_report
from .events import Emitter, clean, error_payload
from .models import ModelRequests, SessionConfig
from .views import Shaper
from .worker import Job, Worker, engine_factory

log = logging.getLogger("rrag.bridge")

METHODS = tuple(m.rpc_name for m in protocol.METHODS)
MAX_TRACKED_JOBS = 64


class Bridge:
    def __init__(self, nvim: Any, transport: str = "job",
                 emit: Callable[[dict[str, Any]], None] | None = None) -> None:
        # ``emit`` replaces the Neovim delivery for other editors (rrag.vimhost: JSON on stdout).
        self.transport = transport
        send = emit or Emitter(nvim)
        # Every editor gets the same views (bridge/views.py), shaped from the request answered.
        self.shaper = Shaper(vim=transport == "vim-job")
        self.emit: Callable[[dict[str, Any]], None] = lambda event: send(self.shaper.shape(event))
        self.worker = Worker(self.emit)
        self._jobs: dict[Any, Job] = {}
        self._latest: dict[str, Job] = {}
        self._reindex: dict[Path, Job] = {}
        self._check: dict[Path, Job] = {}
        self.buffers = BufferTexts()  # unsaved buffers the editor sent (see buffers.py)
        self._workspaces: dict[Path, None] = {}  # roots this session sent work to, oldest first
        self.session = SessionConfig(self.worker.set_config)  # config file + setup() options
        self.models = ModelRequests(self.emit, lambda: self.worker.config, self.session.picked)

    def handle(self, method: str, args: Sequence[Any]) -> Any:
        kind = method.removeprefix("rrag_")
        req = dict(args[0]) if args and isinstance(args[0], dict) else {}
        described = protocol.BY_RPC_NAME.get(method)
        try:
            if described is None:
                raise RragError(f"unknown method {method}", "update the editor and Python "
                                "halves of rrag together")
            protocol.check_params(described, req)
            self.shaper.remember(kind, req)
            handler: Callable[[dict[str, Any]], Any] = getattr(self, f"on_{kind}", None) or \
                partial(self._submit, kind, run=getattr(jobs, kind))  # a generic view's job
            if kind not in ("setup", "cancel"):
                self.session.follow()
            result = handler(req)
            return clean({"id": result.id} if isinstance(result, Job) else result)
        except Exception as exc:  # noqa: BLE001 - the editor gets one line, never a traceback
            error = error_payload(exc)
            self.worker.last_errors = (self.worker.last_errors + [{"kind": kind, **error}])[-10:]
            self.emit({"id": req.get("id"), "type": "error", "kind": kind, "error": error})
            return {"error": error}

    # -- handlers -------------------------------------------------------------------------
    def on_setup(self, req: dict[str, Any]) -> dict[str, Any]:
        # An empty Lua table arrives as a list; a section the user left empty means "defaults".
        overrides = {k: (v or {}) for k, v in (req.get("engine") or {}).items()}
        return {"config": self.session.setup(overrides).to_dict()}

    def on_models(self, req: dict[str, Any]) -> Any:
        return self.models.list(req)

    def on_use_model(self, req: dict[str, Any]) -> Any:
        return self.models.use(req)

    def on_ask(self, req: dict[str, Any]) -> Any:
        return self._submit("ask", req, jobs.ask)

    def on_explain(self, req: dict[str, Any]) -> Any:
        return self._submit("explain", req, jobs.explain)

    def on_refactor(self, req: dict[str, Any]) -> Any:
        return self._submit("refactor", req, jobs.refactor)

    def on_context(self, req: dict[str, Any]) -> Any:
        return self._submit("context", req, jobs.context)

    def on_search(self, req: dict[str, Any]) -> Any:
        return self._submit("search", req, jobs.search)

    def on_upgrade(self, req: dict[str, Any]) -> Any:
        return self._submit("upgrade", req, jobs.upgrade)

    def on_index(self, req: dict[str, Any]) -> Any:
        req.setdefault("embed", self.worker.config.index.embed_on_index)
        return self._submit("index", req, jobs.index)

    def on_reindex(self, req: dict[str, Any]) -> Any:
        root = self._root(req)
        if not index_db_path(root, self.worker.config.index.db_dir).is_file():
            # Saving a file of a project never indexed must not start a full index by surprise.
            self.emit({"id": req.get("id"), "type": "result", "kind": "reindex", "root": str(root),
                       "result": {"skipped": "not indexed yet"}})
            return {"id": req.get("id"), "skipped": True}
        queued = self._reindex.get(root)
        if queued is not None and not queued.started:
            # The queued run will see this save too; end this request on the Lua side now.
            self.emit({"id": req.get("id"), "type": "result", "kind": "reindex", "root": str(root),
                       "result": {"skipped": f"coalesced into request {queued.id}"}})
            return {"id": queued.id, "coalesced": True}
        req["embed"] = self.worker.config.index.embed_on_index
        job = self._submit("reindex", req, jobs.index, quiet=True)
        self._reindex[root] = job
        return {"id": job.id}

    def on_check(self, req: dict[str, Any]) -> Any:
        """FocusGained / BufEnter: bring an indexed workspace up to date with the disk now, so
        the next request usually finds nothing to do (see Engine.refresh)."""
        root = self._root(req)
        queued = self._check.get(root)
        if not index_db_path(root, self.worker.config.index.db_dir).is_file() or \
                (queued is not None and not queued.started):
            self.emit({"id": req.get("id"), "type": "result", "kind": "check", "root": str(root),
                       "result": {"skipped": True}})
            return {"id": req.get("id"), "skipped": True}
        job = self._submit("check", req, jobs.check, quiet=True)
        self._check[root] = job
        return {"id": job.id}

    def on_status(self, req: dict[str, Any]) -> Any:
        if self.worker.idle():
            return self._submit("status", req, jobs.status(self.host_state))
        # Busy (a long index): read the counts on a separate connection instead of waiting.
        root, config = self._root(req), self.worker.config
        threading.Thread(target=self._status_aside, args=(req.get("id"), root, config),
                         name="rrag-status", daemon=True).start()
        return {"id": req.get("id")}

    def on_cancel(self, req: dict[str, Any]) -> dict[str, Any]:
        wanted = req.get("id")
        live = [j for j in self._jobs.values() if not j.done and (wanted is None or j.id == wanted)]
        for job in live:
            self.worker.interrupt(job)
        return {"cancelled": len(live)}

    def on_doctor(self, req: dict[str, Any]) -> dict[str, Any]:
        report = doctor_report(self.worker.config, req.get("path"), engine_factory())
        return report | {"host": self.host_state()}

    # -- helpers --------------------------------------------------------------------------
    def host_state(self) -> dict[str, Any]:
        current = self.worker.current
        return {"host": {"python": sys.executable, "pid": os.getpid(), "transport": self.transport,
                         "jobs_queued": self.worker.pending(),
                         "running": current.kind if current and current.kind != "status" else "",
                         "errors": list(self.worker.last_errors)}}

    def _root(self, req: dict[str, Any]) -> Path:
        if req.get("root"):
            return Path(req["root"]).expanduser().resolve()
        root = find_root(req.get("path") or os.getcwd())
        db_dir = self.worker.config.index.db_dir
        if root in self._workspaces or index_db_path(root, db_dir).is_file():
            return root
        # A never-indexed crate: if it is a dependency of a workspace this session works on
        # (the buffer came from a jump to a dependency's item, or the language server's), the
        # request is about that workspace, which has the crate at its locked version.
        return workspace_locking(root, reversed(self._workspaces), db_dir) or root

    def _submit(self, kind: str, req: dict[str, Any], run: Callable[..., Any],
                quiet: bool = False) -> Job:
        described = protocol.BY_NAME[kind]
        if described.carries_buffers:
            # Resolved now, in arrival order, so a later request's "same as before" finds it.
            req["buffers"] = self.buffers.resolve(req.get("buffers"))
        job = Job(id=req.get("id"), kind=kind, root=self._root(req), run=partial(run, self.emit),
                  params=req, quiet=quiet)
        self._workspaces.pop(job.root, None)
        self._workspaces[job.root] = None
        if described.cancels_older:
            previous = self._latest.get(kind)
            if previous is not None and not previous.done:
                self.worker.interrupt(previous)
            self._latest[kind] = job
        if len(self._jobs) > MAX_TRACKED_JOBS:
            self._jobs = {k: j for k, j in self._jobs.items() if not j.done}
        self._jobs[job.id] = job
        self.worker.submit(job)
        return job

    def _status_aside(self, request_id: Any, root: Path, config: Config) -> None:
        try:
            engine = engine_factory()(root, config)
            try:
                result = jobs.engine_status(engine) | self.host_state()
            finally:
                engine.close()
            self.emit({"id": request_id, "type": "result", "kind": "status", "root": str(root),
                       "result": result})
        except Exception as exc:  # noqa: BLE001
            self.emit({"id": request_id, "type": "error", "kind": "status",
                       "error": error_payload(exc)})
