//! The three passes over the rows of `S`, per block of rows, on any
//! [`Lanes`]; [`super::schedule`] runs the blocks and folds their partial
//! column results in order.
//!
//! 1. [`maxima`]: every row anchor's largest `a`, the block's column
//!    maxima of `c` (bimodal), and the check of the scores (finite, the
//!    largest and the smallest nonzero `|S|`). No exp.
//! 2. [`sums`]: `sum exp(a - max) 2^S` of every row anchor and of the
//!    block's column anchors, and the loss sums `exp(a - max) 2^S (S -
//!    S_pos) sigma`. One exp per entry and direction.
//! 3. [`outputs`]: `dS = exp(a - shift_i) + exp(c - shift_j)`, the weights
//!    if asked for, and the terms of `h`. One exp per entry and direction.
//!
//! So `S` is read three times and `dS` written once. Every value stored
//! or summed is 0 or normal: an exp is 0 below the smallest normal
//! number (`crate::lanes::exp`), the scaled exps of the sums keep their
//! compensation terms normal, and a term of `h` (a product) is kept only
//! where it is at least `H_FLOOR`.

use super::rows::{Mat, Row};
use crate::{
    Real,
    lanes::{
        Lanes,
        exp::{ExpConsts, exp0, exp0_scaled},
        iter::{around, ld},
        sum::{Blocked, Check},
    },
};

/// Pass 1 over `rows`: row maxima into `rowmax` (the block's rows), the
/// block's column maxima into `colmax` (bimodal), the scores into `check`.
#[inline(always)]
pub(crate) fn maxima<L: Lanes>(
    m: &Mat<'_, L::Scalar>,
    rows: core::ops::Range<usize>,
    rowmax: &mut [L::Scalar],
    colmax: &mut [L::Scalar],
    check: &mut Check<L>,
) {
    let ninf = <L::Scalar as Real>::NEG_INFINITY;
    if m.col.is_some() {
        colmax.fill(ninf);
    }
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let (d0, d1) = row.edges(m.cols);
        let mut mx = L::splat(ninf);
        around::<L>(
            m.cols,
            d0,
            d1,
            #[inline(always)]
            |j, n, edge| {
                let sv = row.scores(j, n);
                check.add(sv);
                mx = mx.max(row.a(m, sv, j, n, edge));
                if let Some(cols) = &m.col {
                    let c = row.c(cols, sv, j, n, edge);
                    ld::<L>(colmax, j, n, ninf)
                        .max(c)
                        .store(&mut colmax[j..j + n]);
                }
            },
        );
        rowmax[k] = mx.reduce_max();
    }
}

/// What [`sums`] adds per entry besides the exps' sums.
#[derive(Clone, Copy)]
pub(crate) struct Losses {
    /// The row direction's loss is a sum over entries (not InfoNCE).
    pub row: bool,
    /// The column direction's likewise.
    pub col: bool,
}

/// Pass 2 over `rows`: each row anchor's `sum exp(a - max) 2^S` into
/// `sum` and its loss sum into `loss` (the block's rows); the block's
/// column sums into `col_part` and column loss sums into `loss_part`
/// (bimodal).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn sums<L: Lanes>(
    m: &Mat<'_, L::Scalar>,
    rows: core::ops::Range<usize>,
    rowmax: &[L::Scalar],
    colmax: &[L::Scalar],
    losses: Losses,
    sum: &mut [L::Scalar],
    loss: &mut [L::Scalar],
    slot: &mut [L::Scalar],
) {
    let zero = <L::Scalar as Real>::ZERO;
    let (col_part, loss_part) = if m.col.is_some() {
        let (c, l) = slot[..2 * m.cols].split_at_mut(m.cols);
        c.fill(zero);
        l.fill(zero);
        (c, l)
    } else {
        (&mut [][..], &mut [][..])
    };
    let sigma = L::splat(m.sigma);
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let (d0, d1) = row.edges(m.cols);
        let rmax = L::splat(rowmax[i]);
        let mut rs = Blocked::<L>::zero();
        let mut rl = Blocked::<L>::zero();
        around::<L>(
            m.cols,
            d0,
            d1,
            #[inline(always)]
            |j, n, edge| {
                let sv = row.scores(j, n);
                let e = exp0_scaled(row.a(m, sv, j, n, edge) - rmax);
                rs.add(e);
                if losses.row {
                    rl.add_mul(e, row.gap(sv, sigma));
                }
                if let Some(cols) = &m.col {
                    let c = row.c(cols, sv, j, n, edge);
                    let et = exp0_scaled(c - ld::<L>(colmax, j, n, zero));
                    (ld::<L>(col_part, j, n, zero) + et).store(&mut col_part[j..j + n]);
                    if losses.col {
                        let gap = (sv - ld::<L>(cols.diag, j, n, zero)) * sigma;
                        et.mul_add(gap, ld::<L>(loss_part, j, n, zero))
                            .store(&mut loss_part[j..j + n]);
                    }
                }
            },
        );
        sum[k] = rs.finish().value();
        loss[k] = rl.finish().value();
    }
}

/// The per-anchor values [`outputs`] reads, one per anchor.
#[derive(Clone, Copy)]
pub(crate) struct Shifts<'a, T> {
    /// The anchor's largest `a`; every exponent is `(a - max) - shift`.
    pub max: &'a [T],
    /// `dS` of an entry is `exp((a - max) - shift)`.
    pub shift: &'a [T],
    /// A term of `h` is `dS * h_fac` where `dS >= h_min`, ...
    pub h_fac: &'a [T],
    pub h_min: &'a [T],
    /// ... or `exp((a - max) - h_shift)` where `h_shift` is finite.
    pub h_shift: &'a [T],
    /// A weight is `exp((a - max) - rel_den)`.
    pub rel_den: &'a [T],
}

/// What [`outputs`] computes besides `dS`.
#[derive(Clone, Copy)]
pub(crate) struct Wants {
    /// Terms of the row direction's `h` (column sums into the slot).
    pub h_row: bool,
    /// Terms of the column direction's `h` (row sums).
    pub h_col: bool,
    /// Some column anchor's terms of `h` are computed directly.
    pub h_col_direct: bool,
    /// A row anchor's terms of `h` are computed directly somewhere.
    pub h_row_direct: bool,
}

/// The block's outputs: its rows of `dS` and of the weights, its rows'
/// terms of the column direction's `h`.
pub(crate) struct Block<'a, T> {
    pub ds: &'a mut [T],
    pub weights_row: Option<&'a mut [T]>,
    pub weights_col: Option<&'a mut [T]>,
    /// `h` of the column direction's candidate in each row (preset to the
    /// candidate's own positive term; bimodal).
    pub h_col: Option<&'a mut [T]>,
}

/// Pass 3 over `rows`: `dS` (and weights) of every entry but the
/// positives (set by the caller), the row direction's terms of `h` summed
/// per column into `slot`, the column direction's summed per row into
/// `out.h_col`.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
#[inline(always)]
pub(crate) fn outputs<L: Lanes>(
    m: &Mat<'_, L::Scalar>,
    rows: core::ops::Range<usize>,
    row_sh: &Shifts<'_, L::Scalar>,
    col_sh: Option<&Shifts<'_, L::Scalar>>,
    wants: Wants,
    out: Block<'_, L::Scalar>,
    slot: &mut [L::Scalar],
) {
    let zero = <L::Scalar as Real>::ZERO;
    let inf = <L::Scalar as Real>::INFINITY;
    let floor = L::splat(L::Scalar::H_FLOOR);
    let Block {
        ds,
        mut weights_row,
        mut weights_col,
        mut h_col,
    } = out;
    let h_part = &mut slot[..m.cols];
    if wants.h_row {
        h_part.fill(zero);
    }
    // A term of h kept where at least the floor (a product, or an exp).
    let keep = |t: L| L::select(t.lt(floor), L::splat(zero), t);
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let (d0, d1) = row.edges(m.cols);
        let span = k * m.cols..(k + 1) * m.cols;
        let ds_row = &mut ds[span.clone()];
        let rmax = L::splat(row_sh.max[i]);
        let shift = L::splat(row_sh.shift[i]);
        let (h_fac, h_min) = (L::splat(row_sh.h_fac[i]), L::splat(row_sh.h_min[i]));
        let h_direct = row_sh.h_shift[i] < inf;
        let h_shift = L::splat(row_sh.h_shift[i]);
        let w_shift = L::splat(row_sh.rel_den[i]);
        let mut wr = weights_row.as_deref_mut().map(|w| &mut w[span.clone()]);
        let mut wc = weights_col.as_deref_mut().map(|w| &mut w[span.clone()]);
        let mut h_img = Blocked::<L>::zero();
        around::<L>(
            m.cols,
            d0,
            d1,
            #[inline(always)]
            |j, n, edge| {
                let sv = row.scores(j, n);
                let a = row.a(m, sv, j, n, edge) - rmax;
                let dsr = exp0(a - shift);
                let mut g = dsr;
                if let (Some(cols), Some(c_sh)) = (&m.col, col_sh) {
                    let c = row.c(cols, sv, j, n, edge) - ld::<L>(c_sh.max, j, n, zero);
                    let dsc = exp0(c - ld::<L>(c_sh.shift, j, n, zero));
                    g = g + dsc;
                    if wants.h_col {
                        let below = dsc.lt(ld::<L>(c_sh.h_min, j, n, inf));
                        let t = L::select(below, L::splat(zero), dsc);
                        let mut t = t * ld::<L>(c_sh.h_fac, j, n, zero);
                        if wants.h_col_direct {
                            t = t + keep(exp0(c - ld::<L>(c_sh.h_shift, j, n, inf)));
                        }
                        h_img.add(t);
                    }
                    if let Some(w) = wc.as_deref_mut() {
                        exp0(c - ld::<L>(c_sh.rel_den, j, n, zero)).store(&mut w[j..j + n]);
                    }
                }
                g.store(&mut ds_row[j..j + n]);
                if wants.h_row {
                    let t = if wants.h_row_direct && h_direct {
                        keep(exp0(a - h_shift))
                    } else {
                        L::select(dsr.lt(h_min), L::splat(zero), dsr) * h_fac
                    };
                    (ld::<L>(h_part, j, n, zero) + t).store(&mut h_part[j..j + n]);
                }
                if let Some(w) = wr.as_deref_mut() {
                    exp0(a - w_shift).store(&mut w[j..j + n]);
                }
            },
        );
        if let (true, Some(h)) = (wants.h_col, h_col.as_deref_mut()) {
            let mut t = h_img.finish();
            t.add(h[k]);
            h[k] = t.value();
        }
    }
}
