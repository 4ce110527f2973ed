"""Front ends (shared): the one description of the editor protocol.

Every method an editor may call, with its parameters and how its results go stale, is written
here once. The Python bridge serves exactly these methods; ``scripts/gen-protocol.py`` renders
the tables Neovim (``lua/rrag/methods.lua``) and Vim (``autoload/rrag/methods.vim``) read, and
the remote-plugin adapter exports the same list, so a method can no longer exist in one editor
and be missing in another. Stale policies belong to the front ends (they drop a result the user
can no longer use); ``cancels_older`` belongs to the engine (it stops work nobody waits for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import RragError


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # string, integer, boolean, list, dict, number
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Command:
    """An editor command whose float (Neovim) or popup (Vim) just shows the method's view:
    both editors define it from the generated tables, so a new one needs no editor code."""
    name: str  # :RragWhy
    nargs: str = "0"  # Vim's -nargs: 0, ?, *, +
    arg: str = ""  # the request parameter the command's arguments fill
    range: bool = False  # a visual range becomes the request's selection


@dataclass(frozen=True)
class Method:
    name: str
    doc: str
    params: tuple[Param, ...] = ()
    sync: bool = False  # the reply is the result (only :checkhealth's doctor waits for one)
    carries_buffers: bool = False  # the editor sends its unsaved Rust buffers along
    supersede: bool = True  # a newer request of the same kind makes this one's events stale
    cancels_older: bool = False  # the engine interrupts the older request's work
    drop_on_edit: bool = False  # results are dropped once the request's buffer changed
    line_guard: bool = False  # results are dropped once the requested lines changed
    results: tuple[str, ...] = field(default=("result",))
    command: Command | None = None  # shown by the editors' generic view (ui/view.lua, view.vim)

    @property
    def rpc_name(self) -> str:
        return f"rrag_{self.name}"


_WHERE = (Param("path", "string", doc="absolute path of the buffer's file"),
          Param("line", "integer", doc="1-based cursor line"),
          Param("selection", "list", doc="[first, last] 1-based lines of a visual selection"),
          Param("bufnr", "integer", doc="the editor's buffer (for its stale checks)"),
          Param("changedtick", "integer", doc="the buffer's changedtick when asked"))
_PINS = (Param("pinned", "list", doc="item ids the user pinned into the context"),
         Param("excluded", "list", doc="item ids the user removed from the context"))


def _answer(name: str, doc: str, params: tuple[Param, ...], line_guard: bool = False) -> Method:
    """A model answer: streams tokens, sees the unsaved buffers, replaces the older one."""
    return Method(name, doc, params, carries_buffers=True, cancels_older=True,
                  line_guard=line_guard, results=("token", "result"))


METHODS: tuple[Method, ...] = (
    Method("setup", "engine options from setup() or g:rrag_engine",
           (Param("engine", "dict"),), supersede=False, results=()),
    _answer("ask", "answer a question with the ranked context",
            (Param("question", "string", True), *_WHERE, *_PINS)),
    _answer("explain", "explain the item at the cursor or the selection", _WHERE),
    _answer("refactor", "propose an edit of the selected lines, checked by cargo check",
            (Param("instruction", "string", True), *_WHERE,
             Param("original", "string", doc="the selected lines as the editor saw them"),
             Param("keys", "dict", doc="the editor's accept/reject/close keys, for the hint")),
            line_guard=True),
    Method("context", "the context the model would get, with why each item is there",
           (*_WHERE, Param("query", "string"), Param("budget", "integer"),
            Param("task", "string"), *_PINS),
           carries_buffers=True, cancels_older=True, drop_on_edit=True),
    Method("search", "hybrid search of the workspace and its locked dependencies",
           (Param("query", "string", True), Param("k", "integer")),
           carries_buffers=True, cancels_older=True),
    Method("index", "index the workspace now", (Param("path", "string"), Param("embed", "boolean")),
           supersede=False, results=("progress", "result")),
    Method("reindex", "re-index after a save (coalesced per workspace)",
           (Param("path", "string"),), supersede=False, results=("progress", "result")),
    Method("check", "bring an indexed workspace up to date with the disk (focus, BufEnter)",
           (Param("path", "string"),), supersede=False),
    Method("status", "index counts, queue, model and the last errors",
           (Param("path", "string"),)),
    Method("cancel", "stop one request (id) or all", (Param("id", "integer"),),
           supersede=False, results=()),
    Method("doctor", "the :checkhealth report", (Param("path", "string"),), sync=True,
           supersede=False),
    Method("models", "chat models on this machine and the one in use",
           (Param("path", "string"), Param("servers", "boolean"))),
    Method("use_model", "pick the chat model (writes the config file)",
           (Param("name", "string", True),), supersede=False),
    Method("why", "why the context at the cursor holds an item: its score parts",
           (*_WHERE, Param("name", "string", doc="part of the item's name; empty: the top one")),
           carries_buffers=True, cancels_older=True, drop_on_edit=True,
           command=Command("RragWhy", nargs="?", arg="name", range=True)),
    Method("upgrade", "what a dependency's new version breaks in the workspace",
           (Param("path", "string"), Param("crate", "string"), Param("from", "string"),
            Param("to", "string"))),
)

BY_NAME = {m.name: m for m in METHODS}
BY_RPC_NAME = {m.rpc_name: m for m in METHODS}
EVENT_TYPES = ("token", "progress", "result", "error", "cancelled")
FINAL_EVENTS = ("result", "error", "cancelled")
REINDEX_DEBOUNCE_MS = 300  # quiet time after the last :w before the re-index (both editors)

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool, int),
    "list": (list, tuple), "dict": (dict, list),  # an empty Lua table arrives as a list
}


def check_params(method: Method, params: dict[str, Any]) -> None:
    """A request the editor half built wrongly gets one ``rrag:`` line, not a traceback from
    deep in the engine."""
    for p in method.params:
        value = params.get(p.name)
        if value is None or value == "":
            if p.required:
                raise RragError(f"{method.name}: the request has no {p.name}",
                                "give it one (for example :RragAsk how does X work?)")
            continue
        wrong_type = not isinstance(value, _TYPES[p.type])
        if wrong_type or (p.type == "integer" and isinstance(value, bool)):
            raise RragError(f"{method.name}: {p.name} should be of type {p.type}, got "
                            f"{type(value).__name__}", "update the editor and Python halves "
                            "of rrag together")
