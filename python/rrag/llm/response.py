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

from ..parse.grammar import count_errors, parse_tree
from ..paths import cache_home

# A fenced block: its info string (``rust``, ``Rust``, ``rust,ignore``, ``toml``, none) and body;
# an unterminated block (a stopped answer) runs to the end.
_FENCE = re.compile(r"```[ \t]*([\w+.,-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
RUST_TAGS = ("", "rust", "rs")
# rrag's own notes appended to an answer (a loop stopped): never code. Only at the end: a model
# that read a note in its history may write one mid-answer, and the code stays what it wrote.
_TRAILING_NOTES = re.compile(r"(?:\n*\[rrag: [^\]\n]*\][ \t]*)+\s*\Z")
_ITEM_START = re.compile(r"\s*(#!?\[|///|//!|(pub(\([^)]*\))?\s+)?(fn|use|impl|struct|enum|mod|"
                         r"const|static|trait|type|async|unsafe|extern)\b|macro_rules!)")
MAX_SPANS = 64  # spans parsed at most, longest first
MAX_SCAN_LINES = 80  # an unfenced answer longer than this is taken whole (a parse per span tried)
CHECK_TIMEOUT_S = 300


@dataclass
class CheckResult:
    ran: bool = False
    ok: bool = False
    diagnostics: list[str] = field(default_factory=list)


def extract_code(answer: str) -> str:
    """The code of a model's answer: the first fenced Rust (or untagged) block, an
    unterminated one included; without one, the longest run of the answer's lines that parses
    as Rust (a small model often answers with bare code between prose lines); else the whole
    answer, so that the check reports what is wrong with it."""
    answer = _TRAILING_NOTES.sub("", answer)
    blocks = [(tag.split(",")[0].lower(), body) for tag, body in _FENCE.findall(answer)]
    for tag, body in blocks:
        if tag in RUST_TAGS and body.strip():
            return body.strip("\n")
    if blocks:
        return blocks[0][1].strip("\n")  # a block tagged otherwise is still what was answered
    return (_parsing_lines(answer) or answer).strip("\n")


def _parsing_lines(answer: str) -> str:
    """The longest run of whole lines that parses as Rust (the earliest of equal length), or
    "". A run starts where an item does and ends at a ``}`` or ``;``: prose parses slowly
    (tree-sitter recovers from every word), so only those spans are tried."""
    lines = answer.strip("\n").splitlines()
    if not lines or len(lines) > MAX_SCAN_LINES:
        return ""
    starts = [n for n, line in enumerate(lines) if _ITEM_START.match(line)]
    ends = [n + 1 for n, line in enumerate(lines) if line.rstrip().endswith(("}", ";"))]
    spans = sorted(((s, e) for s in starts for e in ends if e > s),
                   key=lambda span: (span[0] - span[1], span[0]))
    for start, end in spans[:MAX_SPANS]:
        if _clean("\n".join(lines[start:end])):
            return "\n".join(lines[start:end])
    return ""


def _clean(code: str) -> bool:
    """``parses`` without counting: the root's error flag (many spans are tried)."""
    return not parse_tree(code.encode("utf-8")).root_node.has_error


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
