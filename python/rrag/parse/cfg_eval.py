"""Parse layer: evaluating ``#[cfg(...)]`` predicates against the host, as rustc would.

A dependency is indexed the way cargo builds it on this machine: an item or ``mod`` under a
cfg that is false here (libc's other operating systems, winapi-only code, a feature the lock
does not enable) is left out. The environment comes from ``rustc --print cfg`` when rustc is at
hand (every key it prints is known, with exactly the values it prints), else from Python's view
of the platform; ``feature = "x"`` from the package's resolved features; ``test``, ``doc``,
``docsrs`` and ``miri`` are false. A key we do not know (``loom``, ``tokio_unstable``) is
*unknown*: evaluation is three-valued (Kleene), so ``not(unknown)`` is unknown too, and an
unknown result counts as active. An item is never lost to a key we cannot judge; each one is
counted, so ``rrag stats`` can say how many predicates were guessed.

Also here: ``cfg_attr(pred, attrs...)`` expansion and the branches of ``cfg_if! { if
#[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }`` (each branch's effective predicate is
``all(b, not(any(a)))``), which is how libc and many others choose their modules.
"""

from __future__ import annotations

import platform
import re
import sys
from collections import Counter
from dataclasses import dataclass, field

# Keys whose value rrag always knows for the host (the list and rustc's own output).
VALUE_KEYS = frozenset({"target_os", "target_family", "target_arch", "target_pointer_width",
                        "target_endian", "target_env", "target_vendor", "panic", "feature",
                        "target_abi", "target_has_atomic", "target_feature"})
NAME_KEYS = frozenset({"unix", "windows", "test", "doc", "docsrs", "debug_assertions", "miri"})

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<id>r#[A-Za-z_]\w*|[A-Za-z_]\w*'
                    r'(?:::[A-Za-z_]\w*)*)|(?P<p>[(),=]))')


@dataclass(frozen=True, slots=True)
class CfgEnv:
    """What the host's compiler would set: ``key = "value"`` pairs and bare names."""

    pairs: frozenset[tuple[str, str]]
    names: frozenset[str]
    known: frozenset[str]  # keys (value or bare) this environment can judge
    features: frozenset[str] | None = None  # None: the resolved features are not known

    def with_features(self, features: frozenset[str] | None) -> "CfgEnv":
        return CfgEnv(self.pairs, self.names, self.known, features)


def env_from_rustc(printed: str, features: frozenset[str] | None = None) -> CfgEnv:
    """The environment from ``rustc --print cfg`` output."""
    pairs, names = set(), set()
    for line in printed.splitlines():
        line = line.strip()
        if "=" in line:
            key, _, value = line.partition("=")
            pairs.add((key.strip(), value.strip().strip('"')))
        elif line:
            names.add(line)
    known = VALUE_KEYS | NAME_KEYS | {k for k, _ in pairs} | names
    return CfgEnv(frozenset(pairs), frozenset(names), frozenset(known), features)


def env_from_platform(features: frozenset[str] | None = None) -> CfgEnv:
    """A best guess without rustc: Python's idea of this machine."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64", "i686": "x86", "i386": "x86"}.get(machine,
                                                                                     machine)
    os_name = {"darwin": "macos", "win32": "windows", "cygwin": "windows"}.get(
        sys.platform, "linux" if sys.platform.startswith("linux") else sys.platform)
    family = "windows" if os_name == "windows" else "unix"
    pairs = {("target_os", os_name), ("target_family", family), ("target_arch", arch),
             ("target_pointer_width", "64" if sys.maxsize > 2**32 else "32"),
             ("target_endian", sys.byteorder), ("panic", "unwind"),
             ("target_env", "gnu" if os_name == "linux" else "msvc" if family == "windows"
              else ""),
             ("target_vendor", "apple" if os_name == "macos" else "pc" if family == "windows"
              else "unknown")}
    text = "\n".join([f'{k}="{v}"' for k, v in pairs] + [family, "debug_assertions"])
    env = env_from_rustc(text, features)
    # Without rustc, atomics and target features are guesses: leave them unknown.
    return CfgEnv(env.pairs, env.names, env.known - {"target_has_atomic", "target_feature",
                                                     "target_abi"}, features)


@dataclass
class Evaluator:
    """Evaluates predicates against ``env``, counting the unknown keys it met."""

    env: CfgEnv
    unknown: Counter = field(default_factory=Counter)

    def active(self, predicate: str) -> bool:
        """The predicate as ``#[cfg(...)]`` holds it; unknown or unparsable counts as true."""
        try:
            tokens = _tokens(predicate)
            value, rest = self._expr(tokens, 0)
            if rest != len(tokens):
                raise ValueError(predicate)
        except (ValueError, IndexError):
            self.unknown["<unparsable>"] += 1
            return True
        return value is not False

    def all_active(self, predicates: tuple[str, ...] | list[str]) -> bool:
        return all(self.active(p) for p in predicates)

    def _expr(self, toks: list[str], i: int) -> tuple[bool | None, int]:
        head = toks[i]
        if head in ("all", "any", "not") and i + 1 < len(toks) and toks[i + 1] == "(":
            values, i = [], i + 2
            while toks[i] != ")":
                value, i = self._expr(toks, i)
                values.append(value)
                if toks[i] == ",":
                    i += 1
            i += 1
            if head == "not":
                if len(values) != 1:
                    raise ValueError("not() takes one predicate")
                return (None if values[0] is None else not values[0]), i
            if head == "all":
                return (False if False in values else None if None in values else True), i
            return (True if True in values else None if None in values else False), i
        if not re.fullmatch(r"[A-Za-z_][\w:#]*", head):
            raise ValueError(head)
        if i + 2 < len(toks) and toks[i + 1] == "=":
            value = toks[i + 2]
            if not value.startswith('"'):
                raise ValueError(value)
            return self._pair(head, value[1:-1]), i + 3
        return self._name(head), i + 1

    def _pair(self, key: str, value: str) -> bool | None:
        if key == "feature":
            if self.env.features is None:
                self.unknown["feature"] += 1
                return None
            return value in self.env.features
        if key not in self.env.known:
            self.unknown[key] += 1
            return None
        return (key, value) in self.env.pairs

    def _name(self, name: str) -> bool | None:
        if name not in self.env.known:
            self.unknown[name] += 1
            return None
        return name in self.env.names


def _tokens(text: str) -> list[str]:
    out, pos, end = [], 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(text[pos:])
        out.append(m.group(m.lastgroup or "p"))
        pos = m.end()
    return out


def split_top_level(text: str) -> list[str]:
    """``a, f(b, c), d = "x,y"`` -> [``a``, ``f(b, c)``, ``d = "x,y"``]."""
    parts, depth, start, quoted, i = [], 0, 0, False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def active_attrs(attrs: tuple[str, ...] | list[str], ev: Evaluator) -> list[str]:
    """Attributes (inner text, no ``#[ ]``) after ``cfg_attr`` expansion on the host:
    ``cfg_attr(unix, path = "u.rs")`` becomes ``path = "u.rs"`` on Linux and nothing on
    Windows; nested cfg_attr expand too."""
    out: list[str] = []
    for attr in attrs:
        m = re.fullmatch(r"\s*cfg_attr\s*\((.*)\)\s*", attr, re.S)
        if m is None:
            out.append(attr)
            continue
        parts = split_top_level(m.group(1))
        if len(parts) >= 2 and ev.active(parts[0]):
            out += active_attrs(parts[1:], ev)
    return out


def attrs_active(attrs: tuple[str, ...] | list[str], ev: Evaluator) -> bool:
    """True when every ``cfg(...)`` among ``attrs`` (cfg_attr expanded) holds on the host."""
    for attr in active_attrs(attrs, ev):
        m = re.fullmatch(r"\s*cfg\s*\((.*)\)\s*", attr, re.S)
        if m is not None and not ev.active(m.group(1)):
            return False
    return True


_CFG_IF = re.compile(rb"\bcfg_if!\s*\{|\bcfg_if::cfg_if!\s*\{")
_BRANCH = re.compile(rb"\s*(?:(else)\s*)?(?:(if)\s*#\s*\[\s*cfg\s*\()?")


def cfg_if_branches(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, effective predicate) of every branch body of every ``cfg_if!``; a final
    ``else`` gets ``not(any(previous...))``. Nested invocations are found as well."""
    out: list[tuple[int, int, str]] = []
    for m in _CFG_IF.finditer(data):
        pos, previous = m.end(), []
        while True:
            b = _BRANCH.match(data, pos)
            if b is None or (not b.group(1) and not b.group(2)):
                break
            pos = b.end()
            predicate = None
            if b.group(2):
                close = _matching(data, pos - 1)
                if close < 0:
                    break
                predicate = data[pos:close].decode("utf-8", "replace").strip()
                pos = data.find(b"]", close) + 1
            brace = data.find(b"{", pos)
            if brace < 0 or data[pos:brace].strip():
                break
            end = _matching(data, brace)
            if end < 0:
                break
            not_before = f"not(any({', '.join(previous)}))" if previous else ""
            effective = ", ".join(p for p in (predicate, not_before) if p)
            out.append((brace, end, f"all({effective})" if effective else "all()"))
            if predicate is None:
                break
            previous.append(predicate)
            pos = end + 1
    return out


def _matching(data: bytes, open_at: int) -> int:
    """Index of the bracket closing the one at ``open_at`` (strings and comments naive)."""
    pairs = {ord("("): ord(")"), ord("{"): ord("}"), ord("["): ord("]")}
    opener = data[open_at]
    closer, depth = pairs[opener], 0
    for i in range(open_at, len(data)):
        ch = data[i]
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return i
    return -1
