//! Parts: a SKU, a material and the outline they are cut to.

use std::fmt;

use crate::geometry::shapes::{Circle, Rect, Triangle};
use crate::geometry::Shape;
use crate::units::mm2_to_cm2;

/// Stock-keeping unit: the code a part is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(pub u32);

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SKU-{:05}", self.0)
    }
}

/// What a part is cut from; the price depends on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Material {
    Steel,
    Oak,
    Acrylic { tinted: bool },
}

impl Material {
    /// Price of one square centimetre of sheet stock.
    pub fn price_per_cm2(&self) -> f64 {
        match self {
            Material::Steel => 0.12,
            Material::Oak => 0.05,
            Material::Acrylic { tinted: false } => 0.03,
            Material::Acrylic { tinted: true } => 0.04,
        }
    }
}

/// The outline a part is cut to: one of the concrete shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Outline {
    Circle(Circle),
    Rect(Rect),
    Triangle(Triangle),
}

impl Outline {
    /// The outline as a trait object, for code that only needs measurements.
    pub fn as_shape(&self) -> &dyn Shape {
        match self {
            Outline::Circle(c) => c,
            Outline::Rect(r) => r,
            Outline::Triangle(t) => t,
        }
    }
}

/// One kind of part held in stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub sku: Sku,
    pub name: String,
    pub material: Material,
    pub outline: Outline,
}

impl Part {
    /// A part named `name`, cut from `material` to `outline`.
    pub fn new(sku: Sku, name: impl Into<String>, material: Material, outline: Outline) -> Self {
        Self { sku, name: name.into(), material, outline }
    }

    /// Price of a single part: its area in cm² times the material's price.
    pub fn unit_price(&self) -> f64 {
        let area_cm2 = mm2_to_cm2(self.outline.as_shape().area());
        area_cm2 * self.material.price_per_cm2()
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({:?}, {})", self.sku, self.name, self.material, self.outline.as_shape().describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_price_uses_area_and_material() {
        let part = Part::new(Sku(1), "tile", Material::Oak, Outline::Rect(Rect::square(100.0)));
        // 100 cm² of oak at 0.05 per cm².
        assert!(crate::approx_eq!(part.unit_price(), 5.0));
    }

    #[test]
    fn display_formats_sku_with_padding() {
        assert_eq!(Sku(42).to_string(), "SKU-00042");
        let part = Part::new(Sku(7), "disc", Material::Steel, Outline::Circle(Circle::new(2.0)));
        assert_eq!(part.to_string(), "SKU-00007 disc (Steel, circle (r=2))");
    }
}
