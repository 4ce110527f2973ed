"""Graph layer: what changed between two versions of a crate's public API.

Compares two ``Surface`` maps path by path. An old path missing from the new version is
matched before it is called removed: the same definition (qualified name) or a unique item of
the same kind and name under another public path is a move; an item of the same kind whose
docs and body are alike (token overlap) is a rename. Kept paths are compared by their
normalized signatures (parameters, return type, generic bounds), fields and variants by their
text, types by their generic parameter lists (``generic_params``); a trait's new method without
a default body breaks every implementation. The members of a type reached through an alias that
became a type of its own are compared with that type's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .api_surface import ApiEntry, Surface, normalized
from .generic_params import generic_text, params as type_params, shape, split_top

# Token overlap (Jaccard) of docs + body above which a vanished item and a new one of the same
# kind are taken as one renamed item.
RENAME_SIMILARITY = 0.6
RENAME_MIN_TOKENS = 20  # distinct words in docs + body below which nothing is judged alike
CALLABLE = ("fn", "method", "trait_method", "function")
# Items a module holds (members are matched under their owner only: every type has a `new`).
TOP_LEVEL = ("struct", "enum", "union", "trait", "fn", "type", "const", "static", "macro")


@dataclass(frozen=True, slots=True)
class ApiChange:
    kind: str  # removed, moved, renamed, signature, return_type, bounds, kind_changed,
    #            field_removed, field_changed, field_added, variant_removed, variant_changed,
    #            variant_added, required_method, impl_removed, generics
    old: str  # the public path in the old version
    new: str | None  # the public path in the new version (None: removed)
    old_signature: str
    new_signature: str | None
    old_qualname: str
    breaking: bool  # does code that used the old path stop compiling, in the common case
    old_location: str = ""
    new_location: str = ""
    new_docs: str = ""
    entry_kind: str = ""  # what the old path named: method, struct, field...
    # A type's `<...>` in each version (a "generics" change): which mentions still fit.
    old_generics: str = ""
    new_generics: str = ""

    def to_json(self) -> dict:
        return {"kind": self.kind, "old": self.old, "new": self.new,
                "old_signature": self.old_signature, "new_signature": self.new_signature,
                "breaking": self.breaking, "old_location": self.old_location,
                "new_location": self.new_location, "new_docs": self.new_docs}


def _tokens(entry: ApiEntry) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w+", entry.docs + " " + entry.body))


def _similar(a: ApiEntry, b: ApiEntry) -> float:
    ta, tb = _tokens(a), _tokens(b)
    if len(ta | tb) < RENAME_MIN_TOKENS:
        return 0.0  # one-line getters all look alike (`self.is_set(ArgSettings::X)`)
    return len(ta & tb) / len(ta | tb)


def _owner(path: str) -> str:
    return path.rsplit("::", 1)[0]


def _param_types(params: str) -> str:
    """``version:&str,x:u8`` -> ``&str,u8``: a parameter's name is no part of its API, nor
    is ``mut`` on ``self`` (a binding of the body: ``mut self`` takes the same receiver)."""
    out, depth, cur = [], 0, ""
    for ch in params + ",":
        if ch == "," and depth == 0:
            cur = re.sub(r"^\s*mut\s+(?=self\b)", "", cur)
            out.append(cur.split(":", 1)[1] if ":" in cur and "self" not in cur.split(":")[0]
                       else cur)
            cur = ""
            continue
        depth += ch in "<([{"
        depth -= ch in ">)]}"
        cur += ch
    return ",".join(p for p in out if p)


def _parts(signature: str, owner: str = "") -> tuple[str, str, str]:
    """(generics and where clause, parameter types, return type) of a normalized fn
    signature; ``Self`` spelled as the owner's name."""
    sig = normalized(signature)
    if owner:
        sig = re.sub(r"\bSelf\b", owner, sig)
    head, _, rest = sig.partition("(")
    depth, end = 1, len(rest)
    for n, ch in enumerate(rest):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            end = n
            break
    params, tail = rest[:end], rest[end + 1:]
    ret, _, where = tail.partition("where")
    generics = head[head.find("<"):] if "<" in head else ""
    return generics + "|" + where.strip(), _param_types(params), ret.removeprefix("->").strip()


def _payload(ret: str) -> str:
    """A return type as a call's value is used: lifetimes dropped and a ``Result``'s error
    type cut, since errors are mostly consumed by `?` (through `From`), `unwrap` or `{:?}`."""
    ret = re.sub(r"'\w+\s*", "", ret).replace("<>", "")
    match = re.fullmatch(r"Result<(.*)>", ret)
    return f"Result<{split_top(match.group(1))[0]}>" if match else ret


def _change(kind: str, old: ApiEntry, new: ApiEntry | None, breaking: bool) -> ApiChange:
    return ApiChange(kind, old.path, new.path if new else None, old.signature,
                     new.signature if new else None, old.qualname, breaking, old.location,
                     new.location if new else "", new.docs if new else "", old.kind)


def _loose(param: str) -> bool:
    """A parameter that takes many types (``impl Into<Id>``, a generic ``S``): a call written
    for the old one usually still fits the new one."""
    return param.startswith("impl") or bool(re.fullmatch(r"[A-Z]\w{0,2}", param))


def _params_break(old: str, new: str) -> bool:
    """Do calls written for parameter types ``old`` fail with ``new``: another count, or a
    concrete type changed into another concrete type (lifetimes aside)."""
    a = [re.sub(r"'\w+\s*", "", p) for p in old.split(",") if p]
    b = [re.sub(r"'\w+\s*", "", p) for p in new.split(",") if p]
    if len(a) != len(b):
        return True
    return any(x != y and not (_loose(x) or _loose(y)) for x, y in zip(a, b))


TYPES = ("struct", "enum", "union", "type")


def _compare(old: ApiEntry, new: ApiEntry) -> ApiChange | None:
    if old.kind != new.kind and not (old.kind in CALLABLE and new.kind in CALLABLE) and \
            not (old.kind in TYPES and new.kind in TYPES):
        return _change("kind_changed", old, new, True)
    if old.kind in CALLABLE:
        owner = old.path.rsplit("::", 2)[-2] if old.path.count("::") > 1 else ""
        (og, op, orr), (ng, np, nr) = _parts(old.signature, owner), _parts(new.signature, owner)
        if op != np:
            return _change("signature", old, new, _params_break(op, np))
        if og != ng or normalized(old.generics) != normalized(new.generics):
            return _change("bounds", old, new, True)
        if orr != nr:  # breaks only where the value is used on (upgrade_sites)
            return _change("return_type", old, new, _payload(orr) != _payload(nr))
        return None
    if old.kind == "field" and normalized(old.signature) != normalized(new.signature):
        return _change("field_changed", old, new, True)
    if old.kind == "variant" and normalized(old.signature) != normalized(new.signature):
        # Same number of fields: patterns that bind them (`Size(n)`, `Error(_)`) still
        # compile; only building the variant with the old field types breaks.
        return _change("variant_changed", old, new, _arity(old.signature) != _arity(new.signature))
    if old.kind in ("struct", "enum", "trait", "type", "union"):
        ops, nps = (type_params(generic_text(e.generics, e.kind, e.signature)) for e in (old, new))
        if shape(ops) != shape(nps):  # parameters or defaults: which uses break is the site's
            change = _change("generics", old, new, True)  # question (generic_params)
            return replace(change, old_generics=generic_text(old.generics, old.kind,
                                                             old.signature),
                           new_generics=generic_text(new.generics, new.kind, new.signature))
        if [p.bounds for p in ops] != [p.bounds for p in nps]:
            return _change("bounds", old, new, True)
    return None


def _arity(variant: str) -> int:
    """How many fields a variant as written has (``Size(usize)`` 1, ``Unknown`` 0)."""
    start = min((i for i in (variant.find("("), variant.find("{")) if i >= 0), default=-1)
    if start < 0:
        return 0
    depth, count, body = 0, 1, variant[start + 1:].rstrip(")} ")
    if not body.strip():
        return 0
    for ch in body:
        depth += ch in "<([{"
        depth -= ch in ">)]}"
        count += ch == "," and depth == 0
    return count - body.rstrip().endswith(",")


def diff(old: Surface, new: Surface) -> list[ApiChange]:
    """Every change of the old version's public API, in the old version's path order, then
    the new required trait methods, variants and fields."""
    changes: list[ApiChange] = []
    moved: dict[str, str] = {}  # old owner path -> new owner path
    gone: set[str] = set()
    by_name: dict[tuple[str, str], list[ApiEntry]] = {}
    for entry in new.entries.values():
        by_name.setdefault((entry.kind, entry.path.rsplit("::", 1)[-1]), []).append(entry)
    fresh = [e for p, e in new.entries.items() if p not in old.entries]
    taken: set[str] = set()
    follow = _alias_became(old, new)
    for path, entry in old.entries.items():
        owner = _owner(path)
        if owner in follow:  # a member of `App`, reached through the alias `Command`
            target = f"{follow[owner]}::{path.rsplit('::', 1)[-1]}"
        elif owner in gone:
            continue  # reported with its owner
        else:
            target = f"{moved[owner]}::{path.rsplit('::', 1)[-1]}" if owner in moved else path
        if target in new.entries:
            change = _compare(entry, new.entries[target])
            if change is not None:
                changes.append(change)
            elif target != path and entry.kind in ("field", "variant", "method"):
                pass  # followed its owner
            continue
        match, how = _find_match(entry, new, by_name, fresh, taken)
        if match is None:
            gone.add(path)
            kind = {"field": "field_removed", "variant": "variant_removed",
                    "impl": "impl_removed"}.get(entry.kind, "removed")
            changes.append(_change(kind, entry, None, True))
            continue
        moved[path] = match.path
        changes.append(_change(how, entry, match, True))
    for path, entry in new.entries.items():
        if path in old.entries:
            continue
        owner = _owner(path)
        old_owner = next((o for o, n in moved.items() if n == owner), owner)
        if old_owner not in old.entries:
            continue  # a new item, or a member of one
        if entry.kind.startswith("trait_") and entry.required:
            changes.append(ApiChange("required_method", old_owner, path, "", entry.signature,
                                     old.entries[old_owner].qualname, True,
                                     new_location=entry.location, new_docs=entry.docs))
        elif entry.kind in ("variant", "field"):
            changes.append(ApiChange(f"{entry.kind}_added", old_owner, path, "", entry.signature,
                                     old.entries[old_owner].qualname, False,
                                     new_location=entry.location, new_docs=entry.docs))
    return changes


def _alias_became(old: Surface, new: Surface) -> dict[str, str]:
    """old type path -> new type path, for a type reached through an alias that became a type
    of its own (``type Command<'help> = App<'help>`` -> ``struct Command``) while the aliased
    type went away: code that calls ``cmd.get_about()`` called ``App``'s method and now calls
    ``Command``'s, so the members are compared across the two, not dropped with ``App``."""
    out = {}
    for path, entry in old.entries.items():
        now = new.entries.get(path)
        if entry.kind != "type" or now is None or now.kind not in TYPES or now.kind == "type":
            continue
        named = re.search(r"=\s*(?:\w+::)*(\w+)", entry.signature)
        aliased = f"{_owner(path)}::{named.group(1)}" if named else ""
        if aliased in old.entries and old.entries[aliased].kind in TYPES \
                and aliased not in new.entries:
            out[aliased] = path
    return out


def _find_match(entry: ApiEntry, new: Surface, by_name: dict, fresh: list[ApiEntry],
                taken: set[str]) -> tuple[ApiEntry | None, str]:
    if entry.kind in ("field", "variant", "impl"):
        return None, ""
    for path in new.paths_of.get(entry.qualname, ()):
        if new.entries[path].kind == entry.kind:
            return new.entries[path], "moved"
    same = by_name.get((entry.kind, entry.path.rsplit("::", 1)[-1]), [])
    if len(same) == 1 and entry.kind in TOP_LEVEL:
        return same[0], "moved"
    best, score = None, RENAME_SIMILARITY
    for cand in fresh:
        if cand.path in taken:
            continue  # a rename pairs one old item with one new item
        if cand.kind == entry.kind and _owner(cand.path) == _owner(entry.path):
            s = _similar(entry, cand)
            if s >= score:
                best, score = cand, s
    if best is not None:
        taken.add(best.path)
    return best, "renamed"
