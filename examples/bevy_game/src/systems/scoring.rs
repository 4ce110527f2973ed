//! Scoring and clean-up of the dead.

use crate::events::Death;
use crate::resources::{GameState, Score, Time};
use crate::World;

/// Awards points for dead enemies, records the player's death and despawns the dead.
pub fn score_and_despawn(world: &mut World) {
    let tick = world.resource::<Time>().tick;
    for Death { entity, enemy } in world.drain::<Death>() {
        match enemy {
            Some(kind) => {
                let score = world.resource_mut::<Score>();
                score.kills += 1;
                score.points += kind.points();
            }
            None => world.resource_mut::<GameState>().player_died_at = Some(tick),
        }
        world.despawn(entity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::{EnemyKind, Health};

    #[test]
    fn deaths_score_and_despawn() {
        let mut world = World::new();
        world.insert_resource(Time { tick: 42, dt: 0.1 });
        world.insert_resource(Score::default());
        world.insert_resource(GameState::default());
        let brute = world.spawn().with(Health::full(1)).id();
        let hero = world.spawn().with(Health::full(1)).id();
        world.send(Death { entity: brute, enemy: Some(EnemyKind::Brute) });
        world.send(Death { entity: hero, enemy: None });
        score_and_despawn(&mut world);
        assert_eq!(world.resource::<Score>().points, EnemyKind::Brute.points());
        assert_eq!(world.resource::<GameState>().player_died_at, Some(42));
        assert_eq!(world.entity_count(), 0);
    }
}
