"""Issue 16: dependencies indexed the way cargo builds them on this host.

The cfg evaluation table is pure logic against a written-out rustc environment. The rest runs
the real ``cargo`` (generate-lockfile, metadata) and the real ``rrag`` command line on the
fixtures tests/fixtures/cfg_on_ws (rand with default features, winapi only on Windows) and
cfg_off_ws (rand without default features), against Debian's registry crates.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import BIN, REPO, rrag_json

from rrag.parse.cfg_eval import (Evaluator, active_attrs, attrs_active, cfg_if_branches,
                                 env_from_rustc)

LINUX_X86_64 = """debug_assertions
panic="unwind"
target_arch="x86_64"
target_endian="little"
target_env="gnu"
target_family="unix"
target_feature="sse2"
target_has_atomic="64"
target_os="linux"
target_pointer_width="64"
target_vendor="unknown"
unix
"""

# (predicate, active on x86_64 Linux with features {std, derive}, unknown keys it counts)
TABLE = [
    ('target_os = "linux"', True, 0), ('target_os = "windows"', False, 0),
    ('target_family = "unix"', True, 0), ('target_family = "windows"', False, 0),
    ("unix", True, 0), ("windows", False, 0),
    ('target_arch = "x86_64"', True, 0), ('target_arch = "aarch64"', False, 0),
    ('target_pointer_width = "64"', True, 0), ('target_pointer_width = "32"', False, 0),
    ('target_endian = "little"', True, 0), ('target_endian = "big"', False, 0),
    ('target_env = "gnu"', True, 0), ('target_env = "musl"', False, 0),
    ('target_vendor = "unknown"', True, 0), ('target_vendor = "apple"', False, 0),
    ('panic = "unwind"', True, 0), ('panic = "abort"', False, 0),
    ("debug_assertions", True, 0),
    ('feature = "std"', True, 0), ('feature = "serde"', False, 0),
    ("test", False, 0), ("doc", False, 0), ("docsrs", False, 0),
    ('target_feature = "sse2"', True, 0), ('target_feature = "avx512f"', False, 0),
    # nesting
    ('all(unix, target_pointer_width = "64")', True, 0),
    ('all(unix, not(target_os = "macos"))', True, 0),
    ('any(windows, target_os = "macos")', False, 0),
    ('any(windows, all(unix, feature = "derive"))', True, 0),
    ("not(any(test, doc))", True, 0), ("all()", True, 0), ("any()", False, 0),
    ('all(any(target_os = "linux", target_os = "android"), not(target_env = "musl"))', True, 0),
    # unknown keys: counted, and never the reason an item is lost (three-valued logic)
    ("loom", True, 1), ("not(loom)", True, 1), ("tokio_unstable", True, 1),
    ("all(unix, loom)", True, 1), ("all(windows, loom)", False, 1),
    ("any(windows, loom)", True, 1), ("any(unix, loom)", True, 1),
    ('my_key = "x"', True, 1),
    ("all(unix", True, 1),  # unparsable: counted as unknown, active
]


@pytest.mark.parametrize("predicate,active,unknown", TABLE)
def test_cfg_evaluation_table(predicate, active, unknown):
    ev = Evaluator(env_from_rustc(LINUX_X86_64, frozenset({"std", "derive"})))
    assert ev.active(predicate) is active
    assert sum(ev.unknown.values()) == unknown


def test_unknown_features_count_as_active():
    """The Cargo.lock fallback does not know the resolved features: a feature gate is then
    unknown (active, counted), never a reason to drop an item."""
    ev = Evaluator(env_from_rustc(LINUX_X86_64, None))
    assert ev.active('feature = "anything"') and ev.active('not(feature = "anything")')
    assert ev.unknown["feature"] == 2


def test_cfg_attr_expands_against_the_host():
    ev = Evaluator(env_from_rustc(LINUX_X86_64, frozenset({"std"})))
    attrs = ['cfg_attr(unix, path = "unix.rs")', 'cfg_attr(windows, path = "win.rs")',
             'cfg_attr(feature = "std", cfg_attr(target_os = "linux", inline), derive(Debug))',
             "derive(Clone)"]
    assert active_attrs(attrs, ev) == ['path = "unix.rs"', "inline", "derive(Debug)",
                                      "derive(Clone)"]
    assert attrs_active(["cfg(unix)", "cfg_attr(feature = \"std\", cfg(target_os = \"linux\"))"],
                        ev)
    assert not attrs_active(["cfg_attr(unix, cfg(windows))"], ev)
    assert attrs_active(["cfg_attr(windows, cfg(windows))"], ev)  # not applied off Windows


def test_cfg_if_branches_and_cfgd_mod_declarations():
    from rrag.parse.prescan import scan_mod_decls

    src = b"""cfg_if! {
    if #[cfg(windows)] {
        mod windows;
    } else if #[cfg(target_os = "linux")] {
        mod linux;
    } else {
        mod other;
    }
}
#[cfg(target_os = "macos")]
mod apple;
#[cfg(all(unix, not(target_os = "macos")))] pub mod unix_common;
"""
    branches = cfg_if_branches(src)
    assert [b[2] for b in branches] == [
        "all(windows)", 'all(target_os = "linux", not(any(windows)))',
        'all(not(any(windows, target_os = "linux")))']
    ev = Evaluator(env_from_rustc(LINUX_X86_64))
    decls = {d.name: ev.all_active(d.cfg) for d in scan_mod_decls(src)}
    assert decls == {"windows": False, "linux": True, "other": False, "apple": False,
                     "unix_common": True}


def _workspace(name: str, tmp_path: Path) -> Path:
    ws = tmp_path / name
    shutil.copytree(REPO / "tests" / "fixtures" / name, ws)
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=ws, check=True,
                   timeout=120)
    return ws


def _items(ws: Path) -> list[dict]:
    return rrag_json("items", "--root", str(ws))["items"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """Both fixtures indexed (no vectors) into one shared dependency cache; their items."""
    base = tmp_path_factory.mktemp("cfgws")
    env = {"XDG_CACHE_HOME": str(base / "cache")}
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ.update(env)
    try:
        out = {}
        for name in ("cfg_on_ws", "cfg_off_ws"):
            ws = _workspace(name, base)
            report = rrag_json("index", "--root", str(ws), "--no-embed")
            out[name] = (ws, report, _items(ws))
        stats = rrag_json("stats", "--root", str(out["cfg_on_ws"][0]))
        out["deps_dir"] = base / "cache" / "rrag" / "deps"
        out["stats"] = stats
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return out


def test_windows_only_dependency_is_not_indexed_on_linux(indexed):
    ws, report, items = indexed["cfg_on_ws"]
    with open(ws / "Cargo.lock", "rb") as fh:
        locked = {p["name"] for p in tomllib.load(fh)["package"]}
    assert "winapi" in locked  # the lock lists every platform's packages...
    deps = report["dependencies"]
    assert deps["via"] == "cargo metadata"
    imported = {d["name"] for d in deps["imported"]}
    assert not {n for n in imported if n.startswith("winapi")}  # ...cargo builds none here
    assert {"rand", "rand_core", "libc"} <= imported
    assert not {it["crate"] for it in items if it.get("version")
                and it["crate"].startswith("winapi")}
    roles = {d["name"]: d["role"] for d in deps["imported"]}
    assert roles["rand"] == "direct" and roles["rand_core"] == "transitive"


def test_cargo_lock_fallback_drops_other_platforms_too(indexed):
    """Without cargo metadata, the Cargo.lock walk skips `[target.'cfg(windows)']` edges."""
    from rrag.parse.workspace import discover
    from rrag.service.dep_resolve import resolve

    ws = indexed["cfg_on_ws"][0]
    by_lock = resolve(discover(ws), use_cargo=False)
    by_cargo = resolve(discover(ws))
    assert by_lock.via == "Cargo.lock" and by_cargo.via == "cargo metadata"
    assert {(s.name, s.version) for s in by_lock.sources} == \
        {(s.name, s.version) for s in by_cargo.sources}
    assert {s.name: s.role for s in by_lock.sources} == \
        {s.name: s.role for s in by_cargo.sources}


def test_libc_keeps_only_the_hosts_module_tree(indexed):
    if os.uname().sysname != "Linux" or os.uname().machine != "x86_64":
        pytest.skip("the expected module tree is x86_64 Linux's")
    _, _, items = indexed["cfg_on_ws"]
    paths = {it["path"] for it in items if it.get("version") and it["crate"] == "libc"}
    assert "src/unix/linux_like/linux/gnu/b64/x86_64/mod.rs" in paths
    others = [p for p in paths if any(part in p for part in (
        "windows", "/bsd/", "solarish", "haiku", "fuchsia", "/android/", "musl", "aarch64",
        "/wasi", "emscripten", "uclibc", "redox"))]
    assert others == []


def test_feature_gated_items_follow_each_projects_features(indexed):
    """rand 0.8.5 with default features (std, std_rng) in one project and without them in the
    other: `rand::random` and the ThreadRng module exist only in the first; the two projects use
    two different shared cache entries for the same version."""
    _, _, on = indexed["cfg_on_ws"]
    _, _, off = indexed["cfg_off_ws"]

    def names(items):
        return {it["name"] for it in items if it.get("version") and it["crate"] == "rand"}
    assert "rand::random" in names(on) and "rand::rngs::thread::ThreadRng" in names(on)
    assert "rand::random" not in names(off)
    assert not {n for n in names(off) if n.startswith("rand::rngs::thread")}
    assert "rand::rng::Rng" in names(on) and "rand::rng::Rng" in names(off)  # ungated: in both
    rand_caches = [d for d in indexed["deps_dir"].iterdir()
                   if d.is_dir() and d.name.startswith("rand-0.8")]
    assert len(rand_caches) == 2


def test_workspace_keeps_inactive_items_and_stats_count_unknown_keys(indexed):
    _, _, items = indexed["cfg_on_ws"]
    own = {it["name"] for it in items if not it.get("version")}
    assert {"cfg_on_ws::roll", "cfg_on_ws::platform_roll"} <= own
    cfg = indexed["stats"]["dependency_cfg"]
    assert cfg["items_dropped"] > 0 and cfg["files_dropped"] > 0
    assert cfg["unknown_keys"] > 0  # libc's build-script cfgs (libc_align, ...)


def _index_stderr(ws: Path, tty: bool) -> str:
    args = [str(BIN / "rrag"), "index", "--root", str(ws), "--no-embed"]
    if not tty:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=600) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_on_a_terminal_and_in_a_pipe(tmp_path):
    ws = _workspace("cfg_off_ws", tmp_path)
    piped = _index_stderr(ws, tty=False)
    assert "\r" not in piped and "\x1b" not in piped
    lines = piped.splitlines()
    assert "[rrag] resolving dependencies done" in lines
    assert any(line.startswith("[rrag] files parsed ") for line in lines)
    assert any(line.startswith("[rrag] dependency crates ") for line in lines)
    assert "[rrag] graph done" in lines
    (tmp_path / "again").mkdir()
    ws2 = _workspace("cfg_off_ws", tmp_path / "again")
    live = _index_stderr(ws2, tty=True)
    assert "\r\x1b[K[rrag] files parsed" in live and "\r\x1b[K[rrag] dependency crates" in live


def test_vector_progress_estimates_the_time_left():
    from rrag.service.progress import describe

    assert describe("embed", 100, 400, rate=50.0) == "vectors 100/400, about 6s left"
    assert describe("embed", 100, 4000, rate=10.0) == "vectors 100/4000, about 6m30s left"
    assert describe("indexing", 3, 9) == "files parsed 3/9"


def test_workspace_items_record_activity_and_ranking_prefers_active(tmp_path):
    """The workspace keeps `#[cfg(windows)]` code (a user may edit it) but marks it inactive on
    Linux; asked about the platform roll, the context puts the one this host compiles first."""
    from rrag.config import Config
    from rrag.service.engine import Engine

    if os.uname().sysname != "Linux":
        pytest.skip("the fixture's active function is the unix one")
    ws = tmp_path / "cfg_on_ws"
    shutil.copytree(REPO / "tests" / "fixtures" / "cfg_on_ws", ws)
    import dataclasses

    base = Config()
    config = dataclasses.replace(base, index=dataclasses.replace(base.index, dependencies=False))
    with Engine(ws, config, db_path=tmp_path / "i.sqlite") as engine:
        engine.index(embed=False)
        active = sorted(engine.store.execute(
            "SELECT name, start_line, active FROM items WHERE kind = 'function'").fetchall())
        ctx = engine.context(None, None, query="platform roll")
    text = (ws / "src" / "lib.rs").read_text().splitlines()
    windows_line = text.index("#[cfg(windows)]")  # 0-based: the doc line above is the item's
    unix_line = text.index("#[cfg(unix)]")
    assert active == [("platform_roll", windows_line, 0), ("platform_roll", unix_line - 1, 1),
                      ("roll", 3, 1)]
    rolls = [it["start_line"] for it in ctx["items"] if it["name"].endswith("::platform_roll")]
    # (the Windows one has the shorter docs: without the preference BM25 puts it first)
    assert rolls == [unix_line - 1, windows_line]
