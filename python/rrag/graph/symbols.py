"""Graph layer: the crate-wide symbol tables and Rust path resolution.

Built once per resolution pass from the stored items and ``use`` references: which names each
module defines, which it imports (plain, renamed, glob, ``pub use`` re-exports followed through
chains), and path lookup for ``crate::`` / ``self::`` / ``super::`` / extern-crate / in-scope
paths, then the std prelude (``Vec``, ``Option``, ``Iterator`` without ``use``). A path that
leaves the index (std, an unindexed dependency) resolves to ``None`` plus the
path as written after import resolution (``use std::fmt::Display`` then ``Display`` ->
``std::fmt::Display``), so it resolves once the dependency is indexed.
"""

from __future__ import annotations

from collections import defaultdict

from ..parse.std_docs import STD_CRATES
from ..store.edges import GraphItem

TYPE_KINDS = frozenset(("struct", "enum", "union", "trait", "type"))
MODULE_KINDS = frozenset(("module", "file"))


# The std prelude every workspace module sees without `use` (the 2021 edition's when the
# indexed std has it: it adds TryFrom, TryInto and FromIterator to v1).
PRELUDES = ("std::prelude::rust_2021", "std::prelude::v1")
# Lookups one top-level name may cost through nested glob imports before giving up.
LOOKUP_BUDGET = 1000

class Symbols:
    def __init__(self, items: list[GraphItem], uses: list[tuple[GraphItem, str, str]],
                 externs: dict[str, set[str]] | None = None) -> None:
        """``uses``: (owner item, path as written, alias) of every use declaration;
        ``externs``: crate -> the crates its code may name (its dependencies and itself)."""
        self.externs = externs or {}
        self.by_id = {it.id: it for it in items}
        self.modules: dict[str, GraphItem] = {}
        self.defined: dict[str, dict[str, list[GraphItem]]] = defaultdict(dict)
        self.crates: dict[str, str] = {}
        # A lib and a bin of one package share a crate name (and so a module path): the lib's
        # root keeps the plain key, the other roots' scopes are keyed "name@path".
        roots = sorted((it for it in items if it.kind == "file"),
                       key=lambda it: (not it.path.endswith("lib.rs"), it.path))
        self.suffix: dict[str, str] = {}
        for it in roots:
            if it.qualname in self.modules and self.modules[it.qualname].kind == "file":
                self.suffix[it.path] = f"@{it.path}"
                self.modules[it.qualname + self.suffix[it.path]] = it
                continue
            if "::" not in it.qualname:
                self.crates[it.qualname] = it.qualname
                self.modules[it.qualname] = it
            else:
                self.modules.setdefault(it.qualname, it)
        for it in items:
            if it.kind == "module":
                self.modules[it.qualname] = it  # the declaration names the module
        for it in items:
            parent = self.by_id.get(it.parent) if it.parent else None
            if it.kind in ("file", "impl") or parent is None or parent.kind not in MODULE_KINDS:
                continue
            self.defined[self.home(it)].setdefault(it.name, []).append(it)
        self.imports: dict[str, dict[str, str]] = defaultdict(dict)
        self.globs: dict[str, list[str]] = defaultdict(list)
        for owner, path, alias in uses:
            module = self.scope(owner)
            if path.endswith("::*"):
                self.globs[module].append(path[:-3])
                continue
            if path.endswith("::self"):
                path = path[:-6]
            name = alias or path.rsplit("::", 1)[-1]
            if name != "_":
                self.imports[module][name] = path
        self._busy: set[tuple[str, str]] = set()
        self._steps = 0
        # (module, path) -> resolve()'s answer, once the tables are complete (``freeze``): a
        # crate names the same few paths (Result, Self, io::Error) from every item of a module.
        self._memo: dict[tuple[str, str], tuple[GraphItem | None, str]] | None = None

    def freeze(self) -> None:
        """The tables (associated items included) are final: answers may be remembered."""
        self._memo = {}

    def home(self, it: GraphItem) -> str:
        """The scope key of the module that holds ``it``."""
        suffix = self.suffix.get(it.path, "")
        if suffix and "::" not in it.module_path:
            return it.module_path + suffix
        return it.module_path

    def key_of(self, module: GraphItem) -> str:
        if module.kind == "file":
            return module.qualname + self.suffix.get(module.path, "")
        return module.qualname

    def scope(self, it: GraphItem) -> str:
        """The scope key names inside ``it`` resolve in (a module is its own scope)."""
        if it.kind == "module":
            return it.qualname
        return self.home(it)

    # -- names in one module ----------------------------------------------------------
    def lookup(self, module: str, name: str) -> tuple[list[GraphItem], str | None]:
        """Items ``name`` denotes in ``module`` (defined, imported, glob-imported), or the
        outside path it stands for."""
        found = self.defined.get(module, {}).get(name)
        if found:
            return found, None
        sub = f"{module}::{name}"
        if sub in self.modules:
            return [self.modules[sub]], None
        key = (module, name)
        if key in self._busy:
            return [], None
        # Glob imports of globs of globs (libc once its other platforms' modules are gone)
        # can make one unresolvable name walk exponentially many chains: bounded per name.
        self._steps = 0 if not self._busy else self._steps + 1
        if self._steps > LOOKUP_BUDGET:
            return [], None
        self._busy.add(key)
        try:
            path = self.imports.get(module, {}).get(name)
            if path is not None:
                target, written = self.resolve(module, path)
                return ([target] if target is not None else []), written
            for glob in self.globs.get(module, ()):
                target, _ = self.resolve(module, glob)
                if target is not None and target.kind in MODULE_KINDS:
                    inner, written = self.lookup(self.key_of(target), name)
                    if inner:
                        return inner, None
                elif target is not None and target.kind == "enum":
                    continue
        finally:
            self._busy.discard(key)
        if name in self.crates and self.may_name(module, name):
            return [self.modules[name]], None
        prelude = self.prelude(module)
        if prelude is not None:
            return self.lookup(prelude, name)[0], None
        return [], None

    def prelude(self, module: str) -> str | None:
        """The std prelude's module key for a module of a crate that may name std (the
        workspace's), when std is indexed; None for std's own and dependencies' modules."""
        crate = module.split("::")[0].split("@")[0]
        allowed = self.externs.get(crate)
        if allowed is None or "std" not in allowed or crate in STD_CRATES:
            return None  # std's crates have their own preludes (and std's would recurse)
        for key in PRELUDES:
            if key in self.modules:
                return key
        return None

    def may_name(self, module: str, crate: str) -> bool:
        """Only declared dependencies are extern crates: the same answer whether or not other
        crates happen to be loaded (what keeps a partial re-resolution equal to a full one)."""
        allowed = self.externs.get(module.split("::")[0].split("@")[0])
        return allowed is None or crate in allowed

    def parent_module(self, module: str) -> str:
        return module.rsplit("::", 1)[0] if "::" in module else module

    def crate_root(self, module: str) -> str:
        head = module.split("::")[0]
        if "@" in module and "::" not in module:
            return module
        return head

    # -- whole paths -------------------------------------------------------------------
    def resolve(self, module: str, path: str) -> tuple[GraphItem | None, str]:
        """(the item ``path`` names from ``module``, or None; the path as written after
        import resolution)."""
        if self._memo is None or self._busy:  # inside a cycle check the answer is partial
            return self._resolve(module, path)
        key = (module, path)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._memo[key] = self._resolve(module, path)
        return answer

    def _resolve(self, module: str, path: str) -> tuple[GraphItem | None, str]:
        segs = [s for s in path.split("::")]
        if segs and segs[0] == "":
            segs = segs[1:]
            if segs and segs[0] in self.crates and self.may_name(module, segs[0]):
                return self._walk(self.modules[segs[0]], segs[1:], path)
            return None, "::".join(segs)
        first = segs[0]
        if first == "crate":
            cur = self.modules.get(self.crate_root(module))
            return self._walk(cur, segs[1:], path) if cur else (None, path)
        if first in ("self", "super"):
            mod = module
            rest = segs
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    mod = self.parent_module(mod)
                rest = rest[1:]
            cur = self.modules.get(mod)
            return self._walk(cur, rest, path) if cur else (None, path)
        found, written = self.lookup(module, first)
        if len(segs) > 1 and any(f.kind == "macro" for f in found):
            # A path goes through a type, module or crate, never a macro: `regex::Regex` in a
            # test crate that defines `macro_rules! regex` names the regex crate (issue 18).
            found = [f for f in found if f.kind != "macro"]
            if not found and first in self.crates and self.may_name(module, first):
                found = [self.modules[first]]
        if len(found) == 1:
            return self._walk(found[0], segs[1:], path)
        if len(found) > 1:
            return None, path
        if written is not None:
            return None, "::".join([written, *segs[1:]])
        return None, path

    def _walk(self, cur: GraphItem, rest: list[str], path: str) -> tuple[GraphItem | None, str]:
        for i, seg in enumerate(rest):
            if cur.kind in MODULE_KINDS:
                found, written = self.lookup(self.key_of(cur), seg)
                if len(found) != 1:
                    if written is not None:
                        return None, "::".join([written, *rest[i + 1:]])
                    return None, "::".join([cur.qualname, *rest[i:]])
                cur = found[0]
            elif cur.kind in TYPE_KINDS:
                members = self.members(cur).get(seg, [])
                if len(members) != 1:
                    return None, "::".join([cur.qualname, *rest[i:]])
                cur = members[0]
            else:
                return None, "::".join([cur.qualname, *rest[i:]])
        return cur, cur.qualname

    # -- associated items (filled by Resolver) ------------------------------------------
    def members(self, type_item: GraphItem) -> dict[str, list[GraphItem]]:
        return self.assoc.get(type_item.id, {})

    assoc: dict[str, dict[str, list[GraphItem]]] = {}
