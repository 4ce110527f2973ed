//! The world: live entities, one storage per component type, resources and event queues.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

use super::entity::{Entity, EntityAllocator};
use super::event::{Event, Events};
use super::storage::{AnyStorage, Component, ComponentStorage};

/// A singleton value shared by systems (time, score, random numbers...).
pub trait Resource: Any {}

impl<T: Any> Resource for T {}

/// Owns every entity, component, resource and event queue of a game.
#[derive(Default)]
pub struct World {
    entities: EntityAllocator,
    storages: HashMap<TypeId, Box<dyn AnyStorage>>,
    resources: HashMap<TypeId, Box<dyn Any>>,
}

impl World {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an entity and returns a builder to attach its components.
    pub fn spawn(&mut self) -> EntityBuilder<'_> {
        let entity = self.entities.allocate();
        EntityBuilder { world: self, entity }
    }

    /// Removes `entity` and all its components; returns false for a stale handle.
    pub fn despawn(&mut self, entity: Entity) -> bool {
        if !self.entities.free(entity) {
            return false;
        }
        for storage in self.storages.values_mut() {
            storage.remove_entity(entity);
        }
        true
    }

    /// Whether `entity` is alive.
    pub fn contains(&self, entity: Entity) -> bool {
        self.entities.is_alive(entity)
    }

    /// Number of live entities.
    pub fn entity_count(&self) -> usize {
        self.entities.live_count()
    }

    /// Attaches `component` to a live `entity`.
    pub fn insert<T: Component>(&mut self, entity: Entity, component: T) {
        assert!(self.contains(entity), "insert {} on dead entity {entity}", T::NAME);
        self.storage_mut::<T>().insert(entity, component);
    }

    /// The `T` component of `entity`.
    pub fn get<T: Component>(&self, entity: Entity) -> Option<&T> {
        self.storage::<T>()?.get(entity)
    }

    /// Mutable access to the `T` component of `entity`.
    pub fn get_mut<T: Component>(&mut self, entity: Entity) -> Option<&mut T> {
        self.storages
            .get_mut(&TypeId::of::<T>())?
            .as_any_mut()
            .downcast_mut::<ComponentStorage<T>>()?
            .get_mut(entity)
    }

    /// Whether `entity` has a `T` component.
    pub fn has<T: Component>(&self, entity: Entity) -> bool {
        self.get::<T>(entity).is_some()
    }

    /// The storage of `T`, if any `T` was ever inserted.
    pub fn storage<T: Component>(&self) -> Option<&ComponentStorage<T>> {
        self.storages.get(&TypeId::of::<T>())?.as_any().downcast_ref()
    }

    fn storage_mut<T: Component>(&mut self) -> &mut ComponentStorage<T> {
        self.storages
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(ComponentStorage::<T>::default()))
            .as_any_mut()
            .downcast_mut()
            .expect("storage registered under the wrong TypeId")
    }

    /// Entities with a `T` component, in slot order (deterministic).
    pub fn entities_with<T: Component>(&self) -> Vec<Entity> {
        self.storage::<T>().map(|s| s.iter().map(|(e, _)| e).collect()).unwrap_or_default()
    }

    /// Copies of the `A` and `B` components of every entity holding both, in slot order.
    pub fn query2<A: Component + Copy, B: Component + Copy>(&self) -> Vec<(Entity, A, B)> {
        match self.storage::<A>() {
            Some(first) => first
                .iter()
                .filter_map(|(entity, a)| self.get::<B>(entity).map(|b| (entity, *a, *b)))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Stores `value` as the resource of its type, replacing any previous one.
    pub fn insert_resource<R: Resource>(&mut self, value: R) {
        self.resources.insert(TypeId::of::<R>(), Box::new(value));
    }

    /// The resource of type `R`; panics if it was never inserted (a set-up bug).
    pub fn resource<R: Resource>(&self) -> &R {
        self.resources
            .get(&TypeId::of::<R>())
            .and_then(|boxed| boxed.downcast_ref())
            .unwrap_or_else(|| panic!("missing resource {}", std::any::type_name::<R>()))
    }

    /// Mutable access to the resource of type `R`; panics if it was never inserted.
    pub fn resource_mut<R: Resource>(&mut self) -> &mut R {
        self.resources
            .get_mut(&TypeId::of::<R>())
            .and_then(|boxed| boxed.downcast_mut())
            .unwrap_or_else(|| panic!("missing resource {}", std::any::type_name::<R>()))
    }

    /// Queues `event` for its consumer, creating the queue on first use.
    pub fn send<E: Event>(&mut self, event: E) {
        if !self.resources.contains_key(&TypeId::of::<Events<E>>()) {
            self.insert_resource(Events::<E>::default());
        }
        self.resource_mut::<Events<E>>().send(event);
    }

    /// Takes every queued event of type `E`, oldest first.
    pub fn drain<E: Event>(&mut self) -> Vec<E> {
        match self.resources.get_mut(&TypeId::of::<Events<E>>()) {
            Some(boxed) => boxed.downcast_mut::<Events<E>>().map(Events::drain).unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut counts: Vec<(&str, usize)> =
            self.storages.values().map(|s| (s.component_name(), s.count())).collect();
        counts.sort();
        f.debug_struct("World")
            .field("entities", &self.entity_count())
            .field("components", &counts)
            .field("resources", &self.resources.len())
            .finish()
    }
}

/// Attaches components to a freshly spawned entity.
pub struct EntityBuilder<'w> {
    world: &'w mut World,
    entity: Entity,
}

impl EntityBuilder<'_> {
    /// Attaches `component` and continues building.
    pub fn with<T: Component>(self, component: T) -> Self {
        self.world.insert(self.entity, component);
        self
    }

    /// The finished entity.
    pub fn id(self) -> Entity {
        self.entity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Mass(f32);
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Charge(i8);
    impl Component for Mass {
        const NAME: &'static str = "Mass";
    }
    impl Component for Charge {
        const NAME: &'static str = "Charge";
    }

    #[test]
    fn despawn_removes_every_component() {
        let mut world = World::new();
        let a = world.spawn().with(Mass(1.0)).with(Charge(-1)).id();
        let b = world.spawn().with(Mass(2.0)).id();
        assert_eq!(world.query2::<Mass, Charge>(), vec![(a, Mass(1.0), Charge(-1))]);
        assert!(world.despawn(a));
        assert!(!world.has::<Charge>(a));
        assert_eq!(world.entities_with::<Mass>(), vec![b]);
        let c = world.spawn().with(Charge(1)).id();
        assert_eq!(c.index(), a.index());
        assert_eq!(world.get::<Mass>(c), None, "a reused slot must not inherit components");
    }

    #[test]
    fn resources_and_events() {
        let mut world = World::new();
        world.insert_resource(10_u64);
        *world.resource_mut::<u64>() += 5;
        assert_eq!(*world.resource::<u64>(), 15);
        assert!(world.drain::<crate::events::Collision>().is_empty());
    }
}
