"""While the plugin indexes a large crate (tokio, from Debian's cargo registry, copied to tmp),
Neovim stays responsive: a round trip nvim_eval('1') stays under 100 ms at the 95th percentile.
The number is printed (pytest -s) and recorded in the log of the test run."""

from __future__ import annotations

import shutil
import statistics
import time

import pytest
from .nvim_helpers import registry_crate, wait_for

P95_LIMIT_S = 0.100


@pytest.mark.slow
def test_eval_round_trip_p95_while_indexing_tokio(editor, tmp_path):
    root = tmp_path / "tokio"
    shutil.copytree(registry_crate("tokio"), root)
    editor.nvim.command(f"edit {root / 'src' / 'lib.rs'}")
    editor.nvim.command("RragIndex")
    wait_for(lambda: editor.lua("return require('rrag').statusline()") != "", timeout=60,
             interval=0.01, what="indexing to start")

    samples: list[float] = []
    statuslines: set[str] = set()
    while not editor.lua("return require('rrag.ui.status').last_index"):
        started = time.perf_counter()
        assert editor.nvim.eval("1") == 1
        samples.append(time.perf_counter() - started)
        if len(samples) % 20 == 0:
            statuslines.add(editor.lua("return require('rrag').statusline()").split(" ")[1]
                            if editor.lua("return require('rrag').statusline()") else "")
        time.sleep(0.005)
    done = editor.lua("return require('rrag.ui.status').last_index")
    assert "error" not in done, done
    assert done["result"]["stats"]["files"] > 300
    assert len(samples) >= 50, f"indexing finished too fast to measure ({len(samples)} samples)"
    samples.sort()
    p95 = samples[int(0.95 * (len(samples) - 1))]
    report = (f"nvim_eval('1') during a full index of tokio: n={len(samples)}, "
              f"median={statistics.median(samples) * 1000:.1f} ms, p95={p95 * 1000:.1f} ms, "
              f"max={samples[-1] * 1000:.1f} ms, phases seen={sorted(statuslines)}")
    print(report)
    assert p95 < P95_LIMIT_S, report
