"""Front end: helpers shared by the subcommands (engine creation, JSON output)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import load_config
from ..service.engine import Engine


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="workspace, crate or folder of crates "
                        "(default: the current directory)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def engine_for(args: argparse.Namespace) -> Engine:
    return Engine(args.root, load_config())


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False))
    sys.stdout.write("\n")
    sys.stdout.flush()
