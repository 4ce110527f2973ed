//! Events passed between systems within a tick.

use crate::components::EnemyKind;
use crate::ecs::{Entity, Event};

/// Two colliders touched this tick (`a` has the lower slot index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collision {
    pub a: Entity,
    pub b: Entity,
}

/// `source` hit `target` for `amount` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damage {
    pub source: Entity,
    pub target: Entity,
    pub amount: i32,
}

/// `entity` ran out of health; `enemy` says what it was if it was an enemy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Death {
    pub entity: Entity,
    pub enemy: Option<EnemyKind>,
}

impl Event for Collision {}
impl Event for Damage {}
impl Event for Death {}
