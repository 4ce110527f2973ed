//! Where things are and how they move.

use std::ops::{Add, AddAssign, Mul, Sub};

/// A 2-D vector in arena units.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec2 {
    pub x: f32,
    pub y: f32,
}

impl Vec2 {
    pub const ZERO: Vec2 = Vec2 { x: 0.0, y: 0.0 };

    pub fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// Euclidean length.
    pub fn length(self) -> f32 {
        self.x.hypot(self.y)
    }

    /// Distance to `other`.
    pub fn distance(self, other: Vec2) -> f32 {
        (other - self).length()
    }

    /// This vector scaled to length 1, or zero if it has no direction.
    pub fn normalized(self) -> Vec2 {
        let len = self.length();
        if len <= f32::EPSILON {
            Vec2::ZERO
        } else {
            self * (1.0 / len)
        }
    }
}

impl Add for Vec2 {
    type Output = Vec2;
    fn add(self, rhs: Vec2) -> Vec2 {
        Vec2::new(self.x + rhs.x, self.y + rhs.y)
    }
}

impl Sub for Vec2 {
    type Output = Vec2;
    fn sub(self, rhs: Vec2) -> Vec2 {
        Vec2::new(self.x - rhs.x, self.y - rhs.y)
    }
}

impl Mul<f32> for Vec2 {
    type Output = Vec2;
    fn mul(self, factor: f32) -> Vec2 {
        Vec2::new(self.x * factor, self.y * factor)
    }
}

impl AddAssign for Vec2 {
    fn add_assign(&mut self, rhs: Vec2) {
        *self = *self + rhs;
    }
}

/// Where an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position(pub Vec2);

/// Units per second an entity moves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity(pub Vec2);

/// A circle used for contact tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Collider {
    pub radius: f32,
}

/// A closed route of waypoints the entity walks in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Patrol {
    pub route: Vec<Vec2>,
    pub next: usize,
}

impl Patrol {
    /// A patrol starting at the first waypoint of `route`.
    pub fn new(route: Vec<Vec2>) -> Self {
        assert!(!route.is_empty(), "a patrol needs at least one waypoint");
        Self { route, next: 0 }
    }

    /// The waypoint currently walked to.
    pub fn target(&self) -> Vec2 {
        self.route[self.next]
    }

    /// Moves on to the following waypoint, wrapping around.
    pub fn advance(&mut self) {
        self.next = (self.next + 1) % self.route.len();
    }
}

component!(Position, Velocity, Collider, Patrol);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_arithmetic() {
        let v = Vec2::new(3.0, 4.0);
        assert_eq!(v.length(), 5.0);
        assert_eq!(v.normalized() * 5.0, v);
        assert_eq!(Vec2::ZERO.normalized(), Vec2::ZERO);
        assert_eq!(v - v, Vec2::ZERO);
    }

    #[test]
    fn patrol_wraps_around() {
        let mut patrol = Patrol::new(vec![Vec2::ZERO, Vec2::new(1.0, 0.0)]);
        patrol.advance();
        assert_eq!(patrol.target(), Vec2::new(1.0, 0.0));
        patrol.advance();
        assert_eq!(patrol.target(), Vec2::ZERO);
    }
}
