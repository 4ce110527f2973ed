//! Who fights whom, how hard, and how much they can take.

/// Hit points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub current: i32,
    pub max: i32,
}

impl Health {
    /// Full health of `max` points.
    pub fn full(max: i32) -> Self {
        Self { current: max, max }
    }

    /// Whether no hit points are left.
    pub fn is_dead(&self) -> bool {
        self.current <= 0
    }

    /// Takes `amount` damage; returns true if this blow was the fatal one.
    pub fn take(&mut self, amount: i32) -> bool {
        let was_alive = !self.is_dead();
        self.current = (self.current - amount).max(0);
        was_alive && self.is_dead()
    }
}

/// A melee attack with a cooldown, in ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attack {
    pub damage: i32,
    pub cooldown: u32,
    pub ready_in: u32,
}

impl Attack {
    /// An attack dealing `damage` at most once every `cooldown` ticks, ready at once.
    pub fn new(damage: i32, cooldown: u32) -> Self {
        Self { damage, cooldown, ready_in: 0 }
    }

    /// Strikes if ready, returning the damage dealt and starting the cooldown.
    pub fn strike(&mut self) -> Option<i32> {
        if self.ready_in > 0 {
            return None;
        }
        self.ready_in = self.cooldown;
        Some(self.damage)
    }

    /// Advances the cooldown by one tick.
    pub fn recover(&mut self) {
        self.ready_in = self.ready_in.saturating_sub(1);
    }
}

/// Marks the player-controlled entity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Player {
    pub speed: f32,
}

/// The kinds of enemy and their stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnemyKind {
    Grunt,
    Brute,
}

impl EnemyKind {
    /// Maximum hit points.
    pub fn max_health(self) -> i32 {
        match self {
            EnemyKind::Grunt => 20,
            EnemyKind::Brute => 50,
        }
    }

    /// Chase speed in units per second.
    pub fn speed(self) -> f32 {
        match self {
            EnemyKind::Grunt => 6.0,
            EnemyKind::Brute => 3.5,
        }
    }

    /// Melee attack.
    pub fn attack(self) -> Attack {
        match self {
            EnemyKind::Grunt => Attack::new(3, 5),
            EnemyKind::Brute => Attack::new(8, 9),
        }
    }

    /// Contact radius.
    pub fn radius(self) -> f32 {
        match self {
            EnemyKind::Grunt => 2.0,
            EnemyKind::Brute => 3.5,
        }
    }

    /// Points awarded for defeating one.
    pub fn points(self) -> u64 {
        match self {
            EnemyKind::Grunt => 10,
            EnemyKind::Brute => 35,
        }
    }
}

/// Marks a hostile entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enemy {
    pub kind: EnemyKind,
}

component!(Health, Attack, Player, Enemy);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fatal_blow_reports_death() {
        let mut hp = Health::full(10);
        assert!(!hp.take(4));
        assert!(hp.take(7));
        assert_eq!(hp.current, 0);
        assert!(!hp.take(1), "already dead");
    }

    #[test]
    fn attack_respects_cooldown() {
        let mut attack = Attack::new(5, 2);
        assert_eq!(attack.strike(), Some(5));
        assert_eq!(attack.strike(), None);
        attack.recover();
        attack.recover();
        assert_eq!(attack.strike(), Some(5));
    }
}
