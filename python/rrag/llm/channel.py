"""LLM layer: one model worker process and the JSON-lines pipes to it (host side).

``WorkerChannel`` starts ``python -m rrag.llm.worker_main`` in its own session (a Ctrl-C in the
terminal reaches the host, which then stops the worker in order), reads its replies on a thread
into a queue and keeps the last lines of its stderr for error messages. When the process dies,
for whatever reason (segfault, abort, kill -9, out of memory), the reader sees end-of-file and
``recv`` raises ``WorkerGone``; the caller decides what to tell the user and whether to restart.
"""

from __future__ import annotations

import collections
import json
import queue
import subprocess
import sys
import threading
import time
from typing import IO, Any

from ..procs import describe_exit, worker_env

WORKER_MODULE = "rrag.llm.worker_main"
_GONE = object()


class WorkerGone(Exception):
    """The worker process exited; ``str()`` says how (signal name or exit status)."""


class WorkerChannel:
    def __init__(self, python: str | None = None) -> None:
        self.proc = subprocess.Popen(
            [python or sys.executable, "-m", WORKER_MODULE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=worker_env(), start_new_session=True, close_fds=True)
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=30)
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read_replies, args=(self.proc.stdout,),
                         name=f"rrag-llm-out-{self.proc.pid}", daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self.proc.stderr,),
                         name=f"rrag-llm-err-{self.proc.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read_replies(self, stream: IO[bytes]) -> None:
        try:
            for line in stream:
                try:
                    self.inbox.put(json.loads(line))
                except ValueError:
                    self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())
        finally:
            stream.close()  # the reading thread closes it: closing under a blocked read is unsafe
            self.inbox.put(_GONE)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        with stream:
            for line in stream:
                text = line.decode("utf-8", "replace").rstrip()
                if text:
                    self.stderr_tail.append(text)

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._send_lock:
                assert self.proc.stdin is not None
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise WorkerGone(self.exit_description()) from exc

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None after ``timeout`` seconds; WorkerGone once it has died."""
        try:
            message = self.inbox.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if message is _GONE:
            self.inbox.put(_GONE)  # every later recv sees the death too
            raise WorkerGone(self.exit_description())
        return message  # type: ignore[no-any-return]

    def exit_description(self) -> str:
        try:
            self.proc.wait(timeout=2.0)  # stdout closes a moment before the exit status is known
        except subprocess.TimeoutExpired:
            pass
        return describe_exit(self.proc.poll())

    def last_output(self, lines: int = 3) -> str:
        time.sleep(0.05)  # let the stderr thread catch the final words of a dying process
        return " | ".join(list(self.stderr_tail)[-lines:])

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass
        self._close_stdin()

    def close(self, grace_s: float = 2.0) -> None:
        """Ask politely (stdin closes, the worker exits), then kill."""
        self._close_stdin()
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5.0)

    def _close_stdin(self) -> None:
        with self._send_lock:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
            except OSError:
                pass
