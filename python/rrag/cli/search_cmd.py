"""Front end: ``rrag search`` and ``rrag context`` — retrieval without the model's answer."""

from __future__ import annotations

import argparse

from .common import (add_json, add_root, at_least, crate_prefix, emit_json, engine_for,
                     existing_file)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="hybrid search over the index")
    p.add_argument("query")
    add_root(p)
    p.add_argument("-k", type=at_least(1), default=10, help="how many results (default 10)")
    p.add_argument("--mode", choices=("hybrid", "lexical", "vector"), default="hybrid",
                   help="BM25 and vectors fused (default), or one of them alone")
    p.add_argument("--kind", action="append", default=[],
                   help="only items of this kind (repeatable): function, struct, trait...")
    p.add_argument("--crate", action="append", default=[], help="only items of this crate")
    p.add_argument("--path", default="", help="only items under this path prefix")
    add_json(p)
    p.set_defaults(run=run_search)

    c = sub.add_parser("context", help="the context the model would get for a cursor")
    add_root(c)
    c.add_argument("--file", required=True)
    c.add_argument("--line", type=at_least(1), required=True, help="1-based")
    c.add_argument("--query", default=None)
    c.add_argument("--budget", type=at_least(0), default=2048,
                   help="tokens of the model's tokenizer (default 2048)")
    c.add_argument("--task", default="ask", choices=("ask", "explain", "refactor", "generate"))
    add_json(c)
    c.set_defaults(run=run_context)


def run_search(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        results = engine.search(args.query, args.k, args.mode, args.kind, args.crate,
                                args.path)
    if args.json:
        emit_json({"results": results})
    else:
        for r in results:
            print(f"{r['score']:.3f}\t{r['path']}:{r['start_line']}-{r['end_line']}\t"
                  f"{r['kind']}\t{r['name']}")
    return 0


def run_context(args: argparse.Namespace) -> int:
    with engine_for(args) as engine:
        pack = engine.context(existing_file(args), args.line, query=args.query,
                              budget=args.budget, task=args.task)
    if args.json:
        emit_json(pack)
    else:
        for item in pack["items"]:
            print(f"{item['tokens']:>5} {item['mode']:<9} {crate_prefix(item)}{item['path']}:"
                  f"{item['start_line']}-{item['end_line']} {item['name']}  ({item['why']})")
        print(f"{pack['tokens']}/{pack['budget']} tokens")
        for item in pack.get("left_out") or []:
            print(f"did not fit: {item['tokens']:>5} {item['mode']:<9} {crate_prefix(item)}"
                  f"{item['path']}:{item['start_line']}-{item['end_line']} {item['name']}  "
                  f"(score {item['score']:.2f})")
    return 0
