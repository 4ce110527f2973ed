"""Parse layer: a small ``macro_rules!`` matcher and transcriber over token trees.

Rules are tried in order; the first whose matcher consumes the whole input wins, as in rustc.
Fragments: ``ident``, ``lifetime``, ``literal``, ``tt``, ``block`` and ``vis`` exactly;
``expr``, ``ty``, ``path``, ``pat``, ``stmt``, ``meta`` and ``item`` best effort: a run of
token trees up to the next token that may follow the fragment (``,`` ``;`` ``=>`` or the
literal token that follows in the matcher), angle brackets counted for types and paths.
Repetitions (``*`` ``+`` ``?``, separators, nesting) backtrack within a step budget; a
``Budget`` overrun (``TooBig``) means "not expanded", never a crash.
"""

from __future__ import annotations

import re

from .macro_rules import Budget, TooBig

_IDENT = re.compile(r"(?:r#)?[A-Za-z_][A-Za-z0-9_]*\Z")
_STOPS = {"expr": {",", ";", "=>"}, "stmt": {",", ";", "=>"}, "meta": {",", ";", "=>"},
          "pat": {",", "=>", "=", "|", "if", "in"}, "pat_param": {",", "=>", "=", "|", "if", "in"},
          "ty": {",", ";", "=>", "=", "|", "{", "[", ":", ">", "as", "where"},
          "path": {",", ";", "=>", "=", "|", "{", "[", ":", ">", "as", "where"}}
Bindings = dict[str, object]  # name -> token list, or a list of those per repetition level


def _is_ident(tok: tuple) -> bool:
    return tok[0] == "t" and tok[1] != "_" and _IDENT.match(tok[1]) is not None


def _is_literal(tok: tuple) -> bool:
    text = tok[1]
    if tok[0] != "t" or not text:
        return False
    if text in ("true", "false"):
        return True
    if text[0] == "'":
        return len(text) >= 3 and text.endswith("'")  # 'x' is a char, 'a a lifetime
    if text[0] in "br" and len(text) > 1 and text[1] in "\"'#r":
        return True
    return text[0] in "0123456789\""


def _first_literal(elements: list[tuple]) -> str | None:
    """The token a fragment must stop before, when the matcher continues with one."""
    return elements[0][1] if elements and elements[0][0] == "t" else None


def _fragment(kind: str, toks: list[tuple], i: int, follow: set[str]) -> int | None:
    """End index of the fragment starting at ``toks[i]``, or None if it cannot start there."""
    n = len(toks)
    if kind == "vis":
        if i < n and toks[i] == ("t", "pub"):
            return i + 2 if i + 1 < n and toks[i + 1][0] == "g" and toks[i + 1][1] == "(" \
                else i + 1
        return i
    if i >= n:
        return None
    tok = toks[i]
    if kind == "ident":
        return i + 1 if _is_ident(tok) else None
    if kind == "lifetime":
        return i + 1 if tok[0] == "t" and tok[1][:1] == "'" and not _is_literal(tok) else None
    if kind == "literal":
        if tok == ("t", "-") and i + 1 < n and _is_literal(toks[i + 1]):
            return i + 2
        return i + 1 if _is_literal(tok) else None
    if kind == "tt":
        return i + 1
    if kind == "block":
        return i + 1 if tok[0] == "g" and tok[1] == "{" else None
    if kind == "item":
        j = i
        while j < n:
            if toks[j] == ("t", ";") or (toks[j][0] == "g" and toks[j][1] == "{"
                                         and j > i and toks[j - 1] != ("t", "=")):
                return j + 1
            j += 1
        return None
    stops = (_STOPS.get(kind) or _STOPS["expr"]) | follow
    angles = kind in ("ty", "path")
    depth = 0  # open generic brackets of a type or path: `,` and `>` inside them do not stop
    j = i
    while j < n:
        tok = toks[j]
        if tok[0] == "t":
            text = tok[1]
            if angles and text == "<":
                depth += 1
            elif angles and text in (">", ">>") and depth > 0:
                depth = max(0, depth - len(text))
            elif depth == 0 and text in stops:
                break
        j += 1
    return j if j > i else None


class Matcher:
    """One match attempt of one rule; the ``Budget`` bounds the backtracking."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def match(self, pats: list[tuple], toks: list[tuple]) -> Bindings | None:
        for binds, end in self._seq(pats, 0, toks, 0, set()):
            if end == len(toks):
                return binds
        return None

    def _seq(self, pats: list[tuple], pi: int, toks: list[tuple], ti: int, follow: set[str]):
        """Every (bindings, end) matching ``pats[pi:]`` from ``toks[ti]``, preferred first."""
        self.budget.spend()
        if pi == len(pats):
            yield {}, ti
            return
        pat = pats[pi]
        kind = pat[0]
        nxt = _first_literal(pats[pi + 1:])
        here_follow = {nxt} if nxt is not None else follow
        if kind == "t":
            if ti < len(toks) and toks[ti] == pat:
                yield from self._seq(pats, pi + 1, toks, ti + 1, follow)
        elif kind == "g":
            if ti < len(toks) and toks[ti][0] == "g" and toks[ti][1] == pat[1]:
                inner = next((b for b, e in self._seq(pat[2], 0, toks[ti][2], 0, set())
                              if e == len(toks[ti][2])), None)
                if inner is not None:
                    for rest, end in self._seq(pats, pi + 1, toks, ti + 1, follow):
                        yield {**inner, **rest}, end
        elif kind == "bind":
            end = _fragment(pat[2], toks, ti, here_follow)
            if end is not None:
                for rest, stop in self._seq(pats, pi + 1, toks, end, follow):
                    yield {pat[1]: toks[ti:end], **rest}, stop
        elif kind == "rep":
            yield from self._rep(pats, pi, toks, ti, follow)

    def _rep(self, pats: list[tuple], pi: int, toks: list[tuple], ti: int, follow: set[str]):
        """Greedy, like rustc: each iteration takes the body's preferred match; then the rest
        of the matcher is tried after all iterations, then after fewer (a linear fallback,
        not a search over every split)."""
        _, body, sep, op = pats[pi]
        inner_follow = {sep} if sep else ({_first_literal(body)} - {None}) or follow
        done: list[Bindings] = []
        ends = [ti]
        pos = ti
        while not (op == "?" and done):
            start = pos
            if done and sep is not None:
                if pos >= len(toks) or toks[pos] != ("t", sep):
                    break
                start = pos + 1
            found = next(((b, e) for b, e in self._seq(body, 0, toks, start, inner_follow)  # type: ignore[arg-type]
                          if e > pos), None)  # no progress: an empty body would loop forever
            if found is None:
                break
            done.append(found[0])
            pos = found[1]
            ends.append(pos)
        names = _names(body)
        for count in range(len(done), 0, -1):
            collected = {name: [b.get(name, []) for b in done[:count]] for name in names}
            for rest, end in self._seq(pats, pi + 1, toks, ends[count], follow):
                yield {**collected, **rest}, end
        if op != "+":
            for rest, end in self._seq(pats, pi + 1, toks, ti, follow):
                yield {**{name: [] for name in names}, **rest}, end


def _names(elements: list[tuple]) -> list[str]:
    out: list[str] = []
    for el in elements:
        if el[0] == "bind":
            out.append(el[1])
        elif el[0] == "g":
            out.extend(_names(el[2]))
        elif el[0] == "rep":
            out.extend(_names(el[1]))
    return out


def _vars(elements: list[tuple]) -> list[str]:
    out: list[str] = []
    for el in elements:
        if el[0] == "var":
            out.append(el[1])
        elif el[0] == "g":
            out.extend(_vars(el[2]))
        elif el[0] == "rep":
            out.extend(_vars(el[1]))
    return out


def transcribe(body: list[tuple], binds: Bindings, budget: Budget) -> list[tuple]:
    out: list[tuple] = []
    for el in body:
        budget.spend()
        kind = el[0]
        if kind == "var":
            value = binds.get(el[1])
            if el[1] == "crate" and value is None:
                out.append(("t", "crate"))
            elif isinstance(value, list) and (not value or isinstance(value[0], tuple)):
                budget.spend(len(value))
                out.extend(value)  # type: ignore[arg-type]
            else:
                raise TooBig()  # a repeated variable outside its repetition: not valid
        elif kind == "g":
            out.append(("g", el[1], transcribe(el[2], binds, budget)))
        elif kind == "rep":
            out.extend(_transcribe_rep(el, binds, budget))
        else:
            out.append(el)
    return out


def _transcribe_rep(el: tuple, binds: Bindings, budget: Budget) -> list[tuple]:
    _, body, sep, _op = el
    repeated = {name: binds[name] for name in _vars(body)
                if isinstance(binds.get(name), list) and binds[name]
                and not isinstance(binds[name][0], tuple)}  # type: ignore[index]
    empty = [name for name in _vars(body) if binds.get(name) == []]
    if not repeated:
        if empty:
            return []
        raise TooBig()  # a repetition with no repeated variable cannot be expanded
    counts = {len(v) for v in repeated.values()}  # type: ignore[arg-type]
    if len(counts) != 1:
        raise TooBig()  # meta-variables repeat a different number of times
    out: list[tuple] = []
    for k in range(counts.pop()):
        if k and sep is not None:
            out.append(("t", sep))
        inner = {**binds, **{name: value[k] for name, value in repeated.items()}}  # type: ignore[index]
        out.extend(transcribe(body, inner, budget))
    return out


def expand_rules(rules: list[tuple[list[tuple], list[tuple]]], toks: list[tuple],
                 budget: Budget) -> list[tuple] | None:
    """The transcription of the first rule that matches ``toks``; None if none does."""
    for pattern, body in rules:
        head = pattern[0] if pattern else None
        if head is not None and head[0] in ("t", "g") and (
                not toks or toks[0][0] != head[0] or toks[0][1] != head[1]):
            continue  # a rule for another leading token (`(@inner ...) =>` arms)
        try:
            binds = Matcher(budget).match(pattern, toks)
        except RecursionError:
            raise TooBig() from None
        if binds is not None:
            return transcribe(body, binds, budget)
    return None
