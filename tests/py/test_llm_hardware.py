"""hardware.detect reads this machine for real; choose_params keeps explicit settings and picks
sane values for the automatic ones."""

from __future__ import annotations

import os
from dataclasses import replace

from rrag.config import LlmConfig
from rrag.llm.hardware import Hardware, LlamaParams, choose_params, detect

GIB = 1024 ** 3


def _hw(**kw) -> Hardware:
    base = dict(cores_logical=8, cores_physical=4, memory_total_bytes=32 * GIB,
                memory_available_bytes=16 * GIB, gpu_offload=False, simd=("avx2",))
    return Hardware(**{**base, **kw})


def test_detect_reports_this_machine():
    hw = detect()
    usable = len(os.sched_getaffinity(0))
    assert 1 <= hw.cores_logical <= usable
    assert 1 <= hw.cores_physical <= hw.cores_logical
    assert hw.memory_total_bytes > 256 * 1024 ** 2
    assert 0 < hw.memory_available_bytes <= hw.memory_total_bytes
    assert hw.gpu_offload is False  # the host is never asked to load llama.cpp
    assert detect(gpu_offload=True).gpu_offload is True
    flags = open("/proc/cpuinfo").read().split()
    for flag in hw.simd:
        assert flag in flags
    if "avx2" in flags:
        assert "avx2" in hw.simd


def test_auto_settings_follow_the_hardware():
    params = choose_params(_hw(), LlmConfig(), model_size_bytes=100 * 1024 ** 2)
    assert isinstance(params, LlamaParams)
    assert params.n_threads == 4  # physical cores, not hyper-threads
    assert params.n_gpu_layers == 0  # no GPU support in this build
    assert params.n_batch == 512
    assert params.n_ctx == LlmConfig().n_ctx
    assert any("llm.threads=0" in n for n in params.notes)


def test_gpu_build_offloads_everything_by_default():
    params = choose_params(_hw(gpu_offload=True), LlmConfig(), 4 * GIB)
    assert params.n_gpu_layers == -1
    assert params.n_batch == 1024


def test_explicit_settings_win():
    cfg = LlmConfig(threads=3, batch_size=128, n_gpu_layers=7, n_ctx=1024)
    params = choose_params(_hw(gpu_offload=True), cfg, 4 * GIB)
    assert ((params.n_threads, params.n_batch, params.n_gpu_layers, params.n_ctx)
            == (3, 128, 7, 1024))
    assert choose_params(_hw(gpu_offload=True), replace(cfg, n_gpu_layers=0), 1).n_gpu_layers == 0


def test_batch_never_exceeds_the_context_and_shrinks_on_low_memory():
    assert choose_params(_hw(), LlmConfig(n_ctx=256), 1).n_batch == 256
    low = _hw(memory_available_bytes=2 * GIB)
    assert choose_params(low, LlmConfig(), 1).n_batch == 256
    assert choose_params(low, LlmConfig(batch_size=2048, n_ctx=8192), 1).n_batch == 2048


def test_zero_context_means_the_trained_length():
    assert choose_params(_hw(), LlmConfig(n_ctx=0), 1, n_ctx_train=8192).n_ctx == 8192
    assert choose_params(_hw(), LlmConfig(n_ctx=0), 1).n_ctx == 0  # llama.cpp: from the model
    over = choose_params(_hw(), LlmConfig(n_ctx=16384), 1, n_ctx_train=8192)
    assert over.n_ctx == 16384 and any("exceeds" in n for n in over.notes)


def test_a_model_larger_than_free_memory_is_noted():
    params = choose_params(_hw(memory_available_bytes=1 * GIB), LlmConfig(), 3 * GIB)
    assert any("larger than the free memory" in n for n in params.notes)
