//! Systems and the schedule that runs them in stage order every tick.

use super::world::World;

/// Something with a name shown in diagnostics.
pub trait Named {
    fn name(&self) -> &str;
}

/// A unit of game logic run once per tick.
pub trait System: Named {
    fn run(&mut self, world: &mut World);
}

/// When in a tick a system runs; stages run in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Create new entities.
    Spawn,
    /// Decide and move.
    Update,
    /// Detect and resolve interactions.
    Resolve,
    /// Remove the dead and keep score.
    Cleanup,
}

/// Adapts a plain function into a [`System`].
pub struct FnSystem<F> {
    name: &'static str,
    func: F,
}

impl<F: FnMut(&mut World)> FnSystem<F> {
    /// Wraps `func` under `name`.
    pub fn new(name: &'static str, func: F) -> Self {
        Self { name, func }
    }
}

impl<F: FnMut(&mut World)> Named for FnSystem<F> {
    fn name(&self) -> &str {
        self.name
    }
}

impl<F: FnMut(&mut World)> System for FnSystem<F> {
    fn run(&mut self, world: &mut World) {
        (self.func)(world)
    }
}

/// Systems grouped by stage; within a stage they run in the order they were added.
#[derive(Default)]
pub struct Schedule {
    systems: Vec<(Stage, Box<dyn System>)>,
}

impl Schedule {
    /// An empty schedule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `system` to `stage`.
    pub fn add(&mut self, stage: Stage, system: impl System + 'static) -> &mut Self {
        self.systems.push((stage, Box::new(system)));
        // A stable sort keeps insertion order inside each stage.
        self.systems.sort_by_key(|(stage, _)| *stage);
        self
    }

    /// Adds a plain function as a system.
    pub fn add_fn(&mut self, stage: Stage, name: &'static str, func: fn(&mut World)) -> &mut Self {
        self.add(stage, FnSystem::new(name, func))
    }

    /// Runs every system once, in stage order.
    pub fn run(&mut self, world: &mut World) {
        for (_, system) in &mut self.systems {
            system.run(world);
        }
    }

    /// "stage/name" for every system, in run order.
    pub fn order(&self) -> Vec<String> {
        self.systems.iter().map(|(stage, s)| format!("{stage:?}/{}", s.name())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_run_in_order_and_keep_insertion_order() {
        let mut schedule = Schedule::new();
        schedule
            .add(Stage::Cleanup, FnSystem::new("last", |w: &mut World| w.resource_mut::<Vec<u8>>().push(3)))
            .add(Stage::Spawn, FnSystem::new("first", |w: &mut World| w.resource_mut::<Vec<u8>>().push(1)))
            .add(Stage::Spawn, FnSystem::new("second", |w: &mut World| w.resource_mut::<Vec<u8>>().push(2)));
        let mut world = World::new();
        world.insert_resource(Vec::<u8>::new());
        schedule.run(&mut world);
        assert_eq!(world.resource::<Vec<u8>>(), &vec![1, 2, 3]);
        assert_eq!(schedule.order(), ["Spawn/first", "Spawn/second", "Cleanup/last"]);
    }
}
