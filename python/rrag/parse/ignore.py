"""Parse layer: the common subset of .gitignore semantics, for the workspace scan.

Supported: comments and blank lines, ``!`` negation, ``\\`` escapes, trailing ``/`` (directories
only), a leading or inner ``/`` anchoring the pattern to the .gitignore's directory, ``*``, ``?``,
``[...]`` classes and ``**`` (leading ``**/``, trailing ``/**``, inner ``/**/``). Rules are
checked in order and the last match wins; deeper .gitignore files come later, so they override
shallower ones, and ``.git/info/exclude`` comes first. A directory that is ignored is not
entered, so (as in git) nothing below it can be re-included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of one ignore file. ``base``: its directory relative to the scan root ("" for
    the root itself); ``lead``: what to prepend to a path under the root when the file sits
    above the root (a parent repository's .gitignore)."""

    base: str
    lead: str
    rules: tuple[Rule, ...]

    def relative(self, rel: str) -> str | None:
        if not self.base:
            return self.lead + rel
        if rel.startswith(self.base + "/"):
            return self.lead + rel[len(self.base) + 1:]
        return None


def _glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    n = len(glob)
    while i < n:
        ch = glob[i]
        if ch == "*":
            if glob.startswith("**", i):
                at_start = i == 0 or glob[i - 1] == "/"
                at_end = i + 2 == n or glob[i + 2] == "/"
                if at_start and at_end:
                    if i + 2 == n:
                        out.append(".*")  # trailing /**: everything inside
                        i += 2
                    else:
                        out.append("(?:.*/)?")  # **/ : zero or more directories
                        i += 3
                    continue
            out.append("[^/]*")
            while i < n and glob[i] == "*":
                i += 1
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[":
            close = glob.find("]", i + 2 if glob[i + 1:i + 2] in ("!", "^", "]") else i + 1)
            if close < 0:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1:close]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = close
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def parse_rules(text: str) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        # Trailing spaces are dropped unless escaped.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        elif line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _glob_to_regex(line)
        pattern = body if anchored else "(?:.*/)?" + body
        try:
            regex = re.compile(f"(?s:{pattern})\\Z")
        except re.error:
            continue  # a pattern git would also fail to use; skip it
        rules.append(Rule(regex, negated, dir_only))
    return tuple(rules)


def load(path: Path, base: str, lead: str = "") -> RuleSet | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    rules = parse_rules(text)
    return RuleSet(base, lead, rules) if rules else None


def is_ignored(rulesets: tuple[RuleSet, ...], rel: str, is_dir: bool) -> bool:
    """Whether ``rel`` (relative to the scan root, '/' separators) is ignored."""
    ignored = False
    for ruleset in rulesets:
        path = ruleset.relative(rel)
        if path is None:
            continue
        for rule in ruleset.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(path):
                ignored = not rule.negated
    return ignored


def outer_rulesets(root: Path) -> tuple[RuleSet, ...]:
    """Rules that apply from above the scan root: the enclosing repository's
    ``.git/info/exclude`` and the .gitignore files between its top and the root."""
    top = None
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            top = candidate
            break
    if top is None:
        return ()
    found: list[RuleSet] = []
    lead = root.relative_to(top).as_posix()
    lead = "" if lead == "." else lead + "/"
    exclude = load(top / ".git" / "info" / "exclude", "", lead)
    if exclude:
        found.append(exclude)
    chain = [top, *reversed([p for p in root.parents if top in p.parents])]
    for directory in chain:
        if directory == root:
            continue
        sub = root.relative_to(directory).as_posix() + "/"
        ruleset = load(directory / ".gitignore", "", sub)
        if ruleset:
            found.append(ruleset)
    return tuple(found)
