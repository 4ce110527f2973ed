"""Front end (bridge): the unsaved buffers both editors send with a request.

The protocol, one description for Neovim (lua/rrag/buffers.lua) and Vim
(autoload/rrag/buffers.vim): a request of a method that ``carries_buffers`` (rrag.protocol) has
``buffers``, a list
with one entry per modified Rust buffer, ``{path, tick}`` (absolute path, the buffer's
changedtick), plus ``text`` (the whole buffer) only when that buffer changed since the editor
last sent it to this host. The host remembers the last text per path; an entry without text
means "the same as last time". A buffer that is no longer listed (saved, undone, closed) is
forgotten: the file on disk is what counts again. The editor forgets what it sent when the host
restarts, so a new host always gets the text first.
"""

from __future__ import annotations

from typing import Any

class BufferTexts:
    """Per host: path -> (changedtick, text) of the buffers the editor sent."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[Any, str]] = {}

    def resolve(self, entries: Any) -> dict[str, str]:
        """The request's ``buffers`` as path -> text; entries whose text this host never got
        (it restarted meanwhile) are left out, so the saved file is used for them."""
        if not isinstance(entries, list):
            return {}
        out: dict[str, str] = {}
        kept: dict[str, tuple[Any, str]] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            path, tick, text = entry["path"], entry.get("tick"), entry.get("text")
            if isinstance(text, str):
                kept[path] = (tick, text)
            elif path in self._texts and self._texts[path][0] == tick:
                kept[path] = self._texts[path]
            else:
                continue
            out[path] = kept[path][1]
        self._texts = kept
        return out
