//! Bit-level views of floating-point numbers, used to fingerprint reports.
//!
//! A `union` gives the raw IEEE-754 bits of an `f32`; the unsafe read stays inside this module
//! behind safe functions.

/// The same four bytes seen as a float or as an integer.
#[repr(C)]
#[derive(Clone, Copy)]
union FloatBits {
    value: f32,
    bits: u32,
}

/// The IEEE-754 bit pattern of `value`.
pub fn f32_bits(value: f32) -> u32 {
    let view = FloatBits { value };
    // SAFETY: both fields are four bytes of plain data and every bit pattern is a valid u32.
    unsafe { view.bits }
}

/// Whether `value` is negative zero (which compares equal to zero).
pub fn is_negative_zero(value: f32) -> bool {
    f32_bits(value) == 0x8000_0000
}

/// The unbiased binary exponent of a normal `value`.
pub fn exponent(value: f32) -> i32 {
    ((f32_bits(value) >> 23) & 0xff) as i32 - 127
}

/// An order-sensitive fingerprint of a list of measurements, stable across runs.
pub fn fingerprint(values: &[f64]) -> u32 {
    values
        .iter()
        .fold(0x811c_9dc5_u32, |hash, &value| (hash ^ f32_bits(value as f32)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_match_the_standard_library() {
        for value in [0.0_f32, 1.0, -2.5, f32::MAX, f32::MIN_POSITIVE] {
            assert_eq!(f32_bits(value), value.to_bits());
        }
    }

    #[test]
    fn negative_zero_and_exponent() {
        assert!(is_negative_zero(-0.0));
        assert!(!is_negative_zero(0.0));
        assert_eq!(exponent(8.0), 3);
        assert_eq!(exponent(0.5), -1);
    }

    #[test]
    fn fingerprint_depends_on_order() {
        assert_ne!(fingerprint(&[1.0, 2.0]), fingerprint(&[2.0, 1.0]));
        assert_eq!(fingerprint(&[1.0, 2.0]), fingerprint(&[1.0, 2.0]));
    }
}
