"""LLM layer: the model worker process, the only code in rrag that imports llama_cpp.

Run as ``python -m rrag.llm.worker_main``; it owns one ``llama_cpp.Llama`` and speaks JSON lines:
requests on stdin, replies and streamed tokens on a private duplicate of stdout (fd 1 itself is
pointed at stderr first, so nothing llama.cpp prints can corrupt the protocol). A reader thread
takes ``cancel`` messages while a generation runs; the generation checks them between tokens and
llama.cpp's abort callback checks them during prompt evaluation. When stdin closes (the host
exited or crashed) the worker exits too. The same ``Llama`` serves every request, so
llama-cpp-python's prefix matching reuses the KV cache of a shared prompt prefix.
"""

from __future__ import annotations

import codecs
import collections
import json
import os
import queue
import sys
import threading
import time
from typing import Any, BinaryIO

PROTOCOL_VERSION = 1
# ChatML, for GGUFs without a tokenizer.chat_template (most instruct models of the last years
# use it or ship their own template, which always wins).
FALLBACK_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
                     "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


class Reply(Exception):
    """A request failed in a way the host turns into a ModelError (``kind`` says which)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class WorkerSession:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.out_lock = threading.Lock()
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.cancel = threading.Event()
        self.current_id: Any = None
        self.cancelled_ids: set[Any] = set()
        self.llm: Any = None
        self.formatter: Any = None
        self.info: dict[str, Any] = {}
        self.log_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._keep: list[Any] = []  # ctypes callbacks must outlive the C code holding them

    # -- protocol -------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        with self.out_lock:
            self.out.write(data)
            self.out.flush()

    def read_stdin(self) -> None:
        for line in sys.stdin.buffer:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("op") == "cancel":
                self.cancelled_ids.add(message.get("target"))
                if message.get("target") == self.current_id:
                    self.cancel.set()
            else:
                self.commands.put(message)
        os._exit(0)  # the host closed our stdin: it is gone or shutting us down

    def serve(self) -> None:
        threading.Thread(target=self.read_stdin, name="rrag-worker-stdin", daemon=True).start()
        self.send({"event": "hello", "pid": os.getpid(), "protocol": PROTOCOL_VERSION})
        while True:
            message = self.commands.get()
            rid, op = message.get("id"), message.get("op")
            handler = getattr(self, f"op_{op}", None)
            try:
                if handler is None:
                    raise Reply("protocol", f"unknown op {op!r}")
                self.send({"id": rid, "ok": True, "result": handler(message)})
            except Reply as exc:
                self.send({"id": rid, "ok": False, "kind": exc.kind, "error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - reported to the host, the worker lives on
                self.send({"id": rid, "ok": False, "kind": "internal",
                           "error": f"{type(exc).__name__}: {exc}"})
            if op == "shutdown":
                return

    # -- llama.cpp ------------------------------------------------------------------------------
    def install_hooks(self, llama_cpp: Any) -> None:
        last_kept = [False]

        @llama_cpp.llama_log_callback
        def on_log(level: int, text: bytes, _data: Any) -> None:
            # ggml levels: 3 warn, 4 error, 5 continues the previous line
            keep = level in (3, 4) or (level == 5 and last_kept[0])
            last_kept[0] = keep
            if keep:
                self.log_tail.append(text.decode("utf-8", "replace").rstrip())

        llama_cpp.llama_log_set(on_log, None)
        self._keep.append(on_log)

    def need_model(self) -> Any:
        if self.llm is None:
            raise Reply("no_model", "no model is loaded")
        return self.llm

    def op_load(self, message: dict[str, Any]) -> dict[str, Any]:
        import llama_cpp
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from ..config import LlmConfig
        from .hardware import choose_params, detect

        self.install_hooks(llama_cpp)
        path, cfg = message["path"], LlmConfig(**message["llm"])
        hw = detect(gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()))
        params = choose_params(hw, cfg, os.path.getsize(path))
        started = time.perf_counter()
        self.log_tail.clear()
        try:
            llm = Llama(path, n_ctx=params.n_ctx, n_threads=params.n_threads,
                        n_threads_batch=params.n_threads, n_batch=params.n_batch,
                        n_gpu_layers=params.n_gpu_layers, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            errors = [l for l in self.log_tail if "error" in l.lower() or "fail" in l.lower()]
            detail = errors[0].split("error loading model:")[-1].strip() if errors else str(exc)
            raise Reply("load", detail) from exc
        n_ctx_train = llm._model.n_ctx_train()
        params = choose_params(hw, cfg, os.path.getsize(path), n_ctx_train)  # notes vs. trained
        meta = dict(llm.metadata)
        template = meta.get("tokenizer.chat_template") or FALLBACK_TEMPLATE
        eos, bos = llm.token_eos(), llm.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=template, eos_token=llm._model.token_get_text(eos) if eos >= 0 else "",
            bos_token=llm._model.token_get_text(bos) if bos >= 0 else "", stop_token_ids=[eos])
        abort = llama_cpp.ggml_abort_callback(lambda _data: self.cancel.is_set())
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, abort, None)
        self._keep.append(abort)
        self.llm = llm
        self.info = {
            "path": path, "model_name": meta.get("general.name") or os.path.basename(path),
            "architecture": meta.get("general.architecture", ""), "n_ctx_train": n_ctx_train,
            "n_ctx": llm.n_ctx(), "n_vocab": llm.n_vocab(), "chat_template": template,
            "chat_template_from_gguf": "tokenizer.chat_template" in meta,
            "load_s": time.perf_counter() - started,
            "params": params.__dict__ | {"notes": list(params.notes)},
            "hardware": hw.__dict__ | {"simd": list(hw.simd)}, "pid": os.getpid(),
            "llama_cpp_version": getattr(llama_cpp, "__version__", "?"),
            "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        }
        return self.info

    def op_metadata(self, message: dict[str, Any]) -> dict[str, Any]:
        self.need_model()
        return self.info

    def op_tokenize(self, message: dict[str, Any]) -> Any:
        llm = self.need_model()
        if "texts" in message:  # counts only, for packing context under a budget
            return [len(llm.tokenize(t.encode("utf-8"), add_bos=False, special=False))
                    for t in message["texts"]]
        return llm.tokenize(message["text"].encode("utf-8"), add_bos=False, special=False)

    def op_reset(self, message: dict[str, Any]) -> dict[str, Any]:
        self.need_model().reset()  # forget the KV cache: the next prompt is evaluated in full
        return {}

    def op_shutdown(self, message: dict[str, Any]) -> dict[str, Any]:
        return {}

    def prompt_tokens(self, message: dict[str, Any]) -> list[int]:
        llm = self.llm
        if "messages" in message:
            rendered = self.formatter(messages=message["messages"])
            return llm.tokenize(rendered.prompt.encode("utf-8"),
                                add_bos=not rendered.added_special, special=True)
        return llm.tokenize(message["prompt"].encode("utf-8"), add_bos=True, special=True)

    def op_generate(self, message: dict[str, Any]) -> dict[str, Any]:
        import llama_cpp

        llm, rid = self.need_model(), message["id"]
        # This order, mirrored in read_stdin, loses no cancel that races with the start.
        self.cancel.clear()
        self.current_id = rid
        if rid in self.cancelled_ids:
            self.cancel.set()
        try:
            return self.generate(llama_cpp, llm, rid, message)
        finally:
            self.current_id = None
            self.cancel.clear()
            self.cancelled_ids.discard(rid)

    def generate(self, llama_cpp: Any, llm: Any, rid: Any,
                 message: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        tokens = self.prompt_tokens(message)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise Reply("too_long", f"the prompt is {len(tokens)} tokens but the context holds "
                                    f"{n_ctx}")
        max_tokens = min(int(message.get("max_tokens") or n_ctx), n_ctx - len(tokens))
        # temp 0 is llama.cpp's greedy sampler (below 0 it would sample unscaled). A seed >= 0
        # asks for a reproducible answer: the sampler's random numbers restart from it, and the
        # prompt is evaluated from its first token, as in a fresh worker (a reused KV-cache
        # prefix has the suffix evaluated in other batch shapes, whose float sums differ in the
        # last bits and can flip a near tie). -1: DEFAULT_SEED, a new seed per request.
        temp = max(0.0, float(message.get("temperature", 0.2)))
        seed = int(message.get("seed", -1))
        llm.set_seed(seed if seed >= 0 else llama_cpp.LLAMA_DEFAULT_SEED)
        if seed >= 0:
            llm.reset()
        cached = 0
        for old, new in zip(llm._input_ids[: llm.n_tokens].tolist(), tokens):
            if old != new:
                break
            cached += 1
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text: list[str] = []
        count, finish, first_at = 0, "length", 0.0
        if self.cancel.is_set():
            finish = "cancelled"
        else:
            try:
                for token in llm.generate(tokens, temp=temp, top_k=40, top_p=0.95, min_p=0.05,
                                          repeat_penalty=1.0):
                    if llama_cpp.llama_token_is_eog(llm._model.vocab, token):
                        finish = "stop"
                        break
                    count += 1
                    first_at = first_at or time.perf_counter()
                    piece = decoder.decode(llm.detokenize([token], special=False))
                    if piece:
                        text.append(piece)
                        self.send({"id": rid, "event": "token", "text": piece})
                    if self.cancel.is_set():
                        finish = "cancelled"
                        break
                    if count >= max_tokens:
                        break
            except RuntimeError:
                if not self.cancel.is_set():
                    raise
                finish = "cancelled"  # llama_decode returned 2: our abort callback fired
        tail = decoder.decode(b"", final=True)
        if tail:
            text.append(tail)
            self.send({"id": rid, "event": "token", "text": tail})
        ended = time.perf_counter()
        return {"text": "".join(text), "tokens": count, "finish_reason": finish,
                "prompt_tokens": len(tokens), "cached_tokens": cached,
                "evaluated_tokens": int(llm.n_tokens),
                "worker_ttft_s": (first_at - started) if first_at else None,
                "decode_s": (ended - first_at) if first_at else 0.0}


def main() -> int:
    try:  # a crashing worker must not leave a core file the size of the model in the cwd
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    protocol_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints from native code land in stderr, never in the protocol
    sys.stdout = sys.stderr
    with os.fdopen(protocol_fd, "wb", buffering=0) as out:
        WorkerSession(out).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
