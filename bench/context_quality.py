"""Context quality on unfinished code: does the context name what the body would have used?

For real crates from /usr/share/cargo/registry (copied to a temporary folder at run time), take
functions whose bodies reference at least two items defined in other files of the crate (by the
graph of the untouched crate), replace the body with ``{ todo!() }`` in the copy, re-index, and
ask for the context at the body's line at each budget (2048 and 1024 tokens). Score: the share
of those definitions present (mode full or signature). Compared on the same tasks with aider's
repo map (aider-chat in .venv-aider, F as the chat file, the same budget counted in the same
tokenizer) and with a same-file-only baseline (the file's text around the cursor, cut to the
budget). Also per budget: items per prompt, tokens per item by kind, and the share of the budget
spent on the cursor's own file (``bench/context_stats.py``).

The crates are split once (SPLITS): weights and packing shares are tuned on ``tune`` only and
reported on ``report``; ``--split all`` runs both. Results are also given by task kind
(function, method, trait method, test: bench/context_kinds.py). ``--arms off,on`` runs the same
tasks (drawn from the graph with issue 18's passes on) with ``RRAG_MACRO_ARGS=0`` and then with
it on, same run.

    .venv/bin/python bench/context_quality.py [--split report] [--crates regex-1.7.1,...]
        [--tasks 25] [--budgets 2048,1024] [--no-aider] [--variants] [--arms off,on]
        [--out bench/results/context_quality.json]
RRAG_PYTHON=/other/checkout/python runs the same benchmark against another version's engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("RRAG_PYTHON") or str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

from rrag.service.engine import Engine  # noqa: E402
from context_baselines import Aider, map_present, same_file_window  # noqa: E402
from context_kinds import (arm_env, by_kind, graph_of, table, targets_of,  # noqa: E402
                           task_kind)
from context_stats import overall_of, prompt_stats, summarize  # noqa: E402
from context_variants import (VARIANTS, apply_variant, packing_variants,  # noqa: E402
                              reset_variants)

REGISTRY = Path("/usr/share/cargo/registry")
# Chosen once, before any tuning (issue 19): each half holds one crate that did well and one
# that did poorly in the earlier all-crate run. Tune on "tune", report on "report".
SPLITS = {"tune": ["regex-1.7.1", "petgraph-0.6.2"],
          "report": ["serde_json-1.0.87", "clap-4.0.32"]}
SPLITS["all"] = SPLITS["tune"] + SPLITS["report"]
@dataclasses.dataclass
class Task:
    path: str
    name: str
    start_line: int
    body_line: int
    original: str  # the file's text
    modified: str
    targets: dict[str, tuple[str, str, int, int]]  # id -> (path, name, start, end)
    kind: str = "function"  # function, method, trait method, test (bench/context_kinds.py)
    item_id: str = ""
    old: set[str] | None = None  # the targets the graph with RRAG_MACRO_ARGS=0 also sees


def body_start(content: str) -> int:
    """Offset of the body's opening brace: the first '{' after the `fn` keyword."""
    at = content.find("fn ")
    return content.find("{", at if at >= 0 else 0)


def find_tasks(engine: Engine, count: int, seed: int) -> list[Task]:
    items, by_source = graph_of(engine)
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
        targets = targets_of(row, body_line, items, by_source)
        if len(targets) < 2:
            continue
        raw = text.encode()
        body_from = row.start_byte + len(content[:brace].encode())
        modified = (raw[:body_from] + b"{ todo!() }" + raw[row.end_byte:]).decode(
            "utf-8", "replace")
        tasks.append(Task(row.path, row.qualname, row.start_line, body_line, text, modified,
                          targets, task_kind(row, items), row.id))
    tasks.sort(key=lambda t: (t.path, t.start_line))
    random.Random(seed).shuffle(tasks)
    return tasks[:count]


def rrag_present(pack: dict, task: Task) -> tuple[int, list[str]]:
    shown = {(i["path"], i["start_line"]) for i in pack["items"]
             if i["mode"] in ("full", "signature")}
    hit = [tid for tid, (p, _, s, _) in task.targets.items() if (p, s) in shown]
    return len(hit), hit


def run_crate(crate: str, tmp: Path, n_tasks: int, budgets: list[int], aider: Aider | None,
              variants: dict[str, dict], seed: int, embed: bool = False,
              tasks: list[Task] | None = None) -> dict:
    """The tasks of ``crate`` (drawn from its own index, or ``tasks``) in a copy under ``tmp``."""
    root = tmp / crate
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REGISTRY / crate, root)
    engine = Engine(root, db_path=tmp / f"{crate}.sqlite")
    engine.index(embed=embed)
    if tasks is None:
        tasks = find_tasks(engine, n_tasks, seed)
    base_cfg = engine.config
    others_all = sorted(str(p.relative_to(root)) for p in root.rglob("*.rs"))
    per_budget = {b: {"targets": 0, "aider": 0, "same_file": 0, "stats": [], "times": [],
                      "aider_times": [], "aider_tokens": []}
                  | {f"rrag_{v}": 0 for v in variants} for b in budgets}
    per_task = []
    for task in tasks:
        file = root / task.path
        file.write_text(task.modified)
        engine.index(embed=embed)  # with vectors: re-embeds the edited items only
        lines = {p: (root / p).read_text().splitlines()
                 for p in {t[0] for t in task.targets.values()}}
        for budget in budgets:
            acc = per_budget[budget]
            row = {"path": task.path, "name": task.name, "kind": task.kind,
                   "targets": len(task.targets), "budget": budget}
            for name, overrides in variants.items():
                apply_variant(engine, base_cfg, overrides)
                started = time.perf_counter()
                pack = engine.assistant.context(task.path, task.body_line, budget=budget,
                                                use_cache=False).to_json()
                if name == "default":
                    acc["times"].append(time.perf_counter() - started)
                    acc["stats"].append(prompt_stats(pack, task.path))
                    hit = set(rrag_present(pack, task)[1])
                    row["missed"] = [t[1] for tid, t in task.targets.items() if tid not in hit]
                    if task.old is not None:
                        row["targets_old"], row["rrag_default_old"] = len(task.old), len(
                            hit & task.old)
                found, _ = rrag_present(pack, task)
                row[f"rrag_{name}"] = found
                acc[f"rrag_{name}"] += found
                reset_variants()
            engine.assistant.config = base_cfg
            window = same_file_window(task.modified, task.body_line, budget,
                                      engine.assistant.count_many)
            row["same_file"] = map_present("\n".join(
                [f"{task.path}:"] + ["│" + ln for ln in window.splitlines()]), task, lines)
            acc["same_file"] += row["same_file"]
            if aider is not None:
                text, seconds = aider.repo_map(root, task.path,
                                               [p for p in others_all if p != task.path], budget)
                acc["aider_times"].append(seconds)
                acc["aider_tokens"].append(engine.assistant.count_many([text])[0] if text else 0)
                row["aider"] = map_present(text, task, lines)
                acc["aider"] += row["aider"]
            acc["targets"] += len(task.targets)
            per_task.append(row)
        file.write_text(task.original)
    engine.index(embed=False)
    engine.close()
    lines_total = sum(len(p.read_text(errors="replace").splitlines()) for p in root.rglob("*.rs"))
    out = {"crate": crate, "lines": lines_total, "tasks": len(tasks), "budgets": {},
           "per_task": per_task}
    for budget, acc in per_budget.items():
        counts = {k: v for k, v in acc.items() if isinstance(v, int)}
        res = dict(counts)
        res["share"] = {k: round(v / max(1, acc["targets"]), 4)
                        for k, v in counts.items() if k != "targets"}
        res["rrag_median_ms"] = round(1000 * sorted(acc["times"])[len(acc["times"]) // 2], 1) \
            if acc["times"] else None
        res["prompt"] = summarize(acc["stats"], budget)
        res["stats"] = acc["stats"]
        if acc["aider_times"]:
            res["aider_median_s"] = round(sorted(acc["aider_times"])[len(acc["aider_times"]) // 2],
                                          3)
            res["aider_max_tokens"] = max(acc["aider_tokens"])
        out["budgets"][str(budget)] = res
    return out


def truth_tasks(crate: str, tmp: Path, n_tasks: int, seed: int) -> list[Task]:
    """The tasks drawn from the graph with issue 18's passes on (the same for every arm), each
    with the share of its targets the graph with them off also sees (``Task.old``)."""
    tasks: list[Task] = []
    for arm in ("on", "off"):
        root = tmp / arm / crate
        shutil.copytree(REGISTRY / crate, root)
        with arm_env(arm):
            engine = Engine(root, db_path=tmp / arm / f"{crate}.sqlite")
            engine.index(embed=False)
            if arm == "on":
                tasks = find_tasks(engine, n_tasks, seed)
            else:
                items, by_source = graph_of(engine)
                for task in tasks:
                    row = items.get(task.item_id)
                    task.old = set(targets_of(row, task.body_line, items, by_source)) & set(
                        task.targets) if row is not None else set()
            engine.close()
    return tasks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="report", choices=sorted(SPLITS))
    ap.add_argument("--crates", default="", help="overrides --split")
    ap.add_argument("--tasks", type=int, default=25)
    ap.add_argument("--budgets", default="2048,1024")
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--no-aider", action="store_true")
    ap.add_argument("--variants", action="store_true", help="the weight variants")
    ap.add_argument("--pack-variants", action="store_true", help="the packing variants")
    ap.add_argument("--only", default="", help="comma-separated variant names (with --variants)")
    ap.add_argument("--embed", action="store_true", help="build vectors (semantic hits on)")
    ap.add_argument("--arms", default="", help="off,on: RRAG_MACRO_ARGS=0 then 1, same tasks")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "context_quality.json"))
    args = ap.parse_args()
    every = packing_variants() if args.pack_variants else VARIANTS
    variants = every if args.variants or args.pack_variants else {"default": {}}
    if args.only:
        variants = {k: every[k] for k in ["default", *args.only.split(",")]}
    crates = args.crates.split(",") if args.crates else SPLITS[args.split]
    budgets = [int(b) for b in args.budgets.split(",")]
    arms = args.arms.split(",") if args.arms else [""]
    results: dict[str, list[dict]] = {arm: [] for arm in arms}
    load = {arm: [] for arm in arms}
    with tempfile.TemporaryDirectory(prefix="rrag-ctxq-") as tmp:
        counter = Engine(REPO / "examples" / "simple_app", db_path=Path(tmp) / "counter.sqlite")
        aider = None if args.no_aider else Aider(counter.assistant.count_many)
        try:
            for crate in crates:
                tasks = truth_tasks(crate, Path(tmp) / "truth", args.tasks, args.seed) \
                    if args.arms else None
                for arm in arms:
                    with arm_env(arm):
                        load[arm].append(round(os.getloadavg()[0], 2))
                        res = run_crate(crate, Path(tmp) / (arm or "run"), args.tasks, budgets,
                                        aider, variants, args.seed, args.embed, tasks)
                    print(json.dumps({"crate": crate, "arm": arm, **{b: {
                        k: v for k, v in r.items() if k != "stats"} for b, r in
                        res["budgets"].items()}}), flush=True)
                    results[arm].append(res)
        finally:
            if aider:
                aider.close()
            counter.close()
    summary = {"split": args.crates or args.split, "budgets": budgets, "seed": args.seed,
               "tasks_per_crate": args.tasks, "vectors": args.embed,
               "load_average": [round(x, 2) for x in os.getloadavg()],
               "engine": os.environ.get("RRAG_PYTHON") or "this checkout"}
    kinds = {arm: by_kind(results[arm], budgets) for arm in arms}
    if args.arms:
        summary["switch"] = "RRAG_MACRO_ARGS (off: 0, on: 1); tasks from the graph with it on"
        summary["arms"] = {arm: {"overall": overall_of(results[arm], budgets),
                                 "by_kind": kinds[arm], "load_at_crate_start": load[arm],
                                 "crates": results[arm]} for arm in arms}
        old = {arm: by_kind(results[arm], budgets, "rrag_default_old", "targets_old")
               for arm in arms}
        summary["by_kind_on_targets_off_also_sees"] = old
        print(table(kinds, budgets), table(old, budgets), sep="\n", flush=True)
    else:
        summary |= {"overall": overall_of(results[""], budgets), "by_kind": kinds[""],
                    "crates": results[""]}
        print(json.dumps({"overall": summary["overall"]}), flush=True)
        print(table({"rrag": kinds[""]}, budgets), flush=True)
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
