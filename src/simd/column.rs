//! The passes that run down the rows of `S` for the column direction
//! (text anchors), vectorised ACROSS columns: lane `k` of a vector belongs
//! to column `j + k`, so the row-major `S` is read in order and never
//! transposed.
//!
//! - [`maxima`]: one pass over `S` for the largest `a` of every column
//!   anchor and, fused in, of every row anchor and the finiteness and
//!   magnitude check of the scores (no exp).
//! - [`exp_pass`]: one exp per entry, `exp(a_T - colmax)` stored into `dS`
//!   (an output, so no `B x B` scratch), while the column sums accumulate
//!   ([`ColumnSums`]: blocked over rows, compensated).

use super::{ColumnSums, Lanes, MaxAbs, Pass, V, around, ld, pad};
use crate::Real;

/// Per-row inputs of both directions.
#[derive(Clone, Copy)]
struct RowCtx<T: Real> {
    /// `S[i][i]` (row direction's positive score).
    s_pos: V<T>,
    /// Zeta of image `i` (column direction's candidate in this row).
    zeta_i: V<T>,
}

/// The scores of row `i`, columns `j..j+n`, their `a` in the row direction
/// (anchor `i`, candidates `j..j+N`) and in the column direction (anchors
/// `j..j+N`, candidate `i`), the diagonal masked to `-inf` (looked for
/// only in an `edge` chunk, see [`around`]).
#[inline(always)]
fn both_a<T: Real>(
    p: &Pass<'_, T>,
    c: RowCtx<T>,
    i: usize,
    j: usize,
    n: usize,
    edge: bool,
) -> (V<T>, V<T>, V<T>) {
    let sv = ld(p.row(i), j, n, T::ZERO);
    let mut ar = p.a_row(sv, c.s_pos, j, n);
    let mut ac = p.a_col(sv, c.zeta_i, j, n);
    if edge && i.wrapping_sub(j) < n {
        ar = ar.with_lane(i - j, T::NEG_INFINITY);
        ac = ac.with_lane(i - j, T::NEG_INFINITY);
    }
    (sv, ar, ac)
}

/// Row maxima (`rowmax[i]`, row direction) and column maxima
/// (`colmax[j]`, column direction) of `a` over the negatives, in one pass,
/// fused with the precondition check of the scores: returns `max |S|`, or
/// `None` if a score is not finite (then the maxima are meaningless).
pub(crate) fn maxima<T: Real>(p: &Pass<'_, T>, rowmax: &mut [T], colmax: &mut [T]) -> Option<T> {
    let b = p.b;
    colmax.fill(T::NEG_INFINITY);
    let mut check = MaxAbs::<V<T>>::new(T::ZERO);
    for (i, rm) in rowmax.iter_mut().enumerate() {
        let c = RowCtx {
            s_pos: V::<T>::splat(p.s[i * b + i]),
            zeta_i: V::<T>::splat(p.zeta_i[i]),
        };
        let mut m = V::<T>::splat(T::NEG_INFINITY);
        around::<T>(
            b,
            i,
            #[inline(always)]
            |j, n, edge| {
                let (sv, ar, ac) = both_a(p, c, i, j, n, edge);
                check.add(sv);
                m = m.max(if edge {
                    pad(ar, n, T::NEG_INFINITY)
                } else {
                    ar
                });
                ld(colmax, j, n, T::NEG_INFINITY)
                    .max(ac)
                    .store(&mut colmax[j..j + n]);
            },
        );
        *rm = m.reduce_max();
    }
    check.finish()
}

/// `ds[i][j] = exp(a_T[j][i] - colmax[j])` (0 on the diagonal), and the
/// column sums of those values.
pub(crate) fn exp_pass<T: Real>(
    p: &Pass<'_, T>,
    colmax: &[T],
    ds: &mut [T],
    sums: &mut ColumnSums<'_, T>,
) {
    let b = p.b;
    sums.clear();
    for (i, ds_row) in ds.chunks_exact_mut(b).enumerate() {
        let row = p.row(i);
        let zeta_i = V::<T>::splat(p.zeta_i[i]);
        let part = &mut *sums.part;
        around::<T>(
            b,
            i,
            #[inline(always)]
            |j, n, edge| {
                let sv = ld(row, j, n, T::ZERO);
                let ac = p.a_col(sv, zeta_i, j, n);
                let mut e = (ac - ld(colmax, j, n, T::ZERO)).exp_le0();
                if edge && i.wrapping_sub(j) < n {
                    e = e.with_lane(i - j, T::ZERO);
                }
                e.store(&mut ds_row[j..j + n]);
                (ld(part, j, n, T::ZERO) + e).store(&mut part[j..j + n]);
            },
        );
        sums.end_row(i, b);
    }
}
