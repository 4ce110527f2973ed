"""LLM layer: response processing for refactor and generate.

Extracts the code from the model's answer, checks that it parses with tree-sitter, and, where
cargo is available, runs ``cargo check --offline`` on a scratch copy of the crate with the edit
applied, returning the diagnostics with the proposal. The user's files are never touched here:
accepting a proposal is the editor's job, and only for the range the user chose.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..parse.rust import count_errors, parse_tree
from ..paths import cache_home

_FENCE = re.compile(r"```(?:rust|rs)?[ \t]*\n(.*?)(?:```|\Z)", re.S)
CHECK_TIMEOUT_S = 300


@dataclass
class CheckResult:
    ran: bool = False
    ok: bool = False
    diagnostics: list[str] = field(default_factory=list)


def extract_code(answer: str) -> str:
    """The first fenced block (an unterminated one counts), else the whole answer."""
    match = _FENCE.search(answer)
    return (match.group(1) if match else answer).strip("\n")


def parses(code: str) -> bool:
    return bool(code.strip()) and count_errors(parse_tree(code.encode("utf-8")).root_node) == 0


def splice(text: str, start_line: int, end_line: int, replacement: str) -> str:
    lines = text.splitlines(keepends=True)
    tail = "" if replacement.endswith("\n") else "\n"
    return "".join(lines[: start_line - 1]) + replacement + tail + "".join(lines[end_line:])


def _package_dir(file: Path, root: Path) -> Path | None:
    for folder in [file.parent, *file.parents]:
        if (folder / "Cargo.toml").is_file():
            return folder
        if folder == root:
            break
    return None


def cargo_check(root: Path, rel_path: str, start_line: int, end_line: int,
                replacement: str, text: str | None = None) -> CheckResult:
    """``cargo check`` of a scratch copy of the package with the edit applied to the file's
    ``text`` (an unsaved editor buffer, whose lines the range refers to) or to the file."""
    cargo = shutil.which("cargo")
    source = root / rel_path
    package = _package_dir(source, root)
    if cargo is None or package is None:
        return CheckResult(diagnostics=["cargo or the package's Cargo.toml was not found"])
    with tempfile.TemporaryDirectory(prefix="rrag-check-") as scratch:
        copy = Path(scratch) / package.name
        shutil.copytree(package, copy, symlinks=True,
                        ignore=shutil.ignore_patterns("target", ".git"))
        edited = copy / source.relative_to(package)
        base = text if text is not None else source.read_text(encoding="utf-8", errors="replace")
        edited.write_text(splice(base, start_line, end_line, replacement), encoding="utf-8")
        target = cache_home() / "cargo-check-target"
        env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
        try:
            proc = subprocess.run([cargo, "check", "--offline", "--message-format", "short",
                                   "--quiet"], cwd=copy, env=env, capture_output=True,
                                  text=True, timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return CheckResult(ran=True, ok=False, diagnostics=["cargo check timed out"])
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    rel = str(copy) + os.sep
    diagnostics = [l.replace(rel, "") for l in lines if "error" in l or "warning" in l]
    return CheckResult(ran=True, ok=proc.returncode == 0, diagnostics=diagnostics[:50])


def check_dict(result: CheckResult) -> dict:
    return asdict(result)
