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
//! 3. [`outputs`]: `dS = exp((a - max) - shift_i) + exp((c - max_j) -
//!    shift_j)`, the weights if asked for, and the terms of `h`. One exp
//!    per entry and direction.
//!
//! So `S` is read three times and `dS` written once. Every value stored
//! or summed is 0 or normal: an exp is 0 below the smallest normal
//! number (`crate::lanes::exp`), the scaled exps of the sums keep their
//! compensation terms normal, and a term of `h` (a product) is kept only
//! where it is at least `H_FLOOR`.
//!
//! Each pass splits a row into interiors (whole vectors without a special
//! column: a tight loop over zipped chunks, no bounds checks, no masks)
//! and the few edge chunks (the diagonal, a positive, the tail: masked),
//! both through the same per-chunk function (`p1_chunk`, `p2_row`,
//! `p2_col`, `p3_chunk`). A const `FAST` selects the common case (bimodal
//! DPM with `h` both ways, no weights out) at compile time; the other
//! cases test their flags at run time. No closure is stored in a variable:
//! every piece must inline into the dispatcher's `#[target_feature]`
//! function.

use super::rows::{Mat, Row};
use crate::{
    Real,
    lanes::{
        Lanes,
        exp::{ExpConsts, exp0, exp0_scaled},
        iter::{Seg, chunks, chunks_from, ld, segments},
        sum::{Blocked, Check},
    },
};

/// The pieces of row `row` of `m` (every chunk an edge for a custom
/// layout's mask) passed to `f(start, end, edge)`.
#[cfg_attr(dpm_inline, inline(always))]
fn pieces<L: Lanes>(
    m: &Mat<'_, L::Scalar>,
    row: &Row<'_, L>,
    mut f: impl FnMut(usize, usize, bool),
) {
    if row.masked() {
        chunks::<L>(
            m.cols,
            #[cfg_attr(dpm_inline, inline(always))]
            |j, n| f(j, j + n, true),
        );
        return;
    }
    let (d0, d1) = row.edges(m.cols);
    let (segs, k) = segments::<L>(m.cols, d0, d1);
    for &seg in &segs[..k] {
        match seg {
            Seg::Interior(lo, hi) => f(lo, hi, false),
            Seg::Edge(j, n) => f(j, j + n, true),
        }
    }
}

/// Pass 1 over `rows`: row maxima into `rowmax` (the block's rows), the
/// block's column maxima into `colmax` (bimodal), the scores into `check`.
#[cfg_attr(dpm_inline, inline(always))]
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
    let inv_r = L::splat(m.inv_tau_r);
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let mut mx = L::splat(ninf);
        pieces(
            m,
            &row,
            #[cfg_attr(dpm_inline, inline(always))]
            |lo, hi, edge| {
                if edge {
                    let (j, n) = (lo, hi - lo);
                    let sv = row.scores(j, n);
                    let a = row.a(m, sv, j, n, true);
                    let c = m
                        .col
                        .as_ref()
                        .map(|cols| (row.c(cols, sv, j, n, true), ld::<L>(colmax, j, n, ninf)));
                    if let Some(v) = p1_chunk(check, &mut mx, sv, a, c) {
                        v.store(&mut colmax[j..j + n]);
                    }
                    return;
                }
                let (s, zt) = (&row.s[lo..hi], &m.zeta_r[lo..hi]);
                match &m.col {
                    Some(cols) => {
                        let inv_c = L::splat(cols.inv_tau);
                        let it = s
                            .chunks_exact(L::N)
                            .zip(zt.chunks_exact(L::N))
                            .zip(cols.diag[lo..hi].chunks_exact(L::N))
                            .zip(colmax[lo..hi].chunks_exact_mut(L::N));
                        for (((sc, zc), dc), cm) in it {
                            let sv = L::load(sc);
                            let a = row.a_raw(inv_r, sv, L::load(zc));
                            let c = (row.c_raw(inv_c, sv, L::load(dc)), L::load(cm));
                            if let Some(v) = p1_chunk(check, &mut mx, sv, a, Some(c)) {
                                v.store(cm);
                            }
                        }
                    }
                    None => {
                        for (sc, zc) in s.chunks_exact(L::N).zip(zt.chunks_exact(L::N)) {
                            let sv = L::load(sc);
                            let a = row.a_raw(inv_r, sv, L::load(zc));
                            p1_chunk(check, &mut mx, sv, a, None);
                        }
                    }
                }
            },
        );
        rowmax[k] = mx.reduce_max();
    }
}

/// One chunk of [`maxima`]: the row's maximum, the columns' maxima out
/// (from `c` and the columns' maxima in), the check of the scores `sv`.
#[cfg_attr(dpm_inline, inline(always))]
fn p1_chunk<L: Lanes>(
    check: &mut Check<L>,
    mx: &mut L,
    sv: L,
    a: L,
    c: Option<(L, L)>,
) -> Option<L> {
    check.add(sv);
    *mx = mx.max(a);
    c.map(|(c, cm)| cm.max(c))
}

/// What [`sums`] adds per entry besides the exps' sums.
#[derive(Clone, Copy)]
pub(crate) struct Losses {
    /// The row direction's loss is a sum over entries (not InfoNCE).
    pub row: bool,
    /// The column direction's likewise.
    pub col: bool,
}

/// Per-row constants of [`sums`].
#[derive(Clone, Copy)]
struct SumsRow<L> {
    rmax: L,
    sigma: L,
    inv_r: L,
    loss_row: bool,
    loss_col: bool,
}

/// Pass 2 over `rows`: each row anchor's `sum exp(a - max) 2^S` into
/// `sum` and its loss sum into `loss` (the block's rows); the block's
/// column sums and column loss sums (bimodal) into the slot's two halves.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(dpm_inline, inline(always))]
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
    let b = m.cols;
    let (col_part, loss_part) = if m.col.is_some() {
        let (c, l) = slot[..2 * b].split_at_mut(b);
        c.fill(zero);
        l.fill(zero);
        (c, l)
    } else {
        (&mut [][..], &mut [][..])
    };
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let rc = SumsRow {
            rmax: L::splat(rowmax[i]),
            sigma: L::splat(m.sigma),
            inv_r: L::splat(m.inv_tau_r),
            loss_row: losses.row,
            loss_col: losses.col,
        };
        let mut rs = Blocked::<L>::zero();
        let mut rl = Blocked::<L>::zero();
        pieces(
            m,
            &row,
            #[cfg_attr(dpm_inline, inline(always))]
            |lo, hi, edge| {
                if edge {
                    let (j, n) = (lo, hi - lo);
                    let sv = row.scores(j, n);
                    let a = row.a(m, sv, j, n, true);
                    p2_row(&mut rs, &mut rl, &rc, &row, sv, a);
                    if let Some(cols) = &m.col {
                        let c = row.c(cols, sv, j, n, true);
                        let diag = ld::<L>(cols.diag, j, n, zero);
                        let cmax = ld::<L>(colmax, j, n, zero);
                        let cp = ld::<L>(col_part, j, n, zero);
                        let lp = ld::<L>(loss_part, j, n, zero);
                        let (p, l) = p2_col(&rc, [sv, c, diag, cmax, cp, lp]);
                        p.store(&mut col_part[j..j + n]);
                        l.store(&mut loss_part[j..j + n]);
                    }
                    return;
                }
                let (s, zt) = (&row.s[lo..hi], &m.zeta_r[lo..hi]);
                match &m.col {
                    Some(cols) => {
                        let inv_c = L::splat(cols.inv_tau);
                        let it = s
                            .chunks_exact(L::N)
                            .zip(zt.chunks_exact(L::N))
                            .zip(cols.diag[lo..hi].chunks_exact(L::N))
                            .zip(colmax[lo..hi].chunks_exact(L::N))
                            .zip(col_part[lo..hi].chunks_exact_mut(L::N))
                            .zip(loss_part[lo..hi].chunks_exact_mut(L::N));
                        for (((((sc, zc), dc), mc), cp), lp) in it {
                            let sv = L::load(sc);
                            let diag = L::load(dc);
                            let a = row.a_raw(rc.inv_r, sv, L::load(zc));
                            p2_row(&mut rs, &mut rl, &rc, &row, sv, a);
                            let c = row.c_raw(inv_c, sv, diag);
                            let ins = [sv, c, diag, L::load(mc), L::load(cp), L::load(lp)];
                            let (p, l) = p2_col(&rc, ins);
                            p.store(cp);
                            l.store(lp);
                        }
                    }
                    None => {
                        for (sc, zc) in s.chunks_exact(L::N).zip(zt.chunks_exact(L::N)) {
                            let sv = L::load(sc);
                            let a = row.a_raw(rc.inv_r, sv, L::load(zc));
                            p2_row(&mut rs, &mut rl, &rc, &row, sv, a);
                        }
                    }
                }
            },
        );
        sum[k] = rs.finish().value();
        loss[k] = rl.finish().value();
    }
}

/// One chunk of [`sums`], row direction: `a` (masked) of scores `sv`
/// into the row's sum and loss sum.
#[cfg_attr(dpm_inline, inline(always))]
fn p2_row<L: Lanes>(
    rs: &mut Blocked<L>,
    rl: &mut Blocked<L>,
    rc: &SumsRow<L>,
    row: &Row<'_, L>,
    sv: L,
    a: L,
) {
    let e = exp0_scaled(a - rc.rmax);
    rs.add(e);
    if rc.loss_row {
        // (e sigma) first: a large exp keeps a tiny gap's product normal
        // where `gap sigma` would underflow (sigma < 1 for huge scores).
        rl.add_mul(e * rc.sigma, row.gap(sv));
    }
}

/// One chunk of [`sums`], column direction: from `[sv, c, diag, cmax,
/// col part, loss part]` the parts out.
#[cfg_attr(dpm_inline, inline(always))]
fn p2_col<L: Lanes>(rc: &SumsRow<L>, [sv, c, diag, cmax, cp, lp]: [L; 6]) -> (L, L) {
    let et = exp0_scaled(c - cmax);
    let lp = if rc.loss_col {
        (et * rc.sigma).mul_add(sv - diag, lp)
    } else {
        lp
    };
    (cp + et, lp)
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

/// What [`outputs`] computes besides `dS`: four independent switches.
#[derive(Clone, Copy)]
#[allow(clippy::struct_excessive_bools)]
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
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn outputs<L: Lanes>(
    m: &Mat<'_, L::Scalar>,
    rows: core::ops::Range<usize>,
    row_sh: &Shifts<'_, L::Scalar>,
    col_sh: Option<&Shifts<'_, L::Scalar>>,
    wants: Wants,
    out: Block<'_, L::Scalar>,
    slot: &mut [L::Scalar],
) {
    let fast = m.col.is_some()
        && wants.h_row
        && wants.h_col
        && !wants.h_row_direct
        && !wants.h_col_direct
        && out.weights_row.is_none()
        && out.weights_col.is_none();
    if fast {
        outputs_of::<L, true>(m, rows, row_sh, col_sh, wants, out, slot);
    } else {
        outputs_of::<L, false>(m, rows, row_sh, col_sh, wants, out, slot);
    }
}

/// Per-row constants of [`outputs`].
#[derive(Clone, Copy)]
struct OutRow<L> {
    rmax: L,
    shift: L,
    h_fac: L,
    h_min: L,
    /// The row's terms of `h` are computed directly.
    h_direct: bool,
    h_shift: L,
    w_shift: L,
    inv_r: L,
}

/// The column vectors [`outputs`] reads per chunk.
#[derive(Clone, Copy)]
struct OutCols<L> {
    diag: L,
    max: L,
    shift: L,
    h_min: L,
    h_fac: L,
}

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
#[cfg_attr(dpm_inline, inline(always))]
fn outputs_of<L: Lanes, const FAST: bool>(
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
    let Block {
        ds,
        mut weights_row,
        mut weights_col,
        mut h_col,
    } = out;
    let (h_row, h_colw) = (FAST || wants.h_row, FAST || wants.h_col);
    let has_col = m.col.is_some();
    let h_part = &mut slot[..m.cols];
    if h_row {
        h_part.fill(zero);
    }
    for (k, i) in rows.enumerate() {
        let row = Row::<L>::new(m, i);
        let span = k * m.cols..(k + 1) * m.cols;
        let ds_row = &mut ds[span.clone()];
        let r = OutRow {
            rmax: L::splat(row_sh.max[i]),
            shift: L::splat(row_sh.shift[i]),
            h_fac: L::splat(row_sh.h_fac[i]),
            h_min: L::splat(row_sh.h_min[i]),
            h_direct: row_sh.h_shift[i] < inf,
            h_shift: L::splat(row_sh.h_shift[i]),
            w_shift: L::splat(row_sh.rel_den[i]),
            inv_r: L::splat(m.inv_tau_r),
        };
        let mut wr = weights_row.as_deref_mut().map(|w| &mut w[span.clone()]);
        let mut wc = weights_col.as_deref_mut().map(|w| &mut w[span.clone()]);
        let mut h_img = Blocked::<L>::zero();
        pieces(
            m,
            &row,
            #[cfg_attr(dpm_inline, inline(always))]
            |lo, hi, edge| {
                if let (true, false, Some(cols), Some(c_sh)) = (FAST, edge, &m.col, col_sh) {
                    let inv_c = L::splat(cols.inv_tau);
                    let it = row.s[lo..hi]
                        .chunks_exact(L::N)
                        .zip(m.zeta_r[lo..hi].chunks_exact(L::N))
                        .zip(cols.diag[lo..hi].chunks_exact(L::N))
                        .zip(c_sh.max[lo..hi].chunks_exact(L::N))
                        .zip(c_sh.shift[lo..hi].chunks_exact(L::N))
                        .zip(c_sh.h_min[lo..hi].chunks_exact(L::N))
                        .zip(c_sh.h_fac[lo..hi].chunks_exact(L::N))
                        .zip(ds_row[lo..hi].chunks_exact_mut(L::N))
                        .zip(h_part[lo..hi].chunks_exact_mut(L::N));
                    for ((((((((sc, zc), dc), mc), shc), hmc), hfc), dsc), hpc) in it {
                        let sv = L::load(sc);
                        let cl = OutCols {
                            diag: L::load(dc),
                            max: L::load(mc),
                            shift: L::load(shc),
                            h_min: L::load(hmc),
                            h_fac: L::load(hfc),
                        };
                        let a = row.a_raw(r.inv_r, sv, L::load(zc)) - r.rmax;
                        let c = row.c_raw(inv_c, sv, cl.diag) - cl.max;
                        let ins = [a, c, L::splat(inf)];
                        let (g, t_txt, t_img) = p3_chunk::<L, FAST>(&r, wants, true, ins, cl);
                        g.store(dsc);
                        (L::load(hpc) + t_txt).store(hpc);
                        h_img.add(t_img);
                    }
                    return;
                }
                // Every other case, chunk by chunk (one chunk for an edge).
                chunks_from::<L>(
                    lo,
                    hi,
                    #[cfg_attr(dpm_inline, inline(always))]
                    |j, n| {
                        let sv = row.scores(j, n);
                        let a = row.a(m, sv, j, n, edge) - r.rmax;
                        let (c, cl, direct_c) = if let (Some(cols), Some(c_sh)) = (&m.col, col_sh) {
                            let cl = OutCols {
                                diag: ld::<L>(cols.diag, j, n, zero),
                                max: ld::<L>(c_sh.max, j, n, zero),
                                shift: ld::<L>(c_sh.shift, j, n, zero),
                                h_min: ld::<L>(c_sh.h_min, j, n, inf),
                                h_fac: ld::<L>(c_sh.h_fac, j, n, zero),
                            };
                            let c = row.c(cols, sv, j, n, edge) - cl.max;
                            (c, cl, ld::<L>(c_sh.h_shift, j, n, inf))
                        } else {
                            let z = L::splat(zero);
                            let cl = OutCols {
                                diag: z,
                                max: z,
                                shift: z,
                                h_min: z,
                                h_fac: z,
                            };
                            (z, cl, L::splat(inf))
                        };
                        let ins = [a, c, direct_c];
                        let (g, t_txt, t_img) = p3_chunk::<L, FAST>(&r, wants, has_col, ins, cl);
                        g.store(&mut ds_row[j..j + n]);
                        if h_row {
                            (ld::<L>(h_part, j, n, zero) + t_txt).store(&mut h_part[j..j + n]);
                        }
                        if h_colw {
                            h_img.add(t_img);
                        }
                        if let Some(w) = wr.as_deref_mut() {
                            exp0(a - r.w_shift).store(&mut w[j..j + n]);
                        }
                        if let (Some(w), Some(c_sh)) = (wc.as_deref_mut(), col_sh) {
                            let rel = ld::<L>(c_sh.rel_den, j, n, zero);
                            exp0(c - rel).store(&mut w[j..j + n]);
                        }
                    },
                );
            },
        );
        if let (true, Some(h)) = (h_colw, h_col.as_deref_mut()) {
            let mut t = h_img.finish();
            t.add(h[k]);
            h[k] = t.value();
        }
    }
}

/// A term of `h` computed directly, kept where at least the floor.
#[cfg_attr(dpm_inline, inline(always))]
fn keep<L: Lanes>(t: L) -> L {
    let zero = L::splat(<L::Scalar as Real>::ZERO);
    L::select(t.lt(L::splat(L::Scalar::H_FLOOR)), zero, t)
}

/// The term of `h` of a `dS` entry `d`: `d h_fac`, where `d >= h_min`.
#[cfg_attr(dpm_inline, inline(always))]
fn term<L: Lanes>(d: L, h_min: L, h_fac: L) -> L {
    let zero = L::splat(<L::Scalar as Real>::ZERO);
    L::select(d.lt(h_min), zero, d) * h_fac
}

/// One chunk of [`outputs`], from `[a - max, c - max_j, h_shift_j]` (the
/// column values ignored without columns): `(dS, h_text term, h_image
/// term)`.
#[cfg_attr(dpm_inline, inline(always))]
fn p3_chunk<L: Lanes, const FAST: bool>(
    r: &OutRow<L>,
    wants: Wants,
    has_col: bool,
    [a, c, direct_c]: [L; 3],
    cl: OutCols<L>,
) -> (L, L, L) {
    let zero = L::splat(<L::Scalar as Real>::ZERO);
    let dsr = exp0(a - r.shift);
    let mut g = dsr;
    let mut t_img = zero;
    if FAST || has_col {
        let dsc = exp0(c - cl.shift);
        g = g + dsc;
        if FAST || wants.h_col {
            t_img = term(dsc, cl.h_min, cl.h_fac);
            if !FAST && wants.h_col_direct {
                t_img = t_img + keep(exp0(c - direct_c));
            }
        }
    }
    let t_txt = if !(FAST || wants.h_row) {
        zero
    } else if !FAST && wants.h_row_direct && r.h_direct {
        keep(exp0(a - r.h_shift))
    } else {
        term(dsr, r.h_min, r.h_fac)
    };
    (g, t_txt, t_img)
}
