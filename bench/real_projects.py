"""Benchmark (issue 16): real projects from Debian's registry, rrag against a cold `cargo check`.

Each project is generated in a temporary folder (a directory source pointing at
/usr/share/cargo/registry, `cargo generate-lockfile --offline`): an async CLI (tokio, serde,
serde_json, clap, regex, rayon, tracing, rand), a parser (nom, syn, quote) and a server (hyper,
tokio, serde_json, tracing). Side by side in one run, per project:
  cargo_check_s   cold `cargo check --offline` into its own target dir (the reference);
  index_s         cold `rrag index` (empty rrag cache) until it returns: workspace searchable,
                  workspace vectors, dependency structure;
  deps_vectors_s  then `rrag index --wait-deps`: the extra time until the direct dependencies'
                  public API has its vectors;
  second_s        a second project locking the same versions, `rrag index` (shared cache warm);
  peak_rss_kb     of the cold `rrag index`;
  prepare_s       `rrag prepare` into the empty cache before all of this (not with --unprepared);
  items           per crate after filtering (the index) and before (every .rs file of every
                  locked package parsed as it was before this issue: all platforms, all cfgs).
Acceptance checks: no package `cargo metadata --filter-platform` leaves out is indexed; libc's
files are only the host's. Writes bench/results/real_projects.json.

    .venv/bin/python bench/real_projects.py [--only cli] [--no-before] [--no-deps-vectors]
                                            [--unprepared]

By default each project's empty cache first gets `rrag prepare` (std, core and alloc, built
once per machine by `make setup`, as rustup ships cargo a prebuilt std; timed as prepare_s);
``--unprepared`` makes the cold index build them too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import apsw

HERE = Path(__file__).resolve().parent
RRAG = Path(sys.executable).parent / "rrag"
REGISTRY = Path("/usr/share/cargo/registry")
CONFIG = ('[source.crates-io]\nreplace-with = "debian-packages"\n\n'
          '[source.debian-packages]\ndirectory = "/usr/share/cargo/registry"\n')

PROJECTS = {
    "cli": ('tokio = { version = "1", features = ["full"] }\n'
            'serde = { version = "1", features = ["derive"] }\nserde_json = "1"\n'
            'clap = { version = "4", features = ["derive"] }\nregex = "1"\nrayon = "1"\n'
            'tracing = "0.1"\nrand = "0.8"\n',
            '''use clap::Parser;
use rand::Rng;
use rayon::prelude::*;
use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Parser)]
struct Args {
    pattern: String,
    #[arg(long, default_value_t = 100)]
    count: usize,
}

#[derive(Serialize, Deserialize)]
struct Hit { word: String, score: u32 }

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let re = Regex::new(&args.pattern).expect("pattern");
    let mut rng = rand::thread_rng();
    let words: Vec<String> = (0..args.count).map(|_| format!("w{}", rng.gen::<u16>())).collect();
    let hits: Vec<Hit> = words.par_iter().filter(|w| re.is_match(w))
        .map(|w| Hit { word: w.clone(), score: w.len() as u32 }).collect();
    tracing::info!(hits = hits.len(), "done");
    let text = tokio::task::spawn_blocking(move || serde_json::to_string(&hits).unwrap())
        .await.unwrap();
    println!("{text}");
}
'''),
    "parser": ('nom = "7"\nsyn = { version = "1", features = ["full", "extra-traits"] }\n'
               'quote = "1"\nproc-macro2 = "1"\n',
               '''use nom::{bytes::complete::tag, character::complete::digit1, IResult};
use quote::quote;

/// `key=123` -> (key, 123).
fn pair(input: &str) -> IResult<&str, (&str, u64)> {
    let (input, key) = nom::character::complete::alpha1(input)?;
    let (input, _) = tag("=")(input)?;
    let (input, value) = digit1(input)?;
    Ok((input, (key, value.parse().unwrap())))
}

fn main() {
    let (_, (key, value)) = pair("width=80").unwrap();
    let item: syn::ItemFn = syn::parse_str("fn answer() -> u64 { 42 }").unwrap();
    let name = &item.sig.ident;
    println!("{key} {value} {}", quote!(#name));
}
'''),
    "server": ('hyper = { version = "0.14", features = ["server", "http1", "tcp", "runtime"] }\n'
               'tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }\n'
               'serde_json = "1"\ntracing = "0.1"\n',
               '''use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};
use std::convert::Infallible;

async fn hello(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let body = serde_json::json!({ "path": req.uri().path() }).to_string();
    tracing::debug!(%body, "answer");
    Ok(Response::new(Body::from(body)))
}

#[tokio::main]
async fn main() {
    let make = make_service_fn(|_| async { Ok::<_, Infallible>(service_fn(hello)) });
    let addr = ([127, 0, 0, 1], 3000).into();
    Server::bind(&addr).serve(make).await.unwrap();
}
'''),
}


def load() -> float:
    return round(os.getloadavg()[0], 1)


def make_project(base: Path, name: str, deps: str, main: str) -> Path:
    root = base / name
    (root / "src").mkdir(parents=True)
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CONFIG)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n'
                                     f'edition = "2021"\n\n[dependencies]\n{deps}')
    (root / "src" / "main.rs").write_text(main)
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=root, check=True)
    return root


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int, str]:
    """(seconds, peak RSS in KB of the command, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    rss = int(proc.stderr.strip().splitlines()[-1])
    return seconds, rss, proc.stdout


def _count_items(path: str) -> int:
    from rrag.parse.rust import parse_source

    try:
        return len(parse_source(Path(path).read_bytes(), path).items)
    except (OSError, ValueError):
        return 0


def items_before(root: Path) -> dict[str, int]:
    """Items per locked package as rrag indexed them before cfg evaluation: every .rs file
    of every package Cargo.lock names (tests, benches, examples, build.rs excluded)."""
    with open(root / "Cargo.lock", "rb") as fh:
        lock = tomllib.load(fh)
    jobs: list[tuple[str, str]] = []
    for pkg in lock["package"]:
        folder = REGISTRY / f"{pkg['name']}-{pkg['version']}"
        if not folder.is_dir():
            continue
        for f in folder.rglob("*.rs"):
            rel = f.relative_to(folder).as_posix()
            if rel.split("/")[0] in ("tests", "benches", "examples", "target", "fuzz") \
                    or rel == "build.rs":
                continue
            jobs.append((pkg["name"].replace("-", "_"), str(f)))
    out: dict[str, int] = {}
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        for (crate, _), n in zip(jobs, pool.map(_count_items, [j[1] for j in jobs],
                                                chunksize=16)):
            out[crate] = out.get(crate, 0) + n
    return out


def index_rows(db: str) -> tuple[dict[str, int], list[str]]:
    conn = apsw.Connection(db, flags=apsw.SQLITE_OPEN_READONLY)
    try:
        # by package (a package's bin targets are crates of their own: clap's stdio_fixture)
        per_crate = {c.replace("-", "_"): n for c, n in conn.execute(
            "SELECT f.package, count(*) FROM items i JOIN files f ON f.id = i.file_id "
            "WHERE f.dep_key IS NOT NULL GROUP BY f.package")}
        libc_files = [r[0] for r in conn.execute(
            "SELECT dep_path FROM files WHERE dep_key IS NOT NULL AND crate = 'libc'")]
    finally:
        conn.close()
    return per_crate, libc_files


def host_packages(root: Path) -> set[str]:
    triple = next(line.split(":", 1)[1].strip() for line in subprocess.run(
        ["rustc", "-vV"], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("host:"))
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--offline", "--format-version", "1", "--filter-platform",
         triple], cwd=root, capture_output=True, text=True, check=True).stdout)
    return {p["name"].replace("-", "_") for p in meta["packages"]}


STD_CRATES = {"std", "core", "alloc"}  # from rust-src, not cargo packages
OTHER_PLATFORMS = ("windows", "/bsd/", "solarish", "haiku", "fuchsia", "/android/", "musl",
                   "/wasi", "emscripten", "uclibc", "redox", "/apple/", "hermit", "vxworks")


def measure(name: str, base: Path, args: argparse.Namespace) -> dict:
    deps, main = PROJECTS[name]
    root = make_project(base, f"{name}_a", deps, main)
    second = make_project(base, f"{name}_b", deps, main)
    env = {**os.environ, "XDG_CACHE_HOME": str(base / f"cache-{name}")}
    row: dict = {"project": name, "load_before": load()}
    locked = len(tomllib.loads((root / "Cargo.lock").read_text())["package"])
    row["packages_locked"] = locked
    if args.prepared:  # std, core and alloc: once per machine (`make setup`), like rustup's std
        row["prepare_s"], _, _ = timed([str(RRAG), "prepare", "--json"], root, env)
    row["cargo_check_s"], row["cargo_check_rss_kb"], _ = timed(
        ["cargo", "check", "--offline", "--quiet", "--target-dir", str(base / f"t-{name}")],
        root, env)
    row["load_after_cargo"] = load()
    row["index_s"], row["peak_rss_kb"], out = timed(
        [str(RRAG), "index", "--json", "--root", str(root)], root, env)
    report = json.loads(out)
    row["load_after_index"] = load()
    if args.deps_vectors:
        extra, _, out = timed([str(RRAG), "index", "--json", "--wait-deps", "--root",
                               str(root)], root, env)
        row["deps_vectors_s"] = extra
        row["deps_vectors_embedded"] = json.loads(out)["embedding"]["items"]
    row["second_s"], _, _ = timed([str(RRAG), "index", "--json", "--root", str(second)],
                                  second, env)
    deps_report = report["dependencies"]
    row.update(via=deps_report["via"], packages_indexed=len(deps_report["imported"]),
               items=report["items"], vectors_queued_workspace=report["embedding"]["items"],
               dependency_vectors_left=report["embedding"]["deferred"])
    per_crate, libc_files = index_rows(report["db"])
    row["items_after"] = dict(sorted(per_crate.items(), key=lambda kv: -kv[1]))
    if args.before:
        before = items_before(root)
        row["items_before"] = dict(sorted(before.items(), key=lambda kv: -kv[1]))
        row["items_before_total"] = sum(before.values())
    row["items_after_total"] = sum(per_crate.values())
    allowed = host_packages(root)
    row["indexed_outside_platform"] = sorted(set(per_crate) - allowed - STD_CRATES)
    row["libc_files_of_other_platforms"] = [f for f in libc_files
                                            if any(p in f for p in OTHER_PLATFORMS)]
    row["index_over_cargo_check"] = round(row["index_s"] / row["cargo_check_s"], 3)
    row["second_over_first"] = round(row["second_s"] / row["index_s"], 3)
    for key in ("prepare_s", "cargo_check_s", "index_s", "deps_vectors_s", "second_s"):
        if key in row:
            row[key] = round(row[key], 2)
    row["load_after"] = load()
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", choices=sorted(PROJECTS))
    ap.add_argument("--no-before", dest="before", action="store_false")
    ap.add_argument("--no-deps-vectors", dest="deps_vectors", action="store_false")
    ap.add_argument("--unprepared", dest="prepared", action="store_false",
                    help="no `rrag prepare` first: the cold index also builds std's cache")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent / "python"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(PROJECTS):
            row = measure(name, Path(tmp), args)
            print(json.dumps({k: v for k, v in row.items()
                              if k not in ("items_before", "items_after")}), flush=True)
            rows.append(row)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "real_projects.json").write_text(
        json.dumps({"cores": os.cpu_count(), "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
