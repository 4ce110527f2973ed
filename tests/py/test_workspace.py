"""Workspace discovery, file listing and the module tree, on workspaces built in the test:
real folders, real Cargo.toml files, module declarations read by the real parser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rrag.errors import WorkspaceError
from rrag.parse import workspace as W
from rrag.parse.rust import parse_source


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def package(name: str, extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{extra}'


def index(root: Path):
    ws = W.discover(root)
    files = W.rust_files(ws)
    decls = {f: parse_source((root / f).read_bytes(), f).mod_decls for f in files}
    return ws, files, W.assign_modules(ws, decls, files)


def paths(modules) -> dict[str, str]:
    return {f: m.module_path for f, m in modules.items()}


def test_workspace_members_glob_and_exclude(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*", "tools/cli"]\nexclude = ["crates/old"]\n'
                      '[workspace.package]\nversion = "2.0.0"\n'
                      '[workspace.dependencies]\n'
                      'serde = { version = "1.0", features = ["derive"] }\n',
        "crates/core-lib/Cargo.toml": '[package]\nname = "core-lib"\nversion.workspace = true\n'
                                      '[dependencies]\nserde = { workspace = true }\n'
                                      'util = { path = "../util", package = "my-util" }\n'
                                      '[dev-dependencies]\nproptest = "1"\n'
                                      '[target.\'cfg(unix)\'.build-dependencies]\ncc = "1.0"\n',
        "crates/core-lib/src/lib.rs": "pub mod parse;\n",
        "crates/core-lib/src/parse.rs": "pub fn parse() {}\n",
        "crates/util/Cargo.toml": package("my-util"),
        "crates/util/src/lib.rs": "pub fn help() {}\n",
        "crates/old/Cargo.toml": package("old"),
        "crates/old/src/lib.rs": "pub fn old() {}\n",
        "tools/cli/Cargo.toml": package("cli"),
        "tools/cli/src/main.rs": "fn main() {}\n",
        "stray/Cargo.toml": package("stray"),
        "stray/src/lib.rs": "pub fn stray() {}\n",
    })
    ws, files, modules = index(root)
    by_name = {p.name: p for p in ws.packages}
    assert set(by_name) == {"core-lib", "my-util", "cli"}
    core = by_name["core-lib"]
    assert (core.version, core.manifest_dir, core.crate) == ("2.0.0", "crates/core-lib", "core_lib")
    deps = {d.name: d for d in core.dependencies}
    assert (deps["serde"].req, deps["serde"].kind) == ("1.0", "normal")
    assert (deps["util"].package, deps["util"].path) == ("my-util", "../util")
    assert deps["proptest"].kind == "dev" and deps["cc"].kind == "build"
    assert files == ["crates/core-lib/src/lib.rs", "crates/core-lib/src/parse.rs",
                     "crates/util/src/lib.rs", "tools/cli/src/main.rs"]
    assert paths(modules) == {
        "crates/core-lib/src/lib.rs": "core_lib", "crates/core-lib/src/parse.rs": "core_lib::parse",
        "crates/util/src/lib.rs": "my_util", "tools/cli/src/main.rs": "cli",
    }
    assert modules["crates/core-lib/src/parse.rs"] == W.FileModule("core-lib", "core_lib",
                                                                   "core_lib::parse", True)


def test_module_layouts_mod_rs_stem_dirs_inline_and_path(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("lay-out"),
        "src/lib.rs": ("mod a;\npub mod foo;\nmod outer {\n    pub mod inner;\n"
                       "    #[path = \"custom\"]\n    mod renamed { mod deep; }\n}\n"
                       "#[path = \"elsewhere/thing.rs\"]\nmod thing;\nmod r#async;\n"),
        "src/a/mod.rs": "pub mod b;\n",
        "src/a/b.rs": "pub fn b() {}\n",
        "src/foo.rs": ("mod bar;\nmod x { mod y; }\nmod z { #[path = \"zz.rs\"] mod w; }\n"
                       "#[path = \"side.rs\"] mod side;\n"),
        "src/foo/bar.rs": "",
        "src/foo/x/y.rs": "",
        "src/foo/z/zz.rs": "",
        "src/side.rs": "",
        "src/outer/inner.rs": "",
        "src/outer/custom/deep.rs": "",  # an inline module's #[path] is below its parent's
        "src/elsewhere/thing.rs": "mod child;\n",
        "src/elsewhere/child.rs": "",
        "src/async.rs": "",
    })
    _, _, modules = index(root)
    assert paths(modules) == {
        "src/lib.rs": "lay_out",
        "src/a/mod.rs": "lay_out::a",
        "src/a/b.rs": "lay_out::a::b",
        "src/foo.rs": "lay_out::foo",
        "src/foo/bar.rs": "lay_out::foo::bar",
        "src/foo/x/y.rs": "lay_out::foo::x::y",
        "src/foo/z/zz.rs": "lay_out::foo::z::w",  # #[path] inside an inline module of foo.rs
        "src/side.rs": "lay_out::foo::side",  # top-level #[path]: relative to foo.rs's folder
        "src/outer/inner.rs": "lay_out::outer::inner",
        "src/outer/custom/deep.rs": "lay_out::outer::renamed::deep",
        "src/elsewhere/thing.rs": "lay_out::thing",
        "src/elsewhere/child.rs": "lay_out::thing::child",  # a #[path] file acts like mod.rs
        "src/async.rs": "lay_out::r#async",
    }
    assert all(m.reachable for m in modules.values())


def test_targets_bins_tests_examples_and_explicit_tables(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("multi-tool", '[lib]\nname = "mt"\n[[bin]]\nname = "extra-bin"\n'
                               'path = "tools/extra.rs"\n[[test]]\nname = "integration"\n'
                               'path = "tests/it/all.rs"\n'),
        "src/lib.rs": "pub mod shared;\n",
        "src/shared.rs": "",
        "src/main.rs": "mod shared;\nmod cli;\nfn main() {}\n",
        "src/cli.rs": "",
        "src/bin/tool.rs": "fn main() {}\n",
        "src/bin/multi/main.rs": "mod part;\nfn main() {}\n",
        "src/bin/multi/part.rs": "",
        "tools/extra.rs": "fn main() {}\n",
        "tests/smoke.rs": "mod common;\n",
        "tests/common/mod.rs": "",
        "tests/it/all.rs": "",
        "examples/demo-app.rs": "fn main() {}\n",
        "benches/speed.rs": "",
        "build.rs": "fn main() {}\n",
    })
    ws, _, modules = index(root)
    (pkg,) = ws.packages
    targets = {(t.kind, t.name): t.root_file for t in pkg.targets}
    assert targets == {
        ("lib", "mt"): "src/lib.rs", ("bin", "extra-bin"): "tools/extra.rs",
        ("bin", "multi-tool"): "src/main.rs", ("bin", "multi"): "src/bin/multi/main.rs",
        ("bin", "tool"): "src/bin/tool.rs", ("test", "integration"): "tests/it/all.rs",
        ("test", "smoke"): "tests/smoke.rs", ("example", "demo-app"): "examples/demo-app.rs",
        ("bench", "speed"): "benches/speed.rs", ("build", "build-script-build"): "build.rs",
    }
    assert pkg.crate == "mt"
    assert paths(modules) == {
        "src/lib.rs": "mt", "src/shared.rs": "mt::shared",  # the lib claims it first
        "src/main.rs": "multi_tool", "src/cli.rs": "multi_tool::cli",
        "src/bin/tool.rs": "tool", "src/bin/multi/main.rs": "multi",
        "src/bin/multi/part.rs": "multi::part", "tools/extra.rs": "extra_bin",
        "tests/smoke.rs": "smoke", "tests/common/mod.rs": "smoke::common",
        "tests/it/all.rs": "integration", "examples/demo-app.rs": "demo_app",
        "benches/speed.rs": "speed", "build.rs": "build_script_build",
    }
    assert modules["src/cli.rs"].crate == "multi_tool"


def test_autodiscovery_can_be_turned_off(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("quiet", "autobins = false\nautotests = false\n"),
        "src/main.rs": "fn main() {}\n",
        "tests/t.rs": "",
    })
    (pkg,) = W.discover(root).packages
    assert pkg.targets == []


def test_orphans_get_a_guessed_path_and_cycles_end(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("orph"),
        "src/lib.rs": "mod net;\n#[path = \"loop_a.rs\"] mod loop_a;\n",
        "src/net/mod.rs": "",  # declares nothing: tcp.rs is behind a macro, say
        "src/net/tcp.rs": "",
        "src/unused/deep/mod.rs": "",
        "src/loop_a.rs": "#[path = \"loop_b.rs\"] mod loop_b;\n",
        "src/loop_b.rs": "#[path = \"loop_a.rs\"] mod loop_a;\n#[path = \"lib.rs\"] mod again;\n",
    })
    _, _, modules = index(root)
    assert modules["src/net/tcp.rs"] == W.FileModule("orph", "orph", "orph::net::tcp", False)
    assert modules["src/unused/deep/mod.rs"].module_path == "orph::unused::deep"
    assert not modules["src/unused/deep/mod.rs"].reachable
    assert modules["src/loop_a.rs"].module_path == "orph::loop_a"
    assert modules["src/loop_b.rs"].module_path == "orph::loop_a::loop_b"
    assert modules["src/lib.rs"].module_path == "orph"


def test_folder_of_crates_nested_packages_and_broken_manifest(tmp_path):
    root = write(tmp_path, {
        "alpha/Cargo.toml": package("alpha"),
        "alpha/src/lib.rs": "pub fn a() {}\n",
        "alpha/fixtures/inner/Cargo.toml": package("inner-fixture"),
        "alpha/fixtures/inner/src/lib.rs": "",
        "beta/Cargo.toml": "[package\nname = ",
        "beta/src/lib.rs": "pub fn b() {}\n",
        "gamma/Cargo.toml": '[package]\nversion = "1.0.0"\n',
        "gamma/src/lib.rs": "",
        "loose.rs": "fn not_in_any_package() {}\n",
    })
    ws, files, modules = index(root)
    assert sorted(p.name for p in ws.packages) == ["alpha", "inner-fixture"]
    assert {p.path for p in ws.problems} == {"beta/Cargo.toml", "gamma/Cargo.toml"}
    assert files == ["alpha/fixtures/inner/src/lib.rs", "alpha/src/lib.rs"]
    assert modules["alpha/fixtures/inner/src/lib.rs"].package == "inner-fixture"
    assert modules["alpha/fixtures/inner/src/lib.rs"].module_path == "inner_fixture"


def test_single_crate_with_nested_broken_package(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("tiny"),
        "src/lib.rs": "",
        "broken/Cargo.toml": "[package\n",
        "broken/src/lib.rs": "",
    })
    ws = W.discover(root)
    assert [p.path for p in ws.problems] == ["broken/Cargo.toml"]
    assert "package skipped" in ws.problems[0].message
    assert W.rust_files(ws) == ["src/lib.rs"]


def test_plain_rs_folder_is_a_pseudo_crate(tmp_path):
    root = write(tmp_path / "my scripts", {
        "main.rs": "mod util;\nfn main() {}\n",
        "util.rs": "pub fn u() {}\n",
        "extra/thing.rs": "",
    })
    ws, files, modules = index(root)
    (pkg,) = ws.packages
    assert pkg.name == "my scripts" and files == ["extra/thing.rs", "main.rs", "util.rs"]
    assert modules["util.rs"].module_path == "my_scripts::util"
    assert modules["extra/thing.rs"] == W.FileModule("my scripts", "my_scripts",
                                                     "my_scripts::extra::thing", False)


def test_nothing_to_index_is_a_workspace_error(tmp_path):
    with pytest.raises(WorkspaceError, match="^rrag: no Rust package"):
        W.discover(tmp_path)
    with pytest.raises(WorkspaceError, match="^rrag: .* is not a folder"):
        W.discover(tmp_path / "missing")
    write(tmp_path, {"Cargo.toml": "[[[nope"})
    with pytest.raises(WorkspaceError, match="Cargo.toml"):
        W.discover(tmp_path)


def test_gitignore_target_hidden_and_symlink_loops(tmp_path):
    root = write(tmp_path, {
        "Cargo.toml": package("ign"),
        ".gitignore": "/generated/\n*.bak.rs\nlogs/**\n!keep.bak.rs\n# comment\n",
        "src/lib.rs": "",
        "src/keep.bak.rs": "", "src/drop.bak.rs": "",
        "src/target/mod.rs": "",  # a module named target is source, not a build folder
        "generated/out.rs": "",
        "src/generated/ok.rs": "",  # the anchored /generated/ only ignores the root one
        "src/nested/.gitignore": "secret.rs\n!/visible.rs\n",
        "src/nested/secret.rs": "", "src/nested/visible.rs": "",
        "src/deep/logs/a/b.rs": "",  # logs/** is anchored (it has a slash): kept
        "logs/a/b.rs": "",
        "target/debug/build/out.rs": "",
        "src/.hidden/x.rs": "", ".cargo/y.rs": "",
        "excluded_by_info/z.rs": "",
    })
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "info" / "exclude").write_text("excluded_by_info/\n")
    os.symlink("..", root / "src" / "nested" / "up")  # a loop back to src/
    os.symlink(root / "src" / "nested", root / "src" / "alias")  # the same folder twice
    os.symlink("nowhere.rs", root / "src" / "dangling.rs")
    files = W.rust_files(W.discover(root))
    assert files == ["src/alias/visible.rs", "src/deep/logs/a/b.rs", "src/generated/ok.rs",
                     "src/keep.bak.rs", "src/lib.rs", "src/target/mod.rs"]


def test_gitignore_of_an_enclosing_repository_applies(tmp_path):
    repo = write(tmp_path, {".gitignore": "crate/src/skipped.rs\n"})
    (repo / ".git").mkdir()
    crate = write(repo / "crate", {"Cargo.toml": package("sub"), "src/lib.rs": "",
                                   "src/skipped.rs": "", "src/kept.rs": ""})
    assert W.rust_files(W.discover(crate)) == ["src/kept.rs", "src/lib.rs"]
