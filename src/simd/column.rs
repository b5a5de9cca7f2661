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

use super::{ColumnSums, Lanes, MaxAbs, Pass, V, around, chunks, ld, pad};
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
    colmax.fill(T::NEG_INFINITY);
    let mut check = MaxAbs::<V<T>>::new(T::ZERO);
    maxima_rows(p, 0, rowmax, colmax, &mut check);
    check.finish()
}

/// [`maxima`] over the rows `i0..i0 + rowmax.len()`: sets their row
/// maxima, and takes the running column maxima `colmax` (`-inf` before the
/// first row) and the check over those rows. Split into consecutive row
/// ranges whose `colmax` are then merged in order with [`merge_max`], the
/// result is bit-identical to one call over all rows.
pub(crate) fn maxima_rows<T: Real>(
    p: &Pass<'_, T>,
    i0: usize,
    rowmax: &mut [T],
    colmax: &mut [T],
    check: &mut MaxAbs<V<T>>,
) {
    let b = p.b;
    for (k, rm) in rowmax.iter_mut().enumerate() {
        let i = i0 + k;
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
}

/// `into[j] = max(into[j], part[j])` with the lane maximum [`maxima`]
/// folds rows with. That maximum keeps its left operand only when it is
/// strictly larger, so a fold returns the LAST of the largest values (a
/// `-0.0` or `+0.0` included) however the rows are grouped: merging
/// consecutive ranges in order is bit-identical to one pass.
#[cfg_attr(not(feature = "std"), allow(dead_code))] // for `crate::par`
pub(crate) fn merge_max<T: Real>(into: &mut [T], part: &[T]) {
    chunks::<T>(
        into.len(),
        #[inline(always)]
        |j, n| {
            ld(into, j, n, T::NEG_INFINITY)
                .max(ld(part, j, n, T::NEG_INFINITY))
                .store(&mut into[j..j + n]);
        },
    );
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
        exp_row(p, colmax, i, ds_row, sums.part);
        sums.end_row(i, b);
    }
}

/// Row `i` of [`exp_pass`]: writes `ds_row` and adds it to `part`.
#[inline]
pub(crate) fn exp_row<T: Real>(
    p: &Pass<'_, T>,
    colmax: &[T],
    i: usize,
    ds_row: &mut [T],
    part: &mut [T],
) {
    let row = p.row(i);
    let zeta_i = V::<T>::splat(p.zeta_i[i]);
    around::<T>(
        p.b,
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
}
