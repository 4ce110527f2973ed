//! Resources: world-wide singletons read and written by systems.

use crate::components::Vec2;

/// Fixed-step simulation time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Time {
    /// Ticks completed so far.
    pub tick: u64,
    /// Seconds simulated per tick.
    pub dt: f32,
}

/// The rectangle everything lives in, with (0, 0) at one corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arena {
    pub width: f32,
    pub height: f32,
}

impl Arena {
    /// `point` moved to the nearest spot inside the arena.
    pub fn clamp(&self, point: Vec2) -> Vec2 {
        Vec2::new(point.x.clamp(0.0, self.width), point.y.clamp(0.0, self.height))
    }

    /// The middle of the arena.
    pub fn center(&self) -> Vec2 {
        Vec2::new(self.width / 2.0, self.height / 2.0)
    }

    /// A point on edge `side` (0..4, clockwise from the top), `t` of the way along it.
    pub fn edge_point(&self, side: u32, t: f32) -> Vec2 {
        match side % 4 {
            0 => Vec2::new(t * self.width, 0.0),
            1 => Vec2::new(self.width, t * self.height),
            2 => Vec2::new((1.0 - t) * self.width, self.height),
            _ => Vec2::new(0.0, (1.0 - t) * self.height),
        }
    }
}

/// Running totals of the game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    pub kills: u32,
    pub points: u64,
    pub damage_dealt: i64,
    pub damage_taken: i64,
}

/// When and how many enemies appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnRules {
    /// Ticks between spawn attempts.
    pub every: u64,
    /// No spawn while this many enemies are alive.
    pub max_alive: usize,
    /// Enemies spawned so far.
    pub spawned: u32,
}

/// Whether the game is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GameState {
    /// The tick on which the player died, if it did.
    pub player_died_at: Option<u64>,
}

/// A small deterministic pseudo-random generator (xorshift64*), seeded once per game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed` (zero is replaced, xorshift cannot leave it).
    pub fn seeded(seed: u64) -> Self {
        Self { state: if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed } }
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u32) -> bool {
        self.next_u32() % n == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::seeded(7);
        let mut b = Rng::seeded(7);
        for _ in 0..100 {
            let x = a.unit();
            assert_eq!(x, b.unit());
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(Rng::seeded(1).next_u32(), Rng::seeded(2).next_u32());
    }

    #[test]
    fn edge_points_lie_on_the_border() {
        let arena = Arena { width: 10.0, height: 4.0 };
        assert_eq!(arena.edge_point(1, 0.5), Vec2::new(10.0, 2.0));
        assert_eq!(arena.edge_point(3, 0.0), Vec2::new(0.0, 4.0));
        assert_eq!(arena.clamp(Vec2::new(-1.0, 9.0)), Vec2::new(0.0, 4.0));
    }
}
