//! Typed component storage and its type-erased view.

use std::any::Any;
use std::fmt::Debug;

use super::entity::Entity;

/// Data attached to entities. Implemented with the `component!` macro.
pub trait Component: 'static + Debug {
    /// The component's type name, for diagnostics.
    const NAME: &'static str;
}

/// Sparse storage: one optional slot per entity index, tagged with the owning generation.
#[derive(Debug)]
pub struct ComponentStorage<T: Component> {
    slots: Vec<Option<(u32, T)>>,
    len: usize,
}

impl<T: Component> Default for ComponentStorage<T> {
    fn default() -> Self {
        Self { slots: Vec::new(), len: 0 }
    }
}

impl<T: Component> ComponentStorage<T> {
    /// Attaches `value` to `entity`, returning the value it replaces.
    pub fn insert(&mut self, entity: Entity, value: T) -> Option<T> {
        let slot = entity.index();
        if slot >= self.slots.len() {
            self.slots.resize_with(slot + 1, || None);
        }
        let previous = self.slots[slot].replace((entity.generation(), value));
        match previous {
            Some((generation, old)) if generation == entity.generation() => Some(old),
            Some(_) => None,
            None => {
                self.len += 1;
                None
            }
        }
    }

    /// The component of `entity`, if it has one.
    pub fn get(&self, entity: Entity) -> Option<&T> {
        match self.slots.get(entity.index()) {
            Some(Some((generation, value))) if *generation == entity.generation() => Some(value),
            _ => None,
        }
    }

    /// Mutable access to the component of `entity`.
    pub fn get_mut(&mut self, entity: Entity) -> Option<&mut T> {
        match self.slots.get_mut(entity.index()) {
            Some(Some((generation, value))) if *generation == entity.generation() => Some(value),
            _ => None,
        }
    }

    /// Detaches and returns the component of `entity`.
    pub fn remove(&mut self, entity: Entity) -> Option<T> {
        self.get(entity)?;
        self.len -= 1;
        self.slots[entity.index()].take().map(|(_, value)| value)
    }

    /// Entities holding this component, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Entity, &T)> {
        self.slots.iter().enumerate().filter_map(|(slot, entry)| {
            entry.as_ref().map(|(generation, value)| (Entity::from_raw(slot as u32, *generation), value))
        })
    }
}

/// Type-erased view so a world can keep storages of different component types in one map.
pub trait AnyStorage: Any + Debug {
    /// Drops `entity`'s component, if any; returns whether one was removed.
    fn remove_entity(&mut self, entity: Entity) -> bool;
    /// Number of stored components.
    fn count(&self) -> usize;
    /// Name of the stored component type.
    fn component_name(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Component> AnyStorage for ComponentStorage<T> {
    fn remove_entity(&mut self, entity: Entity) -> bool {
        self.remove(entity).is_some()
    }

    fn count(&self) -> usize {
        self.len
    }

    fn component_name(&self) -> &'static str {
        T::NAME
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Tag(u8);
    impl Component for Tag {
        const NAME: &'static str = "Tag";
    }

    #[test]
    fn stale_handles_do_not_see_new_components() {
        let mut store = ComponentStorage::<Tag>::default();
        let old = Entity::from_raw(3, 0);
        let new = Entity::from_raw(3, 1);
        assert_eq!(store.insert(old, Tag(1)), None);
        assert_eq!(store.insert(new, Tag(2)), None);
        assert_eq!(store.get(old), None);
        assert_eq!(store.get(new), Some(&Tag(2)));
        assert_eq!(store.count(), 1);
        assert_eq!(store.remove(old), None);
        assert_eq!(store.remove(new), Some(Tag(2)));
        assert_eq!(store.iter().count(), 0);
        assert_eq!(store.component_name(), "Tag");
    }
}
