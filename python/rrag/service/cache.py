"""Service layer: the CacheManager — packed contexts kept per request, dropped when their
sources change, and pre-computed in the background for the symbols of the open file.

A result is keyed by everything that decides it (question, path, line or selection, budget,
task, pins, exclusions, open buffers, and how many vectors the index holds — vectors fill in
after the structural index). It remembers the files that contributed to it: the cursor's file
and the file of every packed item. ``invalidate(paths)`` drops exactly the results one of those
files took part in, and keeps the others; the engine calls it with the files an index run
changed. Pre-caching runs on a daemon thread at the lowest OS priority, one symbol at a time,
and gives way to foreground requests (they share one compute lock, taken per symbol).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Iterable, Sequence

from ..store.files import FileState

log = logging.getLogger("rrag.cache")
Key = tuple[Hashable, ...]


def request_key(query: str | None, path: str | None, line: int | None, budget: int, task: str,
                pinned: Sequence[str], excluded: Sequence[str],
                selection: tuple[int, int] | None, open_paths: Sequence[str] = (),
                index_state: Hashable = 0) -> Key:
    return ((query or "").strip(), path, line, selection, budget, task, tuple(sorted(pinned)),
            tuple(sorted(excluded)), tuple(sorted(open_paths)), index_state)


class ResultCache:
    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Key, tuple[Any, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.invalidated = 0

    def get(self, key: Key) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Key, value: Any, files: Iterable[str]) -> None:
        with self._lock:
            self._entries[key] = (value, frozenset(files))
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __contains__(self, key: Key) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def files_of(self, key: Key) -> frozenset[str]:
        with self._lock:
            entry = self._entries.get(key)
            return entry[1] if entry else frozenset()

    def invalidate(self, paths: Iterable[str]) -> int:
        """Drop the results that one of ``paths`` contributed to; returns how many."""
        changed = set(paths)
        if not changed:
            return 0
        with self._lock:
            stale = [k for k, (_, files) in self._entries.items() if files & changed]
            for key in stale:
                del self._entries[key]
            self.invalidated += len(stale)
            return len(stale)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def stats(self) -> dict[str, int]:
        return {"entries": len(self), "hits": self.hits, "misses": self.misses,
                "invalidated": self.invalidated}


def changed_paths(before: dict[str, FileState], after: dict[str, FileState]) -> list[str]:
    """Files an index run added, removed, or rewrote (content or place in the module tree)."""
    def ident(s: FileState) -> tuple:
        return s.hash, s.module_path, s.id_namespace, s.problem

    paths = set(before) ^ set(after)
    paths |= {p for p in set(before) & set(after) if ident(before[p]) != ident(after[p])}
    return sorted(paths)


class Precacher:
    """One background thread computing the contexts an editor is likely to ask for next."""

    def __init__(self, compute: Callable[[str, int], None],
                 lock: threading.Lock | threading.RLock) -> None:
        self._compute = compute
        self._lock = lock
        self._queue: list[tuple[str, int]] = []
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.done = 0

    def submit(self, path: str, lines: Sequence[int]) -> None:
        """Replace whatever was queued: only the latest file matters."""
        with self._cv:
            self._queue = [(path, line) for line in lines]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rrag-precache",
                                                daemon=True)
                self._thread.start()
            self._cv.notify()

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until the queue is empty (tests, benchmarks)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._queue and not self._busy, timeout)

    _busy = False

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._queue = []
            self._cv.notify_all()

    def _run(self) -> None:
        try:  # lowest priority for this thread only (Linux: per-thread nice values)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (OSError, AttributeError):
            pass
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._queue or self._closed, timeout=60)
                if self._closed or not self._queue:
                    self._busy = False
                    self._cv.notify_all()
                    return
                path, line = self._queue.pop(0)
                self._busy = True
            try:
                with self._lock:
                    self._compute(path, line)
                self.done += 1
            except Exception as exc:  # a background guess must never break the editor
                log.debug("precache %s:%d failed: %s", path, line, exc)
            with self._cv:
                self._busy = bool(self._queue)
                self._cv.notify_all()
