"""Front end: ``rrag models`` (the chat models on this machine) and ``rrag models use NAME``.

The listing is ``service.models.list_models``, printed as ``service.model_table`` shapes it (the
editors' pickers show the same lines); ``use`` writes the pick to the user's config file, so the
next ``rrag ask`` (and the editors' next request) answers with it.
"""

from __future__ import annotations

import argparse

from ..config import load_config
from ..service.model_table import human_bytes
from ..service.models import list_models, table, use_model
from .common import add_json, emit_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the chat models on this machine; `use NAME` picks one")
    add_json(p)
    p.add_argument("--no-servers", action="store_true",
                   help="do not ask the model servers on localhost")
    p.set_defaults(run=run_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    use = actions.add_parser("use", help="answer with the model NAME from now on")
    use.add_argument("name", metavar="NAME",
                     help="a name `rrag models` lists (or a unique part of it), a GGUF file's "
                     "path, or `default` for the bundled demo model")
    add_json(use)
    use.set_defaults(run=run_use)


def run_list(args: argparse.Namespace) -> int:
    listing = list_models(load_config(), servers=not args.no_servers)
    if args.json:
        emit_json(listing)
        return 0
    view = table(listing)
    print(view["header"])
    for line in view["lines"]:
        print(line)
    if not view["lines"]:
        print("  (no chat model found)")
    print()
    current = listing["current"]
    where = current.get("url") or current.get("path") or ""
    print(f"in use: {current['name']} ({current['backend']}{', ' + where if where else ''})")
    print(_memory_line(listing["memory"]))
    for note in view["notes"]:
        print(note if note.startswith("rrag:") else f"note: {note}")
    print(f"pick one with `rrag models use NAME` (written to {listing['config_file']})")
    return 0


def _memory_line(memory: dict) -> str:
    """What FITS was measured against: the free memory now, and the GPU's when there is one."""
    gpu = memory.get("gpu")
    on_gpu = (f"; GPU: {human_bytes(gpu['free_bytes'])} free of "
              f"{human_bytes(gpu['total_bytes'])}") if gpu else "; no GPU seen"
    return f"memory: {human_bytes(memory.get('available_bytes'))} free{on_gpu}"


def run_use(args: argparse.Namespace) -> int:
    result = use_model(args.name, load_config())
    if args.json:
        emit_json(result)
    else:
        print(result["message"].removeprefix("rrag: "))
    return 0
