"""Front end: helpers shared by the subcommands (engine creation, JSON output)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from ..config import load_config
from ..errors import NotFound
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


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value
    parse.__name__ = f"number >= {minimum}"  # argparse names the type in its messages
    return parse


def existing_file(args: argparse.Namespace) -> str:
    """``--file`` as given, once it is known to name a file (relative to --root or absolute):
    a typo must not quietly give an empty answer."""
    path = Path(args.file)
    full = path if path.is_absolute() else Path(args.root) / path
    if not full.is_file():
        raise NotFound(f"{args.file} is not a file under {Path(args.root).resolve()}",
                       "give --file relative to --root, or an absolute path")
    return args.file


def crate_prefix(item: dict[str, Any]) -> str:
    """``regex 1.7.1 `` before a dependency item's path (it is relative to that crate)."""
    return f"{item.get('crate') or '?'} {item['version']} " if item.get("version") else ""

