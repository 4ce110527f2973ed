"""Front end: the ``rrag`` command line (see ../shared CLI-CONTRACT.md).

One module per subcommand, each with ``add_parser(subparsers)`` and ``run(args) -> int``.
Output contract: ``--json`` prints exactly one JSON object on stdout; progress and logs go to
stderr; failures exit non-zero with one ``rrag: ...`` line on stderr (the traceback of an
unexpected error goes to the log file, not the terminal).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from typing import NoReturn

from ..errors import RragError
from ..procs import log_traceback

SUBCOMMANDS = ("index_cmd", "items_cmd", "stats_cmd", "doctor_cmd", "embed_cmd", "search_cmd",
               "ask_cmd", "graph_cmd", "models_cmd", "upgrade_cmd", "prepare_cmd")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one ``rrag:`` line, like every other failure (the contract)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"rrag: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rrag", description="Rust-aware retrieval and context for local LLMs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="rrag: %(message)s", stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.run(args) or 0)
    except RragError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rrag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the user
        where = log_traceback(exc)
        detail = f"; details in {where}" if where else ""
        print(f"rrag: internal error: {type(exc).__name__}: {exc}{detail}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2


if __name__ == "__main__":
    sys.exit(main())
