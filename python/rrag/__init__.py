"""rrag: Rust-aware retrieval for local LLMs.

Layers, lowest first (a module may import only from its own layer or lower ones; a test enforces
this): base (errors, config, paths) -> parse -> store -> graph, embed -> rank -> llm -> service ->
front ends (cli, bridge, host).
"""

__version__ = "0.1.0"
