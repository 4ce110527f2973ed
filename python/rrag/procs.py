"""Base layer: the process plumbing every child of rrag shares.

The model workers (llama.cpp chat in ``llm``, llama.cpp embeddings in ``embed``) run as
``python -m rrag...`` children so a native abort never takes the editor's host down. They need
the same environment (this checkout importable, OpenMP threads that sleep instead of spin), and
the user needs the same words when one dies. A crash of rrag itself goes, with its traceback, to
one log file readable by the user only; the user sees one line that names it.
"""

from __future__ import annotations

import os
import signal
import traceback
from pathlib import Path

import rrag

from .paths import cache_home, private_dir

# OpenMP threads that spin while waiting starve everything else on a busy machine (the editor,
# index workers): on 2 shared cores decode speed fell 5x with spinning. The user's setting wins.
DEFAULT_WORKER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
LOG_NAME = "rrag.log"


def worker_env() -> dict[str, str]:
    """The environment of a worker child: the user's, plus this rrag on PYTHONPATH (the child
    must import the same code as its parent, installed or run from a checkout)."""
    env = {**DEFAULT_WORKER_ENV, **os.environ}
    package_root = str(Path(rrag.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def describe_exit(returncode: int | None) -> str:
    """How a child ended, in the words an error message uses."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def log_path() -> Path:
    return cache_home() / LOG_NAME


def log_traceback(exc: BaseException) -> Path | None:
    """Append ``exc``'s traceback to the log (created 0600 in a 0700 folder: tracebacks quote
    source lines and paths); the path, or None when the log cannot be written."""
    try:
        path = private_dir(cache_home()) / LOG_NAME
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(exc)))
        os.chmod(path, 0o600)  # a log an older version created with the umask's mode
        return path
    except OSError:
        return None
