"""Front end: ``rrag upgrade`` — a dependency's API changes between two versions and the
workspace sites they break (see CLI-CONTRACT.md).

    rrag upgrade                         # the version change Cargo.lock made last
    rrag upgrade --crate semver --from 0.9.0 --to 1.0.14 --json
"""

from __future__ import annotations

import argparse

from ..errors import RragError
from ..service.upgrade import upgrade
from .common import add_json, add_root, emit_json, engine_for


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upgrade", help="what a dependency's new version breaks in this code")
    add_root(p)
    p.add_argument("--crate", default=None, help="the dependency (default: the one whose "
                   "locked version the index saw change)")
    p.add_argument("--from", dest="old", default=None, help="the old version (default: the "
                   "one locked before the last change)")
    p.add_argument("--to", dest="new", default=None, help="the new version (default: the "
                   "one locked now)")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.old or args.new) and not args.crate:
        raise RragError("--from and --to need --crate", "name the dependency: --crate NAME")
    with engine_for(args) as engine:
        report = upgrade(engine, args.crate, args.old, args.new)
    out = report.to_json()
    if args.json:
        emit_json(out)
        return 0
    print(f"{out['crate']} {out['from']} -> {out['to']}: {len(out['changes'])} API changes, "
          f"{len(out['sites'])} affected sites")
    for change in out["changes"]:
        arrow = f" -> {change['new']}" if change["new"] and change["new"] != change["old"] \
            else ""
        print(f"  {change['kind']:<16} {change['old']}{arrow}")
    for site in out["sites"]:
        print(f"{site['path']}:{site['line']}\t{site['change']}\t{site['old']}\t({site['name']})")
    for site in out["follows"]:
        print(f"{site['path']}:{site['line']}\t(after the failed use at {site['follows']})")
    return 0
