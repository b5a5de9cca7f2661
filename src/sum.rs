//! Compensated summation (Neumaier's variant of Kahan's algorithm).
//!
//! SPEC section 7's bound does not grow with the batch size, so a sum of
//! `B` terms must not pick up `B * eps` of rounding: the compensated sum's
//! error is about `2 eps` times the sum of magnitudes, for any length.

use crate::{Real, lanes::exp::flush};

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

/// A sum of terms given as `x 2^e` (`x` normal), some of which may lie
/// below the smallest normal number: a direction's loss is the sum of
/// its anchors' losses, each already divided by the anchors' count, and
/// each of those shares can be below `MIN_POSITIVE` while their sum is
/// not (SPEC section 7 allows one `MIN_POSITIVE` of error per loss, not
/// one per anchor). Such terms are kept `2^LIFT` larger in a second sum,
/// so that no subnormal number is formed until the total is rounded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScaledSum<T> {
    normal: Sum<T>,
    lifted: Sum<T>,
}

/// The lifted sum's scale: terms below `MIN_POSITIVE / EPSILON 2^-LIFT`
/// (under `1e-50` in f32) are dropped, far below the floor whatever their
/// count.
const LIFT: i32 = 64;

impl<T: Real> ScaledSum<T> {
    pub(crate) const ZERO: Self = ScaledSum {
        normal: Sum::ZERO,
        lifted: Sum::ZERO,
    };

    /// Adds `x 2^e` (`x` normal or 0, `x 2^e` finite). Each sum takes only
    /// terms of at least `MIN_POSITIVE / EPSILON`: such numbers are
    /// multiples of `MIN_POSITIVE`, and so are their sums and rounding
    /// errors, so the compensation never holds a subnormal number (shares
    /// near 1e-33 in f32 left subnormal compensation terms, and a CPU in
    /// flush-to-zero mode gave other bits). Smaller terms go to the lifted
    /// sum; below `MIN_POSITIVE / EPSILON 2^-LIFT` they are dropped.
    #[inline]
    pub(crate) fn add_scaled(&mut self, x: T, e: i32) {
        let floor = T::MIN_POSITIVE / T::EPSILON;
        let v = x.scalbn(e);
        if v.abs() >= floor {
            self.normal.add(v);
        } else if x != T::ZERO {
            let w = x.scalbn(e + LIFT);
            if w.abs() >= floor {
                self.lifted.add(w);
            }
        }
    }

    /// Adds `v / r / sigma` (`v` normal or 0, `r` a count, `sigma` a
    /// power of two), without forming a subnormal quotient.
    #[inline]
    pub(crate) fn add_quotient(&mut self, v: T, r: T, sigma: T) {
        let (m, k) = v.frexp();
        let (_, ks) = sigma.frexp(); // sigma = 2^(ks - 1)
        self.add_scaled(m / r, k - (ks - 1));
    }

    /// Adds `x y / r` (`x`, `y` normal, subnormal or 0, `r` a count),
    /// without forming a subnormal product.
    #[inline]
    pub(crate) fn add_product(&mut self, x: T, y: T, r: T) {
        if x == T::ZERO || y == T::ZERO {
            return;
        }
        let ((mx, kx), (my, ky)) = (x.frexp(), y.frexp());
        self.add_scaled(mx * my / r, kx + ky);
    }

    /// The total, rounded once; 0 if it is below `MIN_POSITIVE`.
    pub(crate) fn value(self) -> T {
        let (normal, lifted) = (self.normal.value(), self.lifted.value());
        if lifted == T::ZERO || normal.abs() > T::ONE {
            // Beside a total above 1, the lifted terms are far below its
            // rounding.
            return flush(normal);
        }
        flush((normal.scalbn(LIFT) + lifted).scalbn(-LIFT))
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
