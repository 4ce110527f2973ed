"""Benchmark/test helper: real Rust chunks, the texts the index embeds.

Items (functions, methods, structs, enums, traits, impls, consts, macros...) parsed with
``rrag.parse.rust.parse_source`` from crate sources under /usr/share/cargo/registry, read at run
time and never copied into the repository. Whole files and inline modules are left out (the index
embeds their items). Deterministic: crates, files and items in sorted order.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from rrag.parse.rust import parse_source  # noqa: E402

REGISTRY = Path("/usr/share/cargo/registry")
CRATES = ("regex-1.7.1", "serde-1.0.152", "clap-4.0.32", "regex-syntax-*", "tokio-1*")
SKIP_KINDS = {"file", "module"}
MIN_CHARS = 40


def crate_dirs() -> list[Path]:
    found: list[Path] = []
    for pattern in CRATES:
        found += sorted(p for p in REGISTRY.glob(pattern) if (p / "src").is_dir())
    return found


def rust_chunks(limit: int, per_file: int = 40) -> list[str]:
    """Up to ``limit`` item texts, at most ``per_file`` from one file (for variety)."""
    chunks: list[str] = []
    for crate in crate_dirs():
        for path in sorted((crate / "src").rglob("*.rs")):
            source = path.read_bytes()
            parsed = parse_source(source, str(path.relative_to(crate)))
            taken = 0
            for item in parsed.items:
                text = item.content.strip()
                if item.kind in SKIP_KINDS or len(text) < MIN_CHARS:
                    continue
                chunks.append(text)
                taken += 1
                if len(chunks) >= limit:
                    return chunks
                if taken >= per_file:
                    break
    return chunks


def line_chunks(limit: int, lines: int = 40) -> list[str]:
    """Fixed slices of ``lines`` lines: long, even texts (most reach the 256-token cut)."""
    chunks: list[str] = []
    for crate in crate_dirs():
        for path in sorted((crate / "src").rglob("*.rs")):
            rows = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
            for start in range(0, len(rows), lines):
                text = "".join(rows[start:start + lines]).strip()
                if len(text) >= MIN_CHARS:
                    chunks.append(text)
                if len(chunks) >= limit:
                    return chunks
    return chunks


if __name__ == "__main__":
    import json

    for chunk in rust_chunks(int(sys.argv[1]) if len(sys.argv) > 1 else 100):
        print(json.dumps(chunk))
