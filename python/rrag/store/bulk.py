"""Store layer: the bulk path of a first index — a new database written out of sight, then put
in place whole.

A first index (no database file yet) is written to a private file next to where it belongs
(``.index.sqlite.bulk-<pid>``) with no journal and no sync: nobody else opens it, and a kill
leaves only a file the next run deletes. Each phase (workspace files, then dependencies) is one
transaction instead of one per file. The indexes named in ``schema.BUILT_AFTER_LOAD`` are dropped
while rows go in and built once at the end (one sort instead of a random B-tree insert per row);
the lexical index buffers more in memory, so it writes fewer, larger segments. ``finish`` makes
the file durable and links it into place: whoever opens the index sees no file or a whole one.
Incremental runs, and any database that already exists, never come here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import apsw

from .db import Store, _connect, _migrate, _retry_busy, open_store, writable_folder
from .schema import BUILT_AFTER_LOAD

# FTS5 flushes its pending terms to a new segment when they pass this many bytes (SQLite's
# default: 1 MiB, restored before the file is put in place, since it is stored in the file).
FTS_BUFFER = 64 * 1024 * 1024
FTS_DEFAULT_BUFFER = 1024 * 1024
_MARK = ".bulk-"


@dataclass(slots=True)
class BulkLoad:
    final: Path
    deferred: list[tuple[str, str]]  # (index name, its CREATE statement from the migrations)


@contextlib.contextmanager
def loading(final: Path, opened: bool, current: Callable[[], Store],
            progress: Callable[[str, int, int], None]) -> Iterator[Store]:
    """The store an index run writes to: with no file at ``final`` yet (and none ``opened``),
    a new bulk file, finished on success and discarded on failure; otherwise ``current()``, the
    existing index, updated in place (another process may have it open, even an empty one)."""
    remove_stale(final)
    if opened or final.exists():
        yield current()
        return
    store = create(final)
    try:
        yield store
        progress("finish", 0, 1)
        finish(store)
        progress("finish", 1, 1)
    except BaseException:
        discard(store)
        raise


def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{_MARK}{os.getpid()}")


def remove_stale(final: Path) -> int:
    """Delete the temporary files of bulk runs whose process is gone (killed); returns how many."""
    removed = 0
    with contextlib.suppress(OSError):
        for path in final.parent.glob(f".{final.name}{_MARK}*"):
            pid = path.name.rsplit(_MARK, 1)[1].split("-", 1)[0]
            if pid.isdigit() and _running(int(pid)):
                continue  # another first index of this workspace, still being written
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create(final: Path) -> Store:
    """A Store on a new temporary file that ``finish`` will put at ``final``."""
    writable_folder(final)
    remove_stale(final)
    tmp = temp_path(final)
    _remove(tmp)
    old_umask = os.umask(0o077)
    try:
        conn = _connect(tmp, journal="OFF")
        _migrate(conn)
    finally:
        os.umask(old_umask)
    marks = ", ".join("?" * len(BUILT_AFTER_LOAD))
    deferred = list(conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                 f"AND name IN ({marks}) ORDER BY name", BUILT_AFTER_LOAD))
    for name, _ in deferred:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES('hashsize', ?)", (FTS_BUFFER,))
    store = Store(tmp, conn, [])
    store.bulk = BulkLoad(final, deferred)
    return store


def finish(store: Store) -> None:
    """Build the deferred indexes, sync the file and put it in place; ``store`` is closed."""
    bulk: BulkLoad = store.bulk
    with store.transaction():
        for _, sql in bulk.deferred:
            store.execute(sql)
        store.execute("INSERT INTO items_fts(items_fts, rank) VALUES('hashsize', ?)",
                      (FTS_DEFAULT_BUFFER,))
    store.execute("PRAGMA journal_mode = WAL")  # what every later open of the index uses
    store.close()
    tmp = store.path
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)  # the data before the name: a crash after the link never shows a torn file
    finally:
        os.close(fd)
    _place(tmp, bulk.final)


def _place(tmp: Path, final: Path) -> None:
    if not final.exists():
        for suffix in ("-wal", "-shm"):  # a dead run's log would be replayed into the new file
            Path(str(final) + suffix).unlink(missing_ok=True)
        try:
            os.link(tmp, final)  # unlike rename, never replaces a file another process opened
        except FileExistsError:
            pass
        else:
            tmp.unlink()
            _sync_dir(final.parent)
            return
    # Another process created the index while this one was built: copy the pages into it in one
    # write transaction, which its readers see whole or not at all.
    dest = open_store(final)
    try:
        source = apsw.Connection(str(tmp))  # (read-write: it removes its -wal on close)

        def copy_all() -> None:
            with dest.conn.backup("main", source, "main") as copy:
                while not copy.done:
                    copy.step(-1)

        try:
            # Another writer, or a reader upgrading its transaction, may make SQLite answer
            # BUSY at once rather than through the busy timeout: the whole copy is retried.
            _retry_busy(copy_all)
        finally:
            source.close()
    finally:
        dest.close()
    _remove(tmp)


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def discard(store: Store) -> None:
    """After a failed run: close and delete the temporary file."""
    store.close()
    _remove(store.path)


def _remove(tmp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
