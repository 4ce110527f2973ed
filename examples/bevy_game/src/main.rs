//! Runs one game headlessly and prints progress and a summary.
//!
//! Usage: `bevy_game [TICKS] [SEED]` (defaults: 600 ticks, the default seed).

use bevy_game::prelude::*;
use bevy_game::{Game, GameConfig};

/// Progress is printed every this many ticks.
const REPORT_EVERY: u64 = 100;

fn parse_arg(position: usize, default: u64) -> u64 {
    match std::env::args().nth(position) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("bevy_game: argument {position} must be a whole number, got {text:?}");
            std::process::exit(2)
        }),
    }
}

fn main() {
    let defaults = GameConfig::default();
    let config =
        GameConfig { ticks: parse_arg(1, defaults.ticks), seed: parse_arg(2, defaults.seed), ..defaults };
    println!(
        "arena {}x{}, {} ticks, seed {:#x}",
        config.arena.width, config.arena.height, config.ticks, config.seed
    );

    let mut game = Game::new(config);
    let summary = game.run(|game| {
        let tick = game.tick_count();
        if tick % REPORT_EVERY == 0 {
            let world = game.world();
            let score = world.resource::<Score>();
            let enemies = world.entities_with::<Enemy>().len();
            println!("tick {tick:>5}: {enemies} enemies, {} kills, {} points", score.kills, score.points);
        }
    });
    println!("{summary}");
}
