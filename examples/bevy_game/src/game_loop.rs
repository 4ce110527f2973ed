//! The game loop: builds the world (resources, event queues, the player), then runs the
//! standard schedule once per tick for a fixed number of ticks — stopping early if the player
//! dies — and summarises the outcome. Everything is seeded, so a given config always plays
//! out the same way.

use std::fmt;

use crate::components::{Attack, Collider, Health, Patrol, Player, Position, Vec2, Velocity};
use crate::ecs::{Events, Schedule};
use crate::events::{Collision, Damage, Death};
use crate::resources::{Arena, GameState, Rng, Score, SpawnRules, Time};
use crate::systems::standard_schedule;
use crate::World;

/// Everything that decides how a game plays out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GameConfig {
    /// Maximum number of ticks to run.
    pub ticks: u64,
    /// Seed of the random generator.
    pub seed: u64,
    /// Seconds simulated per tick.
    pub dt: f32,
    pub arena: Arena,
    /// Ticks between enemy spawns.
    pub spawn_every: u64,
    /// Enemy cap.
    pub max_enemies: usize,
    pub player_health: i32,
    pub player_speed: f32,
}

impl Default for GameConfig {
    fn default() -> Self {
        Self {
            ticks: 600,
            seed: 0x5EED,
            dt: 0.1,
            arena: Arena { width: 80.0, height: 50.0 },
            spawn_every: 12,
            max_enemies: 8,
            player_health: 250,
            player_speed: 5.0,
        }
    }
}

/// How a game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The player was alive when the tick limit was reached.
    Survived,
    /// The player died on `tick`.
    PlayerDied { tick: u64 },
}

/// The result of a game.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub ticks_run: u64,
    pub outcome: Outcome,
    pub score: Score,
    pub enemies_spawned: u32,
    pub enemies_alive: usize,
    pub player_health: i32,
    pub collisions: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match self.outcome {
            Outcome::Survived => String::from("player survived"),
            Outcome::PlayerDied { tick } => format!("player died on tick {tick}"),
        };
        writeln!(f, "{outcome} after {} ticks", self.ticks_run)?;
        writeln!(f, "score: {} points, {} kills", self.score.points, self.score.kills)?;
        writeln!(f, "damage: {} dealt, {} taken", self.score.damage_dealt, self.score.damage_taken)?;
        writeln!(f, "enemies: {} spawned, {} still alive", self.enemies_spawned, self.enemies_alive)?;
        write!(f, "player health: {}, collisions: {}", self.player_health, self.collisions)
    }
}

/// A running game: its world and the schedule of systems driving it.
pub struct Game {
    world: World,
    schedule: Schedule,
    config: GameConfig,
}

impl Game {
    /// A fresh game set up from `config`, with the player on its patrol route.
    pub fn new(config: GameConfig) -> Self {
        let mut world = World::new();
        world.insert_resource(Time { tick: 0, dt: config.dt });
        world.insert_resource(config.arena);
        world.insert_resource(Rng::seeded(config.seed));
        world.insert_resource(Score::default());
        world.insert_resource(GameState::default());
        world.insert_resource(SpawnRules {
            every: config.spawn_every,
            max_alive: config.max_enemies,
            spawned: 0,
        });
        world.insert_resource(Events::<Collision>::default());
        world.insert_resource(Events::<Damage>::default());
        world.insert_resource(Events::<Death>::default());
        Self::spawn_player(&mut world, &config);
        Self { world, schedule: standard_schedule(), config }
    }

    fn spawn_player(world: &mut World, config: &GameConfig) {
        let Arena { width: w, height: h } = config.arena;
        let route = vec![
            Vec2::new(0.25 * w, 0.25 * h),
            Vec2::new(0.75 * w, 0.25 * h),
            Vec2::new(0.75 * w, 0.75 * h),
            Vec2::new(0.25 * w, 0.75 * h),
        ];
        world
            .spawn()
            .with(Player { speed: config.player_speed })
            .with(Position(config.arena.center()))
            .with(Velocity::default())
            .with(Patrol::new(route))
            .with(Collider { radius: 3.0 })
            .with(Health::full(config.player_health))
            .with(Attack::new(15, 3));
    }

    /// The world, for inspection.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Ticks completed so far.
    pub fn tick_count(&self) -> u64 {
        self.world.resource::<Time>().tick
    }

    /// Whether the game has ended (tick limit reached or player dead).
    pub fn is_over(&self) -> bool {
        self.tick_count() >= self.config.ticks || self.world.resource::<GameState>().player_died_at.is_some()
    }

    /// Runs every system once.
    pub fn step(&mut self) {
        self.schedule.run(&mut self.world);
    }

    /// Steps until the game is over, calling `on_tick` after every tick, and summarises.
    pub fn run(&mut self, mut on_tick: impl FnMut(&Game)) -> Summary {
        while !self.is_over() {
            self.step();
            on_tick(self);
        }
        self.summary()
    }

    /// The state of the game so far.
    pub fn summary(&self) -> Summary {
        let world = &self.world;
        let player = world.query2::<Player, Health>().first().map(|&(_, _, health)| health.current);
        Summary {
            ticks_run: self.tick_count(),
            outcome: match world.resource::<GameState>().player_died_at {
                Some(tick) => Outcome::PlayerDied { tick },
                None => Outcome::Survived,
            },
            score: *world.resource::<Score>(),
            enemies_spawned: world.resource::<SpawnRules>().spawned,
            enemies_alive: world.entities_with::<crate::components::Enemy>().len(),
            player_health: player.unwrap_or(0),
            collisions: world.resource::<Events<Collision>>().sent_total(),
        }
    }
}

/// Plays a whole game with `config` and returns its summary.
pub fn run_game(config: GameConfig) -> Summary {
    Game::new(config).run(|_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_config_plays_out_identically() {
        let config = GameConfig { ticks: 300, ..GameConfig::default() };
        assert_eq!(run_game(config), run_game(config));
    }

    #[test]
    fn the_game_stops_at_the_tick_limit() {
        let mut ticks_seen = 0;
        let summary = Game::new(GameConfig { ticks: 50, ..GameConfig::default() }).run(|_| ticks_seen += 1);
        assert_eq!(ticks_seen, 50);
        assert_eq!(summary.ticks_run, 50);
        assert_eq!(summary.outcome, Outcome::Survived);
        assert_eq!(summary.enemies_spawned, 4, "one spawn every 12 ticks");
    }

    #[test]
    fn a_fragile_player_dies_early() {
        let config = GameConfig { ticks: 5_000, player_health: 5, ..GameConfig::default() };
        let summary = run_game(config);
        match summary.outcome {
            Outcome::PlayerDied { tick } => assert_eq!(summary.ticks_run, tick),
            Outcome::Survived => panic!("{summary}"),
        }
        assert_eq!(summary.player_health, 0);
        assert!(summary.score.damage_taken >= 5);
    }

    #[test]
    fn a_long_game_has_fights_and_kills() {
        let summary = run_game(GameConfig::default());
        assert!(summary.collisions > 0, "{summary}");
        assert!(summary.score.kills > 0, "{summary}");
        assert!(summary.score.points >= u64::from(summary.score.kills) * 10, "{summary}");
    }
}
