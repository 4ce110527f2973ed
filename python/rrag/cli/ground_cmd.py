"""Front end: ``rrag ground`` — check every Rust name of a text against the index.

The text is an answer (markdown with code blocks and inline code) or plain code. Each name is
resolved against the workspace, its locked dependencies and std (rrag.service.grounding);
names that do not exist are listed with their nearest real items and the version checked.
Text output prints one line per missing name; ``--json`` the whole list. Shared with ask,
explain, generate and refactor: ``print_grounding`` is their text section.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import NotFound
from .common import add_json, add_root, at_least, emit_json, engine_for, existing_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("ground", help="check the Rust names a text uses against the index")
    add_root(g)
    g.add_argument("--input", required=True, help="the text to check ('-' reads stdin)")
    g.add_argument("--file", help="the cursor's file: its scope (self, parameters)")
    g.add_argument("--line", type=at_least(1))
    add_json(g)
    g.set_defaults(run=run)


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise NotFound(f"cannot read --input {name}: {exc.strerror}",
                       "give a file holding the answer to check, or - for stdin") from exc


def print_grounding(entries: list[dict]) -> None:
    """The text section: missing names first (what the user must act on), then a count."""
    if not entries:
        return
    missing = [e for e in entries if not e["found"]]
    print(f"\ngrounding: {len(entries) - len(missing)} of {len(entries)} names found")
    for entry in missing:
        print(f"  line {entry['line']}: {entry['message']}")


def run(args: argparse.Namespace) -> int:
    text = _read_input(args.input)
    path = existing_file(args) if args.file else None
    with engine_for(args) as engine:
        result = engine.ground(text, path, args.line if path else None)
    if args.json:
        emit_json(result)
    else:
        print_grounding(result["grounding"])
        if not result["grounding"]:
            print("grounding: no Rust names to check")
    return 0
