"""Front end: ``rrag ask``, ``explain``, ``generate``, ``refactor`` and ``ground`` — the model's
answers and the check of any answer's names.

Answers stream to stdout as they are generated; sources and the grounding of the names the
answer uses follow (``print_grounding``: missing names with their nearest real items and the
version checked). ``rrag ground`` checks any text (an answer, or plain code) the same way.
``refactor --json`` prints the proposal object (original, replacement, parse and cargo check
results); nothing is written to the user's files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import NotFound, RragError
from .common import (add_json, add_root, at_least, crate_prefix, emit_json, engine_for,
                     existing_file)


def add_parser(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("ask", help="ask a question about the code")
    a.add_argument("question")
    add_root(a)
    a.add_argument("--file")
    a.add_argument("--line", type=at_least(1))
    add_json(a)
    a.set_defaults(run=run_ask)

    e = sub.add_parser("explain", help="explain the item at a line or a range")
    add_root(e)
    e.add_argument("--file", required=True)
    e.add_argument("--line", type=at_least(1))
    e.add_argument("--range", help="A:B, 1-based inclusive lines")
    add_json(e)
    e.set_defaults(run=run_explain)

    g = sub.add_parser("generate", help="propose new code at a place (never inserted here)")
    g.add_argument("instruction")
    add_root(g)
    g.add_argument("--file")
    g.add_argument("--line", type=at_least(1))
    add_json(g)
    g.set_defaults(run=run_generate)

    r = sub.add_parser("refactor", help="propose a rewrite of a range (never applied here)")
    add_root(r)
    r.add_argument("--file", required=True)
    r.add_argument("--range", required=True, help="A:B, 1-based inclusive lines")
    r.add_argument("instruction")
    add_json(r)
    r.set_defaults(run=run_refactor)

    c = sub.add_parser("ground", help="check the Rust names a text uses against the index")
    add_root(c)
    c.add_argument("--input", required=True, help="the text to check ('-' reads stdin)")
    c.add_argument("--file", help="the cursor's file: its scope (self, parameters)")
    c.add_argument("--line", type=at_least(1))
    add_json(c)
    c.set_defaults(run=run_ground)


def _range(text: str) -> tuple[int, int]:
    try:
        start, end = (int(x) for x in text.split(":"))
    except ValueError:
        raise RragError(f"bad --range {text!r}", "write it as START:END, e.g. 12:30") from None
    if start < 1 or end < start:
        raise RragError(f"bad --range {text!r}", "START must be >= 1 and END >= START")
    return start, end


def _streamer(enabled: bool):
    def write(token: str) -> None:
        sys.stdout.write(token)
        sys.stdout.flush()
    return write if enabled else None


def _print_sources(result: dict) -> None:
    print("\n\nsources:")
    for s in result["sources"]:
        print(f"  {crate_prefix(s)}{s['path']}:{s['start_line']}-{s['end_line']} {s['name']}")
    print_grounding(result.get("grounding", []))
    if result.get("notice"):
        print(f"\nnote: {result['notice']}")
    elif result.get("model_name"):
        print(f"\nmodel: {result['model_name']} ({result.get('backend', '?')})")


def run_ask(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        result = engine.ask(args.question, existing_file(args) if args.file else None, args.line,
                            on_token=_streamer(not args.json))
    emit_json(result) if args.json else _print_sources(result)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    if args.line is None and args.range is None:
        raise RragError("explain needs --line N or --range A:B")
    selection = _range(args.range) if args.range else None
    with engine_for(args) as engine:
        result = engine.explain(existing_file(args), args.line, selection,
                                on_token=_streamer(not args.json))
    emit_json(result) if args.json else _print_sources(result)
    return 0


def run_generate(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        result = engine.generate(args.instruction, existing_file(args) if args.file else None,
                                 args.line, on_token=_streamer(not args.json))
    if args.json:
        emit_json(result)
    else:
        _print_sources(result)
        print(f"parses: {result['parses']}")
    return 0


def run_refactor(args: argparse.Namespace) -> int:
    start, end = _range(args.range)
    with engine_for(args) as engine:
        result = engine.refactor(existing_file(args), start, end, args.instruction,
                                 on_token=_streamer(not args.json))
    if args.json:
        emit_json(result)
    else:
        check = result["check"]
        for attempt in result.get("attempts", [])[:-1]:  # the repaired ones, then the last
            print(f"\n\nattempt {attempt['attempt'] + 1}: {attempt['summary']}")
        print(f"\n\nparses: {result['parses']}; cargo check: "
              f"{'ok' if check['ok'] else 'failed' if check['ran'] else 'not run'}")
        for line in check["diagnostics"]:
            print(f"  {line}")
        print_grounding(result.get("grounding", []))
    return 0


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


def run_ground(args: argparse.Namespace) -> int:
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
