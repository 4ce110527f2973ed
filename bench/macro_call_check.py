"""Benchmark (issue 18): are the `calls` edges found inside macro arguments right? Ask rustc.

Indexes each crate from /usr/share/cargo/registry (read in place), takes the resolved `calls`
edges whose call site sits inside an expression-position macro invocation's arguments (found
with tree-sitter), samples 50 (seed 2026), and checks them against the compiler: in a scratch
copy of the crate (under /tmp, deleted afterwards) every sampled target's definition is renamed
(`fn name` -> `fn name_rrag_renamed`), `cargo check --offline --all-targets` runs once, and an
edge is confirmed when rustc reports an error naming the old name at the edge's file and line.
Offline builds use Debian's registry as the crates.io source.

    .venv/bin/python bench/macro_call_check.py [--crates regex-1.7.1,url-2.3.1,...] [--n 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import tree_sitter
import tree_sitter_rust

HERE = Path(__file__).resolve().parent
REGISTRY = Path("/usr/share/cargo/registry")
RRAG = Path(sys.executable).parent / "rrag"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))
CONFIG = ('[source.crates-io]\nreplace-with = "debian"\n'
          '[source.debian]\ndirectory = "/usr/share/cargo/registry"\n')
ERROR = re.compile(r"^(?P<path>[^:\s]+\.rs):(?P<line>\d+):\d+: error(?:\[E\d+\])?: (?P<msg>.*)$")


def macro_arg_lines(path: Path) -> set[int]:
    """Lines inside the arguments of expression/statement-position macro invocations."""
    out: set[int] = set()
    stack = [PARSER.parse(path.read_bytes()).root_node]
    while stack:
        node = stack.pop()
        if node.type == "macro_invocation":
            parent = node.parent
            if parent is not None and parent.type == "expression_statement":
                parent = parent.parent
            if parent is not None and parent.type not in ("source_file", "declaration_list"):
                for child in node.children:
                    if child.type == "token_tree":
                        out.update(range(child.start_point[0] + 1, child.end_point[0] + 2))
            continue
        stack.extend(node.children)
    return out


def candidates(root: Path, cache: str) -> list[dict]:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    subprocess.run([str(RRAG), "index", "--no-embed", "--json", "--root", str(root)], env=env,
                   check=True, capture_output=True)
    sys.path.insert(0, str(HERE.parent / "python"))
    from rrag.store.db import open_store

    store = open_store(next(Path(cache).rglob("index.sqlite")))
    rows = store.execute(
        "SELECT e.path, e.line, s.qualname, t.qualname, t.name, tf.path, t.start_line "
        "FROM edges e JOIN items s ON s.id = e.source JOIN items t ON t.id = e.target "
        "JOIN files tf ON tf.id = t.file_id WHERE e.kind = 'calls' "
        "AND t.kind IN ('function', 'method') ORDER BY e.path, e.line, t.qualname")
    lines: dict[str, set[int]] = {}
    out = []
    for path, line, source, target, name, tpath, tline in rows:
        if path not in lines:
            lines[path] = macro_arg_lines(root / path)
        if line in lines[path]:
            out.append({"path": path, "line": line, "source": source, "target": target,
                        "name": name, "target_path": tpath, "target_line": tline})
    return out


def site_line(root: Path, edge: dict) -> int:
    """The line holding the called name: the edge's line, or for a method call in a chain
    spread over lines (the edge keeps the chain's first line) the first line after it; 0 when
    the name is not written there (a call made by a workspace macro's expansion)."""
    lines = (root / edge["path"]).read_text(errors="replace").split("\n")
    pattern = re.compile(rf"\b{re.escape(edge['name'])}(?=\s*(\(|::<))")
    method = re.compile(rf"^\s*\.{re.escape(edge['name'])}(?=\s*(\(|::<))")
    for i in range(edge["line"] - 1, min(len(lines), edge["line"] + 12)):
        if pattern.search(lines[i]) if i == edge["line"] - 1 else method.search(lines[i]):
            return i + 1
    return 0


def rename_site(work: Path, edge: dict) -> bool:
    """``name(`` -> ``name_rrag_renamed(`` on the call site's line."""
    file = work / edge["path"]
    lines = file.read_text(errors="replace").split("\n")
    pattern = re.compile(rf"\b{re.escape(edge['name'])}(?=\s*(\(|::<))")
    i = edge["site_line"] - 1
    lines[i] = pattern.sub(f"{edge['name']}_rrag_renamed", lines[i])
    file.write_text("\n".join(lines))
    return True


def confirms(edge: dict, error: dict) -> bool:
    if error["path"] != edge["path"] or int(error["line"]) != edge["site_line"]:
        return False
    msg = error["msg"]
    if f"{edge['name']}_rrag_renamed" not in msg:
        return False
    parts = edge["target"].split("::")
    if "found for" in msg:  # a method or associated function: on the target's type?
        owner = parts[-2] if len(parts) >= 2 else ""
        if re.search(r"`&?(mut )?Self`", msg):  # inside the target's own trait or impl
            return edge["source"].startswith("::".join(parts[:-1]) + "::")
        return re.search(rf"`(&(mut )?)?([\w:]*::)?{re.escape(owner)}\b", msg) is not None
    return msg.startswith("cannot find function")


def dev_deps_available(root: Path) -> bool:
    """Whether every dev-dependency is in the registry (else only the lib and its unit tests
    can be built offline)."""
    manifest = tomllib.loads((root / "Cargo.toml").read_text())
    tables = [manifest.get("dev-dependencies", {})]
    tables += [t.get("dev-dependencies", {}) for t in manifest.get("target", {}).values()]
    have = {p.name.rsplit("-", 1)[0] for p in REGISTRY.iterdir()}
    return all((spec.get("package", name) if isinstance(spec, dict) else name) in have
               for table in tables for name, spec in table.items())


def _strip_dev_deps(manifest: Path) -> None:
    out, skip = [], False
    for line in manifest.read_text().split("\n"):
        if line.startswith("["):
            skip = "dev-dependencies" in line or line.startswith(("[[bench]]", "[[test]]",
                                                                  "[[example]]"))
        if not skip:
            out.append(line)
    manifest.write_text("\n".join(out))


def check(root: Path, tmp: Path, sample: list[dict], outside_src: bool,
          lib_only: bool = False) -> list[dict]:
    work = tmp / ("crate-tests" if outside_src else "crate-src")
    shutil.copytree(root, work)
    (work / "Cargo.lock").unlink(missing_ok=True)
    for edge in sample:
        if edge["path"].startswith("src/") != outside_src:
            edge["renamed"] = rename_site(work, edge)
    targets = ["--all-targets"]
    if lib_only:  # dev-dependencies missing offline: the lib and its unit tests only
        _strip_dev_deps(work / "Cargo.toml")
        targets = ["--lib", "--profile", "test"]
    proc = subprocess.run(
        ["cargo", "check", "--offline", *targets, "--message-format=short"],
        cwd=work, capture_output=True, text=True,
        env={**os.environ, "CARGO_TARGET_DIR": os.environ.get(
            "RRAG_CHECK_TARGET", str(Path(tempfile.gettempdir()) / "rrag-macro-check"))})
    return [m.groupdict() for m in map(ERROR.match, proc.stderr.splitlines()) if m]


def run_crate(crate: str, n: int, seed: int) -> dict:
    root = REGISTRY / crate
    with tempfile.TemporaryDirectory() as tmp:
        found = candidates(root, os.path.join(tmp, "cache"))
        for edge in found:
            edge["site_line"] = site_line(root, edge)
        expanded = sum(1 for e in found if not e["site_line"])
        found = [e for e in found if e["site_line"]]
        lib_only = not dev_deps_available(root)
        if lib_only:
            found = [e for e in found if e["path"].startswith("src/")]
        # One sampled edge per calling function: a second renamed call in the same body (a
        # builder chain) has no type left for rustc to report against, and a spread sample
        # says more than 20 links of one chain.
        rng = random.Random(seed)
        rng.shuffle(found)
        sample, sources = [], set()
        for edge in found:
            if edge["source"] not in sources and len(sample) < n:
                sources.add(edge["source"])
                sample.append(edge)
        (Path(tmp) / ".cargo").mkdir()
        (Path(tmp) / ".cargo" / "config.toml").write_text(CONFIG)
        errors = check(root, Path(tmp), sample, False, lib_only)
        if not lib_only:
            errors += check(root, Path(tmp), sample, True)
    for edge in sample:
        edge["crate"] = crate
        edge["confirmed"] = any(confirms(edge, e) for e in errors)
    return {"crate": crate, "lib_only": lib_only, "candidates": len(found),
            "from_expansions_not_checked": expanded,
            "sampled": len(sample), "confirmed": sum(e["confirmed"] for e in sample),
            "errors_seen": len(errors), "edges": sample, "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crates", default="regex-1.7.1,url-2.3.1,nom-7.1.1,clap-4.0.32,chrono-0.4.23")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    crates = args.crates.split(",")
    per = -(-args.n // len(crates))
    results = [run_crate(c, per, args.seed) for c in crates]
    sampled = sum(r["sampled"] for r in results)
    confirmed = sum(r["confirmed"] for r in results)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "macro_call_check.json").write_text(
        json.dumps({"sampled": sampled, "confirmed": confirmed, "crates": results}, indent=2)
        + "\n")
    for r in results:
        print(f"{r['crate']}: {r['candidates']} macro-argument call edges "
              f"(+{r['from_expansions_not_checked']} from expansions, not checked), sampled "
              f"{r['sampled']}, confirmed by rustc {r['confirmed']}/{r['sampled']}")
        for edge in r["edges"]:
            if not edge["confirmed"]:
                print(f"  not confirmed: {edge['path']}:{edge['site_line']} {edge['source']} -> "
                      f"{edge['target']}")
    print(f"total: {confirmed}/{sampled}")


if __name__ == "__main__":
    main()
