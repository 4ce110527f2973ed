//! Declarative macros used across the crate.

/// Implements [`crate::geometry::Describe`] for several shape types at once.
///
/// Each entry names the type, its short label, and an expression (with the value bound to the
/// given identifier) that renders the type's distinguishing measurements.
macro_rules! impl_describe {
    ($($ty:ident => $label:literal, |$this:ident| $detail:expr);+ $(;)?) => {
        $(
            impl $crate::geometry::Describe for $ty {
                fn name(&self) -> String {
                    String::from($label)
                }

                fn describe(&self) -> String {
                    let $this = self;
                    format!("{} ({})", $label, $detail)
                }
            }
        )+
    };
}

/// Compares two floating-point values with an absolute tolerance (default `1e-9`).
///
/// Exported at the crate root so the binary and tests can write `simple_app::approx_eq!(a, b)`.
#[macro_export]
macro_rules! approx_eq {
    ($a:expr, $b:expr) => {
        $crate::approx_eq!($a, $b, 1e-9)
    };
    ($a:expr, $b:expr, $eps:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        (a - b).abs() <= $eps
    }};
}

/// Builds an [`crate::inventory::Inventory`] from `part => quantity` pairs.
#[macro_export]
macro_rules! inventory {
    ($($part:expr => $qty:expr),* $(,)?) => {{
        let mut inv = $crate::inventory::Inventory::new();
        $( inv.add($part, $qty); )*
        inv
    }};
}
