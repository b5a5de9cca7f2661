//! Compensated summation (Neumaier's variant of Kahan's algorithm).
//!
//! SPEC section 7's bound does not grow with the batch size, so a sum of
//! `B` terms must not pick up `B * eps` of rounding: the compensated sum's
//! error is about `2 eps` times the sum of magnitudes, for any length.

use crate::Real;

/// A running sum with a compensation term.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sum<T> {
    sum: T,
    comp: T,
}

impl<T: Real> Sum<T> {
    pub(crate) const ZERO: Self = Sum {
        sum: T::ZERO,
        comp: T::ZERO,
    };

    /// Adds `x` (Neumaier, 1974: the larger operand's low bits are kept).
    #[inline]
    pub(crate) fn add(&mut self, x: T) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// A sum stored as two values (for example in caller scratch).
    #[inline]
    pub(crate) fn from_parts(sum: T, comp: T) -> Self {
        Sum { sum, comp }
    }

    /// The two stored values: running sum and compensation.
    #[inline]
    pub(crate) fn parts(self) -> (T, T) {
        (self.sum, self.comp)
    }

    /// The compensated total.
    #[inline]
    pub(crate) fn value(self) -> T {
        self.sum + self.comp
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of these tests
mod tests {
    use super::Sum;

    #[test]
    #[allow(clippy::float_cmp)] // the naive sum is exactly stuck at 1
    fn recovers_what_naive_summation_loses() {
        let mut s = Sum::<f32>::ZERO;
        let mut naive = 0.0_f32;
        s.add(1.0);
        naive += 1.0;
        for _ in 0..10_000 {
            s.add(1e-8);
            naive += 1e-8;
        }
        assert_eq!(naive, 1.0);
        assert!((s.value() - 1.0001).abs() < 1e-7, "{}", s.value());
    }
}
