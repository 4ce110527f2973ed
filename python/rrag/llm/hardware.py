"""LLM layer: what the machine offers, and the llama.cpp parameters chosen from it.

``detect()`` reads cores, memory and SIMD flags from /proc and sysfs (honouring cgroup limits, so a
container with two CPUs of a 64-core host gets two threads). It never imports llama_cpp: whether
the build can offload to a GPU is passed in by the model worker, which is the only process that
loads the native library. ``choose_params`` turns that plus ``LlmConfig`` into ``LlamaParams``;
an explicit setting always wins, 0 (or -1 for ``n_gpu_layers``) means "choose for me".
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LlmConfig

SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx_vnni",
              "amx_int8", "asimd", "sve")
GIB = 1024 ** 3
LOW_MEMORY_BYTES = 4 * GIB  # below this, halve the batch so prompt buffers stay small


@dataclass(frozen=True)
class Hardware:
    cores_logical: int  # CPUs this process may use (affinity and cgroup quota applied)
    cores_physical: int
    memory_total_bytes: int  # cgroup limit when lower than the machine's memory
    memory_available_bytes: int
    gpu_offload: bool  # the llama.cpp build can offload layers to a GPU
    simd: tuple[str, ...] = ()
    arch: str = field(default_factory=platform.machine)


@dataclass(frozen=True)
class LlamaParams:
    n_threads: int
    n_batch: int
    n_gpu_layers: int  # -1: every layer
    n_ctx: int  # 0: the model's trained context length
    notes: tuple[str, ...] = ()  # why a value was chosen or adjusted, for `rrag doctor`


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cpuinfo() -> tuple[int, tuple[str, ...]]:
    """(physical cores, SIMD flags) from /proc/cpuinfo; 0 cores when it does not say."""
    cores: set[tuple[str, str]] = set()
    flags: set[str] = set()
    package = core = ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "physical id":
            package = value
        elif key == "core id":
            core = value
            cores.add((package, core))
        elif key in ("flags", "Features"):
            flags.update(value.split())
    return len(cores), tuple(f for f in SIMD_FLAGS if f in flags)


def _sysfs_physical_cores() -> int:
    siblings = {_read(str(p)).strip() for p in
                Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology/core_cpus_list")}
    siblings.discard("")
    return len(siblings)


def _cgroup_cpus() -> float | None:
    """The CPU quota of our cgroup in CPUs (v2 cpu.max or v1 cfs quota), None when unlimited."""
    quota, _, period = _read("/sys/fs/cgroup/cpu.max").strip().partition(" ")
    if not quota:
        quota = _read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").strip()
        period = _read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").strip()
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None  # "max", missing or unreadable
    return q / p if q > 0 and p > 0 else None


def _cgroup_memory_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = _read(path).strip()
        if text.isdigit() and int(text) < 1 << 60:  # v1 reports "no limit" as a huge number
            return int(text)
    return None


def _meminfo() -> tuple[int, int]:
    values: dict[str, int] = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * 1024
    total = values.get("MemTotal", 0)
    return total, values.get("MemAvailable", values.get("MemFree", total))


def detect(gpu_offload: bool = False) -> Hardware:
    """The machine as this process sees it. ``gpu_offload`` comes from the model worker
    (``llama_supports_gpu_offload()``); the host never loads llama.cpp to find out."""
    try:
        logical = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        logical = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        logical = max(1, min(logical, int(quota + 0.5)))
    physical, simd = _cpuinfo()
    physical = physical or _sysfs_physical_cores() or logical
    total, available = _meminfo()
    limit = _cgroup_memory_limit()
    if limit is not None and (total == 0 or limit < total):
        total, available = limit, min(available or limit, limit)
    return Hardware(cores_logical=logical, cores_physical=max(1, min(physical, logical)),
                    memory_total_bytes=total, memory_available_bytes=available,
                    gpu_offload=bool(gpu_offload), simd=simd)


def choose_params(hw: Hardware, cfg: LlmConfig, model_size_bytes: int,
                  n_ctx_train: int = 0) -> LlamaParams:
    """llama.cpp parameters for this machine; explicit settings in ``cfg`` are kept as given."""
    notes: list[str] = []
    if cfg.threads > 0:
        threads = cfg.threads
    else:
        # One thread per physical core: hyper-threads share the SIMD units llama.cpp saturates.
        threads = max(1, hw.cores_physical)
        notes.append(f"n_threads={threads}: one per physical core (llm.threads=0)")

    n_ctx = cfg.n_ctx if cfg.n_ctx > 0 else n_ctx_train
    if cfg.n_ctx <= 0:
        notes.append(f"n_ctx={n_ctx or 'trained'}: the model's trained length (llm.n_ctx=0)")
    elif n_ctx_train and n_ctx > n_ctx_train:
        notes.append(f"llm.n_ctx={n_ctx} exceeds the model's trained {n_ctx_train}: expect "
                     "worse answers past that length")

    if cfg.n_gpu_layers >= 0:
        gpu_layers = cfg.n_gpu_layers
    else:
        gpu_layers = -1 if hw.gpu_offload else 0
        notes.append("n_gpu_layers=" + ("-1: every layer on the GPU" if hw.gpu_offload
                                        else "0: this llama.cpp build has no GPU support"))

    if cfg.batch_size > 0:
        batch = cfg.batch_size
    else:
        batch = 1024 if gpu_layers != 0 and hw.gpu_offload else 512
        if hw.memory_available_bytes and hw.memory_available_bytes < LOW_MEMORY_BYTES:
            batch //= 2
        notes.append(f"n_batch={batch}: llm.batch_size=0")
    if n_ctx > 0:
        batch = min(batch, n_ctx)  # llama.cpp never evaluates more than n_ctx tokens at once

    if (hw.memory_available_bytes and model_size_bytes > hw.memory_available_bytes
            and gpu_layers == 0):
        notes.append(f"the model ({model_size_bytes / GIB:.1f} GiB) is larger than the free "
                     f"memory ({hw.memory_available_bytes / GIB:.1f} GiB): expect paging; "
                     "choose a smaller quantisation in llm.model_path")
    return LlamaParams(n_threads=threads, n_batch=batch, n_gpu_layers=gpu_layers, n_ctx=n_ctx,
                       notes=tuple(notes))


def gpu_memory() -> tuple[int, int] | None:
    """(total, free) bytes of the largest GPU, None when none is seen: NVIDIA's ``nvidia-smi``
    or an AMD card's sysfs counters. Only ``rrag models`` asks (to say what fits)."""
    import shutil
    import subprocess

    best: tuple[int, int] | None = None
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=memory.total,memory.free",
                                  "--format=csv,noheader,nounits"], capture_output=True,
                                 text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            try:
                total, free = (int(float(x)) * 1024 * 1024 for x in line.split(","))
            except ValueError:
                continue
            best = max(best or (0, 0), (total, free))
    for card in Path("/sys/class/drm").glob("card[0-9]*/device"):
        total_text = _read(str(card / "mem_info_vram_total")).strip()
        used_text = _read(str(card / "mem_info_vram_used")).strip()
        if total_text.isdigit() and used_text.isdigit():
            total = int(total_text)
            best = max(best or (0, 0), (total, total - int(used_text)))
    return best
