"""Service layer: writing settings into the user's config file (``rrag models use``).

The file is the one ``config.load_config`` reads (``$RRAG_CONFIG`` or
``$XDG_CONFIG_HOME/rrag/config.toml``), read by the command line and by both editors' hosts. It is
edited in place, not regenerated: keys of the section are replaced on their own line, missing ones
added at the end of the section (or a new section at the end of the file), so the user's comments,
order and other settings stay as they were. The result is parsed and validated before it replaces
the file (atomically); a file this cannot edit safely is left untouched with an ``rrag:`` error.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Mapping

from ..config import Config, config_file
from ..errors import ConfigError

_KEY = re.compile(r"^(\s*)([A-Za-z0-9_-]+)\s*=")
_TABLE = re.compile(r"^\s*\[")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's string escapes are valid in TOML basic strings
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def set_keys(text: str, section: str, values: Mapping[str, Any]) -> str:
    """``text`` with ``[section]``'s keys set to ``values`` (everything else as it was)."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    rest = dict(values)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in rest.items()]
        return "\n".join(lines) + "\n"
    end = next((j for j in range(start + 1, len(lines)) if _TABLE.match(lines[j])), len(lines))
    for j in range(start + 1, end):
        match = _KEY.match(lines[j])
        if match and match.group(2) in rest:
            lines[j] = f"{match.group(1)}{match.group(2)} = {toml_value(rest.pop(match.group(2)))}"
    at = end
    while at > start + 1 and not lines[at - 1].strip():
        at -= 1  # after the section's last key, before the blank lines that end it
    lines[at:at] = [f"{k} = {toml_value(v)}" for k, v in rest.items()]
    return "\n".join(lines) + "\n"


def write_settings(section: str, values: Mapping[str, Any], path: Path | None = None) -> Path:
    """Set ``section``'s ``values`` in the user's config file (created if missing)."""
    path = path or config_file()
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}",
                          "fix its permissions or set RRAG_CONFIG to another file") from exc
    new = set_keys(old, section, values)
    settings = ", ".join(f"{section}.{k} = {toml_value(v)}" for k, v in values.items())
    try:
        Config.from_dict(tomllib.loads(new))
    except (tomllib.TOMLDecodeError, ConfigError) as exc:
        raise ConfigError(f"cannot update the config file {path} safely ({exc})",
                          f"edit it by hand: {settings}") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(new)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write the config file {path}: {exc.strerror or exc}",
                          f"fix its permissions, or edit it by hand: {settings}") from exc
    return path
