"""Front end: ``rrag upgrade`` — a dependency's API changes between two versions and the
workspace sites they break (see CLI-CONTRACT.md).

    rrag upgrade                         # the version change Cargo.lock made last
    rrag upgrade --crate semver --from 0.9.0 --to 1.0.14 --json
"""

from __future__ import annotations

import argparse

from ..errors import RragError
from ..service.upgrade import upgrade
from ..service.upgrade_fix import fix
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
    p.add_argument("--fix", metavar="PATH:LINE", default=None, help="ask the model for an "
                   "edit of that site's item (checked with cargo check like `rrag refactor`; "
                   "never applied)")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.old or args.new) and not args.crate:
        raise RragError("--from and --to need --crate", "name the dependency: --crate NAME")
    if args.fix:
        return _run_fix(args)
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


def _run_fix(args: argparse.Namespace) -> int:
    path, _, line = args.fix.rpartition(":")
    if not path or not line.isdigit() or int(line) < 1:
        raise RragError(f"--fix {args.fix!r} is not PATH:LINE", "e.g. --fix src/main.rs:12")
    with engine_for(args) as engine:
        result = fix(engine, path, int(line), args.crate, args.old, args.new)
    if args.json:
        emit_json(result)
        return 0
    check = result.get("check") or {}
    print(f"{result['site']['path']}:{result['site']['line']} {result['site']['change']} "
          f"{result['site']['old']}: lines {result['start_line']}-{result['end_line']}, "
          f"parses: {result.get('parses')}, cargo check: "
          f"{'ok' if check.get('ok') else 'failed' if check.get('ran') else 'not run'}")
    print(result.get("replacement") or "")
    for diagnostic in check.get("diagnostics") or []:
        print(f"  {diagnostic}")
    return 0
