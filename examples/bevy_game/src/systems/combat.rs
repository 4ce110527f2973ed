//! Combat: touching opponents strike each other, damage is applied, deaths are announced.

use crate::components::{Attack, Enemy, Health, Player};
use crate::ecs::Entity;
use crate::events::{Collision, Damage, Death};
use crate::resources::Score;
use crate::World;

/// Ticks every attack's cooldown down by one.
pub fn recover_attacks(world: &mut World) {
    for entity in world.entities_with::<Attack>() {
        if let Some(attack) = world.get_mut::<Attack>(entity) {
            attack.recover();
        }
    }
}

/// Whether `a` and `b` are on opposite sides (player versus enemy).
fn opponents(world: &World, a: Entity, b: Entity) -> bool {
    (world.has::<Player>(a) && world.has::<Enemy>(b)) || (world.has::<Enemy>(a) && world.has::<Player>(b))
}

/// Turns each player–enemy collision into strikes from whichever side is off cooldown.
pub fn melee(world: &mut World) {
    for Collision { a, b } in world.drain::<Collision>() {
        if !opponents(world, a, b) {
            continue;
        }
        for (source, target) in [(a, b), (b, a)] {
            let strike = world.get_mut::<Attack>(source).and_then(Attack::strike);
            if let Some(amount) = strike {
                world.send(Damage { source, target, amount });
            }
        }
    }
}

/// Applies queued damage, keeps the damage tallies and sends a [`Death`] on each fatal blow.
pub fn apply_damage(world: &mut World) {
    for Damage { target, amount, .. } in world.drain::<Damage>() {
        let fatal = match world.get_mut::<Health>(target) {
            Some(health) => health.take(amount),
            None => continue,
        };
        let enemy = world.get::<Enemy>(target).map(|e| e.kind);
        let score = world.resource_mut::<Score>();
        if enemy.is_some() {
            score.damage_dealt += i64::from(amount);
        } else {
            score.damage_taken += i64::from(amount);
        }
        if fatal {
            world.send(Death { entity: target, enemy });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::EnemyKind;

    #[test]
    fn a_collision_trades_blows_and_can_kill() {
        let mut world = World::new();
        world.insert_resource(Score::default());
        let hero =
            world.spawn().with(Player { speed: 1.0 }).with(Attack::new(25, 3)).with(Health::full(100)).id();
        let grunt = world
            .spawn()
            .with(Enemy { kind: EnemyKind::Grunt })
            .with(EnemyKind::Grunt.attack())
            .with(Health::full(20))
            .id();
        world.send(Collision { a: hero, b: grunt });
        melee(&mut world);
        apply_damage(&mut world);
        assert_eq!(world.get::<Health>(hero).map(|h| h.current), Some(97));
        assert_eq!(world.drain::<Death>(), vec![Death { entity: grunt, enemy: Some(EnemyKind::Grunt) }]);
        assert_eq!(
            *world.resource::<Score>(),
            Score { kills: 0, points: 0, damage_dealt: 25, damage_taken: 3 }
        );

        // Both attacks are now cooling down: a second contact does nothing.
        world.send(Collision { a: hero, b: grunt });
        melee(&mut world);
        assert!(world.drain::<Damage>().is_empty());
    }
}
