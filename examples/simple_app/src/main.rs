//! Command-line front end: builds a sample workshop and prints its report.

use simple_app::geometry::{self, shapes::Point};
use simple_app::{
    approx_eq, inventory, next_sku, report, text_stats, units, Circle, Describe, Material, Outline, Part,
    Rect, Shape, Tagged, Triangle, WordCounts,
};

fn sample_shapes() -> Vec<Box<dyn Shape>> {
    let lid = Tagged::new("lid", Circle::at(Point::new(10.0, 10.0), 40.0));
    vec![
        Box::new(Rect::new(120.0, 80.0)),
        Box::new(lid),
        Box::new(Triangle::right(30.0, 40.0)),
        Box::new(Rect::square(25.0).scaled(2.0)),
    ]
}

fn sample_inventory() -> simple_app::Inventory {
    let shelf = Part::new(next_sku(), "shelf", Material::Oak, Outline::Rect(Rect::new(400.0, 250.0)));
    let gusset =
        Part::new(next_sku(), "gusset", Material::Steel, Outline::Triangle(Triangle::right(60.0, 60.0)));
    let window = Part::new(
        next_sku(),
        "window",
        Material::Acrylic { tinted: true },
        Outline::Circle(Circle::new(75.0)),
    );
    inventory![shelf => 12, gusset => 4, window => 3]
}

fn main() {
    let shapes = sample_shapes();
    let mut stock = sample_inventory();

    let first = stock.iter().next().map(|entry| entry.part.sku);
    if let Some(sku) = first {
        match stock.remove(sku, 2) {
            Ok(left) => println!("took 2 of {sku}, {left} left"),
            Err(err) => eprintln!("simple_app: {err}"),
        }
    }

    println!("{}", report::render(&shapes, &stock));

    let notes = "Cut the oak shelf first; the steel gusset holds the shelf. Tinted window last.";
    let words = WordCounts::from_text(notes);
    println!("notes: {}", text_stats::summary(notes));
    println!("'shelf' appears {} times", words.count("shelf"));

    let inch_disc = Circle::unit().scaled(units::inches_to_mm(1.0));
    println!("a one-inch disc: {}", inch_disc.describe());

    let total = geometry::total_area(&shapes);
    let lid_unchanged = approx_eq!(shapes[1].area(), Circle::new(40.0).area());
    println!(
        "total area {:.1} cm²; labelling kept the lid's area: {lid_unchanged}",
        units::mm2_to_cm2(total)
    );
}
