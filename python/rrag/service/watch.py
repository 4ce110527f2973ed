"""Service layer: a folder watcher (Linux inotify) that lets a long-lived engine skip the stat
of every indexed file when nothing happened.

The freshness check stats every indexed file, because an edit in place does not move its
folder's mtime; at 10k files that is most of its cost. The editor's engine answers many
requests, so after its first checks it watches the folders the last scan entered: when the
kernel queued no event for them since the last check that found the disk matching the index,
nothing there changed, and the check is a read of an empty queue. Any event (a write, a
create, a delete, a move, an attribute change, the queue overflowing) sends the check back to
the stat walk, which decides. Elsewhere than Linux, or when inotify is unavailable (the
per-user watch limit), ``FolderWatch.start`` returns None and the stat walk is all there is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from typing import Iterable

log = logging.getLogger("rrag.watch")

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_ONLYDIR = 0x400, 0x800, 0x01000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, 0o2000000

_libc = None


def _lib():
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            _libc.inotify_init1.argtypes = [ctypes.c_int]
            _libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


class FolderWatch:
    """Watches a set of folders; ``changed()`` says whether anything happened in them."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def start(cls, folders: Iterable[str]) -> "FolderWatch | None":
        lib = _lib()
        if lib is None:
            return None
        fd = lib.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            return None
        for folder in folders:
            if lib.inotify_add_watch(fd, os.fsencode(folder), MASK) < 0:
                # Watch limit reached or the folder vanished: a partial watch would miss
                # changes, so none at all.
                log.debug("not watching (%s): %s", folder, os.strerror(ctypes.get_errno()))
                os.close(fd)
                return None
        return cls(fd)

    def changed(self) -> bool:
        """Whether any event arrived since the last call (the queue is emptied)."""
        seen = False
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return seen
            except OSError:
                return True  # cannot tell: assume something changed
            if not data:
                return seen
            seen = True

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1
