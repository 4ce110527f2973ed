//! Inventory of parts cut from shapes: materials, SKUs, stock levels and their value.

use std::sync::atomic::{AtomicU32, Ordering};

pub mod item;
pub mod stock;

pub use item::{Material, Outline, Part, Sku};
pub use stock::{Inventory, StockEntry, StockError};

/// A count of identical parts.
pub type Quantity = u32;

/// Stock at or below this level is reported as running low.
pub const LOW_STOCK_THRESHOLD: Quantity = 5;

/// The next SKU handed out by [`next_sku`]; SKUs start at 1000 so they read as codes.
static NEXT_SKU: AtomicU32 = AtomicU32::new(1000);

/// A fresh, process-wide unique SKU.
pub fn next_sku() -> Sku {
    Sku(NEXT_SKU.fetch_add(1, Ordering::Relaxed))
}

/// Summary line for an inventory: distinct parts, units in stock, value and low-stock count.
pub fn summary(inventory: &Inventory) -> String {
    format!(
        "{} parts, {} units, worth {:.2}; {} running low",
        inventory.len(),
        inventory.total_units(),
        inventory.total_value(),
        inventory.low_stock(LOW_STOCK_THRESHOLD).len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::shapes::Rect;

    #[test]
    fn skus_are_unique() {
        let a = next_sku();
        let b = next_sku();
        assert_ne!(a, b);
        assert!(b > a);
    }

    #[test]
    fn summary_counts_units_and_low_stock() {
        let shelf = Part::new(next_sku(), "shelf", Material::Oak, Outline::Rect(Rect::new(300.0, 200.0)));
        let plate = Part::new(next_sku(), "plate", Material::Steel, Outline::Rect(Rect::square(50.0)));
        let inv = crate::inventory![shelf => 2, plate => 40];
        let line = summary(&inv);
        assert!(line.starts_with("2 parts, 42 units"), "{line}");
        assert!(line.ends_with("1 running low"), "{line}");
    }
}
