"""`rrag models` and `rrag models use` with real parts: an Ollama store and a Hugging Face cache
built from the real default GGUF, and a real loopback llama_cpp.server. Each is listed with the
metadata an independent reader (the `gguf` package) finds; picking one makes `rrag ask` answer
with it (asserted through the backend and model the answer reports); a picked model that went
missing, or cannot be read, gives one `rrag:` line naming it and the command to pick another."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from conftest import rrag, rrag_json
from model_stores import (HF_FILE, HF_NAME, OLLAMA_NAME, LoopbackServer, build_stores,
                          real_model)
from rrag.config import config_file
from rrag.llm.gguf_header import read_gguf
from rrag.service.user_config import set_keys

CRATE = {
    "Cargo.toml": '[package]\nname = "geo"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": ("/// A circle, by its radius.\npub struct Circle {\n    pub r: f64,\n}\n\n"
                   "impl Circle {\n    pub fn area(&self) -> f64 {\n"
                   "        std::f64::consts::PI * self.r * self.r\n    }\n}\n"),
}


@pytest.fixture(scope="module")
def server():
    srv = LoopbackServer()
    yield srv
    srv.close()


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """Every model root points into tmp; a short answer budget keeps the asks quick."""
    env = build_stores(tmp_path / "machine")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cfg = config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("# my settings\n[llm]\nmax_answer_tokens = 16  # short answers\n\n"
                   "[context]\nbudget = 512\n")
    root = tmp_path / "geo"
    for rel, text in CRATE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _by_name(listing: dict) -> dict[str, dict]:
    return {m["name"]: m for m in listing["models"]}


def _independent(path: Path) -> dict:
    """What the `gguf` package (not our reader) says about the file."""
    import gguf

    reader = gguf.GGUFReader(str(path))

    def scalar(key):
        field = reader.fields[key]
        value = field.parts[field.data[0]]
        return bytes(value).decode() if field.types[0] == gguf.GGUFValueType.STRING else \
            int(value[0])

    arch = scalar("general.architecture")
    return {"architecture": arch, "context_length": scalar(f"{arch}.context_length"),
            "parameters": sum(int(t.n_elements) for t in reader.tensors),
            "quantisation": gguf.LlamaFileType(scalar("general.file_type")).name
            .removeprefix("MOSTLY_"),
            "chat_template": "tokenizer.chat_template" in reader.fields}


def test_stores_are_listed_with_the_metadata_of_their_gguf(machine):
    listing = rrag_json("models", "--no-servers")
    models = _by_name(listing)
    assert set(models) == {"default", OLLAMA_NAME, HF_NAME}, models  # the BERT GGUF is skipped
    truth = _independent(real_model())
    size = real_model().stat().st_size
    ollama, hf = models[OLLAMA_NAME], models[HF_NAME]
    assert ollama["source"] == "ollama" and hf["source"] == "huggingface"
    assert Path(ollama["path"]).parent == Path(os.environ["OLLAMA_MODELS"]) / "blobs"
    assert Path(hf["path"]).name == HF_FILE and Path(hf["path"]).is_symlink()
    for entry in (ollama, hf, models["default"]):
        for key, value in truth.items():
            assert entry[key] == value, (entry["name"], key)
        assert entry["size_bytes"] == size and entry["fits_memory"] is True
    assert models["default"]["current"] and not ollama["current"]
    text = rrag("models", "--no-servers").stdout
    assert OLLAMA_NAME in text and HF_NAME in text and "Q4_1" in text and "8192" in text


def test_our_reader_agrees_with_the_gguf_package():
    info = read_gguf(real_model())
    truth = _independent(real_model())
    assert (info.architecture, info.context_length, info.parameters, info.quantisation,
            info.chat_template) == tuple(truth.values())


@pytest.mark.slow
def test_picking_each_model_makes_ask_answer_with_it(machine, server, monkeypatch):
    cfg = config_file()
    text = cfg.read_text().replace("[llm]\n", f"[llm]\nservers = [\"{server.url}\"]\n")
    cfg.write_text(text)
    listing = rrag_json("models")
    models = _by_name(listing)
    assert models[server.name]["source"] == "server" and models[server.name]["url"] == server.url
    ask = ("ask", "What does Circle::area compute?", "--root", str(machine))

    picked = rrag_json("models", "use", OLLAMA_NAME)
    assert picked["llm"]["model_path"] == models[OLLAMA_NAME]["path"]
    answer = rrag_json(*ask)
    assert (answer["backend"], answer["model"]) == ("embedded", models[OLLAMA_NAME]["path"])
    assert answer["model_name"] == OLLAMA_NAME and answer["notice"] is None
    plain = rrag(*ask).stdout  # the text output names it too, instead of the demo note
    assert f"\nmodel: {OLLAMA_NAME} (embedded)" in plain and "note: demo model" not in plain

    rrag_json("models", "use", "SmolLM2-135M-Instruct-GGUF")  # a unique part of the name
    answer = rrag_json(*ask)
    assert (answer["backend"], answer["model"]) == ("embedded", models[HF_NAME]["path"])

    rrag_json("models", "use", server.name)
    answer = rrag_json(*ask)
    assert (answer["backend"], answer["model"]) == ("openai", server.alias)
    assert answer["text"].strip() and answer["notice"] is None

    rrag_json("models", "use", "default")  # the demo notice exactly when the default answers
    answer = rrag_json(*ask)
    assert answer["backend"] == "embedded" and answer["model"] == str(real_model())
    assert answer["notice"].startswith("demo model") and "rrag models use" in answer["notice"]
    # The user's own lines survived every rewrite.
    final = cfg.read_text()
    assert final.startswith("# my settings\n[llm]\n") and "max_answer_tokens = 16  # short" in final
    assert tomllib.loads(final)["context"] == {"budget": 512}


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["moved", "unreadable", "overwritten"])
def test_a_picked_model_that_is_gone_gives_one_message(machine, damage):
    picked = rrag_json("models", "use", OLLAMA_NAME)
    blob = Path(picked["llm"]["model_path"])
    blob.unlink()  # the blob is a hard link of the real model: never damage that
    if damage == "unreadable" and os.geteuid() == 0:
        blob.mkdir()  # root reads any file whatever its mode; a folder it cannot read as one
    elif damage == "unreadable":
        shutil.copyfile(real_model(), blob)
        blob.chmod(0)
    elif damage == "overwritten":
        blob.write_bytes(b"<html>not a model</html>")
    proc = rrag("ask", "What does Circle::area compute?", "--root", str(machine), check=False)
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("rrag: "), proc.stderr
    assert OLLAMA_NAME in lines[0] and str(blob) in lines[0]
    assert "rrag models use NAME" in lines[0] and ":RragModel" in lines[0]
    listing = rrag_json("models", "--no-servers")
    assert listing["current"]["problem"] == lines[0]


def test_lm_studio_models_folders_split_files_and_namespaces(machine, tmp_path, monkeypatch):
    """The other layouts: LM Studio's publisher/repo/file, a folder the config names (a split
    model listed once, by its first part, with the size of all parts), Ollama outside the
    library namespace and on another registry."""
    model, env = real_model(), os.environ
    lms = Path(env["LMSTUDIO_MODELS"]) / "bartowski" / "SmolLM2-GGUF" / "smol-q4.gguf"
    lms.parent.mkdir(parents=True)
    os.symlink(model, lms)
    mine = tmp_path / "mine" / "deep" / "er"
    mine.mkdir(parents=True)
    for part in (1, 2):
        os.symlink(model, mine / f"big-0000{part}-of-00002.gguf")
    blob = next((Path(env["OLLAMA_MODELS"]) / "blobs").iterdir())
    manifests = Path(env["OLLAMA_MODELS"]) / "manifests"
    for where in ("registry.ollama.ai/someone/coder/7b", "hf.co/org/repo/q4"):
        (manifests / where).parent.mkdir(parents=True, exist_ok=True)
        (manifests / where).write_text(json.dumps({"layers": [{
            "mediaType": "application/vnd.ollama.image.model",
            "digest": blob.name.replace("sha256-", "sha256:")}]}))
    cfg = config_file()
    cfg.write_text(cfg.read_text().replace(
        "[llm]\n", f"[llm]\nmodel_dirs = [\"{tmp_path / 'mine'}\"]\n"))
    models = _by_name(rrag_json("models", "--no-servers"))
    assert models["bartowski/SmolLM2-GGUF/smol-q4.gguf"]["source"] == "lmstudio"
    split = models["big-00001-of-00002.gguf"]
    assert split["source"] == "folder" and split["size_bytes"] == 2 * model.stat().st_size
    assert "big-00002-of-00002.gguf" not in models
    assert models["someone/coder:7b"]["path"] == models["hf.co/org/repo:q4"]["path"] == str(blob)
    assert all(m["quantisation"] == "Q4_1" for m in models.values())


def test_unknown_and_ambiguous_names_are_one_line_errors(machine):
    proc = rrag("models", "use", "no-such-model", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("rrag: no model named 'no-such-model'")
    proc = rrag("models", "use", "smollm2", "--json", check=False)  # Ollama's and the HF one
    assert proc.returncode == 1 and "matches 2 models" in proc.stderr
    assert not proc.stdout and len(proc.stderr.splitlines()) == 1


def test_config_rewrite_keeps_comments_order_and_other_sections():
    text = "a = 1\n[llm]  # mine\nbackend = \"openai\"  # was\nn_ctx = 8\n\n[context]\nbudget = 1\n"
    out = set_keys(text, "llm", {"backend": "embedded", "model_path": "/m/x \"q\".gguf"})
    assert out == ("a = 1\n[llm]  # mine\nbackend = \"embedded\"\nn_ctx = 8\n"
                   "model_path = \"/m/x \\\"q\\\".gguf\"\n\n[context]\nbudget = 1\n")
    assert tomllib.loads(out)["llm"]["model_path"] == "/m/x \"q\".gguf"
    assert set_keys("", "llm", {"backend": "x"}) == "[llm]\nbackend = \"x\"\n"
    assert json.loads(json.dumps(tomllib.loads(set_keys("x = 2\n", "llm", {"a": True}))))[
        "llm"] == {"a": True}
