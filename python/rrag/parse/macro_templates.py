"""Parse layer: what a workspace ``macro_rules!`` macro's own body calls, per matched rule.

An expression- or statement-position invocation of a workspace macro (same file or
``crate_macros``) is matched with the real matcher (rrag.parse.macro_match); the rule that
matches decides what the expansion adds beyond the arguments. The arguments' references come
from their verbatim copy (rrag.parse.macro_args, exact lines), so here the matched rule's
transcriber is rendered once with every metavariable replaced by a placeholder — a *template*
— and its references are extracted once and cached: ``regex!($re)`` => ``Regex::new(__m)
.unwrap()`` gives the call to ``Regex::new`` at the cost of one match, once per calling item
and rule (the body is the same for every invocation). (Transcribing and parsing each
invocation's full expansion cost +60 % parse time on clap and nom, whose test macros are
invoked thousands of times; issue 18.) References that mention the placeholder (``$f(x)``,
``$ty::new()``) are the arguments' business and dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from .macro_match import Matcher
from .macro_rules import Budget, TooBig, render, tokens
from .model import Item

PLACEHOLDER = "__m"
MAX_STEPS = 20_000  # matcher steps per invocation
MAX_FILE_STEPS = 200_000
KEPT = frozenset(("call", "mcall", "const", "macro", "type"))
_CACHE: OrderedDict[int, tuple[Any, list[tuple]]] = OrderedDict()  # id(body) -> (body, refs)
_INVOKED: OrderedDict[int, list] = OrderedDict()  # id(rules) -> [rules, invocations seen]
_ACTIVE: set[int] = set()  # templates being extracted (a recursive macro stops here)

RulesFor = Callable[[str, int], "list | None"]
Extract = Callable[[Any, list[Item], RulesFor], list[tuple]]


def template(body: list[tuple]) -> list[tuple]:
    """The transcriber with metavariables as placeholders and repetitions taken once."""
    out: list[tuple] = []
    for el in body:
        kind = el[0]
        if kind == "var":
            out.append(("t", "crate" if el[1] == "crate" else PLACEHOLDER))
        elif kind == "g":
            out.append(("g", el[1], template(el[2])))
        elif kind == "rep":
            out.extend(template(el[1]))
        else:
            out.append(el)
    return out


def matched_body(found: list, toks: list[tuple], budget: Budget) -> list[tuple] | None:
    """The transcriber of the first rule whose matcher accepts ``toks``."""
    for pattern, body in found:
        head = pattern[0] if pattern else None
        if head is not None and head[0] in ("t", "g") and (
                not toks or toks[0][0] != head[0] or toks[0][1] != head[1]):
            continue
        try:
            if Matcher(budget).match(pattern, toks) is not None:
                return body
        except RecursionError:
            raise TooBig() from None
    return None


def _unalias(ref: tuple, aliases: dict[str, str]) -> tuple:
    if not aliases or ref[0] not in ("call", "const", "type") or not isinstance(ref[2], str):
        return ref
    head, sep, rest = ref[2].partition("::")
    if head in aliases:
        return (ref[0], ref[1], aliases[head] + sep + rest, *ref[3:])
    return ref


class Templates:
    """Template references of the workspace macros one file invokes."""

    def __init__(self, rules_for: RulesFor, extract: Extract, parse: Callable[[bytes], Any]
                 ) -> None:
        self.rules_for = rules_for
        self.extract = extract
        self.parse = parse
        self.steps_left = MAX_FILE_STEPS

    def refs(self, found: list, tree: Any, added: set[int]) -> list[tuple]:
        """The references of the rule of ``found`` (a macro's rules) that the invocation's
        token ``tree`` matches, unless that rule is in ``added`` (the caller has them already;
        the rule is added to it)."""
        if self.steps_left <= 0 or self._nothing_to_add(found, added):
            return []
        budget = Budget(min(MAX_STEPS, self.steps_left))
        try:
            body = matched_body(found, tokens(tree, budget), budget)
        except TooBig:
            body = None
        self.steps_left -= min(MAX_STEPS, self.steps_left) - max(0, budget.left)
        if body is None or id(body) in added:
            return []
        added.add(id(body))
        return self._template_refs(body)

    def _nothing_to_add(self, found: list, added: set[int]) -> bool:
        """No rule can add what the caller lacks (each is in ``added`` or its template has no
        references): then the invocation need not be matched. A rule's template is extracted
        once; they are asked for only once the macro has been invoked more times than it has
        rules, so a many-rule macro invoked once or twice is matched, not extracted whole
        (clap's `debug!` is invoked 590 times, and 377 of them add nothing)."""
        key = id(found)
        seen = _INVOKED.get(key)
        if seen is None or seen[0] is not found:
            seen = _INVOKED[key] = [found, 0]
            if len(_INVOKED) > 4096:
                _INVOKED.popitem(last=False)
        seen[1] += 1
        if seen[1] <= len(found):
            return all(id(body) in added for _, body in found)
        return all(id(body) in added or not self._template_refs(body) for _, body in found)

    def _template_refs(self, body: list[tuple]) -> list[tuple]:
        key = id(body)
        cached = _CACHE.get(key)
        if cached is not None and cached[0] is body:
            _CACHE.move_to_end(key)
            return cached[1]
        if key in _ACTIVE:
            return []
        _ACTIVE.add(key)
        try:
            pieces: list[str] = []
            render(template(body), pieces)
            text = ("fn _w(){{" + "".join(pieces) + "};}\n").encode("utf-8")
            holder = Item("file", "", "", "", 0, len(text), 1, 1, "")
            found = self.extract(self.parse(text), [holder], self.rules_for)
            # The body's own `use`s (`{ use regex::Regex; Regex::new($re) }`) name its paths.
            aliases = {(r[3] or r[2].rsplit("::", 1)[-1]): r[2] for r in found
                       if r[0] == "use" and not r[2].endswith("*")}
            refs = [_unalias(r, aliases) for r in found
                    if r[0] in KEPT and PLACEHOLDER not in repr(r[2:4])]
        except (TooBig, RecursionError):
            refs = []
        finally:
            _ACTIVE.discard(key)
        _CACHE[key] = (body, refs)
        if len(_CACHE) > 4096:
            _CACHE.popitem(last=False)
        return refs
