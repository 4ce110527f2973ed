//! A minimal entity-component-system: generational entity ids, typed component storage,
//! resources, single-consumer event queues and a staged schedule of systems.

pub mod entity;
pub mod event;
pub mod schedule;
pub mod storage;
pub mod world;

pub use entity::{Entity, EntityAllocator};
pub use event::{Event, Events};
pub use schedule::{FnSystem, Named, Schedule, Stage, System};
pub use storage::{AnyStorage, Component, ComponentStorage};
pub use world::{Resource, World};
