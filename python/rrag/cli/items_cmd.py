"""Front end: ``rrag items`` — list indexed items (optionally of one file)."""

from __future__ import annotations

import argparse

from .common import add_json, add_root, emit_json, engine_for, existing_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("items", help="list the indexed items")
    add_root(p)
    p.add_argument("--file", help="only the items of this file")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        rows = engine.items(existing_file(args) if args.file else None)
    if args.json:
        emit_json({"items": [r.brief() for r in rows]})
    else:
        for r in rows:
            print(f"{r.path}:{r.start_line}-{r.end_line}\t{r.kind}\t{r.qualname}")
    return 0
