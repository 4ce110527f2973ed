"""Front end: ``rrag index`` — build or incrementally update the index of a workspace."""

from __future__ import annotations

import argparse
import sys

from ..service.progress import Progress
from .common import add_json, add_root, emit_json, engine_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or update the index of a Rust workspace")
    add_root(p)
    p.add_argument("--no-embed", action="store_true",
                   help="the structural index only (items, graph, lexical), no vectors")
    p.add_argument("--wait-deps", action="store_true",
                   help="also wait until the dependencies' vectors are complete")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        report = engine.index(embed=not args.no_embed, progress=Progress(),
                              wait_deps=args.wait_deps)
        stats = engine.stats()
    out = report.to_json() | {"db": stats["db"], "files": stats["files"]}
    for err in report.errors:
        if err["path"] == stats["db"]:
            continue  # a store notice, already logged once when the index was opened
        print(f"rrag: {err['path']}: {err['message']}", file=sys.stderr)
    if args.json:
        emit_json(out)
    else:
        print(f"indexed {stats['root']}: {report.files_parsed} parsed, "
              f"{report.files_unchanged} unchanged, {report.files_removed} removed; "
              f"{report.items} items, {report.edges} edges in {report.seconds:.2f}s "
              f"({len(report.errors)} problems)\nindex: {stats['db']}")
        if report.dependencies and (report.dependencies["locked"]
                                    or report.dependencies["removed"]):
            print(_dependencies_line(report.dependencies))
        if report.embedding:
            e = report.embedding
            print(f"vectors: {e['embedded']} texts embedded, {e['cached']} from the cache, in "
                  f"{e['seconds']:.1f}s; {stats['vectors']} stored"
                  + (f", {e['deferred']} dependency items left for the background"
                     if e.get("deferred") else ""))
    return 0


def _dependencies_line(d: dict) -> str:
    missing = f", {len(d['missing'])} missing" if d["missing"] else ""
    if not d["imported"] and not d["removed"]:
        return f"dependencies: {d['locked']} locked, all already indexed{missing}"
    return (f"dependencies: {d['locked']} locked; {len(d['imported'])} imported "
            f"({d['cache_hits']} from the shared cache, {d['files_parsed']} files parsed), "
            f"{len(d['removed'])} removed{missing}, in {d['seconds']:.1f}s")

