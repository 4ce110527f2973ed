//! Movement: the player walks its patrol, enemies chase the player, everything integrates.

use crate::components::{Enemy, Patrol, Player, Position, Velocity};
use crate::resources::{Arena, Time};
use crate::World;

/// How close to a waypoint counts as arrived.
const ARRIVAL_RADIUS: f32 = 1.5;

/// Points the player's velocity at its current waypoint, advancing on arrival.
pub fn patrol(world: &mut World) {
    for entity in world.entities_with::<Player>() {
        let (speed, here) = match (world.get::<Player>(entity), world.get::<Position>(entity)) {
            (Some(player), Some(position)) => (player.speed, position.0),
            _ => continue,
        };
        if let Some(route) = world.get_mut::<Patrol>(entity) {
            if here.distance(route.target()) < ARRIVAL_RADIUS {
                route.advance();
            }
            let heading = (route.target() - here).normalized();
            world.insert(entity, Velocity(heading * speed));
        }
    }
}

/// Steers every enemy straight at the nearest player.
pub fn chase_player(world: &mut World) {
    let players: Vec<_> = world.query2::<Player, Position>().into_iter().map(|(_, _, p)| p.0).collect();
    for (entity, enemy, Position(here)) in world.query2::<Enemy, Position>() {
        let nearest = players.iter().copied().min_by(|a, b| here.distance(*a).total_cmp(&here.distance(*b)));
        let heading = nearest.map(|target| (target - here).normalized()).unwrap_or_default();
        if let Some(velocity) = world.get_mut::<Velocity>(entity) {
            velocity.0 = heading * enemy.kind.speed();
        }
    }
}

/// Moves everything by velocity × dt and keeps it inside the arena.
pub fn integrate(world: &mut World) {
    let dt = world.resource::<Time>().dt;
    let arena = *world.resource::<Arena>();
    for (entity, Velocity(v), Position(p)) in world.query2::<Velocity, Position>() {
        world.insert(entity, Position(arena.clamp(p + v * dt)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::{EnemyKind, Vec2};

    fn world() -> World {
        let mut world = World::new();
        world.insert_resource(Time { tick: 0, dt: 1.0 });
        world.insert_resource(Arena { width: 100.0, height: 100.0 });
        world
    }

    #[test]
    fn enemies_close_in_on_the_player() {
        let mut world = world();
        world.spawn().with(Player { speed: 0.0 }).with(Position(Vec2::new(50.0, 50.0)));
        let grunt = world
            .spawn()
            .with(Enemy { kind: EnemyKind::Grunt })
            .with(Position(Vec2::new(50.0, 10.0)))
            .with(Velocity::default())
            .id();
        chase_player(&mut world);
        integrate(&mut world);
        assert_eq!(world.get::<Position>(grunt), Some(&Position(Vec2::new(50.0, 16.0))));
    }

    #[test]
    fn integration_stays_inside_the_arena() {
        let mut world = world();
        let e =
            world.spawn().with(Position(Vec2::new(95.0, 5.0))).with(Velocity(Vec2::new(10.0, -10.0))).id();
        integrate(&mut world);
        assert_eq!(world.get::<Position>(e), Some(&Position(Vec2::new(100.0, 0.0))));
    }

    #[test]
    fn patrol_advances_at_the_waypoint() {
        let mut world = world();
        let route = vec![Vec2::new(10.0, 10.0), Vec2::new(20.0, 10.0)];
        let p = world
            .spawn()
            .with(Player { speed: 2.0 })
            .with(Position(Vec2::new(10.0, 10.0)))
            .with(Patrol::new(route))
            .id();
        patrol(&mut world);
        assert_eq!(world.get::<Patrol>(p).map(|r| r.next), Some(1));
        assert_eq!(world.get::<Velocity>(p).map(|v| v.0.x), Some(2.0));
    }
}
