"""The loop guard: a generation stuck repeating itself is stopped with a note, for every backend;
real Rust code (which repeats identifiers and lines by nature) is not cut."""

from __future__ import annotations

import pytest

from conftest import registry_crate
from rrag.config import LlmConfig
from rrag.llm.backends import EmbeddedBackend
from rrag.llm.loop_guard import LOOP_NOTE, RepetitionGuard, find_loop, generate_guarded

STUCK = "returns a Vec<Summary> containing the error lines per kind " + "is-" * 200
SENTENCE = ("It is a Rust application that uses the `crate` crate to create a crate-based game. ")


def feed_in_pieces(text: str, size: int = 3) -> RepetitionGuard:
    guard = RepetitionGuard()
    for i in range(0, len(text), size):
        if guard.feed(text[i:i + size]):
            break
    return guard


def test_a_word_loop_is_found_and_cut_after_its_first_occurrence():
    guard = feed_in_pieces(STUCK)
    assert guard.loop is not None and guard.loop.unit in ("is-", "s-i", "-is")
    assert guard.cut().startswith("returns a Vec<Summary> containing the error lines per kind ")
    assert guard.cut().count("is") <= 2  # "is-" once (a rotation may start inside "kind is")


def test_a_sentence_loop_is_found():
    guard = feed_in_pieces("The game starts. " + SENTENCE * 10, size=5)
    assert guard.loop is not None and len(guard.loop.unit) == len(SENTENCE)
    assert guard.cut().count("crate-based game") == 1


def test_tables_rules_and_short_repeats_are_not_loops():
    assert find_loop("let table = [" + "0, " * 200) is None  # numbers are data
    assert find_loop("-" * 400) is None and find_loop("\n" + "=" * 300) is None
    assert find_loop("fn a() {}\n" * 3) is None  # too short a stretch to judge
    assert find_loop("x.push(y);\n" * 12) is None  # a line repeated a few times is code


def test_counting_never_trips_the_guard():
    assert feed_in_pieces(", ".join(str(n) for n in range(1, 400))).loop is None


@pytest.mark.parametrize("crate", ["regex", "serde"])
def test_real_rust_sources_are_never_cut(crate):
    """Every source file of a real crate, streamed a few characters at a time like a model's
    tokens: none of them is called a loop."""
    files = sorted(registry_crate(crate).glob("src/**/*.rs"))
    assert len(files) > 5
    tripped = [(f.name, feed_in_pieces(f.read_text(errors="replace"), 4).loop) for f in files]
    assert [t for t in tripped if t[1] is not None] == []


class ScriptedBackend:
    """Streams a fixed text token by token until cancelled (pure logic of the wrapper; the real
    model is tested below)."""

    def __init__(self, text: str) -> None:
        self.text, self.cancelled, self.streamed = text, False, 0

    def cancel(self) -> None:
        self.cancelled = True

    def generate(self, messages, *, on_token=None, cancel_event=None):
        from rrag.llm.completion import Completion

        for i in range(0, len(self.text), 3):
            if self.cancelled:
                return Completion(self.text[:i], i // 3, 0.0, 0.0, "cancelled")
            self.streamed += 1
            on_token(self.text[i:i + 3])
        return Completion(self.text, len(self.text) // 3, 0.0, 0.0, "length")


def test_the_wrapper_cancels_the_backend_and_streams_the_note():
    backend, shown = ScriptedBackend(STUCK), []
    done = generate_guarded(backend, [{"role": "user", "content": "?"}], on_token=shown.append)
    assert backend.cancelled and backend.streamed < len(STUCK) // 3
    assert done.finish_reason == "repetition" and done.text.endswith(LOOP_NOTE)
    assert "".join(shown) == done.text  # the answer is what the user saw, note included


def test_the_real_default_model_is_stopped_when_it_loops():
    """SmolLM2-135M at temperature 0 repeats a phrase it is told to repeat until its budget is
    spent; the guard ends it early with the note."""
    with EmbeddedBackend(LlmConfig(max_answer_tokens=400, temperature=0.0)) as backend:
        done = generate_guarded(backend, [{"role": "user", "content": LOOPING_PROMPT}])
    assert done.finish_reason == "repetition", done.text
    assert done.tokens < 400 and done.text.endswith(LOOP_NOTE)


def test_a_real_code_answer_from_the_default_model_is_not_cut():
    """Code repeats identifiers and lines; the guard leaves such an answer exactly as the model
    wrote it (temperature 0: the unguarded run is the reference)."""
    with EmbeddedBackend(LlmConfig(max_answer_tokens=200, temperature=0.0)) as backend:
        plain = backend.generate([{"role": "user", "content": CODE_PROMPT}])
        done = generate_guarded(backend, [{"role": "user", "content": CODE_PROMPT}])
    assert done.finish_reason == plain.finish_reason != "repetition"
    assert done.text == plain.text and "struct Point" in done.text


LOOPING_PROMPT = "Write the word 'is-' one hundred times in a row, separated by nothing."
CODE_PROMPT = ("Write a Rust struct Point with fields x and y, and methods new, x, y, "
               "set_x and set_y.")
