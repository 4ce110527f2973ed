"""The model is told the dependency versions the project locks (Cargo.lock), not guesses."""

from __future__ import annotations

from rrag.llm import prompts
from rrag.parse.cargo_lock import dependency_versions, locked_versions
from rrag.service.engine import Engine

LOCK = """version = 3

[[package]]
name = "app"
version = "0.2.0"

[[package]]
name = "serde"
version = "1.0.152"

[[package]]
name = "rand"
version = "0.7.3"

[[package]]
name = "rand"
version = "0.8.5"
"""


def test_locked_versions_and_fallback_to_requirements(tmp_path):
    (tmp_path / "Cargo.lock").write_text(LOCK)
    assert locked_versions(tmp_path)["rand"] == ["0.7.3", "0.8.5"]
    got = dependency_versions(tmp_path, [], [("serde", "1"), ("rand", "0.8"), ("log", "^0.4")])
    assert got == [("serde", "1.0.152"), ("rand", "0.7.3, 0.8.5"), ("log", "^0.4")]
    (tmp_path / "Cargo.lock").write_text("not [ toml")
    assert locked_versions(tmp_path) == {}


def test_system_prompt_names_crates_and_locked_dependency_versions(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("pub fn f() {}\n")
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "app"\nversion = "0.2.0"\nedition = "2021"\n\n'
        '[dependencies]\nserde = "1"\n')
    (tmp_path / "Cargo.lock").write_text(LOCK)
    with Engine(tmp_path) as engine:
        crates = engine.crates()
    assert crates == [("app", "0.2.0"), ("serde", "1.0.152")]
    system = prompts.build("ask", "ctx", crates, question="q").system
    assert "app 0.2.0" in system and "serde 1.0.152" in system
