"""LLM layer: the GGUF files already on this machine, wherever other tools keep them.

* Ollama: ``$OLLAMA_MODELS`` or ``~/.ollama/models``. Each manifest
  ``manifests/<registry>/<namespace>/<name>/<tag>`` is JSON whose layer of media type
  ``application/vnd.ollama.image.model`` names a blob ``blobs/sha256-<hex>``: a plain GGUF file,
  used in place (no Ollama needed). Named ``name:tag`` (``namespace/name:tag`` outside
  ``library``, with the registry host too when it is not Ollama's own).
* LM Studio: ``$LMSTUDIO_MODELS``, ``~/.lmstudio/models`` or ``~/.cache/lm-studio/models``
  (``publisher/repo/file.gguf``).
* The Hugging Face hub cache: ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or
  ``$XDG_CACHE_HOME/huggingface/hub`` (``models--org--name/snapshots/<rev>/*.gguf``, symlinks to
  ``../../blobs/<hash>``); named ``org/name/file.gguf``.
* ``~/models`` and the folders of ``llm.model_dirs``, searched a few levels deep.

Only the files are found here (``Found``); their headers are read by the caller. A split model
(``-00001-of-00003.gguf``) is listed once, by its first part, with the size of all parts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_REGISTRY = "registry.ollama.ai"
MAX_DEPTH = 4  # folder levels searched below a models folder
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.I)


@dataclass(frozen=True)
class Found:
    name: str  # what `rrag models use NAME` accepts
    source: str  # "ollama", "lmstudio", "huggingface" or "folder"
    path: Path  # the GGUF file (first part of a split model), as found (not resolved)
    size: int  # bytes, all parts together


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def ollama_root() -> Path:
    return Path(os.environ.get("OLLAMA_MODELS") or _home() / ".ollama" / "models")


def lmstudio_roots() -> list[Path]:
    explicit = os.environ.get("LMSTUDIO_MODELS")
    if explicit:
        return [Path(explicit)]
    return [_home() / ".lmstudio" / "models", _home() / ".cache" / "lm-studio" / "models"]


def hf_hub_root() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or str(_home() / ".cache")
    return Path(cache) / "huggingface" / "hub"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def scan_ollama(root: Path) -> Iterator[Found]:
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        parts = manifest.relative_to(manifests).parts
        if len(parts) < 3:
            continue
        try:
            layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers") or []
        except (OSError, ValueError, AttributeError):
            continue
        digest = next((l.get("digest", "") for l in layers if isinstance(l, dict)
                       and l.get("mediaType") == OLLAMA_MODEL_LAYER), "")
        if not digest:
            continue
        host, *path, model, tag = parts
        if path == ["library"]:
            path = []
        prefix = "/".join(([host] if host != OLLAMA_REGISTRY else []) + path)
        blob = root / "blobs" / digest.replace(":", "-")
        name = f"{prefix + '/' if prefix else ''}{model}:{tag}"
        yield Found(name, "ollama", blob, _size(blob))


def _ggufs(root: Path, depth: int = MAX_DEPTH) -> Iterator[Path]:
    """GGUF files below ``root`` (symlinks followed, hidden folders skipped)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir() and depth > 0:
                yield from _ggufs(Path(entry.path), depth - 1)
            elif entry.name.lower().endswith(".gguf") and entry.is_file():
                yield Path(entry.path)
        except OSError:
            continue


def _first_parts(paths: Iterable[Path]) -> Iterator[tuple[Path, int]]:
    """Each model once: a split model by its first part, with the size of every part."""
    for path in paths:
        split = _SPLIT.search(path.name)
        if split is None:
            yield path, _size(path)
        elif int(split.group(1)) == 1:
            count = int(split.group(2))
            stem = path.name[:split.start()]
            parts = [path.with_name(f"{stem}-{i:05d}-of-{count:05d}.gguf")
                     for i in range(1, count + 1)]
            yield path, sum(_size(p) for p in parts)


def scan_folder(root: Path, source: str = "folder", named_from: Path | None = None,
                depth: int = MAX_DEPTH) -> Iterator[Found]:
    for path, size in _first_parts(_ggufs(root, depth)):
        name = path.relative_to(named_from or root).as_posix() if source != "folder" \
            else path.name
        yield Found(name, source, path, size)


def scan_huggingface(root: Path) -> Iterator[Found]:
    for repo in sorted(root.glob("models--*")):
        label = repo.name.removeprefix("models--").replace("--", "/")
        snapshots = repo / "snapshots"
        for snapshot in sorted(snapshots.iterdir() if snapshots.is_dir() else []):
            for path, size in _first_parts(_ggufs(snapshot, 2)):
                name = f"{label}/{path.relative_to(snapshot).as_posix()}"
                yield Found(name, "huggingface", path, size)


def scan_all(model_dirs: Iterable[str] = ()) -> list[Found]:
    """Every GGUF of every known store, each file once (the first store to list it names it;
    Ollama's tags of one blob each)."""
    found: list[Found] = list(scan_ollama(ollama_root()))
    for root in lmstudio_roots():
        found += scan_folder(root, "lmstudio")
    found += scan_huggingface(hf_hub_root())
    for folder in [_home() / "models", *(Path(d).expanduser() for d in model_dirs)]:
        found += scan_folder(folder)
    seen: dict[str, str] = {}  # path -> the store that listed it
    names: set[str] = set()
    unique = []
    for item in found:
        path, name = os.path.abspath(item.path), f"{item.source}:{item.name}"
        # Ollama tags often share a blob (llama3:latest and llama3:8b): each tag is listed. A
        # file another store (or a folder scan of the same place) listed already is not, nor
        # one repository file in two snapshots.
        if (path in seen and not (seen[path] == item.source == "ollama")) or \
                (item.source != "folder" and name in names):
            continue
        seen.setdefault(path, item.source)
        names.add(name)
        unique.append(item)
    return unique
