#!/usr/bin/env bash
# `make bench`: the benchmarks whose reference needs nothing beyond the project's own setup, one
# after another, each writing bench/results/<name>.json (doc/benchmarks.md reads them). The ones
# that need another environment (aider's, the torch reference) or hours (fuzzing, the 10k-file
# load test) are listed in doc/benchmarks.md and run by hand. A failing bench does not stop the
# others; the exit status says whether any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# The crates the graph benchmarks read beyond the tests' own (chrono, url and what they pull in).
./scripts/setup-system.sh scripts/bench-packages.txt || exit 1
failed=()
for bench in index_throughput parse_extract graph_queries context_latency knn_latency \
             llm_latency deps_index freshness grounding call_coverage upgrade; do
    echo "== bench/$bench.py (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    "$PY" "bench/$bench.py" || failed+=("$bench")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "rrag: these benchmarks failed: ${failed[*]} (run each alone to see why)" >&2
    exit 1
fi
