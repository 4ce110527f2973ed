"""Front end: ``rrag prepare`` — index what every workspace on this machine shares, once.

std, core and alloc (from rust-src) go into the shared dependency cache before any project is
indexed, as rustup ships cargo a prebuilt std: the first ``rrag index`` of a project then pays
only for the project and its locked dependencies. ``make setup`` runs it; running it again is a
no-op once the cache holds this toolchain's std. Without std sources it says so and exits 0 (the
index works without them; ``rrag doctor`` names the fix).
"""

from __future__ import annotations

import argparse
import sys

from ..config import load_config
from ..service.deps import prepare_std
from ..service.progress import Progress
from ..service.std_index import enabled, std_status
from .common import add_json, emit_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="index std, core and alloc once per machine, ahead of "
                       "the first project")
    add_json(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = prepare_std(load_config().index, Progress())
    out = {"std": report.std, "enabled": enabled(),
           "crates": [{"name": d["name"], "version": d["version"], "cached": d["cached"]}
                      for d in report.imported],
           "files_parsed": report.files_parsed, "missing": report.missing,
           "seconds": report.seconds}
    for problem in report.missing:
        print(problem["message"], file=sys.stderr)
    if args.json:
        emit_json(out)
    elif not report.std:
        status = std_status()
        print(f"rrag: std not prepared: {status['value']}"
              + (f"; {status['fix']}" if status.get("fix") and enabled() else ""),
              file=sys.stderr)
    else:
        built = sum(not d["cached"] for d in out["crates"])
        print(f"std {report.std['version']} ({report.std['origin']}): "
              f"{built} of {len(out['crates'])} crates built, {report.files_parsed} files "
              f"parsed, in {report.seconds:.1f}s; shared by every workspace on this machine")
    return 1 if report.missing else 0
