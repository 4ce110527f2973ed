"""Front end: ``rrag doctor`` — versions, extension loading, model files and paths."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import load_config
from ..paths import index_db_path
from ..service.doctor import run_doctor
from .common import add_json, add_root, emit_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the installation (versions, sqlite-vec, models)")
    add_root(p)
    add_json(p)
    p.add_argument("--quiet", action="store_true", help="print only failed checks")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    db = index_db_path(Path(args.root).resolve(), load_config().index.db_dir)
    report = run_doctor(db)
    if args.json:
        emit_json(report)
    else:
        for check in report["checks"]:
            warn = check.get("level") == "warn"
            if args.quiet and check["ok"] and not warn:
                continue
            mark = "WARN" if warn else "ok  " if check["ok"] else "ERR "
            fix = f"  -> {check['fix']}" if check["fix"] else ""
            print(f"{mark} {check['name']}: {check['value']}{fix}")
        if not args.quiet:
            print(f"    index: {report['db']}\n    models: {report['models_dir']}")
    return 0 if report["ok"] else 1
