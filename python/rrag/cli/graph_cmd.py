"""Front end: ``rrag graph edges|neighbors|path`` — the code graph (see CLI-CONTRACT.md).

    rrag graph edges --type calls --json
    rrag graph neighbors Circle::area --depth 2 --edges calls,uses_type --json
    rrag graph path app::main core_lib::util::helpers::total --max-depth 4 --json
"""

from __future__ import annotations

import argparse

from .common import add_json, add_root, at_least, emit_json, engine_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("graph", help="query the code graph")
    gsub = p.add_subparsers(dest="graph_command", required=True, metavar="QUERY")
    edges = gsub.add_parser("edges", help="list edges")
    add_root(edges)
    edges.add_argument("--type", help="only edges of this type")
    add_json(edges)
    edges.set_defaults(run=run_edges)
    near = gsub.add_parser("neighbors", help="items within N steps of an item")
    near.add_argument("name", help="qualified name or unambiguous suffix (Circle::area)")
    add_root(near)
    near.add_argument("--depth", type=at_least(0), default=1)
    near.add_argument("--edges", default="", help="comma-separated edge types")
    add_json(near)
    near.set_defaults(run=run_neighbors)
    path = gsub.add_parser("path", help="a shortest path between two items")
    path.add_argument("source")
    path.add_argument("target")
    add_root(path)
    path.add_argument("--max-depth", type=at_least(1), default=6)
    add_json(path)
    path.set_defaults(run=run_path)


def _print_edges(edges: list[dict]) -> None:
    for e in edges:
        print(f"{e['path']}:{e['line']}\t{e['type']}\t{e['source']} -> {e['target']}")


def run_edges(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        edges = engine.graph.edges(args.type)
    if args.json:
        emit_json({"edges": edges})
    else:
        _print_edges(edges)
    return 0


def run_neighbors(args: argparse.Namespace) -> int:
    kinds = [k.strip() for k in args.edges.split(",") if k.strip()] or None
    with engine_for(args) as engine:
        out = engine.graph.neighbors(args.name, args.depth, kinds)
    if args.json:
        emit_json(out)
    else:
        for node in out["nodes"]:
            print(f"{node['depth']}\t{node['kind']}\t{node['name']}")
    return 0


def run_path(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        out = engine.graph.path(args.source, args.target, args.max_depth)
    if args.json:
        emit_json(out)
    else:
        print(" -> ".join(out["path"]) if out["path"] else "no path")
    return 0
