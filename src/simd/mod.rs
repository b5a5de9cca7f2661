//! SIMD kernels on `wide` lanes (`f32x8`, `f64x4`): the bimodal step and
//! the row log-sum-exp that the public functions run. The scalar kernels
//! of [`crate::scalar`] are the readable reference they are tested
//! against.
//!
//! | module | what |
//! |---|---|
//! | `lanes` | the lane trait over `wide`'s types, Kahan sums |
//! | `exp` | `e^x` on lanes (about 1 ulp, correct gradual underflow) |
//! | `lse` | log-sum-exp of a slice |
//! | `bimodal` | the bimodal step: pass order, scratch layout, column anchors |
//! | `column` | passes down the rows for the column direction (vectorised across columns) |
//! | `row` | the last pass, row by row: row direction, weights, `dS`, losses, `h` |
//! | `anchor` | per-anchor scalar statistics (state update, denominators) |
//!
//! Loops run whole vectors over the head of a row and one partial vector
//! (padded with a neutral value) over its tail, so every element goes
//! through the same arithmetic.
//!
//! `#[inline(always)]` is deliberate here: the loop helpers take the loop
//! body as a closure and must be inlined for the chunk length to become a
//! constant (no per-chunk length checks, copies or memmove calls), and
//! profiling showed the calls left in place otherwise.
#![allow(clippy::inline_always)]

/// The target has SIMD lanes for `wide` to use (SSE2 and up on x86, NEON
/// on Arm A-profile, wasm `simd128`). Elsewhere, as on Cortex-M, `wide`
/// emulates its vectors with arrays: no faster than the scalar kernels and
/// larger in code and stack, so the public functions run the scalar
/// kernels there.
pub(crate) const LANES: bool = cfg!(any(
    target_feature = "sse2",
    target_feature = "neon",
    target_feature = "simd128"
));

pub(crate) mod anchor;
pub(crate) mod bimodal;
pub(crate) mod column;
mod exp;
mod lanes;
pub(crate) mod lse;
pub(crate) mod row;

pub use lanes::Lanes;
pub(crate) use lanes::{Blocked, Kahan};

use crate::{Real, real::Sealed, sum::Sum};
use bimodal::Pass;

/// The lane type of `T`.
pub(crate) type V<T> = <T as Sealed>::Lanes;

/// The compensated total of all lanes of a [`Kahan`] sum.
#[inline]
pub(crate) fn total<T: Real>(k: Kahan<V<T>>) -> Sum<T> {
    let mut s = Sum::ZERO;
    k.sum.for_each(|x| s.add(x));
    k.comp.for_each(|c| s.add(-c));
    s
}

/// Loads `s[j..j + n]` (`n <= N`), padding missing lanes with `fill`.
#[inline(always)]
pub(crate) fn ld<T: Real>(s: &[T], j: usize, n: usize, fill: T) -> V<T> {
    if n == <V<T> as Lanes>::N {
        V::<T>::load(&s[j..j + n])
    } else {
        V::<T>::load_part(&s[j..j + n], fill)
    }
}

/// Calls `f(start, len)` for every chunk of `N` elements of `0..len`, then
/// once for the shorter tail if there is one (unrolled by two).
#[inline(always)]
pub(crate) fn chunks<T: Real>(len: usize, f: impl FnMut(usize, usize)) {
    chunks_from::<T>(0, len, f);
}

/// Like [`chunks`] over a row whose column `d` is its diagonal: calls
/// `f(start, len, edge)` with `edge = true` only for the chunk holding `d`
/// and for the tail, so the other chunks (a constant `edge = false` once
/// `f` is inlined) skip the diagonal mask and the padding.
#[inline(always)]
pub(crate) fn around<T: Real>(len: usize, d: usize, mut f: impl FnMut(usize, usize, bool)) {
    let n = <V<T> as Lanes>::N;
    let full = len - len % n;
    let c0 = d - d % n;
    let mut j = 0;
    while j < c0.min(full) {
        f(j, n, false);
        j += n;
    }
    if c0 < full {
        f(c0, n, true);
        j = c0 + n;
    }
    while j < full {
        f(j, n, false);
        j += n;
    }
    if full < len {
        f(full, len - full, true);
    }
}

/// [`chunks`] over `start..len`.
#[inline(always)]
pub(crate) fn chunks_from<T: Real>(start: usize, len: usize, mut f: impl FnMut(usize, usize)) {
    let n = <V<T> as Lanes>::N;
    let full = len - (len - start) % n;
    let mut j = start;
    while j + 2 * n <= full {
        f(j, n);
        f(j + n, n);
        j += 2 * n;
    }
    if j < full {
        f(j, n);
        j += n;
    }
    if j < len {
        f(j, len - j);
    }
}

/// `v` with lanes `n..` set to `fill` (the tail of a row).
#[inline(always)]
pub(crate) fn pad<T: Real>(v: V<T>, n: usize, fill: T) -> V<T> {
    let mut v = v;
    for k in n..<V<T> as Lanes>::N {
        v = v.with_lane(k, fill);
    }
    v
}

/// `x[k] = e^x[k]` on lanes (the benches compare it with `wide`'s and
/// `libm`'s exp).
pub(crate) fn exp_in_place<T: Real>(x: &mut [T]) {
    chunks::<T>(
        x.len(),
        #[inline(always)]
        |j, n| {
            ld(x, j, n, T::ZERO).exp().store(&mut x[j..j + n]);
        },
    );
}

/// Accumulates the largest `|x|` and a finiteness witness: `x - x` is 0
/// for finite `x` and NaN otherwise, so a sum of them stays 0 exactly when
/// every element is finite (two operations, no mask reduction per chunk).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MaxAbs<V> {
    max: V,
    nan: V,
}

impl<V: Lanes> MaxAbs<V> {
    #[inline(always)]
    pub(crate) fn new(zero: V::Scalar) -> Self {
        MaxAbs {
            max: V::splat(zero),
            nan: V::splat(zero),
        }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, x: V) {
        self.max = self.max.max(x.abs());
        #[allow(clippy::eq_op)] // x - x: 0 if finite, NaN otherwise
        let witness = x - x;
        self.nan = self.nan + witness;
    }

    /// Adds the elements another check has seen (the result does not
    /// depend on how the elements were grouped: a maximum of magnitudes,
    /// and a sum of zeros unless one is NaN).
    #[inline]
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // for `crate::par`
    pub(crate) fn merge(&mut self, o: Self) {
        self.max = self.max.max(o.max);
        self.nan = self.nan + o.nan;
    }
}

impl<V: Lanes> MaxAbs<V>
where
    V::Scalar: Real,
{
    /// The largest `|x|`, or `None` if an element was not finite.
    pub(crate) fn finish(self) -> Option<V::Scalar> {
        let mut finite = true;
        self.nan.for_each(|z| finite &= z == V::Scalar::ZERO);
        finite.then(|| self.max.reduce_max())
    }
}

/// The largest `|x|`, or `None` if some element is not finite.
pub(crate) fn max_abs<T: Real>(x: &[T]) -> Option<T> {
    let mut m = MaxAbs::<V<T>>::new(T::ZERO);
    chunks::<T>(
        x.len(),
        #[inline(always)]
        |j, n| m.add(ld(x, j, n, T::ZERO)),
    );
    m.finish()
}

/// Column sums over rows, blocked as [`Blocked`]: each row adds into
/// `part` (plain), and every [`Blocked::BLOCK`] rows (and after the last)
/// `flush` moves `part` into the Kahan pair `(sum, comp)`, whose value is
/// `sum - comp` ([`Kahan`]'s `comp` is minus the part lost).
pub(crate) struct ColumnSums<'a, T> {
    pub part: &'a mut [T],
    pub sum: &'a mut [T],
    pub comp: &'a mut [T],
}

impl<T: Real> ColumnSums<'_, T> {
    /// All sums 0.
    pub(crate) fn clear(&mut self) {
        self.part.fill(T::ZERO);
        self.sum.fill(T::ZERO);
        self.comp.fill(T::ZERO);
    }

    /// After row `i` of `rows`: flushes at the end of a block.
    #[inline]
    pub(crate) fn end_row(&mut self, i: usize, rows: usize) {
        let block = Blocked::<V<T>>::BLOCK as usize;
        if (i + 1).is_multiple_of(block) || i + 1 == rows {
            self.flush();
        }
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

    /// Moves `part` into the Kahan pair and zeroes it.
    pub(crate) fn flush(&mut self) {
        let (part, sum, comp) = (&mut *self.part, &mut *self.sum, &mut *self.comp);
        chunks::<T>(
            part.len(),
            #[inline(always)]
            |j, n| {
                let mut k = Kahan {
                    sum: ld(sum, j, n, T::ZERO),
                    comp: ld(comp, j, n, T::ZERO),
                };
                k.add(ld(part, j, n, T::ZERO));
                k.sum.store(&mut sum[j..j + n]);
                k.comp.store(&mut comp[j..j + n]);
                V::<T>::splat(T::ZERO).store(&mut part[j..j + n]);
            },
        );
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of these tests
mod tests {
    use super::ColumnSums;

    /// Many terms below half an ulp of the running sum, through both ways
    /// into the pair (blocks of `part`, and single adds): the pair's value
    /// `sum - comp`, taken in f64, is the total; a plain sum would
    /// drop the terms, and the opposite sign of `comp` (or a single add
    /// with another convention) would miss by the residual.
    #[test]
    fn column_sums_keep_what_rounding_drops() {
        let (mut part, mut sum, mut comp) = ([0.0_f32; 1], [0.0_f32; 1], [0.0_f32; 1]);
        let mut c = ColumnSums {
            part: &mut part,
            sum: &mut sum,
            comp: &mut comp,
        };
        c.add_at(0, 1.0);
        let tiny = 2.0_f32.powi(-26); // an eighth of an ulp of 1
        let rows = 4095_u16;
        for i in 0..usize::from(rows) {
            if i % 3 == 0 {
                c.add_at(0, tiny);
            } else {
                c.part[0] += tiny;
            }
            c.end_row(i, usize::from(rows));
        }
        let want = 1.0 + f64::from(rows) * f64::from(tiny); // not an f32
        let (s, k) = (f64::from(sum[0]), f64::from(comp[0]));
        // Within 2^-40 (Miri's floats may differ in the last bit of `comp`);
        // the opposite sign misses by `2 |comp|`, the old mixed add by 4e-5.
        assert!((s - k - want).abs() < 1e-12, "{} vs {want}", s - k);
        assert!((s + k - want).abs() > 1e-9, "comp {k} carries nothing");
    }
}
