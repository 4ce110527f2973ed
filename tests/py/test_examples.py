"""The example workspaces (examples/simple_app, examples/bevy_game) are real, working Rust:
the real cargo checks, tests and runs them offline, building into pytest's tmp directory so no
target/ is ever written into the repository; --locked proves the committed Cargo.lock files are
current (and keeps cargo from rewriting them). A fast test also parses every example file with
the real tree-sitter grammar and checks the Rust features the examples exist to exercise."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rrag.parse.rust import parse_source

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ("simple_app", "bevy_game")
# Fewer passing unit tests than this means cargo ran something other than the examples' suites.
MIN_UNIT_TESTS = 15


def cargo(example: str, target_dir: Path, *args: str,
          timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs the real cargo in an example, offline and locked, with its target dir in tmp."""
    exe = shutil.which("cargo")
    if exe is None:
        pytest.fail("cargo is not on PATH: install a Rust toolchain (rustup or Debian's cargo)")
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir), "CARGO_TERM_COLOR": "never"}
    return subprocess.run([exe, *args], cwd=EXAMPLES / example, env=env, capture_output=True,
                          text=True, timeout=timeout)


def succeeded(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


@pytest.fixture(scope="module")
def target_dirs(tmp_path_factory) -> dict[str, Path]:
    """One target dir per example, shared by this module's tests so each builds once."""
    base = tmp_path_factory.mktemp("cargo-target")
    return {name: base / name for name in NAMES}


@pytest.fixture
def lock_unchanged():
    """Asserts after the test that no example's Cargo.lock was touched."""
    before = {name: (EXAMPLES / name / "Cargo.lock").read_bytes() for name in NAMES}
    yield
    for name, content in before.items():
        assert (EXAMPLES / name / "Cargo.lock").read_bytes() == content, \
            f"{name}/Cargo.lock changed"


@pytest.mark.slow
@pytest.mark.parametrize("example", NAMES)
def test_cargo_check_is_clean(example, target_dirs, lock_unchanged):
    proc = cargo(example, target_dirs[example], "check", "--offline", "--locked", "--all-targets")
    succeeded(proc, f"cargo check in examples/{example}")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning")]
    assert not warnings, f"examples/{example} compiles with warnings:\n{proc.stderr}"
    assert (target_dirs[example] / "debug").is_dir(), "cargo ignored CARGO_TARGET_DIR"


@pytest.mark.slow
@pytest.mark.parametrize("example", NAMES)
def test_cargo_test_passes(example, target_dirs, lock_unchanged):
    out = succeeded(cargo(example, target_dirs[example], "test", "--offline", "--locked"),
                    f"cargo test in examples/{example}")
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", out))
    assert passed >= MIN_UNIT_TESTS, f"only {passed} unit tests ran:\n{out}"
    assert "FAILED" not in out


@pytest.mark.slow
def test_simple_app_prints_its_report(target_dirs, lock_unchanged):
    out = succeeded(cargo("simple_app", target_dirs["simple_app"], "run", "-q", "--offline",
                          "--locked"), "cargo run in examples/simple_app")
    assert "Workshop report" in out
    assert re.search(r"^fingerprint [0-9a-f]{8}$", out, re.M), out
    assert re.search(r"^  3 parts, \d+ units, worth [\d.]+; \d+ running low$", out, re.M), out


@pytest.mark.slow
def test_bevy_game_runs_a_fixed_number_of_ticks_and_stops(target_dirs, lock_unchanged):
    first = succeeded(cargo("bevy_game", target_dirs["bevy_game"], "run", "-q", "--offline",
                            "--locked", "--", "250", "7", timeout=120),
                      "cargo run in examples/bevy_game")
    again = succeeded(cargo("bevy_game", target_dirs["bevy_game"], "run", "-q", "--offline",
                            "--locked", "--", "250", "7", timeout=120), "second cargo run")
    assert first == again, "the game loop must be deterministic for a given seed"
    ended = re.search(r"^player (survived|died on tick (\d+)) after (\d+) ticks$", first, re.M)
    assert ended, first
    ticks = int(ended.group(3))
    if ended.group(1) == "survived":
        assert ticks == 250, first
    else:
        assert ticks == int(ended.group(2)) and ticks <= 250, first
    assert re.search(r"^tick +200: \d+ enemies", first, re.M) or ticks < 200, first
    bad = cargo("bevy_game", target_dirs["bevy_game"], "run", "-q", "--offline", "--locked", "--",
                "many")
    assert bad.returncode == 2 and "must be a whole number" in bad.stderr


def test_examples_parse_cleanly_and_cover_the_features_they_exist_for():
    kinds: dict[str, set[str]] = {name: set() for name in NAMES}
    path_mods, macro_uses = [], []
    for name in NAMES:
        files = sorted((EXAMPLES / name / "src").rglob("*.rs"))
        assert files, f"examples/{name}/src is empty"
        for path in files:
            parsed = parse_source(path.read_bytes(), path.relative_to(EXAMPLES).as_posix())
            assert parsed.error_count == 0, f"{path}: tree-sitter recovered from syntax errors"
            kinds[name] |= {item.kind for item in parsed.items}
            path_mods += [d.path_attr for d in parsed.mod_decls if d.path_attr]
            macro_uses += [d.name for d in parsed.mod_decls if d.macro_use]
        # Both module styles: a mod.rs directory module and a foo.rs next to a foo/ directory.
        src = EXAMPLES / name / "src"
        assert any(p.parent != src for p in src.rglob("mod.rs")), f"{name}: no mod.rs module"
        assert any((p.with_suffix("")).is_dir() for p in src.glob("*.rs")), \
            f"{name}: no foo.rs + foo/"
    assert kinds["simple_app"] >= {"union", "static", "const", "type", "enum", "trait", "impl",
                                   "macro", "module", "method", "function", "struct"}
    assert kinds["bevy_game"] >= {"trait", "impl", "macro", "enum", "module", "method", "const"}
    assert path_mods == ["support/text_stats_impl.rs"]
    assert (EXAMPLES / "simple_app" / "src" / path_mods[0]).is_file()
    assert macro_uses == ["macros"]
