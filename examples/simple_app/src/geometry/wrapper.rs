//! `Labeled<T>`: a shape with a user-facing label, e.g. "lid" for a circular cut.

use super::{Describe, Shape};

/// A shape carrying a label that replaces its generic name in descriptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Labeled<T> {
    pub label: String,
    pub shape: T,
}

impl<T: Shape> Labeled<T> {
    /// Wraps `shape` under `label`.
    pub fn new(label: impl Into<String>, shape: T) -> Self {
        Self { label: label.into(), shape }
    }

    /// Drops the label and returns the shape.
    pub fn into_inner(self) -> T {
        self.shape
    }
}

impl<T: Shape> Describe for Labeled<T> {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn describe(&self) -> String {
        format!("{} [{}]", self.label, self.shape.describe())
    }
}

impl<T: Shape> Shape for Labeled<T> {
    fn area(&self) -> f64 {
        self.shape.area()
    }

    fn perimeter(&self) -> f64 {
        self.shape.perimeter()
    }

    fn scaled(&self, factor: f64) -> Self {
        Labeled::new(self.label.clone(), self.shape.scaled(factor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::shapes::Rect;

    #[test]
    fn label_wraps_the_inner_description() {
        let lid = Labeled::new("lid", Rect::square(10.0));
        assert_eq!(lid.describe(), "lid [rectangle (10x10)]");
        assert_eq!(lid.scaled(0.5).shape, Rect::square(5.0));
        assert_eq!(lid.into_inner().area(), 100.0);
    }
}
