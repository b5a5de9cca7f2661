//! Both directions of a bimodal step on lanes (SPEC sections 2 and 3).
//!
//! Passes over the row-major `B x B` matrix `S`:
//!
//! 1. [`column::maxima`]: the largest `a` of every row anchor and every
//!    column anchor (reads `S`; no exp).
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
    Lanes, V,
    anchor::{self, Slot},
    column, ld,
    row::{self, Columns, RowOut, Rows},
};
use crate::{
    Real,
    state::AnchorState,
    step::{Kind, Spec},
    sum::Sum,
};

/// Scratch elements the SIMD bimodal step needs: 12 vectors of length `b`
/// (the zetas, diagonal, maxima, column sums and factors, the row buffer,
/// both `h` accumulators).
pub(crate) const fn scratch_len(b: usize) -> usize {
    12 * b
}

/// The matrix and the per-column inputs shared by the passes.
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

impl<T: Real> Pass<'_, T> {
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

/// One direction: its parameters, state, candidates' zeta and weights out.
pub(crate) struct Dir<'a, 's, 'v, T: Real> {
    pub spec: Spec<T>,
    pub anchor_ids: &'a [usize],
    pub cand_ids: &'a [usize],
    pub anchors: Option<&'s mut AnchorState<'v, T>>,
    /// The candidates' zeta array (`None`: zeta = 0).
    pub zeta: Option<&'s [T]>,
    pub weights: Option<&'s mut [T]>,
}

/// Runs the row direction `d0` (image anchors) and the column direction
/// `d1` (text anchors); returns their weighted losses. The finished `h` of the row direction's candidates (texts)
/// is in `scratch[..b]`, the column direction's (images) in
/// `scratch[b..2b]`, each when that direction asked for `h`.
pub(crate) fn run<T: Real>(
    s: &[T],
    b: usize,
    d0: Dir<'_, '_, '_, T>,
    d1: Dir<'_, '_, '_, T>,
    ds: &mut [T],
    scratch: &mut [T],
) -> [T; 2] {
    let scratch = &mut scratch[..scratch_len(b)];
    let (h_text, rest) = scratch.split_at_mut(b);
    let (h_image, rest) = rest.split_at_mut(b);
    let (h_text_comp, rest) = rest.split_at_mut(b);
    let (zeta_t, rest) = rest.split_at_mut(b);
    let (zeta_i, rest) = rest.split_at_mut(b);
    let (diag, rest) = rest.split_at_mut(b);
    let (rowmax, rest) = rest.split_at_mut(b);
    let (colmax, rest) = rest.split_at_mut(b);
    let (col_sum, rest) = rest.split_at_mut(b);
    let (col_comp, rest) = rest.split_at_mut(b);
    let (col_w, buf) = rest.split_at_mut(b);

    gather(zeta_t, d0.zeta, d0.cand_ids);
    gather(zeta_i, d1.zeta, d1.cand_ids);
    for (j, d) in diag.iter_mut().enumerate() {
        *d = s[j * b + j];
    }
    let p = Pass {
        s,
        b,
        zeta_t,
        zeta_i,
        diag,
        inv_tau: [
            V::<T>::splat(T::ONE / d0.spec.tau),
            V::<T>::splat(T::ONE / d1.spec.tau),
        ],
        inv_tau_c: T::ONE / d1.spec.tau,
    };

    column::maxima(&p, rowmax, colmax);
    column::exp_pass(&p, colmax, ds, col_sum, col_comp);

    // Column anchors: colmax becomes the weight scale, col_sum the h
    // factor, col_comp `log_den`; col_w the weight sums.
    let Dir {
        spec: spec_c,
        anchor_ids: text_ids,
        anchors: mut text_state,
        weights: mut weights_text,
        ..
    } = d1;
    let want_h_c = matches!(spec_c.kind, Kind::Dpm { h: true, .. });
    let mut loss_c = Sum::ZERO;
    for j in 0..b {
        let e_sum = col_sum[j] - col_comp[j];
        let slot: Slot<'_, '_, T> = text_state.as_mut().map(|st| (&mut **st, text_ids[j]));
        let a = anchor::stats(&spec_c, colmax[j], e_sum, b - 1, p.zeta_i[j], slot);
        let w_sum = if a.direct {
            direct_column(&p, j, a.log_den, ds)
        } else {
            a.scale * e_sum
        };
        colmax[j] = a.scale;
        col_sum[j] = a.scale * a.h_scale;
        col_comp[j] = a.log_den;
        col_w[j] = w_sum;
        h_image[j] = a.h_pos;
        if let Kind::InfoNce = spec_c.kind {
            loss_c.add(a.log_den);
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
    let sums = row::run(
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
            h_text: (&mut *h_text, h_text_comp),
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
            let t = Sum::from_parts(h_text[j], h_text_comp[j]).value();
            h_text[j] = T::ONE - f * t;
        }
    }
    if want_h_c {
        let f = h_factor::<T>(spec_c.n, b);
        for v in h_image.iter_mut() {
            *v = T::ONE - f * *v;
        }
    }
    let r = T::from_usize(b);
    [
        sums.row.value() * spec_r.weight / r,
        loss_c.value() * spec_c.weight / r,
    ]
}

fn h_factor<T: Real>(n: usize, b: usize) -> T {
    T::from_usize(n) / T::from_usize(n - 1) / T::from_usize(b)
}

/// `out[k] = zeta[ids[k]]`, or 0 without zeta.
fn gather<T: Real>(out: &mut [T], zeta: Option<&[T]>, ids: &[usize]) {
    match zeta {
        Some(z) => {
            for (o, &id) in out.iter_mut().zip(ids) {
                *o = z[id];
            }
        }
        None => out.fill(T::ZERO),
    }
}

/// Column `j` of `ds` as weights computed directly, `exp(a_T - log_den)`
/// (see [`anchor::RESCALE_LIMIT`]); returns their sum.
fn direct_column<T: Real>(p: &Pass<'_, T>, j: usize, log_den: T, ds: &mut [T]) -> T {
    let mut sum = Sum::ZERO;
    for i in 0..p.b {
        let w = if i == j {
            T::ZERO
        } else {
            (p.a_col_at(i, j) - log_den).exp()
        };
        ds[i * p.b + j] = w;
        sum.add(w);
    }
    sum.value()
}
