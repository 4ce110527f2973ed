//! Entity ids: a slot index plus a generation, so a handle to a despawned entity never
//! aliases the entity that later reuses its slot.

use std::fmt;

/// A handle to an entity in a [`crate::ecs::World`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity {
    index: u32,
    generation: u32,
}

impl Entity {
    pub(crate) fn from_raw(index: u32, generation: u32) -> Self {
        Self { index, generation }
    }

    /// The slot this entity occupies; storages are indexed by it.
    pub fn index(self) -> usize {
        self.index as usize
    }

    /// How many times the slot had been reused when this entity was created.
    pub fn generation(self) -> u32 {
        self.generation
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}v{}", self.index, self.generation)
    }
}

/// Hands out entity ids and recycles freed slots with a bumped generation.
#[derive(Debug, Default)]
pub struct EntityAllocator {
    generations: Vec<u32>,
    alive: Vec<bool>,
    free: Vec<u32>,
}

impl EntityAllocator {
    /// A new live entity, reusing the most recently freed slot if there is one.
    pub fn allocate(&mut self) -> Entity {
        if let Some(index) = self.free.pop() {
            let slot = index as usize;
            self.alive[slot] = true;
            return Entity::from_raw(index, self.generations[slot]);
        }
        let index = u32::try_from(self.generations.len()).expect("more than u32::MAX entities");
        self.generations.push(0);
        self.alive.push(true);
        Entity::from_raw(index, 0)
    }

    /// Frees `entity`'s slot; returns false if the handle was already stale.
    pub fn free(&mut self, entity: Entity) -> bool {
        if !self.is_alive(entity) {
            return false;
        }
        let slot = entity.index();
        self.alive[slot] = false;
        self.generations[slot] = self.generations[slot].wrapping_add(1);
        self.free.push(entity.index);
        true
    }

    /// Whether `entity` still refers to a live entity.
    pub fn is_alive(&self, entity: Entity) -> bool {
        let slot = entity.index();
        slot < self.alive.len() && self.alive[slot] && self.generations[slot] == entity.generation
    }

    /// Number of live entities.
    pub fn live_count(&self) -> usize {
        self.alive.iter().filter(|&&alive| alive).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_with_a_new_generation() {
        let mut ids = EntityAllocator::default();
        let a = ids.allocate();
        let b = ids.allocate();
        assert!(ids.free(a));
        assert!(!ids.free(a), "double free must be refused");
        let c = ids.allocate();
        assert_eq!(c.index(), a.index());
        assert_eq!(c.generation(), a.generation() + 1);
        assert!(!ids.is_alive(a));
        assert!(ids.is_alive(b) && ids.is_alive(c));
        assert_eq!(ids.live_count(), 2);
        assert_eq!(c.to_string(), "0v1");
    }
}
