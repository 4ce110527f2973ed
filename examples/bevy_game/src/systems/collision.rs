//! Contact detection between colliders.

use crate::components::{Collider, Position};
use crate::events::Collision;
use crate::World;

/// Sends a [`Collision`] for every pair of overlapping colliders.
///
/// A plain all-pairs test: the arena never holds more than a few dozen entities.
pub fn detect_collisions(world: &mut World) {
    let bodies = world.query2::<Collider, Position>();
    for (i, &(a, collider_a, Position(pa))) in bodies.iter().enumerate() {
        for &(b, collider_b, Position(pb)) in &bodies[i + 1..] {
            if pa.distance(pb) < collider_a.radius + collider_b.radius {
                world.send(Collision { a, b });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::Vec2;

    #[test]
    fn only_overlapping_pairs_collide() {
        let mut world = World::new();
        let body = |x: f32| (Collider { radius: 1.0 }, Position(Vec2::new(x, 0.0)));
        let (c, p) = body(0.0);
        let a = world.spawn().with(c).with(p).id();
        let (c, p) = body(1.5);
        let b = world.spawn().with(c).with(p).id();
        let (c, p) = body(10.0);
        world.spawn().with(c).with(p);
        detect_collisions(&mut world);
        assert_eq!(world.drain::<Collision>(), vec![Collision { a, b }]);
    }
}
