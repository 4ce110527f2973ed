//! Game components: motion (positions, velocities, patrol routes) and combat (health,
//! attacks, the player and enemy markers).

/// Implements [`crate::ecs::Component`] for each listed type, naming it after the type.
macro_rules! component {
    ($($ty:ident),+ $(,)?) => {
        $(
            impl $crate::ecs::Component for $ty {
                const NAME: &'static str = stringify!($ty);
            }
        )+
    };
}

pub mod combat;
pub mod motion;

pub use combat::{Attack, Enemy, EnemyKind, Health, Player};
pub use motion::{Collider, Patrol, Position, Vec2, Velocity};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::Component;

    #[test]
    fn macro_names_components_after_their_type() {
        assert_eq!(Position::NAME, "Position");
        assert_eq!(Health::NAME, "Health");
        assert_eq!(<Enemy as Component>::NAME, "Enemy");
    }
}
