//! simple_app: shapes, an inventory of parts cut from those shapes, and plain-text reports.
//!
//! The crate is deliberately small but uses most of the ways Rust code can be organised:
//! directory modules in both styles, an inline module, a `#[path]` module, trait hierarchies,
//! generic and blanket impls, declarative macros and several kinds of re-export.

// Declared first so `impl_describe!` is in scope for every module below.
#[macro_use]
mod macros;

pub mod bits;
pub mod geometry;
pub mod inventory;
pub mod report;

/// Word statistics over free text (part notes, descriptions).
#[path = "support/text_stats_impl.rs"]
pub mod text_stats;

/// Unit conversions shared by the inventory and the reports.
pub mod units {
    /// Millimetres per inch, exact by definition.
    pub const MM_PER_INCH: f64 = 25.4;

    /// Square millimetres per square centimetre.
    pub const MM2_PER_CM2: f64 = 100.0;

    /// Converts millimetres to inches.
    pub fn mm_to_inches(mm: f64) -> f64 {
        mm / MM_PER_INCH
    }

    /// Converts inches to millimetres.
    pub fn inches_to_mm(inches: f64) -> f64 {
        inches * MM_PER_INCH
    }

    /// Converts an area in square millimetres to square centimetres.
    pub fn mm2_to_cm2(mm2: f64) -> f64 {
        mm2 / MM2_PER_CM2
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn inch_round_trip() {
            let mm = inches_to_mm(2.0);
            assert!((mm - 50.8).abs() < 1e-9);
            assert!((mm_to_inches(mm) - 2.0).abs() < 1e-12);
        }
    }
}

pub use geometry::shapes::{Circle, Point, Rect, Triangle};
pub use geometry::wrapper::Labeled as Tagged;
pub use geometry::{Describe, Measured, Shape};
pub use inventory::*;
pub use text_stats::WordCounts;
