//! Geometry: the `Describe`/`Shape` trait family, concrete shapes and a labelling wrapper.

use std::fmt::Debug;

pub mod shapes;
pub mod wrapper;

/// Anything that can introduce itself in one line.
pub trait Describe {
    /// Short human name, e.g. "circle".
    fn name(&self) -> String;

    /// One-line description; defaults to the name.
    fn describe(&self) -> String {
        self.name()
    }
}

/// A closed plane figure, measured in millimetres.
pub trait Shape: Describe + Debug {
    /// Enclosed area in square millimetres.
    fn area(&self) -> f64;

    /// Length of the outline in millimetres.
    fn perimeter(&self) -> f64;

    /// A copy of the shape scaled uniformly by `factor`.
    fn scaled(&self, factor: f64) -> Self
    where
        Self: Sized;

    /// Isoperimetric quotient: 1.0 for a circle, smaller for less compact outlines.
    fn compactness(&self) -> f64 {
        let p = self.perimeter();
        if p == 0.0 {
            0.0
        } else {
            4.0 * std::f64::consts::PI * self.area() / (p * p)
        }
    }
}

/// A one-line measurement report, given for free to every shape (including `dyn Shape`).
pub trait Measured {
    /// "description: area A mm², perimeter P mm".
    fn measurement(&self) -> String;
}

impl<T: Shape + ?Sized> Measured for T {
    fn measurement(&self) -> String {
        format!("{}: area {:.2} mm², perimeter {:.2} mm", self.describe(), self.area(), self.perimeter())
    }
}

/// Sum of the areas of a mixed collection of shapes.
pub fn total_area(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|shape| shape.area()).sum()
}

/// The shape with the largest area, if any.
pub fn largest(shapes: &[Box<dyn Shape>]) -> Option<&dyn Shape> {
    shapes.iter().map(|shape| shape.as_ref()).max_by(|a, b| a.area().total_cmp(&b.area()))
}

/// Summary line for a collection of shapes: count, total area and the largest one.
pub fn summary(shapes: &[Box<dyn Shape>]) -> String {
    match largest(shapes) {
        None => String::from("no shapes"),
        Some(big) => format!(
            "{} shapes, total area {:.1} mm², largest: {}",
            shapes.len(),
            total_area(shapes),
            big.describe()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::shapes::{Circle, Rect};
    use super::*;

    fn sample() -> Vec<Box<dyn Shape>> {
        vec![Box::new(Rect::new(2.0, 3.0)), Box::new(Circle::new(1.0))]
    }

    #[test]
    fn total_area_adds_every_shape() {
        let expected = 6.0 + std::f64::consts::PI;
        assert!(crate::approx_eq!(total_area(&sample()), expected));
    }

    #[test]
    fn summary_names_the_largest_shape() {
        let line = summary(&sample());
        assert!(line.starts_with("2 shapes"), "{line}");
        assert!(line.contains("rectangle"), "{line}");
        assert_eq!(summary(&[]), "no shapes");
    }

    #[test]
    fn measurement_works_through_dyn() {
        let shapes = sample();
        assert!(shapes[1].measurement().starts_with("circle (r=1)"));
    }
}
