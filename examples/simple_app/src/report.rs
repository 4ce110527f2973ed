//! Plain-text reports combining the geometry and inventory summaries.

use crate::bits::fingerprint;
use crate::geometry::{self, Measured, Shape};
use crate::inventory::{self, Inventory, LOW_STOCK_THRESHOLD};

/// The lines of a report, in order.
pub type Lines = Vec<String>;

/// Width of the rule drawn under headings.
pub const RULE_WIDTH: usize = 48;

/// Title printed at the top of every report.
pub static TITLE: &str = "Workshop report";

/// A report assembled section by section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    lines: Lines,
}

impl Report {
    /// A report holding only the title.
    pub fn new() -> Self {
        let mut report = Self::default();
        report.heading(TITLE);
        report
    }

    /// Appends a heading followed by a rule.
    pub fn heading(&mut self, text: &str) -> &mut Self {
        self.lines.push(text.to_string());
        self.lines.push(Self::rule());
        self
    }

    /// Appends one indented line.
    pub fn line(&mut self, text: impl Into<String>) -> &mut Self {
        self.lines.push(format!("  {}", text.into()));
        self
    }

    /// Appends a rule followed by a closing line.
    pub fn footer(&mut self, text: &str) -> &mut Self {
        self.lines.push(Self::rule());
        self.lines.push(text.to_string());
        self
    }

    fn rule() -> String {
        "-".repeat(RULE_WIDTH)
    }

    /// The finished text, one line per entry.
    pub fn render(&self) -> String {
        self.lines.join("\n")
    }
}

/// The full workshop report: every shape, the stock, what is running low and a fingerprint.
pub fn render(shapes: &[Box<dyn Shape>], stock: &Inventory) -> String {
    let mut report = Report::new();
    report.heading("Shapes");
    for shape in shapes {
        report.line(shape.measurement());
    }
    report.line(geometry::summary(shapes));

    report.heading("Stock");
    for entry in stock.iter() {
        report.line(format!("{} × {} @ {:.2}", entry.quantity, entry.part, entry.part.unit_price()));
    }
    for entry in stock.low_stock(LOW_STOCK_THRESHOLD) {
        report.line(format!("reorder {}: {} left", entry.part.sku, entry.quantity));
    }
    report.line(inventory::summary(stock));

    let areas: Vec<f64> = shapes.iter().map(|shape| shape.area()).collect();
    report.footer(&format!("fingerprint {:08x}", fingerprint(&areas)));
    report.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::shapes::Rect;

    #[test]
    fn report_has_title_sections_and_summaries() {
        let shapes: Vec<Box<dyn Shape>> = vec![Box::new(Rect::new(1.0, 2.0))];
        let text = render(&shapes, &Inventory::new());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], TITLE);
        assert_eq!(lines[1].len(), RULE_WIDTH);
        assert!(text.contains("  rectangle (1x2): area 2.00"), "{text}");
        assert!(text.contains("  0 parts, 0 units"), "{text}");
        assert!(lines.last().unwrap().starts_with("fingerprint "));
    }
}
