"""Service layer: the one text description of the models ``rrag models`` found.

The command line prints it, Neovim's picker float and Vim's popup menu show the same lines
(``rows`` says which model each line is, by the key ``rrag models use`` takes), so the three never
disagree on a column. A mark ``*`` flags the model the next request uses.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ("NAME", "SOURCE", "PARAMS", "QUANT", "CONTEXT", "SIZE", "FITS", "TEMPLATE")


def human_bytes(size: Any) -> str:
    if not isinstance(size, (int, float)) or size <= 0:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} B"


def _params(entry: dict[str, Any]) -> str:
    if entry.get("size_label"):
        return str(entry["size_label"])
    n = entry.get("parameters")
    if not isinstance(n, (int, float)) or n <= 0:
        return "?"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(int(n))


def _fits(entry: dict[str, Any]) -> str:
    memory, gpu = entry.get("fits_memory"), entry.get("fits_gpu")
    if memory is None and gpu is None:
        return "?"
    text = "yes" if memory else "no"
    if gpu is not None:
        text += ", gpu" if gpu else ", not gpu"
    return text


def _yes_no(value: Any) -> str:
    return "?" if value is None else ("yes" if value else "no")


def cells(entry: dict[str, Any]) -> list[str]:
    source = entry.get("server") or entry.get("source", "?")
    if entry.get("error"):
        return [entry["name"], source, "unreadable: " + str(entry["error"])]
    return [entry["name"], source, _params(entry), entry.get("quantisation") or "?",
            str(entry.get("context_length") or "?"), human_bytes(entry.get("size_bytes")),
            _fits(entry), _yes_no(entry.get("chat_template"))]


def describe(entry: dict[str, Any]) -> str:
    """One model in a sentence: ``qwen2.5-coder:7b (ollama, 7.6B Q4_K_M)``."""
    if entry.get("source") == "server":
        return f"{entry['model']} from the {entry.get('server', 'server')} server at {entry['url']}"
    if entry.get("source") == "bundled":
        return "the bundled demo model (SmolLM2-135M)"
    parts = [p for p in (entry.get("size_label"), entry.get("quantisation")) if p]
    detail = f", {' '.join(parts)}" if parts else ""
    return f"{entry['name']} ({entry.get('source', 'file')}{detail})"


def table(listing: dict[str, Any]) -> dict[str, Any]:
    """``header``, ``lines`` (one per model, aligned under the header) and ``rows``
    (1-based line -> the model's key and name), plus ``notes`` (the current model's problem)."""
    models = listing.get("models") or []
    rows = [cells(e) for e in models]
    widths = [max([len(COLUMNS[i])] + [len(r[i]) for r in rows if len(r) == len(COLUMNS)
                                       or i < len(r) - 1]) for i in range(len(COLUMNS))]

    def line(mark: str, values: list[str]) -> str:
        if len(values) < len(COLUMNS):  # an unreadable file: its reason fills the rest
            return f"{mark} " + "  ".join(v.ljust(widths[i]) for i, v in
                                          enumerate(values[:-1])) + "  " + values[-1]
        return (f"{mark} " + "  ".join(v.ljust(w) for v, w in zip(values, widths))).rstrip()

    lines = [line("*" if e.get("current") else " ", r) for e, r in zip(models, rows)]
    notes = []
    current = listing.get("current") or {}
    if current.get("problem"):
        notes.append(current["problem"])
    if not any(e.get("current") for e in models) and not current.get("problem"):
        notes.append(f"the configured model ({current.get('name', '?')}) is not among these")
    return {"header": line(" ", list(COLUMNS)), "lines": lines, "notes": notes,
            "rows": [{"line": i + 1, "key": e["key"], "name": e["name"]}
                     for i, e in enumerate(models)]}
