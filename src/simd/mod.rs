//! SIMD kernels on `wide` lanes (`f32x8`, `f64x4`): the bimodal step and
//! the row log-sum-exp that the public functions run. The scalar kernels
//! of [`crate::scalar`] are the readable reference they are tested
//! against.
//!
//! | module | what |
//! |---|---|
//! | `lanes` | the lane trait over `wide`'s types, Kahan sums |
//! | `exp` | `e^x` on lanes (below 1 ulp, exact gradual underflow) |
//! | `lse` | log-sum-exp of a slice |
//! | `bimodal` | the bimodal step: pass order, scratch layout, column anchors |
//! | `column` | passes down the rows for the column direction (vectorised across columns) |
//! | `row` | the last pass, row by row: row direction, weights, `dS`, losses, `h` |
//! | `anchor` | per-anchor scalar statistics (state update, denominators) |
//!
//! Loops run whole vectors over the head of a row and one partial vector
//! (padded with a neutral value) over its tail, so every element goes
//! through the same arithmetic.

mod anchor;
pub(crate) mod bimodal;
mod column;
mod exp;
mod lanes;
pub(crate) mod lse;
mod row;

pub(crate) use lanes::Kahan;
pub use lanes::Lanes;

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
/// once for the shorter tail if there is one.
#[inline(always)]
pub(crate) fn chunks<T: Real>(len: usize, mut f: impl FnMut(usize, usize)) {
    let n = <V<T> as Lanes>::N;
    let full = len - len % n;
    let mut j = 0;
    while j < full {
        f(j, n);
        j += n;
    }
    if full < len {
        f(full, len - full);
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
