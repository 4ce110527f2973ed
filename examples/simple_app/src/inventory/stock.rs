//! Stock levels: how many of each part are on the shelf.

use std::collections::BTreeMap;
use std::fmt;

use super::item::{Part, Sku};
use super::Quantity;

/// A part and the number of units in stock.
#[derive(Debug, Clone, PartialEq)]
pub struct StockEntry {
    pub part: Part,
    pub quantity: Quantity,
}

impl StockEntry {
    /// Value of every unit of this entry.
    pub fn value(&self) -> f64 {
        self.part.unit_price() * f64::from(self.quantity)
    }
}

/// Why a stock operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockError {
    UnknownSku(Sku),
    Insufficient { sku: Sku, requested: Quantity, available: Quantity },
}

impl fmt::Display for StockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StockError::UnknownSku(sku) => write!(f, "{sku} is not stocked"),
            StockError::Insufficient { sku, requested, available } => {
                write!(f, "{sku}: requested {requested}, only {available} available")
            }
        }
    }
}

impl std::error::Error for StockError {}

/// Every stocked part, ordered by SKU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    entries: BTreeMap<Sku, StockEntry>,
}

impl Inventory {
    /// An empty inventory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `quantity` units of `part`; restocking a known SKU adds to its count.
    pub fn add(&mut self, part: Part, quantity: Quantity) {
        self.entries
            .entry(part.sku)
            .and_modify(|entry| entry.quantity += quantity)
            .or_insert(StockEntry { part, quantity });
    }

    /// Takes `quantity` units of `sku` out of stock and returns how many remain.
    pub fn remove(&mut self, sku: Sku, quantity: Quantity) -> Result<Quantity, StockError> {
        let entry = self.entries.get_mut(&sku).ok_or(StockError::UnknownSku(sku))?;
        if entry.quantity < quantity {
            return Err(StockError::Insufficient { sku, requested: quantity, available: entry.quantity });
        }
        entry.quantity -= quantity;
        Ok(entry.quantity)
    }

    /// The entry for `sku`, if stocked.
    pub fn get(&self, sku: Sku) -> Option<&StockEntry> {
        self.entries.get(&sku)
    }

    /// Number of distinct parts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no part is stocked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in SKU order.
    pub fn iter(&self) -> impl Iterator<Item = &StockEntry> {
        self.entries.values()
    }

    /// Units across all parts.
    pub fn total_units(&self) -> Quantity {
        self.iter().map(|entry| entry.quantity).sum()
    }

    /// Value of everything in stock.
    pub fn total_value(&self) -> f64 {
        self.iter().map(StockEntry::value).sum()
    }

    /// Entries with at most `threshold` units left.
    pub fn low_stock(&self, threshold: Quantity) -> Vec<&StockEntry> {
        self.iter().filter(|entry| entry.quantity <= threshold).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::shapes::Circle;
    use crate::inventory::item::{Material, Outline};

    fn washer() -> Part {
        Part::new(Sku(5), "washer", Material::Steel, Outline::Circle(Circle::new(5.0)))
    }

    #[test]
    fn restocking_adds_up() {
        let mut inv = Inventory::new();
        inv.add(washer(), 3);
        inv.add(washer(), 4);
        assert_eq!(inv.len(), 1);
        assert_eq!(inv.get(Sku(5)).map(|e| e.quantity), Some(7));
    }

    #[test]
    fn remove_reports_shortfalls() {
        let mut inv = Inventory::new();
        inv.add(washer(), 2);
        assert_eq!(inv.remove(Sku(5), 1), Ok(1));
        let err = inv.remove(Sku(5), 9).unwrap_err();
        assert_eq!(err, StockError::Insufficient { sku: Sku(5), requested: 9, available: 1 });
        assert_eq!(err.to_string(), "SKU-00005: requested 9, only 1 available");
        assert_eq!(inv.remove(Sku(6), 1), Err(StockError::UnknownSku(Sku(6))));
    }
}
