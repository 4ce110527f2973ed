"""Front end (shared by Neovim and Vim): the one description of the :RragContext view's body,
and of the answer float's footer (``answer_meta``).

Both editors show the same lines under their own header (Neovim's budget meter and keys, Vim's
budget line and keys): every packed item with its token cost, mode, place and why; then the
best items that did not fit, each with its token cost and the parts of its score, numbered so
Vim can pin one with a digit key (Neovim pins the line under the cursor). ``rows`` says which
item each line shows and how to highlight it; a front end adds its header's length to the line
numbers.
"""

from __future__ import annotations

from typing import Any

SCORE_PARTS = 4  # the largest score components shown for an item left out


def where(item: dict[str, Any]) -> str:
    """``path:start-end``; a dependency's path is relative to its crate, so crate and locked
    version come first."""
    start = int(item.get("start_line") or 1)
    end = int(item.get("end_line") or start)
    crate = f"{item.get('crate') or '?'} {item['version']} " if item.get("version") else ""
    return f"{crate}{item.get('path', '?')}:{start}-{end}"


def score_parts(item: dict[str, Any]) -> str:
    parts = sorted(((k, float(v)) for k, v in (item.get("components") or {}).items() if v),
                   key=lambda kv: -kv[1])[:SCORE_PARTS]
    shown = " ".join(f"{k} {v:.2f}" for k, v in parts)
    return f"score {float(item.get('score') or 0):.2f}" + (f" ({shown})" if shown else "")


def _line(item: dict[str, Any], mark: str) -> str:
    return (f"{mark} {int(item.get('tokens') or 0):5d} tok  {item.get('mode') or '':<9} "
            f"{where(item)}  {item.get('name') or ''}").rstrip()


def context_body(result: dict[str, Any]) -> dict[str, Any]:
    """Lines and rows (1-based line -> item and highlight) of the packed and left-out items."""
    lines: list[str] = []
    rows: list[dict[str, Any]] = []

    def add(text: str, item: dict[str, Any] | None, hl: str, left_out: bool = False) -> None:
        lines.append(text)
        rows.append({"line": len(lines), "item": item, "hl": hl, "left_out": left_out})

    for item in result.get("items") or []:
        pinned = bool(item.get("pinned"))
        add(_line(item, "[P]" if pinned else "[ ]"), item, "RragPinned" if pinned else "RragSource")
        add("      why: " + " ".join(str(item.get("why") or "").split()), item, "RragWhy")
    if not result.get("items"):
        add("(nothing was chosen: is the workspace indexed? :RragIndex)", None, "RragMeta")
    left = result.get("left_out") or []
    if left:
        add("", None, "RragMeta")
        add("Did not fit (best first; pin one to pack it on refresh):", None, "RragMeta")
    for n, item in enumerate(left, 1):
        add(_line(item, f"{n:>2}.") + f"  {score_parts(item)}", item, "RragLeftOut", True)
    return {"lines": lines, "rows": rows}


def answer_meta(result: dict[str, Any]) -> str:
    """The footer of an answer: which model answered (or that the demo model did) and how fast."""
    meta = ["demo model"] if result.get("notice") else \
        ([str(result["model_name"])] if result.get("model_name") else [])
    if result.get("ttft_s") is not None:
        meta.append(f"{float(result['ttft_s']):.1f} s to first token")
    if result.get("tokens_per_s") is not None:
        meta.append(f"{float(result['tokens_per_s']):.0f} tok/s")
    return " · ".join(meta) or "done"
