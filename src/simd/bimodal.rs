//! Both directions of a bimodal step on lanes (SPEC sections 2 and 3).
//!
//! Passes over the row-major `B x B` matrix `S`:
//!
//! 1. [`column::maxima`] (from [`prepare`], among the precondition
//!    checks): the largest `a` of every row anchor and every column anchor,
//!    and `max |S|` for the checks (reads `S`; no exp).
//! 2. [`column::exp_pass`]: `exp(a_T - colmax)` of the column direction
//!    into `dS`, and the column sums (reads `S`, writes `dS`).
//! 3. per column anchor (scalar): state update, `log_den`, the factors that
//!    turn those exponentials into weights (`column_stats`).
//! 4. [`row::run`], per row: `exp(a - rowmax)` into a row buffer, the row
//!    anchor's statistics, then weights of both directions, `dS`, losses and
//!    zeta-gradient terms (reads `S` and `dS`, writes `dS`).
//!
//! So `S` is read three times, `dS` written twice and read once, and each
//! entry costs one exp per direction (the floor: a single shared exp would
//! underflow in f32). The zeta-gradient terms need no exp of their own:
//! `exp(a - log_dt) = w exp(log_den - log_dt)`.

use super::{
    ColumnSums, Lanes, V,
    anchor::{self, Prev},
    column, ld,
    row::{self, Columns, RowOut, Rows},
};
use crate::{
    Real,
    state::AnchorState,
    step::{Kind, Spec},
    sum::Sum,
};

/// Scratch elements the SIMD bimodal step needs: 14 vectors of length `b`
/// ([`Parts`]).
pub(crate) const fn scratch_len(b: usize) -> usize {
    b.saturating_mul(14)
}

/// How the three passes over the whole matrix run: [`Serial`] here, on
/// rayon's workers in `crate::par`. Every other step of [`run`] is shared,
/// and an implementation must give bit-identical results.
pub(crate) trait Passes<T: Real> {
    /// [`column::maxima`].
    fn maxima(&mut self, p: &Pass<'_, T>, rowmax: &mut [T], colmax: &mut [T]) -> Option<T>;
    /// [`column::exp_pass`].
    fn exp_pass(
        &mut self,
        p: &Pass<'_, T>,
        colmax: &[T],
        ds: &mut [T],
        sums: &mut ColumnSums<'_, T>,
    );
    /// [`row::run`].
    fn rows(
        &mut self,
        p: &Pass<'_, T>,
        rows: Rows<'_, '_, '_, T>,
        cols: &Columns<'_, T>,
        ds: &mut [T],
        out: RowOut<'_, T>,
    ) -> row::Sums<T>;
}

/// The passes on the calling thread.
pub(crate) struct Serial;

impl<T: Real> Passes<T> for Serial {
    fn maxima(&mut self, p: &Pass<'_, T>, rowmax: &mut [T], colmax: &mut [T]) -> Option<T> {
        column::maxima(p, rowmax, colmax)
    }

    fn exp_pass(
        &mut self,
        p: &Pass<'_, T>,
        colmax: &[T],
        ds: &mut [T],
        sums: &mut ColumnSums<'_, T>,
    ) {
        column::exp_pass(p, colmax, ds, sums);
    }

    fn rows(
        &mut self,
        p: &Pass<'_, T>,
        rows: Rows<'_, '_, '_, T>,
        cols: &Columns<'_, T>,
        ds: &mut [T],
        out: RowOut<'_, T>,
    ) -> row::Sums<T> {
        row::run(p, rows, cols, ds, out)
    }
}

/// The scratch, cut into its per-column vectors. The first two are the
/// finished `h` the caller reads after [`run`].
struct Parts<'a, T> {
    h_text: &'a mut [T],
    h_image: &'a mut [T],
    h_text_part: &'a mut [T],
    h_text_comp: &'a mut [T],
    zeta_t: &'a mut [T],
    zeta_i: &'a mut [T],
    diag: &'a mut [T],
    rowmax: &'a mut [T],
    colmax: &'a mut [T],
    col_part: &'a mut [T],
    col_sum: &'a mut [T],
    col_comp: &'a mut [T],
    col_w: &'a mut [T],
    buf: &'a mut [T],
}

fn parts<T>(scratch: &mut [T], b: usize) -> Parts<'_, T> {
    let mut it = scratch[..scratch_len(b)].chunks_exact_mut(b);
    let mut next = || it.next().unwrap_or_default();
    Parts {
        h_text: next(),
        h_image: next(),
        h_text_part: next(),
        h_text_comp: next(),
        zeta_t: next(),
        zeta_i: next(),
        diag: next(),
        rowmax: next(),
        colmax: next(),
        col_part: next(),
        col_sum: next(),
        col_comp: next(),
        col_w: next(),
        buf: next(),
    }
}

/// The inputs of the first pass: candidates' zeta arrays and ids of both
/// directions, and their temperatures.
pub(crate) struct Prepare<'a, T> {
    pub zeta: [Option<&'a [T]>; 2],
    pub cand_ids: [&'a [usize]; 2],
    pub tau: [T; 2],
}

/// The first pass, run among the precondition checks: gathers the
/// candidates' zeta and the diagonal into scratch, and computes the maxima
/// of both directions together with `max |S|` ([`column::maxima`]).
/// Returns `None` if a score is not finite. Writes nothing but scratch, and
/// reads zeta through ids that are not checked yet (an invalid id reads 0;
/// the checks then refuse the call).
pub(crate) fn prepare<T: Real>(
    passes: &mut impl Passes<T>,
    s: &[T],
    b: usize,
    inputs: &Prepare<'_, T>,
    scratch: &mut [T],
) -> Option<T> {
    let q = parts(scratch, b);
    gather(q.zeta_t, inputs.zeta[0], inputs.cand_ids[0]);
    gather(q.zeta_i, inputs.zeta[1], inputs.cand_ids[1]);
    for (j, d) in q.diag.iter_mut().enumerate() {
        *d = s[j * b + j];
    }
    let p = Pass::new(s, b, q.zeta_t, q.zeta_i, q.diag, inputs.tau);
    passes.maxima(&p, q.rowmax, q.colmax)
}

/// The matrix and the per-column inputs shared by the passes.
#[derive(Clone, Copy)]
pub(crate) struct Pass<'a, T: Real> {
    pub s: &'a [T],
    pub b: usize,
    /// Zeta of text `j`: the row direction's candidate in column `j`.
    pub zeta_t: &'a [T],
    /// Zeta of image `i`: the column direction's candidate in row `i`.
    pub zeta_i: &'a [T],
    /// `S[j][j]`.
    pub diag: &'a [T],
    /// `1 / tau` of the row and the column direction.
    pub inv_tau: [V<T>; 2],
    /// `1 / tau` of the column direction.
    pub inv_tau_c: T,
}

impl<'a, T: Real> Pass<'a, T> {
    fn new(
        s: &'a [T],
        b: usize,
        zeta_t: &'a [T],
        zeta_i: &'a [T],
        diag: &'a [T],
        tau: [T; 2],
    ) -> Self {
        Pass {
            s,
            b,
            zeta_t,
            zeta_i,
            diag,
            inv_tau: [
                V::<T>::splat(T::ONE / tau[0]),
                V::<T>::splat(T::ONE / tau[1]),
            ],
            inv_tau_c: T::ONE / tau[1],
        }
    }

    #[inline(always)]
    pub(crate) fn row(&self, i: usize) -> &[T] {
        &self.s[i * self.b..(i + 1) * self.b]
    }

    /// `a[i][j] = (S[i][j] - S[i][i] - zeta_T[j]) / tau` for `j..j+n`.
    #[inline(always)]
    pub(crate) fn a_row(&self, sv: V<T>, s_pos: V<T>, j: usize, n: usize) -> V<T> {
        ((sv - s_pos) - ld(self.zeta_t, j, n, T::ZERO)) * self.inv_tau[0]
    }

    /// `a_T[j][i] = (S[i][j] - S[j][j] - zeta_I[i]) / tau` for `j..j+n`.
    #[inline(always)]
    pub(crate) fn a_col(&self, sv: V<T>, zeta_i: V<T>, j: usize, n: usize) -> V<T> {
        ((sv - ld(self.diag, j, n, T::ZERO)) - zeta_i) * self.inv_tau[1]
    }

    /// `a_T[j][i]` of one entry, as [`Pass::a_col`] computes it.
    fn a_col_at(&self, i: usize, j: usize) -> T {
        ((self.s[i * self.b + j] - self.diag[j]) - self.zeta_i[i]) * self.inv_tau_c
    }
}

/// One direction: its parameters, anchors' state and weights out (the
/// candidates' zeta went in through [`prepare`]).
pub(crate) struct Dir<'a, 's, 'v, T: Real> {
    pub spec: Spec<T>,
    pub anchor_ids: &'a [usize],
    pub anchors: Option<&'s mut AnchorState<'v, T>>,
    pub weights: Option<&'s mut [T]>,
}

/// Runs the row direction `d0` (image anchors) and the column direction
/// `d1` (text anchors) after [`prepare`] filled `scratch`; returns their
/// weighted losses. The finished `h` of the row direction's candidates (texts)
/// is in `scratch[..b]`, the column direction's (images) in
/// `scratch[b..2b]`, each when that direction asked for `h`.
#[allow(clippy::too_many_lines)] // the pass order, in one place
pub(crate) fn run<T: Real>(
    passes: &mut impl Passes<T>,
    s: &[T],
    b: usize,
    d0: Dir<'_, '_, '_, T>,
    d1: Dir<'_, '_, '_, T>,
    ds: &mut [T],
    scratch: &mut [T],
) -> [T; 2] {
    let Parts {
        h_text,
        h_image,
        h_text_part,
        h_text_comp,
        zeta_t,
        zeta_i,
        diag,
        rowmax,
        colmax,
        col_part,
        col_sum,
        col_comp,
        col_w,
        buf,
    } = parts(scratch, b);
    let p = Pass::new(s, b, zeta_t, zeta_i, diag, [d0.spec.tau, d1.spec.tau]);
    let mut col_sums = ColumnSums {
        part: col_part,
        sum: col_sum,
        comp: col_comp,
    };
    passes.exp_pass(&p, colmax, ds, &mut col_sums);
    let (col_sum, col_comp) = (col_sums.sum, col_sums.comp);

    // Column anchors: colmax becomes the weight scale, col_sum the h
    // factor (both relative to what `ds` holds), col_comp `log_den`; col_w
    // the weight sums.
    let Dir {
        spec: spec_c,
        anchor_ids: text_ids,
        anchors: mut text_state,
        weights: mut weights_text,
        ..
    } = d1;
    let want_h_c = matches!(spec_c.kind, Kind::Dpm { h: true, .. });
    let mut loss_c = Sum::ZERO;
    h_image.fill(T::ZERO);
    let logs_c = anchor::Logs::new(&spec_c, b - 1);
    for j in 0..b {
        let e_sum = col_sum[j] - col_comp[j];
        let prev = text_state
            .as_deref()
            .map_or(Prev::Stateless, |st| Prev::of(st, text_ids[j]));
        let cmax = colmax[j];
        let a = anchor::stats(&spec_c, &logs_c, cmax, e_sum, p.zeta_i[j], prev);
        if let Some(st) = text_state.as_deref_mut() {
            anchor::store(st, text_ids[j], a.u);
        }
        let w_sum = if a.direct {
            direct_column(&p, j, [cmax, a.rel_den], ds)
        } else {
            a.scale * e_sum
        };
        colmax[j] = a.scale;
        col_sum[j] = a.h_scale;
        col_comp[j] = a.log_den;
        col_w[j] = w_sum;
        h_image[j] += a.h_pos;
        if a.direct_h {
            direct_h_column(&p, j, [cmax, a.rel_dt], h_image);
        }
        if let Kind::InfoNce = spec_c.kind {
            // Divided by B before the sum, as every loss term (`row::Sums`).
            loss_c.add(a.log_den / T::from_usize(b));
        }
    }

    let Dir {
        spec: spec_r,
        anchor_ids: image_ids,
        anchors: image_state,
        weights: weights_image,
        ..
    } = d0;
    let info_nce_c = matches!(spec_c.kind, Kind::InfoNce);
    let sums = passes.rows(
        &p,
        Rows {
            spec: &spec_r,
            max: rowmax,
            state: image_state.map(|st| (st, image_ids)),
        },
        &Columns {
            scale: colmax,
            h_factor: col_sum,
            w_sum: col_w,
            ds_scale: anchor::ds_scale(&spec_c, b),
            loss: !info_nce_c,
            h: want_h_c,
        },
        ds,
        RowOut {
            buf,
            h_text: ColumnSums {
                part: h_text_part,
                sum: &mut *h_text,
                comp: h_text_comp,
            },
            h_image: &mut *h_image,
            weights_image,
            weights_text: weights_text.as_deref_mut(),
        },
    );
    if let (true, Some(w)) = (info_nce_c, weights_text) {
        // InfoNCE's softmax includes the positive (SPEC section 4).
        for (j, &log_den) in col_comp.iter().enumerate() {
            w[j * b + j] = (-log_den).exp();
        }
    }
    loss_c.add(sums.col.value());

    // h = 1 - (n / (n-1)) (1 / B) sum (SPEC section 2).
    if matches!(spec_r.kind, Kind::Dpm { h: true, .. }) {
        let f = h_factor::<T>(spec_r.n, b);
        for j in 0..b {
            // The Kahan pair's value (`ColumnSums`).
            h_text[j] = T::ONE - f * (h_text[j] - h_text_comp[j]);
        }
    }
    if want_h_c {
        let f = h_factor::<T>(spec_c.n, b);
        for v in h_image.iter_mut() {
            *v = T::ONE - f * *v;
        }
    }
    // Every term is divided by B already; the column direction's
    // per-entry terms carry their weight too (`row::Sums`).
    let col_weight = if info_nce_c { spec_c.weight } else { T::ONE };
    [
        sums.row.value() * spec_r.weight,
        loss_c.value() * col_weight,
    ]
}

fn h_factor<T: Real>(n: usize, b: usize) -> T {
    T::from_usize(n) / T::from_usize(n - 1) / T::from_usize(b)
}

/// `out[k] = zeta[ids[k]]` (0 for an id out of range: the checks refuse
/// it later), or 0 without zeta.
fn gather<T: Real>(out: &mut [T], zeta: Option<&[T]>, ids: &[usize]) {
    match zeta {
        Some(z) => {
            for (o, &id) in out.iter_mut().zip(ids) {
                *o = z.get(id).copied().unwrap_or(T::ZERO);
            }
        }
        None => out.fill(T::ZERO),
    }
}

/// Column `j` of `ds` as weights computed directly, `exp((a_T - max) -
/// rel_den)` (see [`anchor::RESCALE_LIMIT`]); returns their sum.
fn direct_column<T: Real>(p: &Pass<'_, T>, j: usize, [max, rel_den]: [T; 2], ds: &mut [T]) -> T {
    let mut sum = Sum::ZERO;
    for i in 0..p.b {
        let w = if i == j {
            T::ZERO
        } else {
            ((p.a_col_at(i, j) - max) - rel_den).exp()
        };
        ds[i * p.b + j] = w;
        sum.add(w);
    }
    sum.value()
}

/// Adds `exp((a_T[j][i] - max) - rel_dt)` to `h[i]` for every image `i !=
/// j`: the direct path of [`anchor::H_RESCALE_LIMIT`].
fn direct_h_column<T: Real>(p: &Pass<'_, T>, j: usize, [max, rel_dt]: [T; 2], h: &mut [T]) {
    for (i, h) in h.iter_mut().enumerate() {
        if i != j {
            *h += ((p.a_col_at(i, j) - max) - rel_dt).exp();
        }
    }
}
