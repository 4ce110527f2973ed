"""Benchmark: grounding precision, recall and latency on answers about real crates (issue 21).

Two throw-away projects lock two versions of the same three crates from Debian's registry
(/usr/share/cargo/registry, read at bench time): A = semver 1.0, nom 7, clap 4 and
B = semver 0.9, nom 4, clap 3. For each project, answers are built from the real public API of
its locked versions (a method called on a parameter of its type, an associated function, a
free function or macro through its crate path, with std code around it), and half of them get
one name changed plausibly:
  rename   - the method renamed (find_iter -> find_all style: synonyms, get_/is_ prefixes,
             plural, _mut), checked absent from the whole crate's source;
  other    - a method of another type of the same crate, absent from the receiver's type;
  version  - a method or function of the crate's other version (B's API in A and back),
             absent from this version's source.
An answer's flags are the names grounding reports missing: on a changed answer the changed name
is a true positive and any other flag a false positive; any flag on an intact answer is a false
positive. Latency: each answer grounded alone (name table warm), and 60-line answers (several
snippets joined). Writes bench/results/grounding.json.

Usage: .venv/bin/python bench/grounding.py [--per-project 150] [--seed 21]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rrag.graph.name_table import deref_base
from rrag.service.engine import Engine
from rrag.service.grounding import std_names
from rrag.store.names import name_rows

REGISTRY = Path("/usr/share/cargo/registry")
PROJECTS = {"a": {"semver": "1.0.14", "nom": "7.1.1", "clap": "4.0.32"},
            "b": {"semver": "0.9.0", "nom": "4.2.3", "clap": "3.2.23"}}
CONFIG = ('[source.crates-io]\nreplace-with = "debian-packages"\n\n'
          '[source.debian-packages]\ndirectory = "/usr/share/cargo/registry"\n')
SYNONYMS = [("find", "search"), ("iter", "all"), ("get", "fetch"), ("len", "size"),
            ("new", "create"), ("parse", "from_string"), ("push", "append"), ("remove", "delete"),
            ("is", "has"), ("to", "into"), ("with", "using"), ("set", "put"), ("value", "val"),
            ("arg", "argument"), ("name", "title"), ("matches", "match_all")]


@dataclass
class Snippet:
    crate: str
    text: str
    lines: int
    mutation: str = ""      # "", rename, other, version
    wrong_name: str = ""    # the changed name (last path segment)
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0


def project(base: Path, key: str) -> Path:
    root = base / f"ground_{key}"
    (root / "src").mkdir(parents=True)
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CONFIG)
    deps = "".join(f'{name} = {{ version = "={v}", default-features = false, '
                   f'features = {json.dumps(["std"] if name == "clap" else [])} }}\n'
                   for name, v in PROJECTS[key].items())
    (root / "Cargo.toml").write_text(f'[package]\nname = "ground_{key}"\nversion = "0.1.0"\n'
                                     f'edition = "2021"\n\n[dependencies]\n{deps}')
    (root / "src" / "lib.rs").write_text("pub fn placeholder() {}\n")
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=root, check=True)
    return root


def crate_source(crate: str, version: str) -> str:
    folder = REGISTRY / f"{crate}-{version}" / "src"
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*.rs")))


class Api:
    """One locked crate's public API as the index holds it. ``members`` are what every type of
    that name (in any crate of the project) has: a change is only counted when none has it."""

    def __init__(self, rows, crate: str, version: str) -> None:
        mine = [r for r in rows if r.crate == crate and r.version == version]
        public = re.compile(r"^pub (const |unsafe |async )*fn ")
        self.types = sorted({r.name for r in mine if r.kind in ("struct", "enum")})
        self.methods: dict[str, dict[str, str]] = {}
        for r in mine:
            if r.kind == "method" and r.self_type in self.types and public.match(r.signature):
                self.methods.setdefault(r.self_type, {})[r.name] = r.signature
        self.members = {t: set() for t in self.types}
        for r in rows:
            if r.self_type in self.members:
                self.members[r.self_type].add(r.name)
        # A Deref type also answers to its target's methods (`Prerelease` derefs to `str`):
        # those are read from std's rustdoc, the only description of std here.
        std = std_names()
        for r in rows:
            if r.name == "Target" and r.self_type in self.members and std is not None:
                self.members[r.self_type] |= std.types.get(deref_base(r.signature), set())
        self.functions = {r.name: r.qualname for r in mine if r.kind == "function"
                          and public.match(r.signature) and "::" in r.qualname}
        self.source = crate_source(crate, version)

    def absent(self, name: str) -> bool:
        return not re.search(rf"\b(fn|macro_rules!)\s+{re.escape(name)}\b", self.source)


def args_of(signature: str) -> str:
    params = signature.split("(", 1)[1].rsplit(")", 1)[0] if "(" in signature else ""
    names = [p.split(":")[0].strip().lstrip("mut ").strip() for p in params.split(",")
             if ":" in p and "self" not in p.split(":")[0]]
    return ", ".join(n if n.isidentifier() else "x" for n in names)


def build(rng: random.Random, crate: str, api: Api, other: Api, mutate: str) -> Snippet | None:
    typ = rng.choice([t for t in api.types if api.methods.get(t)])
    method, sig = rng.choice(sorted(api.methods[typ].items()))
    wrong = ""
    if mutate == "rename":
        for _ in range(20):
            wrong = _rename(rng, method)
            if wrong and wrong not in api.members[typ] and api.absent(wrong):
                break
        else:
            return None
    elif mutate == "other":
        pool = [m for t, ms in api.methods.items() if t != typ for m in ms
                if m not in api.members[typ] and m not in STD_COMMON]
        if not pool:
            return None
        wrong = rng.choice(sorted(pool))
    elif mutate == "version":
        pool = [m for t in set(other.methods) & set(api.methods) for m in other.methods[t]
                if api.absent(m) and m not in STD_COMMON]
        if not pool:
            return None
        typ = rng.choice(sorted({t for t in set(other.methods) & set(api.methods)
                                 if any(m in pool for m in other.methods[t])}))
        pool = [m for m in other.methods[typ] if m in pool]
        if not pool:
            return None
        wrong = rng.choice(sorted(pool))
    used = wrong or method
    helper = rng.choice(list(api.functions.items())) if api.functions and rng.random() < .5 \
        else None
    # A method is called on a value of its type, an associated function through the type.
    has_self = re.search(r"\(\s*(&\s*('\w+\s+)?)?(mut\s+)?self\b", sig.split(" fn ", 1)[-1])
    call = f"value.{used}" if has_self else f"{typ}::{used}"
    lines = [f"Here is how to do it with `{crate}`:", "", "```rust",
             f"fn example(value: &{typ}, items: &[String]) -> usize {{",
             f"    let result = {call}({args_of(sig)});",
             "    let mut names: Vec<String> = Vec::new();",
             "    for item in items.iter() {",
             "        names.push(item.trim().to_string());",
             "    }"]
    if helper is not None:
        fn, qual = helper
        lines.append(f"    let _extra = {qual}();")
    lines += ["    println!(\"{:?}\", names.len());", "    names.len()", "}", "```", "",
              f"`{call}` does the work; `Vec::with_capacity` would avoid regrowth."]
    return Snippet(crate, "\n".join(lines) + "\n", len(lines), mutate if wrong else "", wrong)


# Names std gives nearly every type (a flag there would be std's doing, not the change's).
STD_COMMON = {"clone", "fmt", "eq", "ne", "cmp", "partial_cmp", "hash", "from", "into",
              "default", "to_string", "drop", "deref", "as_ref", "borrow", "iter", "next"}


def _rename(rng: random.Random, name: str) -> str:
    parts = name.split("_")
    choices = []
    for a, b in SYNONYMS:
        if a in parts:
            choices.append("_".join(b if p == a else p for p in parts))
        if b in parts:
            choices.append("_".join(a if p == b else p for p in parts))
    choices += [f"get_{name}", f"{name}s", f"{name}_mut", name.rstrip("s") if
                name.endswith("s") else f"is_{name}"]
    return rng.choice(choices)


def run(per_project: int, seed: int) -> dict:
    rng = random.Random(seed)
    out: dict = {"answers": 0, "projects": {}}
    snippets: list[Snippet] = []
    timings: list[float] = []
    long_timings: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rrag-ground-bench-") as base:
        os.environ["XDG_CACHE_HOME"] = str(Path(base) / "cache")
        engines = {}
        apis: dict[str, dict[str, Api]] = {}
        for key in PROJECTS:
            engine = engines[key] = Engine(project(Path(base), key))
            engine.index(embed=False)
            rows = name_rows(engine.store)
            apis[key] = {c: Api(rows, c, v) for c, v in PROJECTS[key].items()}
        for key, engine in engines.items():
            other = "b" if key == "a" else "a"
            t0 = time.perf_counter()
            engine.ground("`Vec::new`")  # the name table and std's names, once
            first = time.perf_counter() - t0
            mine: list[Snippet] = []
            kinds = ["rename", "other", "version"]
            while len(mine) < per_project:
                crate = list(PROJECTS[key])[len(mine) % 3]
                mutate = "" if len(mine) % 2 == 0 else kinds[(len(mine) // 2) % 3]
                snip = build(rng, crate, apis[key][crate], apis[other][crate], mutate)
                if snip is None or (mutate and not snip.mutation):
                    continue
                t = time.perf_counter()
                result = engine.ground(snip.text)
                snip.seconds = time.perf_counter() - t
                snip.flags = [g["name"] for g in result["grounding"] if not g["found"]]
                mine.append(snip)
            for i in range(10):  # 60-line answers: four snippets and prose joined
                text = "\n".join(s.text for s in mine[i * 4:(i + 1) * 4])
                t = time.perf_counter()
                engine.ground(text)
                long_timings.append(time.perf_counter() - t)
            out["projects"][key] = {"crates": PROJECTS[key], "first_call_s": round(first, 3)}
            snippets += mine
        for engine in engines.values():
            engine.close()
    tp = sum(1 for s in snippets if s.mutation and any(
        f.rsplit("::", 1)[-1] == s.wrong_name for f in s.flags))
    fp = sum(len([f for f in s.flags if f.rsplit("::", 1)[-1] != s.wrong_name or not s.mutation])
             for s in snippets)
    changed = sum(1 for s in snippets if s.mutation)
    timings = [s.seconds for s in snippets]
    by_kind = {k: {"changed": sum(1 for s in snippets if s.mutation == k),
                   "flagged": sum(1 for s in snippets if s.mutation == k and any(
                       f.rsplit("::", 1)[-1] == s.wrong_name for f in s.flags))}
               for k in ("rename", "other", "version")}
    out |= {"answers": len(snippets), "changed": changed, "true_flags": tp, "false_flags": fp,
            "precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, changed), 4),
            "by_change": by_kind,
            "latency_ms": {"median": round(1000 * statistics.median(timings), 2),
                           "p95": round(1000 * sorted(timings)[int(.95 * len(timings))], 2),
                           "answer_lines_median": statistics.median(s.lines for s in snippets)},
            "latency_60_lines_ms": {"median": round(1000 * statistics.median(long_timings), 2),
                                    "max": round(1000 * max(long_timings), 2),
                                    "lines": len("\n".join(s.text for s in snippets[:4])
                                                 .splitlines())},
            "false_flag_examples": [(s.mutation, s.wrong_name, s.flags) for s in snippets
                                    if any(f.rsplit("::", 1)[-1] != s.wrong_name or not
                                           s.mutation for f in s.flags)][:15],
            "missed_examples": [(s.mutation, s.wrong_name, s.text.splitlines()[3].strip(),
                                 s.text.splitlines()[4].strip())
                                for s in snippets if s.mutation and s.wrong_name not in
                                [f.rsplit("::", 1)[-1] for f in s.flags]][:15],
            "loadavg": Path("/proc/loadavg").read_text().strip()}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-project", type=int, default=150)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    result = run(args.per_project, args.seed)
    target = Path(__file__).with_name("results") / "grounding.json"
    target.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if "examples" not in k}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
