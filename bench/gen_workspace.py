"""Generate a synthetic Cargo workspace of N Rust files for load tests (deterministic per seed).

The workspace has ``--crates`` member crates; each crate's files sit in module folders of 50
(``src/g007/mod.rs`` declares ``pub mod f0351;``...). Every file holds a documented struct with
an impl, a trait implementation, free functions that call into other modules of the crate, a
`use` of a sibling module, constants and an enum, so the parser, the graph resolver and the
lexical index all have realistic work. About 40 lines and 8-10 items per file.

    .venv/bin/python bench/gen_workspace.py /tmp/ws10k --files 10000 [--crates 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

WORDS = ["buffer", "cache", "index", "parser", "token", "stream", "queue", "graph", "node",
         "edge", "layout", "render", "metric", "signal", "frame", "packet", "session", "ledger",
         "schema", "vector", "budget", "policy", "router", "filter", "batch", "shard"]

FILE = '''//! Module {mod} of crate {crate}: {w1} and {w2} handling.
use crate::{sib_group}::{sib}::{SibType};
use std::collections::HashMap;

/// Maximum number of {w1} entries kept by [`{Type}`].
pub const {CONST}: usize = {n};

/// A {w1} {w2} record with its {w3} state.
#[derive(Debug, Clone, Default)]
pub struct {Type} {{
    pub id: u64,
    pub name: String,
    pub {w3}: HashMap<String, u32>,
}}

/// The kinds of {w2} a {w1} may hold.
pub enum {Type}Kind {{ Empty, Small(u8), Large {{ size: usize }} }}

impl {Type} {{
    /// Creates an empty {w1}.
    pub fn new(id: u64) -> Self {{
        Self {{ id, name: format!("{w1}-{{id}}"), {w3}: HashMap::new() }}
    }}

    /// Adds a {w3} entry and returns the new count.
    pub fn add_{w3}(&mut self, key: &str) -> usize {{
        *self.{w3}.entry(key.to_string()).or_insert(0) += 1;
        self.{w3}.len().min({CONST})
    }}

    pub fn merge(&mut self, other: &{SibType}) -> u64 {{
        self.id ^ other.id
    }}
}}

impl std::fmt::Display for {Type} {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        write!(f, "{{}}:{{}}", self.id, self.name)
    }}
}}

/// Runs one {w2} pass over {w1} records.
pub fn {fn_name}(items: &[{Type}]) -> u64 {{
    let mut total = 0;
    for item in items {{
        total += crate::{sib_group}::{sib}::{sib_fn}(&[]) + item.id;
    }}
    total
}}
'''


def camel(*words: str) -> str:
    return "".join(w.capitalize() for w in words)


def generate(root: Path, files: int, crates: int, seed: int) -> dict:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    per_crate = max(1, files // crates)
    members = []
    written = 0
    for c in range(crates):
        crate = f"synth_{c:02d}"
        members.append(crate)
        src = root / crate / "src"
        src.mkdir(parents=True)
        (root / crate / "Cargo.toml").write_text(
            f'[package]\nname = "{crate}"\nversion = "0.1.0"\nedition = "2021"\n')
        count = per_crate if c < crates - 1 else files - written - (crates - 1 - c)
        count = max(1, count - 1 - (count + 49) // 51)  # lib.rs and the group mod.rs files too
        groups = [f"g{g:03d}" for g in range((count + 49) // 50)]
        names = [(groups[i // 50], f"f{i:04d}") for i in range(count)]
        meta = {}
        for group, mod in names:
            w1, w2, w3 = rng.sample(WORDS, 3)
            meta[mod] = (w1, w2, w3)
        for i, (group, mod) in enumerate(names):
            w1, w2, w3 = meta[mod]
            sib_group, sib = names[rng.randrange(len(names))]
            s1, s2, _ = meta[sib]
            text = FILE.format(mod=mod, crate=crate, w1=w1, w2=w2, w3=w3, Type=camel(w1, w2, mod),
                               CONST=f"MAX_{w1.upper()}_{i}", n=rng.randint(8, 4096),
                               sib_group=sib_group, sib=sib, SibType=camel(s1, s2, sib),
                               fn_name=f"run_{w2}_{mod}", sib_fn=f"run_{s2}_{sib}")
            (src / group).mkdir(exist_ok=True)
            (src / group / f"{mod}.rs").write_text(text)
        for group in groups:
            decls = "".join(f"pub mod {m};\n" for g, m in names if g == group)
            (src / group / "mod.rs").write_text(f"//! Group {group}.\n{decls}")
        (src / "lib.rs").write_text(f"//! Synthetic crate {crate}.\n"
                                    + "".join(f"pub mod {g};\n" for g in groups))
        written += count + 1 + len(groups)
    (root / "Cargo.toml").write_text("[workspace]\nresolver = \"2\"\nmembers = [\n"
                                     + "".join(f'    "{m}",\n' for m in members) + "]\n")
    rs = sum(1 for _ in root.rglob("*.rs"))
    lines = sum(p.read_text().count("\n") for p in root.rglob("*.rs"))
    return {"root": str(root), "crates": crates, "rust_files": rs, "lines": lines, "seed": seed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--crates", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(generate(args.root, args.files, args.crates, args.seed))


if __name__ == "__main__":
    main()
