"""Grounding: the names an answer uses, checked against the exact index (issue 21).

The workspaces depend on real crates from Debian's registry (a directory source, offline);
expected versions are read from the Cargo.lock cargo writes, expected members from the
registry's own sources. std's names come from the toolchain's rustdoc when installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import REGISTRY, REPO, rrag, rrag_json
from rrag.parse.answer_names import TypeHint, answer_names
from rrag.service import grounding as grounding_service
from rrag.service.engine import Engine

FIXTURE = REPO / "tests" / "fixtures" / "deps_ws"


def locked(ws: Path, name: str) -> str:
    with open(ws / "Cargo.lock", "rb") as fh:
        return next(p["version"] for p in tomllib.load(fh)["package"] if p["name"] == name)


def _workspace(base: Path, manifest_extra: str = "") -> Path:
    ws = base / "ws"
    shutil.copytree(FIXTURE, ws)
    if manifest_extra:
        with open(ws / "Cargo.toml", "a", encoding="utf-8") as fh:
            fh.write(manifest_extra)
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=ws, check=True,
                   capture_output=True, timeout=300)
    return ws


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    ws = _workspace(tmp_path_factory.mktemp("ground"), 'semver = "1.0"\n')
    eng = Engine(ws, db_path=tmp_path_factory.mktemp("db") / "index.sqlite")
    eng.index(embed=False)
    yield eng
    eng.close()


def missing(result: dict) -> dict[str, dict]:
    return {g["name"]: g for g in result["grounding"] if not g["found"]}


def found(result: dict) -> set[str]:
    return {g["name"] for g in result["grounding"] if g["found"]}


def test_answer_names_reads_calls_receivers_and_the_answers_own_names():
    text = ("Call `Regex::find_all` on it.\n\n```rust\nfn words(s: &str) -> usize {\n"
            "    let re = Regex::new(\"x\").unwrap();\n    helper(re.find_iter(s))\n}\n```\n")
    names = answer_names(text)
    uses = {(u.kind, u.text, u.line) for u in names.uses}
    assert ("path", "Regex::find_all", 1) in uses
    assert ("call", "Regex::new", 5) in uses
    assert ("method", "re.find_iter", 6) in uses and ("call", "helper", 6) in uses
    method = next(u for u in names.uses if u.text == "re.find_iter")
    assert method.receiver == TypeHint(owner="Regex", call="new", unwrapped=True)
    assert {"words", "re", "s"} <= names.defined


def test_a_prose_answer_without_backticks_gives_its_code_words_only():
    # What the default model answered to "What does Point::distanse return?" (temperature 0):
    # read as Rust, a whole sentence became one "name", and the word `shape` a type.
    text = ("The Point::distanse function returns a Point object that represents a point on a "
            "shape.\n\nIt calls self.hypot() and then is_valid() before format!(\"{}\", x).\n")
    uses = [(u.kind, u.text, u.line) for u in answer_names(text).uses]
    assert uses == [("path", "Point::distanse", 1), ("method", "self.hypot", 3),
                    ("call", "is_valid", 3), ("macro", "format", 3)], uses
    # Around spans too: the prose's own paths count, a span's text once.
    mixed = ("The Point::distanse function returns a `Point` with the given `x` and `y`.\n"
             "It is a special case of the `Point::new` function, which returns a new one.\n")
    assert [(u.kind, u.text, u.line) for u in answer_names(mixed).uses] == [
        ("path", "Point::new", 2), ("path", "Point::distanse", 1)]
    # Plain code (sentences only in its comments and strings) is still read whole.
    code = ("// Returns the distance between the two points, in millimetres.\n"
            "fn far(p: Point) -> f64 {\n    println!(\"the distance from here is {}\", 1);\n"
            "    p.distance(&Point::ORIGIN)\n}\n")
    assert ("method", "p.distance", 4) in {(u.kind, u.text, u.line)
                                           for u in answer_names(code).uses}


def test_a_method_missing_from_the_locked_regex_is_named_with_its_version_and_nearest(engine):
    version = locked(engine.root, "regex")
    answer = ("Use `Regex::find_all`:\n\n```rust\nlet re = Regex::new(r\"\\d+\").unwrap();\n"
              "for m in re.find_all(text) {}\nlet n = re.find_iter(text).count();\n```\n")
    result = engine.ground(answer)
    wrong = missing(result)
    assert list(wrong) == ["Regex::find_all"]
    entry = wrong["Regex::find_all"]
    assert entry["checked_against"] == f"regex {version}"
    assert "Regex::find_iter" in entry["nearest"]
    assert entry["lines"] == [1, 5]
    assert entry["message"].startswith(f"`Regex::find_all` is not in regex {version}; nearest:")
    assert {"Regex::new", "Regex::find_iter"} <= found(result)


def test_the_cursors_scope_gives_a_parameters_type(engine):
    line = next(i for i, l in enumerate((engine.root / "src/shout.rs").read_text().splitlines(),
                                        1) if "pattern.replace_all" in l)
    answer = "Write `pattern.replace_al(text, Shout)`."
    at_cursor = missing(engine.ground(answer, "src/shout.rs", line))
    assert at_cursor["Regex::replace_al"]["nearest"][0] == "Regex::replace_all"
    # Without the cursor the receiver's type is unknown: checked against every type instead.
    assert "Regex::replace_al" not in missing(engine.ground(answer))


def test_names_the_answer_defines_itself_are_not_looked_up(engine):
    answer = ("```rust\nstruct Totally;\nimpl Totally { fn made_up(&self) -> u8 { 1 } }\n"
              "fn also_made_up(t: Totally) -> u8 { t.made_up() }\n```\n")
    result = engine.ground(answer)
    assert not {"Totally", "made_up", "also_made_up"} & {g["name"] for g in result["grounding"]}


def test_fields_of_a_workspace_struct_are_checked(engine):
    answer = "```rust\nfn f(w: &Waypoint) -> i32 { w.x + w.nam.len() as i32 }\n```\n"
    wrong = missing(engine.ground(answer))
    assert list(wrong) == ["Waypoint::nam"]
    assert wrong["Waypoint::nam"]["checked_against"] == "workspace"
    assert wrong["Waypoint::nam"]["nearest"] == ["Waypoint::name"]


def test_an_api_of_another_semver_version_is_flagged(engine):
    version = locked(engine.root, "semver")
    assert version.startswith("1.")
    old = (REGISTRY / "semver-0.9.0" / "src" / "version.rs").read_text()
    assert "pub fn is_prerelease(&self)" in old  # semver 0.9 had it; the locked 1.x has not
    answer = ("```rust\nlet v = semver::Version::parse(\"1.2.3\").unwrap();\n"
              "if v.is_prerelease() { println!(\"{}\", v.major); }\n```\n")
    wrong = missing(engine.ground(answer))
    assert list(wrong) == ["Version::is_prerelease"]
    assert wrong["Version::is_prerelease"]["checked_against"] == f"semver {version}"
    assert "semver::Version::parse" in found(engine.ground(answer)) or \
        "Version::parse" in found(engine.ground(answer))


@pytest.mark.skipif(grounding_service.rustdoc_root() is None,
                    reason="the toolchain's rust-docs are not installed")
def test_std_names_come_from_the_toolchains_rustdoc(engine):
    from rrag.parse.std_docs import docs_version

    label = f"std {docs_version(grounding_service.rustdoc_root())}"
    answer = "```rust\nlet mut v: Vec<f64> = Vec::new();\nv.push(2.0);\nv.push_bak(sqrt(2.0));\n```"
    result = engine.ground(answer)
    wrong = missing(result)
    assert set(wrong) == {"Vec::push_bak", "sqrt"}
    assert wrong["Vec::push_bak"]["checked_against"] == label
    assert "f64::sqrt" in wrong["sqrt"]["nearest"]
    assert {"Vec::new", "Vec::push"} <= found(result)


def test_without_std_docs_std_names_are_left_unchecked(engine, monkeypatch):
    monkeypatch.setenv("RRAG_STD_DOCS", "")
    engine.assistant.grounder = grounding_service.Grounder(lambda: engine.store)
    try:
        result = engine.ground("```rust\nlet s = make();\ns.push_strr(\"x\");\n```")
    finally:
        engine.assistant.grounder = grounding_service.Grounder(lambda: engine.store)
    assert result["grounding"] == [] or not missing(result)
    assert "s.push_strr" in result["unchecked"]


def test_rrag_ground_cli(engine, tmp_path):
    answer = tmp_path / "answer.md"
    answer.write_text("Try `Regex::find_all` or `Regex::find_iter`.\n")
    out = rrag_json("ground", "--root", str(engine.root), "--input", str(answer))
    assert [(g["name"], g["found"]) for g in out["grounding"]] == [
        ("Regex::find_all", False), ("Regex::find_iter", True)]
    assert set(out["grounding"][0]) >= {"name", "found", "checked_against", "nearest"}
    text = rrag("ground", "--root", str(engine.root), "--input", str(answer)).stdout
    assert "grounding: 1 of 2 names found" in text
    assert "line 1: `Regex::find_all` is not in regex" in text
    bad = rrag("ground", "--root", str(engine.root), "--input", str(tmp_path / "nope"),
               check=False)
    assert bad.returncode != 0 and bad.stderr.startswith("rrag: cannot read --input")


def test_doctor_says_where_std_names_come_from(monkeypatch):
    from rrag.service.doctor import run_doctor

    def std_check(report):
        return next(c for c in report["checks"] if c["name"] == "std names")

    monkeypatch.setenv("RRAG_STD_DOCS", "")
    missing_docs = run_doctor()
    assert std_check(missing_docs)["ok"] is False
    assert "rust-docs" in std_check(missing_docs)["fix"]
    assert missing_docs["ok"] == all(c["ok"] for c in missing_docs["checks"]
                                     if c["name"] not in ("cargo", "std names"))
    monkeypatch.delenv("RRAG_STD_DOCS")
    if grounding_service.rustdoc_root() is not None:
        assert "names from the toolchain's rustdoc" in std_check(run_doctor())["value"]
