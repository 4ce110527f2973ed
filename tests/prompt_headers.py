"""Test helper: the places the context prompt's section headers name (issue 19's headers are
``// path:line Name``; a section in the same file as the one before is ``// :line Name``)."""

from __future__ import annotations


def header_places(prompt: str) -> set[str]:
    """Every ``[crate version ]path:line`` a section header of the prompt names."""
    places, current = set(), ""
    for section in prompt.split("\n\n"):
        first = section.split("\n", 1)[0]
        if not first.startswith("// "):
            continue
        head = first[3:].split(" ")
        at = next((n for n, word in enumerate(head) if ":" in word), None)
        if at is None:
            continue
        where, line = " ".join(head[:at + 1]).rsplit(":", 1)
        current = where or current
        places.add(f"{current}:{line}")
    return places
