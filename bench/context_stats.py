"""What a packed context is made of (bench/context_quality.py): items per prompt, tokens per
item by kind and by mode, and the share of the budget spent on the cursor's own file; and the
overall recall of a run's crates, per budget."""

from __future__ import annotations

import statistics
from collections import defaultdict


def prompt_stats(pack: dict, cursor_path: str) -> dict:
    """One prompt: its item count, each item's kind, mode and tokens, the cursor's file."""
    items = pack["items"]
    cursor = [i for i in items if "cursor" in (i.get("components") or {})]
    own = [i for i in items if i["path"] == cursor_path and not i.get("version")]
    return {"tokens": pack["tokens"], "items": len(items),
            "shown": sum(1 for i in items if i["mode"] in ("full", "signature")),
            "cursor_tokens": sum(i.get("tokens", 0) for i in cursor),
            "own_file_tokens": sum(i.get("tokens", 0) for i in own),
            "parts": [(i["kind"], i["mode"], i.get("tokens", 0)) for i in items],
            "left_out": len(pack.get("left_out") or [])}


def summarize(stats: list[dict], budget: int) -> dict:
    """Medians over prompts and mean tokens per item by kind and by mode."""
    if not stats:
        return {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    by_mode: dict[str, list[int]] = defaultdict(list)
    for s in stats:
        for kind, mode, tokens in s["parts"]:
            by_kind[kind].append(tokens)
            by_mode[mode].append(tokens)
    own = [s["own_file_tokens"] / budget for s in stats]
    besides = [(s["own_file_tokens"] - s["cursor_tokens"]) / budget for s in stats]
    return {"prompts": len(stats),
            "median_items": statistics.median(s["items"] for s in stats),
            "median_items_shown": statistics.median(s["shown"] for s in stats),
            "mean_tokens": round(statistics.mean(s["tokens"] for s in stats), 1),
            "over_budget": sum(1 for s in stats if s["tokens"] > budget),
            "own_file_share": round(statistics.mean(own), 4),
            "own_file_share_besides_cursor": round(statistics.mean(besides), 4),
            "mean_cursor_tokens": round(statistics.mean(s["cursor_tokens"] for s in stats), 1),
            "tokens_per_item": round(statistics.mean(t for s in stats for _, _, t in s["parts"]),
                                     1),
            "tokens_per_item_by_kind": {k: [round(statistics.mean(v), 1), len(v)]
                                        for k, v in sorted(by_kind.items())},
            "tokens_per_item_by_mode": {k: [round(statistics.mean(v), 1), len(v)]
                                        for k, v in sorted(by_mode.items())}}


def overall_of(results: list[dict], budgets: list[int]) -> dict:
    overall = {}
    for budget in map(str, budgets):
        rows = [r["budgets"][budget] for r in results]
        keys = [k for k in rows[0]
                if isinstance(rows[0][k], int) and k not in ("targets", "aider_max_tokens")]
        targets = sum(r["targets"] for r in rows)
        overall[budget] = {k: round(sum(r[k] for r in rows) / max(1, targets), 4) for k in keys}
        overall[budget]["targets"] = targets
        overall[budget]["prompt"] = summarize([s for r in rows for s in r["stats"]], int(budget))
    return overall
