//! Enemy waves: a new enemy at a random spot on the arena's edge every few ticks.

use crate::components::{Collider, Enemy, EnemyKind, Health, Position, Velocity};
use crate::resources::{Arena, Rng, SpawnRules, Time};
use crate::World;

/// Spawns one enemy every `SpawnRules::every` ticks while fewer than `max_alive` are alive.
pub fn spawn_enemies(world: &mut World) {
    let tick = world.resource::<Time>().tick;
    let rules = *world.resource::<SpawnRules>();
    if tick % rules.every != 0 || world.entities_with::<Enemy>().len() >= rules.max_alive {
        return;
    }
    let arena = *world.resource::<Arena>();
    let rng = world.resource_mut::<Rng>();
    let kind = if rng.one_in(4) { EnemyKind::Brute } else { EnemyKind::Grunt };
    let at = arena.edge_point(rng.next_u32(), rng.unit());
    spawn_enemy(world, kind, Position(at));
    world.resource_mut::<SpawnRules>().spawned += 1;
}

/// Creates an enemy of `kind` at `position` with that kind's stats.
pub fn spawn_enemy(world: &mut World, kind: EnemyKind, position: Position) {
    world
        .spawn()
        .with(Enemy { kind })
        .with(position)
        .with(Velocity::default())
        .with(Collider { radius: kind.radius() })
        .with(Health::full(kind.max_health()))
        .with(kind.attack());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawns_on_schedule_up_to_the_cap() {
        let mut world = World::new();
        world.insert_resource(Time { tick: 0, dt: 0.1 });
        world.insert_resource(Arena { width: 50.0, height: 50.0 });
        world.insert_resource(Rng::seeded(3));
        world.insert_resource(SpawnRules { every: 2, max_alive: 2, spawned: 0 });
        for tick in 1..=10 {
            world.resource_mut::<Time>().tick = tick;
            spawn_enemies(&mut world);
        }
        assert_eq!(world.entities_with::<Enemy>().len(), 2);
        assert_eq!(world.resource::<SpawnRules>().spawned, 2);
        for (_, _, Position(p)) in world.query2::<Enemy, Position>() {
            let on_edge = p.x == 0.0 || p.y == 0.0 || p.x == 50.0 || p.y == 50.0;
            assert!(on_edge, "{p:?} is not on the arena's edge");
        }
    }
}
