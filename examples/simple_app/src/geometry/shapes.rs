//! Concrete shapes: circles, axis-aligned rectangles and triangles.

use std::f64::consts::PI;

use super::Shape;

/// A point in the plane, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    /// The origin (0, 0).
    pub const ORIGIN: Point = Point { x: 0.0, y: 0.0 };

    /// A point at (`x`, `y`).
    pub fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    /// Euclidean distance to `other`.
    pub fn distance(&self, other: &Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// This point scaled away from the origin by `factor`.
    pub fn scaled(&self, factor: f64) -> Point {
        Point::new(self.x * factor, self.y * factor)
    }
}

/// A circle given by its centre and radius.
#[derive(Debug, Clone, PartialEq)]
pub struct Circle {
    pub center: Point,
    pub radius: f64,
}

impl Circle {
    /// A circle of `radius` centred on the origin.
    pub fn new(radius: f64) -> Self {
        Self::at(Point::ORIGIN, radius)
    }

    /// A circle of `radius` centred on `center`.
    pub fn at(center: Point, radius: f64) -> Self {
        Self { center, radius: radius.abs() }
    }

    /// The circle of radius 1 around the origin.
    pub fn unit() -> Self {
        Self::new(1.0)
    }

    /// Twice the radius.
    pub fn diameter(&self) -> f64 {
        2.0 * self.radius
    }
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, PartialEq)]
pub struct Rect {
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// A `width` × `height` rectangle.
    pub fn new(width: f64, height: f64) -> Self {
        Self { width: width.abs(), height: height.abs() }
    }

    /// A square with sides of `side`.
    pub fn square(side: f64) -> Self {
        Self::new(side, side)
    }

    /// Whether both sides are equal.
    pub fn is_square(&self) -> bool {
        self.width == self.height
    }

    /// Length of the diagonal.
    pub fn diagonal(&self) -> f64 {
        self.width.hypot(self.height)
    }
}

/// A triangle given by its three corners.
#[derive(Debug, Clone, PartialEq)]
pub struct Triangle {
    pub a: Point,
    pub b: Point,
    pub c: Point,
}

impl Triangle {
    /// A triangle with corners `a`, `b`, `c`.
    pub fn new(a: Point, b: Point, c: Point) -> Self {
        Self { a, b, c }
    }

    /// A right triangle with its right angle at the origin.
    pub fn right(base: f64, height: f64) -> Self {
        Self::new(Point::ORIGIN, Point::new(base, 0.0), Point::new(0.0, height))
    }

    /// Lengths of the sides opposite `c`, `a` and `b`.
    pub fn side_lengths(&self) -> [f64; 3] {
        [self.a.distance(&self.b), self.b.distance(&self.c), self.c.distance(&self.a)]
    }
}

impl_describe! {
    Circle => "circle", |c| format!("r={}", c.radius);
    Rect => "rectangle", |r| format!("{}x{}", r.width, r.height);
    Triangle => "triangle", |t| {
        let [ab, bc, ca] = t.side_lengths();
        format!("sides {ab:.1}/{bc:.1}/{ca:.1}")
    };
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        PI * self.radius * self.radius
    }

    fn perimeter(&self) -> f64 {
        PI * self.diameter()
    }

    fn scaled(&self, factor: f64) -> Self {
        Circle::at(self.center.scaled(factor), self.radius * factor)
    }
}

impl Shape for Rect {
    fn area(&self) -> f64 {
        self.width * self.height
    }

    fn perimeter(&self) -> f64 {
        2.0 * (self.width + self.height)
    }

    fn scaled(&self, factor: f64) -> Self {
        Rect::new(self.width * factor, self.height * factor)
    }
}

impl Shape for Triangle {
    fn area(&self) -> f64 {
        // Shoelace formula: half the absolute cross product of two edges.
        let cross =
            (self.b.x - self.a.x) * (self.c.y - self.a.y) - (self.c.x - self.a.x) * (self.b.y - self.a.y);
        cross.abs() / 2.0
    }

    fn perimeter(&self) -> f64 {
        self.side_lengths().iter().sum()
    }

    fn scaled(&self, factor: f64) -> Self {
        Triangle::new(self.a.scaled(factor), self.b.scaled(factor), self.c.scaled(factor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Describe;

    #[test]
    fn circle_is_maximally_compact() {
        assert!(crate::approx_eq!(Circle::unit().compactness(), 1.0));
        assert!(Rect::square(1.0).compactness() < 1.0);
    }

    #[test]
    fn right_triangle_area_and_perimeter() {
        let t = Triangle::right(3.0, 4.0);
        assert!(crate::approx_eq!(t.area(), 6.0));
        assert!(crate::approx_eq!(t.perimeter(), 12.0));
    }

    #[test]
    fn scaling_squares_the_area() {
        let r = Rect::new(2.0, 5.0);
        assert!(crate::approx_eq!(r.scaled(3.0).area(), r.area() * 9.0));
        assert!(Rect::square(4.0).is_square());
    }

    #[test]
    fn macro_generated_descriptions() {
        assert_eq!(Rect::new(2.0, 3.0).describe(), "rectangle (2x3)");
        assert_eq!(Circle::new(1.5).name(), "circle");
        assert_eq!(Triangle::right(3.0, 4.0).describe(), "triangle (sides 3.0/5.0/4.0)");
    }
}
