"""The parse layer on a real crate (regex 1.7.1 from Debian's librust-regex-dev): every item of
every file, with kind, qualified name and line range, equals what an independent simple
tree-sitter walk (tests/py/ts_walk.py) finds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rrag.parse import workspace
from rrag.parse.rust import finalize, parse_source
from ts_walk import expected_items, module_paths

REGEX = Path("/usr/share/cargo/registry/regex-1.7.1")


@pytest.fixture(scope="module")
def regex_dir() -> Path:
    if not (REGEX / "Cargo.toml").is_file():
        pytest.fail(f"{REGEX} is missing: run scripts/setup-system.sh (it installs the "
                    "librust-*-dev packages whose sources the tests read)")
    return REGEX


def product_items(crate_dir: Path) -> tuple[Counter, dict[str, str]]:
    ws = workspace.discover(crate_dir)
    files = workspace.rust_files(ws)
    parsed = {rel: parse_source((crate_dir / rel).read_bytes(), rel) for rel in files}
    modules = workspace.assign_modules(ws, {r: p.mod_decls for r, p in parsed.items()}, files)
    found: Counter = Counter()
    for rel, p in parsed.items():
        finalize(p, modules[rel].module_path)
        for item in p.items:
            if not item.expanded_from:  # macro-generated: tests/py/test_macro_expansion.py
                found[(rel, item.kind, item.qualname, item.start_line, item.end_line)] += 1
    return found, {rel: m.module_path for rel, m in modules.items()}


def test_module_paths_match_the_layout(regex_dir):
    _, modules = product_items(regex_dir)
    expected = module_paths(regex_dir)
    assert set(modules) == set(expected), "the two walks see different .rs files"
    wrong = {f: (modules[f], expected[f]) for f in expected if modules[f] != expected[f]}
    assert not wrong, wrong
    assert modules["src/literal/imp.rs"] == "regex::literal::imp"
    assert modules["tests/api.rs"] == "default::api"  # the first [[test]] declaring it


def test_every_item_matches_an_independent_walk(regex_dir):
    found, _ = product_items(regex_dir)
    expected = expected_items(regex_dir)
    missing = expected - found
    extra = found - expected
    assert not missing and not extra, (
        f"missing {len(missing)}: {sorted(missing)[:15]}\nextra {len(extra)}: {sorted(extra)[:15]}")
    # The comparison is not vacuous: the crate really has items of these kinds.
    kinds = Counter(k for (_, k, _, _, _) in found.elements())
    assert kinds["method"] > 400 and kinds["function"] > 80 and kinds["impl"] > 100
    assert {"struct", "enum", "trait", "module", "macro", "const", "type", "file"} <= set(kinds)
    assert ("src/re_unicode.rs", "method", "regex::re_unicode::Regex::is_match") in \
        {(p, k, q) for (p, k, q, _, _) in found}


def test_registry_files_parse_without_errors(regex_dir):
    errors = {rel: parse_source((regex_dir / rel).read_bytes(), rel).error_count
              for rel in workspace.rust_files(workspace.discover(regex_dir))}
    assert errors and not any(errors.values()), {k: v for k, v in errors.items() if v}


@pytest.mark.slow
def test_all_registry_sources_match_the_independent_walk(regex_dir):
    """Every .rs file of every crate under /usr/share/cargo/registry (1.2M lines): the same items,
    kinds, names and line ranges as the independent walk, module path held fixed."""
    from ts_walk import items_of_source

    differing = {}
    checked = 0
    for path in sorted(regex_dir.parent.rglob("*.rs")):
        source = path.read_bytes()
        parsed = parse_source(source, path.name)
        finalize(parsed, "m")
        got = Counter((i.kind, i.qualname, i.start_line, i.end_line) for i in parsed.items
                      if not i.expanded_from)
        expected = Counter(items_of_source(source, "m"))
        checked += 1
        if got != expected:
            differing[str(path)] = (sorted(expected - got)[:3], sorted(got - expected)[:3])
    assert checked > 1000
    assert not differing, dict(list(differing.items())[:5])


def test_rrag_items_cli_matches_the_independent_walk(regex_dir, tmp_path):
    """The acceptance check as a user runs it: `rrag index` then `rrag items --json`."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    rrag_bin = str(Path(sys.executable).parent / "rrag")
    subprocess.run([rrag_bin, "index", "--no-embed", "--root", str(regex_dir)], env=env,
                   check=True, capture_output=True)
    out = subprocess.run([rrag_bin, "items", "--json", "--root", str(regex_dir)], env=env,
                         check=True, capture_output=True, text=True).stdout
    items = json.loads(out)["items"]
    found = Counter((i["path"], i["kind"], i["name"], i["start_line"], i["end_line"])
                    for i in items if "expanded_from" not in i)
    assert any("expanded_from" in i for i in items)  # regex's test macros expand
    expected = expected_items(regex_dir)
    assert found == expected, (f"missing {sorted(expected - found)[:10]}\n"
                               f"extra {sorted(found - expected)[:10]}")
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    by_id = {i["id"]: i for i in items}
    assert all(i["parent"] is None or i["parent"] in by_id for i in items)
