"""Context quality on unfinished code: does the context name what the body would have used?

For real crates from /usr/share/cargo/registry (copied to a temporary folder at run time), take
functions whose bodies reference at least two items defined in other files of the crate (by the
graph of the untouched crate), replace the body with ``{ todo!() }`` in the copy, re-index, and
ask for the context at the body's line with a 2048-token budget. Score: the share of those
definitions present (mode full or signature). Compared on the same tasks with aider's repo map
(aider-chat in .venv-aider, F as the chat file, the same budget counted in the same tokenizer)
and with a same-file-only baseline (the file's text around the cursor, cut to the budget).

    .venv/bin/python bench/context_quality.py [--crates regex-1.7.1,...] [--tasks 30]
        [--no-aider] [--variants] [--out bench/results/context_quality.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))

from rrag.config import Config  # noqa: E402
from rrag.service.engine import Engine  # noqa: E402
from rrag.store import edges as edges_db  # noqa: E402

REGISTRY = Path("/usr/share/cargo/registry")
AIDER_PY = REPO / ".venv-aider" / "bin" / "python"
DEF_KINDS = {"function", "method", "struct", "enum", "union", "trait", "const", "static", "type",
             "macro"}
REF_KINDS = {"calls", "uses_type", "invokes_macro", "trait_bound", "implements"}
# Weight variants tried when tuning (--variants), each changing one default of config.py.
VARIANTS = {
    "default": {},
    "usage_low": {"w_usage": 0.2},
    "usage_high": {"w_usage": 2.0},
    "no_graph": {"w_graph": 0.0},
    "graph_heavy": {"w_graph": 2.0},
    "no_link": {"w_link": 0.0},
    "link_light": {"w_link": 0.5},
    "lexical_heavy": {"w_lexical": 1.5},
    "lexical_off": {"w_lexical": 0.0},
    "docs_heavy": {"w_docs": 0.5},
}


@dataclasses.dataclass
class Task:
    path: str
    name: str
    start_line: int
    body_line: int
    original: str  # the file's text
    modified: str
    targets: dict[str, tuple[str, str, int, int]]  # id -> (path, name, start, end)


def body_start(content: str) -> int:
    """Offset of the body's opening brace: the first '{' after the `fn` keyword."""
    at = content.find("fn ")
    return content.find("{", at if at >= 0 else 0)


def find_tasks(engine: Engine, count: int, seed: int) -> list[Task]:
    items = {r.id: r for r in engine.items()}
    by_source: dict[str, list[dict]] = {}
    for edge in edges_db.list_edges(engine.store):
        if edge["type"] in REF_KINDS and edge.get("target_id"):
            by_source.setdefault(edge["source_id"], []).append(edge)
    texts: dict[str, str] = {}
    tasks: list[Task] = []
    for row in items.values():
        if row.kind not in ("function", "method") or row.end_line - row.start_line < 3:
            continue
        text = texts.setdefault(row.path, (engine.root / row.path).read_text())
        content = text.encode()[row.start_byte:row.end_byte].decode("utf-8", "replace")
        brace = body_start(content)
        if brace < 0 or not content.rstrip().endswith("}"):
            continue
        body_line = row.start_line + content[:brace].count("\n")
        targets = {}
        for edge in by_source.get(row.id, []):
            target = items.get(edge["target_id"])
            if target is None or target.path == row.path or target.kind not in DEF_KINDS:
                continue
            if edge["line"] >= body_line:
                targets[target.id] = (target.path, target.qualname, target.start_line,
                                      target.end_line)
        if len(targets) < 2:
            continue
        raw = text.encode()
        body_from = row.start_byte + len(content[:brace].encode())
        modified = (raw[:body_from] + b"{ todo!() }" + raw[row.end_byte:]).decode(
            "utf-8", "replace")
        tasks.append(Task(row.path, row.qualname, row.start_line, body_line, text, modified,
                          targets))
    tasks.sort(key=lambda t: (t.path, t.start_line))
    random.Random(seed).shuffle(tasks)
    return tasks[:count]


def rrag_present(pack: dict, task: Task) -> tuple[int, list[str]]:
    shown = {(i["path"], i["start_line"]) for i in pack["items"]
             if i["mode"] in ("full", "signature")}
    hit = [tid for tid, (p, _, s, _) in task.targets.items() if (p, s) in shown]
    return len(hit), hit


def definition_line(lines: list[str], name: str, start: int, end: int) -> str:
    """The first line of an item's span naming it (aider shows definition lines)."""
    word = re.compile(r"\b" + re.escape(name.split("::")[-1]) + r"\b")
    code = [lines[no - 1].strip() for no in range(start, min(end, len(lines)) + 1)
            if not lines[no - 1].strip().startswith(("//", "#[", "#!["))]
    for text in code:
        if word.search(text):
            return text
    return code[0] if code else lines[start - 1].strip()


def map_present(text: str, task: Task, file_lines: dict[str, list[str]]) -> int:
    """Definitions whose definition line the map shows under the right file heading."""
    shown: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(("│", "⋮", " ")) and line.rstrip().endswith(":"):
            current = line.rstrip()[:-1]
            shown.setdefault(current, set())
        elif current is not None and line.startswith("│"):
            shown[current].add(line[1:].strip())
    found = 0
    for path, name, start, end in task.targets.values():
        if definition_line(file_lines[path], name, start, end) in shown.get(path, set()):
            found += 1
    return found


class Aider:
    def __init__(self, count) -> None:
        self.count = count
        self.proc = subprocess.Popen([str(AIDER_PY), str(REPO / "bench" / "aider_runner.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     stderr=subprocess.DEVNULL)

    def repo_map(self, root: Path, chat: str, others: list[str], budget: int) -> tuple[str, float]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"root": str(root), "chat": chat, "others": others,
                                          "budget": budget}) + "\n")
        self.proc.stdin.flush()
        while True:
            reply = json.loads(self.proc.stdout.readline())
            if "count" in reply:
                self.proc.stdin.write(json.dumps({"n": self.count([reply["count"]])[0]}) + "\n")
                self.proc.stdin.flush()
            else:
                return reply["map"], reply["seconds"]

    def close(self) -> None:
        self.proc.kill()


def same_file_window(text: str, line: int, budget: int, count) -> str:
    """The file's lines around the cursor, grown outwards while the budget allows."""
    lines = text.splitlines()
    lo = hi = line - 1
    step = 8
    while True:
        nlo, nhi = max(0, lo - step), min(len(lines), hi + step)
        if (nlo, nhi) == (lo, hi) or count(["\n".join(lines[nlo:nhi])])[0] > budget:
            return "\n".join(lines[lo:hi])
        lo, hi = nlo, nhi


def run_crate(crate: str, tmp: Path, n_tasks: int, budget: int, aider: Aider | None,
              variants: dict[str, dict], seed: int, embed: bool = False) -> dict:
    root = tmp / crate
    shutil.copytree(REGISTRY / crate, root)
    engine = Engine(root, db_path=tmp / f"{crate}.sqlite")
    engine.index(embed=embed)
    tasks = find_tasks(engine, n_tasks, seed)
    base_cfg = engine.config
    others_all = sorted(str(p.relative_to(root)) for p in root.rglob("*.rs"))
    totals = {"targets": 0, "aider": 0, "same_file": 0} | {f"rrag_{v}": 0 for v in variants}
    per_task, ctx_times, aider_times, aider_tokens = [], [], [], []
    for task in tasks:
        file = root / task.path
        file.write_text(task.modified)
        engine.index(embed=embed)  # with vectors: re-embeds the edited items only
        row = {"path": task.path, "name": task.name, "targets": len(task.targets)}
        for name, overrides in variants.items():
            engine.assistant.config = dataclasses.replace(
                base_cfg, context=dataclasses.replace(base_cfg.context, **overrides))
            started = time.perf_counter()
            pack = engine.assistant.context(task.path, task.body_line, budget=budget,
                                            use_cache=False)
            if name == "default":
                ctx_times.append(time.perf_counter() - started)
            found, _ = rrag_present(pack.to_json(), task)
            row[f"rrag_{name}"] = found
            totals[f"rrag_{name}"] += found
        engine.assistant.config = base_cfg
        lines = {p: (root / p).read_text().splitlines()
                 for p in {t[0] for t in task.targets.values()}}
        window = same_file_window(task.modified, task.body_line, budget,
                                  engine.assistant.count_many)
        row["same_file"] = map_present("\n".join(
            [f"{task.path}:"] + ["│" + ln for ln in window.splitlines()]), task, lines)
        totals["same_file"] += row["same_file"]
        if aider is not None:
            text, seconds = aider.repo_map(root, task.path,
                                           [p for p in others_all if p != task.path], budget)
            aider_times.append(seconds)
            aider_tokens.append(engine.assistant.count_many([text])[0] if text else 0)
            row["aider"] = map_present(text, task, lines)
            totals["aider"] += row["aider"]
        totals["targets"] += len(task.targets)
        per_task.append(row)
        file.write_text(task.original)
    engine.index(embed=False)
    engine.close()
    lines_total = sum(len(p.read_text(errors="replace").splitlines()) for p in root.rglob("*.rs"))
    out = {"crate": crate, "lines": lines_total, "tasks": len(tasks), **totals,
           "share": {k: round(v / max(1, totals["targets"]), 4)
                     for k, v in totals.items() if k != "targets"},
           "rrag_median_ms": round(1000 * sorted(ctx_times)[len(ctx_times) // 2], 1)
           if ctx_times else None, "per_task": per_task}
    if aider_times:
        out["aider_median_s"] = round(sorted(aider_times)[len(aider_times) // 2], 3)
        out["aider_max_tokens"] = max(aider_tokens)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crates", default="regex-1.7.1,petgraph-0.6.2,serde_json-1.0.87,clap-4.0.32")
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--budget", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-aider", action="store_true")
    ap.add_argument("--variants", action="store_true")
    ap.add_argument("--embed", action="store_true", help="build vectors (semantic hits on)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "context_quality.json"))
    args = ap.parse_args()
    variants = VARIANTS if args.variants else {"default": {}}
    results = []
    with tempfile.TemporaryDirectory(prefix="rrag-ctxq-") as tmp:
        counter = Engine(REPO / "examples" / "simple_app", db_path=Path(tmp) / "counter.sqlite")
        aider = None if args.no_aider else Aider(counter.assistant.count_many)
        try:
            for crate in args.crates.split(","):
                res = run_crate(crate, Path(tmp), args.tasks, args.budget, aider, variants,
                                args.seed, args.embed)
                print(json.dumps({k: v for k, v in res.items() if k != "per_task"}), flush=True)
                results.append(res)
        finally:
            if aider:
                aider.close()
            counter.close()
    keys = [k for k in results[0] if k.startswith(("rrag_", "aider", "same_file"))
            and not k.endswith(("_ms", "_s", "_tokens"))]
    targets = sum(r["targets"] for r in results)
    overall = {k: round(sum(r[k] for r in results) / max(1, targets), 4) for k in keys}
    summary = {"budget": args.budget, "seed": args.seed, "vectors": args.embed,
               "targets": targets, "overall": overall,
               "crates": results}
    print(json.dumps({"overall": overall, "targets": targets}), flush=True)
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
