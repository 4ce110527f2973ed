//! Event queues. Each event type has one consumer system, which drains the queue every tick.

use std::fmt::Debug;

/// Something that happened during a tick and that another system reacts to.
pub trait Event: Debug + Clone + 'static {}

/// A first-in, first-out queue of events of one type.
#[derive(Debug, Clone)]
pub struct Events<E: Event> {
    queue: Vec<E>,
    sent_total: u64,
}

impl<E: Event> Default for Events<E> {
    fn default() -> Self {
        Self { queue: Vec::new(), sent_total: 0 }
    }
}

impl<E: Event> Events<E> {
    /// Queues `event`.
    pub fn send(&mut self, event: E) {
        self.queue.push(event);
        self.sent_total += 1;
    }

    /// Takes every queued event, oldest first.
    pub fn drain(&mut self) -> Vec<E> {
        std::mem::take(&mut self.queue)
    }

    /// Events sent since the queue was created, drained or not.
    pub fn sent_total(&self) -> u64 {
        self.sent_total
    }

    /// Events waiting to be drained.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}
