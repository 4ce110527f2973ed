//! Game systems, one file per concern, and the standard schedule that orders them.

pub mod collision;
pub mod combat;
pub mod movement;
pub mod scoring;
pub mod spawning;

use crate::ecs::{Schedule, Stage};
use crate::resources::Time;
use crate::World;

/// Advances the simulation clock; runs first in every tick.
pub fn advance_time(world: &mut World) {
    world.resource_mut::<Time>().tick += 1;
}

/// The schedule of a normal game, stage by stage.
pub fn standard_schedule() -> Schedule {
    let mut schedule = Schedule::new();
    schedule
        .add_fn(Stage::Spawn, "advance_time", advance_time)
        .add_fn(Stage::Spawn, "spawn_enemies", spawning::spawn_enemies)
        .add_fn(Stage::Update, "patrol", movement::patrol)
        .add_fn(Stage::Update, "chase_player", movement::chase_player)
        .add_fn(Stage::Update, "integrate", movement::integrate)
        .add_fn(Stage::Update, "recover_attacks", combat::recover_attacks)
        .add_fn(Stage::Resolve, "detect_collisions", collision::detect_collisions)
        .add_fn(Stage::Resolve, "melee", combat::melee)
        .add_fn(Stage::Resolve, "apply_damage", combat::apply_damage)
        .add_fn(Stage::Cleanup, "score_and_despawn", scoring::score_and_despawn);
    schedule
}
