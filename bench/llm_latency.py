"""Benchmark (issue 6): latency of the embedded model (SmolLM2-135M-Instruct Q4_1, llama.cpp in
the rrag worker process), as the editor sees it.

  1. load: starting the worker and loading the GGUF;
  2. short question: time to first token (cold KV cache) and decode tokens/s;
  3. a second question sharing a ~1500-token context prefix with the first: TTFT when the worker
     reuses the KV cache of that prefix (same Llama object, llama-cpp-python's prefix match)
     against TTFT after ``reset_cache()`` (the whole prompt evaluated again);
  4. decode speed with OpenMP threads waiting passively (rrag's default) vs spinning.
The context is real Rust: the first files of regex-1.7.1 from /usr/share/cargo/registry.
Writes bench/results/llm_latency.json and prints a table. Medians of --repeat runs.

    .venv/bin/python bench/llm_latency.py [--repeat 3] [--prefix-tokens 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from rrag.config import LlmConfig
from rrag.llm.worker import ModelWorker

HERE = Path(__file__).resolve().parent
CRATE = Path("/usr/share/cargo/registry/regex-1.7.1/src")
SHORT = [{"role": "user", "content": "In one sentence, what is a Rust trait?"}]


def rust_context(worker: ModelWorker, target: int) -> str:
    """Whole lines of real Rust source until ``target`` model tokens."""
    lines: list[str] = []
    for path in sorted(CRATE.rglob("*.rs")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        if len(lines) > target:  # a line is at least one token: enough candidates
            break
    lo, hi = 0, len(lines)
    while lo < hi:  # the longest run of lines under the target
        mid = (lo + hi + 1) // 2
        if worker.count_tokens("".join(lines[:mid])) <= target:
            lo = mid
        else:
            hi = mid - 1
    return "".join(lines[:lo])


def chat(context: str, question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": f"You answer questions about this Rust code.\n{context}"},
            {"role": "user", "content": question}]


def short_question(worker: ModelWorker, repeat: int) -> dict:
    ttft, rate = [], []
    for _ in range(repeat):
        worker.reset_cache()
        done = worker.generate(SHORT, max_tokens=64, temperature=0.0)
        ttft.append(done.ttft_s)
        rate.append(done.tokens_per_s)
    return {"prompt_tokens": done.prompt_tokens, "tokens": done.tokens,
            "ttft_s": round(statistics.median(ttft), 4),
            "tokens_per_s": round(statistics.median(rate), 1)}


def shared_prefix(worker: ModelWorker, context: str, repeat: int) -> dict:
    reuse, fresh, cached, prompt = [], [], 0, 0
    for i in range(repeat):
        worker.generate(chat(context, f"Question {i}: what does this module do?"), max_tokens=4)
        follow = chat(context, f"Question {i}: which types are public?")
        done = worker.generate(follow, max_tokens=4)
        reuse.append(done.ttft_s)
        cached, prompt = done.cached_tokens, done.prompt_tokens
        worker.reset_cache()
        cold = worker.generate(follow, max_tokens=4)
        assert cold.cached_tokens == 0
        fresh.append(cold.ttft_s)
    with_s, without_s = statistics.median(reuse), statistics.median(fresh)
    return {"prompt_tokens": prompt, "cached_tokens": cached,
            "ttft_reuse_s": round(with_s, 4), "ttft_no_reuse_s": round(without_s, 4),
            "speedup": round(without_s / with_s, 1) if with_s else None,
            "prompt_eval_tokens_per_s": round(prompt / without_s, 1) if without_s else None}


def decode_with_policy(policy: str, repeat: int) -> float:
    saved = os.environ.get("OMP_WAIT_POLICY")
    os.environ["OMP_WAIT_POLICY"] = policy  # the worker's environment: the user's value wins
    try:
        with ModelWorker(LlmConfig()) as worker:
            rates = [worker.generate(prompt="1, 2, 3, 4, 5, 6, 7, 8,", max_tokens=96,
                                     temperature=0.0).tokens_per_s for _ in range(repeat)]
    finally:
        if saved is None:
            os.environ.pop("OMP_WAIT_POLICY", None)
        else:
            os.environ["OMP_WAIT_POLICY"] = saved
    return round(statistics.median(rates), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--prefix-tokens", type=int, default=1500)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with ModelWorker(LlmConfig()) as worker:
        started = time.perf_counter()
        meta = worker.start()
        load_s = time.perf_counter() - started
        short = short_question(worker, args.repeat)
        context = rust_context(worker, args.prefix_tokens)
        prefix = shared_prefix(worker, context, args.repeat)
    policies = {p: decode_with_policy(p, args.repeat) for p in ("PASSIVE", "ACTIVE")}
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_1m_before": round(load_before, 2),
                    "loadavg_1m_after": round(os.getloadavg()[0], 2),
                    "simd": meta["hardware"]["simd"], "llama_cpp": meta["llama_cpp_version"]},
        "model": {"name": meta["model_name"], "path": meta["path"],
                  "bytes": Path(meta["path"]).stat().st_size, "params": meta["params"]},
        "repeat": args.repeat, "load_s": round(load_s, 3),
        "worker_load_s": round(meta["load_s"], 3),
        "short_question": short, "shared_prefix": prefix,
        "decode_tokens_per_s_by_omp_wait_policy": policies,
    }
    out = HERE / "results" / "llm_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    p = meta["params"]
    print(f"model {meta['model_name']}  threads={p['n_threads']} batch={p['n_batch']} "
          f"n_ctx={p['n_ctx']}  load avg {load_before:.2f}")
    rows = [
        ("worker start + model load", f"{load_s:.3f} s"),
        (f"short question TTFT ({short['prompt_tokens']} prompt tok)", f"{short['ttft_s']:.3f} s"),
        ("short question decode", f"{short['tokens_per_s']:.1f} tok/s"),
        (f"TTFT, {prefix['prompt_tokens']}-tok prompt, KV reuse "
         f"({prefix['cached_tokens']} cached)", f"{prefix['ttft_reuse_s']:.3f} s"),
        (f"TTFT, {prefix['prompt_tokens']}-tok prompt, no reuse",
         f"{prefix['ttft_no_reuse_s']:.3f} s"),
        ("speed-up from KV reuse", f"{prefix['speedup']}x"),
        ("prompt evaluation", f"{prefix['prompt_eval_tokens_per_s']} tok/s"),
        ("decode, OMP_WAIT_POLICY=PASSIVE (default)", f"{policies['PASSIVE']} tok/s"),
        ("decode, OMP_WAIT_POLICY=ACTIVE", f"{policies['ACTIVE']} tok/s"),
    ]
    for name, value in rows:
        print(f"{name:<52}{value:>14}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
