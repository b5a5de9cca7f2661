//! Compensated sums of lanes, and the scores' check.

use super::{
    Lanes,
    iter::{chunks, ld},
};
use crate::{Real, sum::Sum};
use num_traits::float::FloatCore as _;

/// Kahan's compensated sum, lane-wise: the error of each lane's total is
/// about `2 eps` times the sum of its terms' magnitudes, whatever the number
/// of terms, as the scalar [`Sum`] guarantees.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kahan<L> {
    /// Running sum.
    pub sum: L,
    /// Minus the low-order part lost so far.
    pub comp: L,
}

impl<L: Lanes> Kahan<L> {
    /// A zero sum.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn zero() -> Self {
        let z = L::splat(L::Scalar::ZERO);
        Kahan { sum: z, comp: z }
    }

    /// Adds `x` to every lane's sum.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn add(&mut self, x: L) {
        let y = x - self.comp;
        let t = self.sum + y;
        self.comp = (t - self.sum) - y;
        self.sum = t;
    }

    /// The compensated total of all lanes.
    #[inline]
    pub(crate) fn total(self) -> Sum<L::Scalar> {
        let mut s = Sum::ZERO;
        self.sum.for_each(|x| s.add(x));
        self.comp.for_each(|c| s.add(-c));
        s
    }
}

/// A sum of many vectors: plain adds into a partial over blocks of
/// [`Blocked::BLOCK`] terms, each block's partial then added to a [`Kahan`]
/// sum. The error of a lane is at most about `(BLOCK + 1) eps` times the
/// sum of its terms' magnitudes however many terms there are, at one add
/// (or fused multiply-add) per term plus a Kahan update per block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocked<L> {
    part: L,
    count: u32,
    total: Kahan<L>,
}

impl<L: Lanes> Blocked<L> {
    /// Terms per plain block.
    pub(crate) const BLOCK: u32 = 4;

    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn zero() -> Self {
        Blocked {
            part: L::splat(L::Scalar::ZERO),
            count: 0,
            total: Kahan::zero(),
        }
    }

    #[cfg_attr(dpm_inline, inline(always))]
    fn tick(&mut self) {
        self.count += 1;
        if self.count == Self::BLOCK {
            self.end_block();
        }
    }

    /// Adds `x`.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn add(&mut self, x: L) {
        self.part = self.part + x;
        self.tick();
    }

    /// Adds `a * b` (fused where the lanes have FMA).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn add_mul(&mut self, a: L, b: L) {
        self.part = a.mul_add(b, self.part);
        self.tick();
    }

    /// Closes the current block.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn end_block(&mut self) {
        self.total.add(self.part);
        self.part = L::splat(L::Scalar::ZERO);
        self.count = 0;
    }

    /// The compensated total of all lanes.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn finish(mut self) -> Sum<L::Scalar> {
        self.total.add(self.part);
        self.total.total()
    }
}

/// Column sums over rows, blocked as [`Blocked`]: each row adds into
/// `part` (plain), and at the end of a block `flush` moves `part` into the
/// Kahan pair `(sum, comp)`, whose value is `sum - comp`.
pub(crate) struct ColumnSums<'a, T> {
    pub part: &'a mut [T],
    pub sum: &'a mut [T],
    pub comp: &'a mut [T],
}

impl<T: Real> ColumnSums<'_, T> {
    /// Moves `part` into the Kahan pair and zeroes it.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn flush<L: Lanes<Scalar = T>>(&mut self) {
        let (part, sum, comp) = (&mut *self.part, &mut *self.sum, &mut *self.comp);
        chunks::<L>(
            part.len(),
            #[cfg_attr(dpm_inline, inline(always))]
            |j, n| {
                let mut k = Kahan {
                    sum: ld::<L>(sum, j, n, T::ZERO),
                    comp: ld::<L>(comp, j, n, T::ZERO),
                };
                k.add(ld::<L>(part, j, n, T::ZERO));
                k.sum.store(&mut sum[j..j + n]);
                k.comp.store(&mut comp[j..j + n]);
                L::splat(T::ZERO).store(&mut part[j..j + n]);
            },
        );
    }

    /// Adds `x` to column `j`'s Kahan pair, as [`ColumnSums::flush`] adds
    /// each lane.
    #[inline]
    pub(crate) fn add_at(&mut self, j: usize, x: T) {
        let y = x - self.comp[j];
        let t = self.sum[j] + y;
        self.comp[j] = (t - self.sum[j]) - y;
        self.sum[j] = t;
    }
}

/// What the first pass learns of the scores: the largest `|x|`, the
/// smallest nonzero `|x|` (a subnormal score is refused), and whether every
/// value is finite (`x - x` is 0 for finite `x`, NaN otherwise, so a sum of
/// them stays 0 exactly when every element is finite).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Check<L> {
    max: L,
    min_nonzero: L,
    nan: L,
}

/// The verdict of a [`Check`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scan<T> {
    /// Every value finite; the largest and the smallest nonzero `|x|`
    /// (`+inf` if every value is 0).
    Finite { max_abs: T, min_nonzero: T },
    /// Some value is NaN or infinite.
    NonFinite,
}

impl<L: Lanes> Check<L> {
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn new() -> Self {
        Check {
            max: L::splat(L::Scalar::ZERO),
            min_nonzero: L::splat(L::Scalar::INFINITY),
            nan: L::splat(L::Scalar::ZERO),
        }
    }

    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn add(&mut self, x: L) {
        let a = x.abs();
        let zero = L::splat(L::Scalar::ZERO);
        let inf = L::splat(L::Scalar::INFINITY);
        self.max = self.max.max(a);
        self.min_nonzero = self.min_nonzero.min(L::select(x.eq(zero), inf, a));
        #[allow(clippy::eq_op)] // x - x: 0 if finite, NaN otherwise
        let witness = x - x;
        self.nan = self.nan + witness;
    }

    /// Adds the elements another check has seen (the result does not
    /// depend on the grouping: extrema, and a sum of zeros unless one is
    /// NaN).
    #[inline]
    pub(crate) fn merge(&mut self, o: Self) {
        self.max = self.max.max(o.max);
        self.min_nonzero = self.min_nonzero.min(o.min_nonzero);
        self.nan = self.nan + o.nan;
    }

    pub(crate) fn finish(self) -> Scan<L::Scalar> {
        let mut finite = true;
        self.nan.for_each(|z| finite &= z == L::Scalar::ZERO);
        if !finite {
            return Scan::NonFinite;
        }
        let mut min = L::Scalar::INFINITY;
        self.min_nonzero.for_each(|v| min = min.min(v));
        Scan::Finite {
            max_abs: self.max.reduce_max(),
            min_nonzero: min,
        }
    }
}

/// A [`Check`] of a whole slice.
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn scan<L: Lanes>(x: &[L::Scalar]) -> Scan<L::Scalar> {
    let mut c = Check::<L>::new();
    chunks::<L>(
        x.len(),
        #[cfg_attr(dpm_inline, inline(always))]
        |j, n| c.add(ld::<L>(x, j, n, L::Scalar::ZERO)),
    );
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::Base;

    /// Many column contributions each below half an ulp of the running
    /// sum, through `part` and `flush` (every 4th row) and `add_at`: the
    /// Kahan pair keeps what plain addition drops, on the lanes and on the
    /// scalar path alike, for columns in lanes and in the tail.
    #[test]
    fn column_sums_keep_what_rounding_drops() {
        const COLS: usize = 11; // one lane group and a tail on every width
        let (mut part, mut sum, mut comp) = ([0.0_f32; COLS], [0.0_f32; COLS], [0.0_f32; COLS]);
        let mut c = ColumnSums {
            part: &mut part,
            sum: &mut sum,
            comp: &mut comp,
        };
        for j in 0..COLS {
            c.add_at(j, 1.0);
        }
        let tiny = f32::from_bits((127 - 26) << 23); // 2^-26, an eighth of an ulp of 1
        let rows = 4095_u16;
        for i in 0..rows {
            for j in 0..COLS {
                if (usize::from(i) + j) % 3 == 0 {
                    c.add_at(j, tiny);
                } else {
                    c.part[j] += tiny;
                }
            }
            if i % 4 == 3 {
                c.flush::<Base<f32>>();
            }
        }
        c.flush::<Base<f32>>();
        let want = 1.0 + f64::from(rows) * f64::from(tiny); // not an f32
        for j in 0..COLS {
            let (s, k) = (f64::from(sum[j]), f64::from(comp[j]));
            // The opposite sign misses by `2 |comp|`; plain f32 sums drop
            // every `tiny` (an error of 6e-5).
            assert!(
                (s - k - want).abs() < 1e-12,
                "column {j}: {} vs {want}",
                s - k
            );
            assert!(
                (s + k - want).abs() > 1e-9,
                "column {j}: comp {k} carries nothing"
            );
        }
    }
}
