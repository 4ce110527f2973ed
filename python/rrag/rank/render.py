"""Rank layer: compact renders of a context item — the text one candidate costs in each mode.

Every section opens with one short line: ``// path:line Short::name`` (a dependency adds its
crate and locked version before the path), enough for an answer to cite and for an editor to
jump, without the kind and the module path the file path already says. Modes:

* ``full`` — the item's code; doc comments only for the top few items, the cursor item's own
  doc comment trimmed when long;
* ``signature`` — the signature alone (the first doc line for the top few); a struct, enum or
  union with its fields or variants, the ones named near the cursor first and the rest elided
  with a count; a trait with its method signatures the same way; a method of a trait impl with
  the trait's declaration line;
* ``summary`` — the header line with the item's kind and length, a pointer to jump to.
"""

from __future__ import annotations

import re

from .context import Candidate

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOC_LINE = re.compile(r"^\s*(///|//!)")
NOISE_ATTR = re.compile(r"^\s*#\[(inline|must_use|doc|cold|track_caller|allow|cfg_attr)\b")
WHERE = re.compile(r"\swhere\s")
TYPE_KINDS = ("struct", "enum", "union")
CURSOR_DOC_LINES = 6  # the cursor item's doc comment beyond this is trimmed
MEMBER_CAP = 4  # fields, variants or trait methods shown in a signature; the rest are counted
TOP_DOCS = 3  # the best-ranked items that keep their first doc line


def short_name(c: Candidate) -> str:
    """The qualified name without the module path (the file path says it): ``Type::method``."""
    prefix = f"{c.module_path}::" if c.module_path else ""
    if prefix and c.name.startswith(prefix):
        return c.name[len(prefix):]
    return "::".join(c.name.split("::")[-2:]) if c.kind == "method" else c.name.split("::")[-1]


def place(c: Candidate) -> str:
    """What a header says about the file: crate and version (a dependency's) and the path. A
    section in the same file as the section before it leaves this out (``// :line Name``)."""
    crate = f"{c.crate} {c.version} " if c.version else ""
    return f"{crate}{c.path}"


def header(c: Candidate) -> str:
    return f"// {place(c)}:{c.start_line} {short_name(c)}"


def strip_docs(code: str, keep: int = 0, mark: bool = False) -> str:
    """Drop doc comment lines (all but the first ``keep`` of the leading block, the cut counted
    when ``mark``) and attributes that say nothing about the API (``#[inline]``...)."""
    out, leading, dropped = [], True, 0
    for line in code.splitlines():
        if DOC_LINE.match(line):
            if leading and keep > 0:
                keep -= 1
                out.append(line)
            elif leading:
                dropped += 1
            continue
        if NOISE_ATTR.match(line):
            continue
        if leading and dropped and mark:
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}/// … ({dropped} more doc lines)")
            dropped = 0
        leading = leading and line.lstrip().startswith("#")
        out.append(line)
    return "\n".join(out)


def _body_members(code: str) -> tuple[str, list[str], str]:
    """(opening line, member lines at depth one, closing) of a braced struct/enum body."""
    brace = code.find("{")
    if brace < 0:
        return code, [], ""
    head = code[:brace + 1].strip()
    body = "\n".join(ln.split("//")[0] for ln in code[brace + 1:].splitlines())
    members, depth, current = [], 0, ""
    for ch in body:
        if ch in "{([<":
            depth += 1
        elif ch in "})]>" and not (ch == ">" and current.endswith("-")):
            if depth == 0 and ch == "}":
                break
            depth -= 1
        if ch == "," and depth == 0:
            members.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        members.append(current)
    cleaned = []
    for member in members:
        lines = [ln.strip() for ln in member.splitlines()
                 if ln.strip() and not ln.strip().startswith(("//", "#["))]
        if lines:
            cleaned.append(" ".join(lines))
    return head, cleaned, "}"


def _pick(members: list[tuple[str, str]], nearby: set[str], cap: int) -> tuple[list[str], int]:
    """Up to ``cap`` member texts, those whose name is used nearby first, in source order."""
    used = [i for i, (name, _) in enumerate(members) if name in nearby]
    rest = [i for i in range(len(members)) if i not in set(used)]
    keep = sorted((used + rest)[:cap])
    return [members[i][1] for i in keep], len(members) - len(keep)


def outline_type(c: Candidate, nearby: set[str], cap: int | None = None) -> str:
    cap = MEMBER_CAP if cap is None else cap
    code = strip_docs(c.content)
    head, members, close = _body_members(code)
    if not members:
        return f"{header(c)}\n{c.signature or code.strip().splitlines()[0]}"
    named = [(_variant_name(m) if c.kind == "enum" else _field_name(m), m) for m in members]
    shown, more = _pick(named, nearby, cap)
    tail = [f"    // … {more} more {'variants' if c.kind == 'enum' else 'fields'}"] if more else []
    head_line = compact_signature(c.signature or head.rstrip("{").strip(), False)
    return "\n".join([header(c), f"{head_line} {{"] + [f"    {m}," for m in shown] + tail
                     + [close])


def _variant_name(member: str) -> str:
    words = WORD.findall(member)
    return words[0] if words else ""


def _field_name(member: str) -> str:
    before = member.split(":")[0]
    words = WORD.findall(before)
    return words[-1] if words else ""


def outline_trait(c: Candidate, nearby: set[str], cap: int | None = None) -> str:
    cap = MEMBER_CAP if cap is None else cap
    first = compact_signature(c.signature or c.content.strip().splitlines()[0], False)
    if not c.members:
        return f"{header(c)}\n{first}"
    shown, more = _pick([(n, compact_signature(s.rstrip(";{ ").strip().rstrip(","), False) + ";")
                         for n, s in c.members], nearby, cap)
    tail = [f"    // … {more} more methods"] if more else []
    return "\n".join([header(c), f"{first} {{"] + [f"    {s}" for s in shown] + tail + ["}"])


def dedent(code: str) -> str:
    """An item's text starts at its first character, so its first line has no indentation and
    the others keep the file's: remove what the other lines share (tokens and a ragged look)."""
    lines = code.splitlines()
    rest = [ln for ln in lines[1:] if ln.strip()]
    if not rest:
        return code
    cut = min(len(ln) - len(ln.lstrip(" ")) for ln in rest)
    return "\n".join([lines[0]] + [ln[cut:] if ln.strip() else "" for ln in lines[1:]])


def compact_signature(signature: str, top: bool) -> str:
    """A signature without its ``where`` clause (kept for the top few): the bounds of a generic
    function often cost more than the rest and rarely decide which function to call."""
    cut = WHERE.search(signature)
    if top or cut is None:
        return signature
    return signature[:cut.start()].rstrip() + " where …"


def render(c: Candidate, mode: str, nearby: set[str] = frozenset(), top: bool = False) -> str:
    if mode == "full":
        if c.volatile:
            code = strip_docs(c.content, keep=CURSOR_DOC_LINES, mark=True)
        else:
            code = strip_docs(c.content, keep=1 if top else 0)
        via = f"\n// via {c.trait_line}" if c.trait_line else ""
        return f"{header(c)}\n{dedent(code.strip())}{via}"
    if mode == "signature":
        if c.kind in TYPE_KINDS:
            return outline_type(c, nearby)
        if c.kind == "trait":
            return outline_trait(c, nearby)
        doc = c.docs.strip().splitlines()[0] if top and c.docs.strip() else ""
        doc_line = f"/// {doc}\n" if doc else ""
        first_line = c.content.strip().splitlines()[0] if c.content.strip() else c.name
        via = f"\n// via {c.trait_line}" if c.trait_line else ""
        return f"{header(c)}\n{doc_line}{compact_signature(c.signature or first_line, top)}{via}"
    lines = c.end_line - c.start_line + 1
    return f"{header(c)} ({c.kind}, {lines} lines)"


def nearby_words(text: str) -> set[str]:
    """The identifiers of the cursor's surroundings: members named there come first."""
    return set(WORD.findall(text))
