"""Front end: ``rrag stats`` — counts and the location of the index database."""

from __future__ import annotations

import argparse

from .common import add_json, add_root, emit_json, engine_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="index counts and the database path")
    add_root(p)
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        stats = engine.stats()
    if args.json:
        emit_json(stats)
    else:
        for key, value in stats.items():
            if key == "problems":
                for prob in value:
                    print(f"problem\t{prob['path']}: {prob['message']}")
            elif key == "freshness":  # when last brought up to date, what is pending
                print(f"freshness\t{value['text']}")
            else:
                print(f"{key}\t{value}")
    return 0
