//! bevy_game: a tiny arena game built on a hand-written entity-component-system.
//!
//! Despite the name it has no dependencies: [`ecs`] provides generational entities, typed
//! component storage, resources, events and a staged schedule; [`components`], [`resources`]
//! and [`events`] define the game's data; [`systems`] the logic; and [`game_loop`] ties them
//! together into a deterministic loop that runs a fixed number of ticks.

pub mod components;
pub mod ecs;
pub mod events;
pub mod game_loop;
pub mod resources;
pub mod systems;

pub use ecs::World;
pub use game_loop::run_game as play;
pub use game_loop::{Game, GameConfig, Outcome, Summary};

/// Everything a system usually needs, in one import.
pub mod prelude {
    pub use crate::components::*;
    pub use crate::ecs::{Component, Entity, Event, Schedule, Stage, System, World};
    pub use crate::events::*;
    pub use crate::resources::*;
}
