//! What the passes compute for one row of `S`, on any [`Lanes`]: the row
//! direction's `a` over the row's negatives, and (bimodal) the column
//! direction's `c` of the same entries, vectorised across columns so the
//! row-major `S` is read in order and never transposed.
//!
//! - row direction, anchor `i`, candidate `j`:
//!   `a[i][j] = (S[i][j] - S[i][pos] - zeta_r[j]) / tau_r`, `-inf` where
//!   `j` is no negative of row `i` (its positive, an excluded column, the
//!   padding of the tail);
//! - column direction, anchor `j`, candidate `i`:
//!   `c[i][j] = (S[i][j] - S[j][j] - zeta_c[i]) / tau_c`, `-inf` at
//!   `j = i` and in the padding.

use crate::{
    Layout, Real,
    lanes::{
        Lanes,
        iter::{ld, pad},
    },
};

/// The matrix and the per-column inputs every pass reads.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a, T> {
    /// Rows `row0..` of `S` (all of it, or a panel of a tiled step).
    pub s: &'a [T],
    /// The first row `s` holds.
    pub row0: usize,
    pub rows: usize,
    pub cols: usize,
    pub layout: Layout<'a>,
    /// Zeta of the row direction's candidate in each column (zeros
    /// without zeta).
    pub zeta_r: &'a [T],
    /// `1 / tau` of the row direction.
    pub inv_tau_r: T,
    /// The column direction of a bimodal step.
    pub col: Option<Cols<'a, T>>,
    /// The losses' scale ([`super::anchor::sigma`]): the largest power of
    /// two for which no sum of `exp(a - max) 2^S (S - S_pos) sigma`
    /// overflows.
    pub sigma: T,
}

/// The column direction's inputs (bimodal, square `S`).
#[derive(Clone, Copy)]
pub(crate) struct Cols<'a, T> {
    /// Zeta of the candidate (image) in each row.
    pub zeta: &'a [T],
    /// `S[j][j]`.
    pub diag: &'a [T],
    /// `1 / tau` of the column direction.
    pub inv_tau: T,
}

impl<'a, T: Real> Mat<'a, T> {
    /// Row `i` of `S` (`i >= row0`).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn row(&self, i: usize) -> &'a [T] {
        let s: &'a [T] = self.s;
        let k = i - self.row0;
        &s[k * self.cols..(k + 1) * self.cols]
    }
}

/// The special columns of a row: those [`crate::lanes::iter::around`]
/// visits as edges (the positive, and the row itself where excluded), or
/// a mask for a custom layout.
#[derive(Clone, Copy)]
pub(crate) enum Special<'a> {
    /// Up to two columns that are no negatives (equal for one).
    Two(usize, usize),
    /// A custom layout's row of the exclusion mask; and the positive.
    Mask(&'a [bool], usize),
}

/// Row `i` as the passes see it, its per-row values splatted.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a, L: Lanes> {
    pub i: usize,
    pub s: &'a [L::Scalar],
    pub special: Special<'a>,
    s_pos_v: L,
    zeta_c: L,
}

impl<'a, L: Lanes> Row<'a, L> {
    /// Row `i` of `m`.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn new(m: &Mat<'a, L::Scalar>, i: usize) -> Self {
        let pos = m.layout.positive(i, m.cols);
        let special = match m.layout {
            Layout::Diagonal | Layout::Rows { .. } => Special::Two(pos, pos),
            Layout::TwoView => Special::Two(i, pos),
            Layout::Custom { excluded, .. } => {
                Special::Mask(&excluded[i * m.cols..(i + 1) * m.cols], pos)
            }
        };
        let s = m.row(i);
        let zeta_c = m.col.map_or(<L::Scalar as Real>::ZERO, |c| c.zeta[i]);
        Row {
            i,
            s,
            special,
            s_pos_v: L::splat(s[pos]),
            zeta_c: L::splat(zeta_c),
        }
    }

    /// The two columns [`crate::lanes::iter::around`] treats as edges
    /// (for a custom layout every chunk is masked anyway).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn edges(&self, cols: usize) -> (usize, usize) {
        match self.special {
            Special::Two(a, b) => (a, b),
            Special::Mask(..) => (cols, cols),
        }
    }

    /// The scores of columns `j..j + n`.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn scores(&self, j: usize, n: usize) -> L {
        ld::<L>(self.s, j, n, <L::Scalar as Real>::ZERO)
    }

    /// Every chunk of the row needs [`Row::mask_a`] (a custom layout).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn masked(&self) -> bool {
        matches!(self.special, Special::Mask(..))
    }

    /// `a` for scores `sv` and the candidates' zeta `zeta`, unmasked.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn a_raw(&self, inv_tau: L, sv: L, zeta: L) -> L {
        ((sv - self.s_pos_v) - zeta) * inv_tau
    }

    /// `a` of the chunk `j..j + n` with `-inf` off the negatives (its
    /// special columns, the padding, a custom layout's excluded columns).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn mask_a(&self, a: L, j: usize, n: usize) -> L {
        let ninf = <L::Scalar as Real>::NEG_INFINITY;
        let mut a = pad(a, n, ninf);
        match self.special {
            Special::Two(p, q) => {
                for c in [p, q] {
                    if c.wrapping_sub(j) < n {
                        a = a.with_lane(c - j, ninf);
                    }
                }
            }
            Special::Mask(excluded, pos) => {
                for k in 0..n {
                    if excluded[j + k] || j + k == pos {
                        a = a.with_lane(k, ninf);
                    }
                }
            }
        }
        a
    }

    /// `a` of columns `j..j + n` for scores `sv`, `-inf` off the negatives
    /// where `edge`.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn a(&self, m: &Mat<'_, L::Scalar>, sv: L, j: usize, n: usize, edge: bool) -> L {
        let zeta = ld::<L>(m.zeta_r, j, n, <L::Scalar as Real>::ZERO);
        let a = self.a_raw(L::splat(m.inv_tau_r), sv, zeta);
        if edge || self.masked() {
            self.mask_a(a, j, n)
        } else {
            a
        }
    }

    /// `c` for scores `sv` and the diagonal `diag`, unmasked.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn c_raw(&self, inv_tau: L, sv: L, diag: L) -> L {
        ((sv - diag) - self.zeta_c) * inv_tau
    }

    /// `c` of the chunk `j..j + n` with `-inf` at the diagonal and in the
    /// padding.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn mask_c(&self, c: L, j: usize, n: usize) -> L {
        let ninf = <L::Scalar as Real>::NEG_INFINITY;
        let c = pad(c, n, ninf);
        if self.i.wrapping_sub(j) < n {
            c.with_lane(self.i - j, ninf)
        } else {
            c
        }
    }

    /// `c` of columns `j..j + n` for scores `sv` (bimodal only), `-inf` at
    /// the diagonal and in the padding where `edge`.
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn c(&self, cols: &Cols<'_, L::Scalar>, sv: L, j: usize, n: usize, edge: bool) -> L {
        let diag = ld::<L>(cols.diag, j, n, <L::Scalar as Real>::ZERO);
        let c = self.c_raw(L::splat(cols.inv_tau), sv, diag);
        if edge { self.mask_c(c, j, n) } else { c }
    }

    /// `S[i][j] - S[i][pos]` of columns `j..j + n` (the row direction's
    /// loss gaps).
    #[cfg_attr(dpm_inline, inline(always))]
    pub(crate) fn gap(&self, sv: L) -> L {
        sv - self.s_pos_v
    }
}
