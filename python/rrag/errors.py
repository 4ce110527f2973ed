"""Base layer: the exceptions the user may see.

Every message shown to a user starts with ``rrag:``, says what happened and what to do. Front ends
print ``str(err)``; ``hint`` carries the fix separately for UIs that show it apart.
"""

from __future__ import annotations


class RragError(Exception):
    """An error meant for the user: ``str()`` is the full one-line message."""

    code = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        text = message if message.startswith("rrag:") else f"rrag: {message}"
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class ConfigError(RragError):
    code = "config"


class WorkspaceError(RragError):
    """The folder is not something we can index (no Cargo.toml, no Rust files...)."""

    code = "workspace"


class StoreError(RragError):
    """The index database is unusable (locked, corrupt, unknown schema, disk full)."""

    code = "store"


class ModelError(RragError):
    """A model file is missing or corrupt, or the model worker failed."""

    code = "model"


class NotFound(RragError):
    code = "not_found"
