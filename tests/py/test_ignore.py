""".gitignore handling: the rule semantics on their own, and the workspace scan checked against
real git (``git ls-files --others --exclude-standard``) on the same tree."""

from __future__ import annotations

import shutil
import subprocess

from rrag.parse import workspace as W
from rrag.parse.ignore import RuleSet, is_ignored, parse_rules
from test_workspace import package, write


def test_gitignore_rules_unit():
    def ignored(patterns: str, path: str, is_dir: bool = False, base: str = "") -> bool:
        return is_ignored((RuleSet(base, "", parse_rules(patterns)),), path, is_dir)

    assert ignored("*.log", "a/b/c.log") and not ignored("*.log", "a/b/c.logx")
    assert ignored("/build", "build", True) and not ignored("/build", "x/build", True)
    assert ignored("docs/", "a/docs", True) and not ignored("docs/", "a/docs", False)
    assert ignored("a/**/z.rs", "a/z.rs") and ignored("a/**/z.rs", "a/b/c/z.rs")
    assert ignored("**/gen", "x/y/gen", True) and ignored("**/gen", "gen", True)
    assert ignored("out/**", "out/a/b.rs") and not ignored("out/**", "out", True)
    assert ignored("f?o.rs", "fxo.rs") and not ignored("f?o.rs", "f/o.rs")
    assert ignored("[ab]c.rs", "bc.rs") and not ignored("[!ab]c.rs", "bc.rs")
    assert ignored("*.rs\n!keep.rs", "x.rs") and not ignored("*.rs\n!keep.rs", "keep.rs")
    assert ignored("\\#hash.rs", "#hash.rs") and not ignored("#hash.rs", "#hash.rs")
    assert ignored("trailing.rs   ", "trailing.rs")
    assert ignored("x.rs", "sub/x.rs", base="sub") and not ignored("x.rs", "other/x.rs", base="sub")
    assert (ignored("/x.rs", "sub/x.rs", base="sub")
            and not ignored("/x.rs", "sub/d/x.rs", base="sub"))


def test_scan_agrees_with_git_on_ignored_files(tmp_path):
    """The same tree through ``git ls-files --others --exclude-standard`` (the real thing)."""
    git = shutil.which("git")
    assert git, "git is needed to cross-check .gitignore handling (apt-get install git)"
    rs = ["src/lib.rs", "src/a.rs", "src/a/b.rs", "src/gen/x.rs", "gen/y.rs", "docs/d.rs",
          "src/docs/e.rs", "src/docs", "tmp_1.rs", "src/tmp_2.rs", "keep/tmp_3.rs",
          "deep/a/b/c/z.rs", "deep/z.rs", "lvl/one/two.rs", "lvl/one/three/four.rs",
          "m/[x].rs", "m/star.rs", "space name.rs", "bench/p/q.rs", "bench/q.rs",
          "sub/inner.rs", "sub/other.rs", "sub/d/inner.rs", "sub/keep/k.rs"]
    files = {rel: "" for rel in rs if rel.endswith(".rs")}
    files["src/docs/mod.rs"] = ""
    root = write(tmp_path / "repo", {
        "Cargo.toml": package("gitcheck"),
        ".gitignore": "\n".join([
            "/gen/", "docs/", "tmp_*.rs", "!keep/tmp_*.rs", "deep/**/z.rs", "lvl/*/three/",
            "m/\\[x\\].rs", "space\\ name.rs", "bench/**", "!bench/q.rs", "#ignored-comment",
        ]) + "\n",
        "sub/.gitignore": "inner.rs\n!/d/inner.rs\nkeep/\n!keep/\n",
        **files,
    })
    subprocess.run([git, "init", "-q", str(root)], check=True)
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("sub/other.rs\n")
    listed = subprocess.run([git, "ls-files", "--others", "--exclude-standard"], cwd=root,
                            check=True, capture_output=True, text=True).stdout.splitlines()
    by_git = sorted(p.strip('"') for p in listed if p.strip('"').endswith(".rs"))
    assert len(by_git) >= 8, by_git  # the tree is not vacuous
    assert W.rust_files(W.discover(root)) == by_git


def test_extra_ignore_patterns_from_the_config(tmp_path):
    root = write(tmp_path, {"Cargo.toml": package("cfg"), "src/lib.rs": "",
                            "src/gen/big.rs": "", "vendor/x/y.rs": "", "src/keep.rs": ""})
    ws = W.discover(root, extra_ignores=["gen/", "/vendor"])
    assert W.rust_files(ws) == ["src/keep.rs", "src/lib.rs"]
    assert W.rust_files(W.discover(root)) == [
        "src/gen/big.rs", "src/keep.rs", "src/lib.rs", "vendor/x/y.rs"]
