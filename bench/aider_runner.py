"""Runs in the benchmark-only aider env (.venv-aider, scripts/setup-aider-env.sh), never in .venv.

Serves aider's repo map to bench/context_quality.py over JSON lines on stdin/stdout. Token
counts are asked back from the parent, so aider fills its budget in the same tokenizer (the
configured model's) that rrag packs with:
    parent -> {"root": dir, "chat": rel path, "others": [rel paths], "budget": n}
    child  -> {"count": text}   parent -> {"n": tokens}      (any number of times)
    child  -> {"map": text, "seconds": s}
"""

from __future__ import annotations

import json
import os
import sys
import time

from aider.io import InputOutput
from aider.repomap import RepoMap

OUT = sys.stdout
sys.stdout = sys.stderr  # aider prints progress; keep the protocol channel clean


def ask_count(text: str) -> int:
    OUT.write(json.dumps({"count": text}) + "\n")
    OUT.flush()
    return int(json.loads(sys.stdin.readline())["n"])


class ParentTokenizer:
    """The part of aider's Model that RepoMap uses."""

    def token_count(self, text: str) -> int:
        return ask_count(text)


def main() -> None:
    io = InputOutput(yes=True, pretty=False, fancy_input=False)
    maps: dict[str, RepoMap] = {}
    for line in sys.stdin:
        req = json.loads(line)
        root = req["root"]
        if root not in maps:
            maps[root] = RepoMap(map_tokens=req["budget"], root=root, main_model=ParentTokenizer(),
                                 io=io, refresh="always")
        repo_map = maps[root]
        repo_map.max_map_tokens = req["budget"]
        started = time.monotonic()
        text = repo_map.get_ranked_tags_map(
            [os.path.join(root, req["chat"])], [os.path.join(root, p) for p in req["others"]],
            req["budget"], set(), set(), force_refresh=True) or ""
        OUT.write(json.dumps({"map": text, "seconds": time.monotonic() - started}) + "\n")
        OUT.flush()


if __name__ == "__main__":
    main()
