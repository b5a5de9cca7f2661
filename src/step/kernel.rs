//! One direction of a step: SPEC section 2, with the general layout of
//! section 3b and the special cases of section 4. This is the scalar
//! reference: each line is a line of the SPEC.
//!
//! Anchors index rows of the direction and candidates its columns. The
//! text-to-image direction of a bimodal step reads the same row-major `S`
//! with the roles swapped ([`Scores::transposed`]), without a copy.

use super::{Layout, Offset};
use crate::{
    FirstVisit, Real,
    lse::{log_add_exp, lse_of},
    state::AnchorState,
    sum::Sum,
};

/// Which loss a direction computes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind<T> {
    /// DPM / NUCLR; `h`: accumulate the zeta gradient.
    Dpm { offset: Offset<T>, h: bool },
    /// SogCLR / GCL: zeta = 0, `log_off = -inf`.
    SogClr,
    /// InfoNCE / CLIP: no state; the positive's own mass (`a = 0`) is the
    /// offset, so the weights are the softmax over all columns.
    InfoNce,
}

/// Everything that is fixed for a direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec<T> {
    pub kind: Kind<T>,
    pub tau: T,
    pub gamma: T,
    pub first_visit: FirstVisit,
    /// Population size (only DPM reads it).
    pub n: usize,
    /// Weight of this direction in the total (InfoNCE bimodal: 1/2).
    pub weight: T,
}

/// The score matrix as seen from one direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scores<'a, T> {
    s: &'a [T],
    width: usize,
    transposed: bool,
}

impl<'a, T: Real> Scores<'a, T> {
    /// Anchors are the rows of a row-major matrix with `width` columns.
    pub(crate) fn rows(s: &'a [T], width: usize) -> Self {
        Scores {
            s,
            width,
            transposed: false,
        }
    }

    /// Anchors are the columns of a row-major matrix with `width` columns.
    pub(crate) fn transposed(s: &'a [T], width: usize) -> Self {
        Scores {
            s,
            width,
            transposed: true,
        }
    }

    /// Flat index of (anchor, candidate) in `S` (and in `dS`, weights).
    #[inline]
    pub(crate) fn idx(&self, anchor: usize, cand: usize) -> usize {
        if self.transposed {
            cand * self.width + anchor
        } else {
            anchor * self.width + cand
        }
    }

    #[inline]
    fn at(&self, anchor: usize, cand: usize) -> T {
        self.s[self.idx(anchor, cand)]
    }
}

/// The batch of a direction: `rows` anchors, `cols` candidates, and their
/// dataset ids where state is read (otherwise empty).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batch<'a> {
    pub layout: Layout<'a>,
    pub rows: usize,
    pub cols: usize,
    pub anchor_ids: &'a [usize],
    pub cand_ids: &'a [usize],
}

/// Where a direction writes.
#[derive(Debug)]
pub(crate) struct Sink<'o, T> {
    /// `dS`, indexed like `S`.
    pub ds: &'o mut [T],
    /// Add to `ds` (second direction) instead of overwriting it.
    pub add: bool,
    /// Weights, indexed like `S` (overwritten).
    pub weights: Option<&'o mut [T]>,
    /// `2 * cols` values: compensated column sums of the zeta-gradient
    /// terms, turned into `h` by [`finish_h`]. Required when the kind asks
    /// for `h`.
    pub h_acc: Option<&'o mut [T]>,
}

/// Runs one direction over all anchors; returns the direction's loss
/// (already weighted). `anchors` is the anchors' state (`None` for
/// InfoNCE); `zeta` the candidates' zeta array (`None`: zeta = 0).
///
/// The caller has checked every precondition; nothing here can fail.
pub(crate) fn run<T: Real>(
    spec: &Spec<T>,
    batch: &Batch<'_>,
    scores: Scores<'_, T>,
    mut anchors: Option<&mut AnchorState<'_, T>>,
    zeta: Option<&[T]>,
    sink: Sink<'_, T>,
) -> T {
    let (rows, cols) = (batch.rows, batch.cols);
    let tau = spec.tau;
    let r_count = T::from_usize(rows);
    let ds_scale = match spec.kind {
        Kind::InfoNce => spec.weight / (r_count * tau),
        _ => spec.weight / r_count,
    };
    let n_minus_1 = T::from_usize(spec.n.saturating_sub(1));
    let zeta_of = |c: usize| zeta.map_or(T::ZERO, |z| z[batch.cand_ids[c]]);
    let Sink {
        ds,
        add,
        mut weights,
        mut h_acc,
    } = sink;
    if let Some(h) = h_acc.as_deref_mut() {
        h.fill(T::ZERO);
    }

    let mut loss = Sum::ZERO;
    for r in 0..rows {
        let layout = batch.layout;
        let p = layout.positive(r, cols);
        let s_pos = scores.at(r, p);
        // a[r][c] = (S[r][c] - S[r][pos] - zeta[c]) / tau
        let a = |c: usize| (scores.at(r, c) - s_pos - zeta_of(c)) / tau;
        let negatives = (0..cols).filter(|&c| layout.is_negative(r, c, cols));
        let m = T::from_usize(layout.negatives(r, cols));

        // L = log sum_{negatives} exp(a) = mx + ls; the moving average in
        // log domain. Every log quantity of the row is also kept relative
        // to mx (`rel_*`), so that ln(m), ln(gamma) and ln(sum) survive in
        // t = a - log_den = (a - mx) - rel_den even when |a| is so large
        // that mx + ln(m) rounds to mx.
        let mx = negatives.clone().map(a).fold(T::NEG_INFINITY, T::max);
        let ls = lse_of(negatives.clone().map(|c| a(c) - mx));
        let rel_u = match anchors.as_deref_mut() {
            None => ls,
            Some(st) => moving_average(spec, st, batch.anchor_ids[r], mx, ls),
        };
        let log_off = log_offset(spec, m, n_minus_1, zeta_of(p));
        let rel_off = log_off - mx;
        let rel_den = log_add_exp(rel_off, rel_u);

        // Weights, dS and the loss of this row.
        let mut w_sum = Sum::ZERO;
        let mut row_loss = Sum::ZERO;
        for c in 0..cols {
            let k = scores.idx(r, c);
            let w = if layout.is_negative(r, c, cols) {
                let w = ((a(c) - mx) - rel_den).exp();
                w_sum.add(w);
                row_loss.add(w * (scores.at(r, c) - s_pos));
                w
            } else if c == p && matches!(spec.kind, Kind::InfoNce) {
                // a[pos] = 0 is the offset itself: exp(rel_off - rel_den),
                // written without subtracting two possibly huge numbers.
                (-log_add_exp(T::ZERO, rel_u - rel_off)).exp()
            } else {
                T::ZERO
            };
            if let Some(wout) = weights.as_deref_mut() {
                wout[k] = w;
            }
            if c != p {
                let g = w * ds_scale;
                ds[k] = if add { ds[k] + g } else { g };
            }
        }
        let g_pos = -w_sum.value() * ds_scale;
        let kp = scores.idx(r, p);
        ds[kp] = if add { ds[kp] + g_pos } else { g_pos };
        // Each row's loss is bounded by the checks, a sum of R of them is
        // not: scaled by 1 / R before it is summed, the total stays within
        // that bound too (SPEC section 7).
        let row_loss = match spec.kind {
            Kind::InfoNce => mx + rel_den,
            _ => row_loss.value(),
        };
        loss.add(row_loss / r_count);

        // Terms of the zeta gradient: exp(a[r][c] - log_dt[r]) for every
        // column the row sees, its positive included (a = -zeta[pos]/tau).
        if let (Kind::Dpm { h: true, .. }, Some(acc)) = (spec.kind, h_acc.as_deref_mut()) {
            let zeta_pos = zeta_of(p) / tau;
            let rel_dt = log_add_exp((-n_minus_1.ln() - zeta_pos) - mx, rel_u - m.ln());
            let mut push = |c: usize, t: T| {
                let mut s = Sum::from_parts(acc[2 * c], acc[2 * c + 1]);
                s.add(t.exp());
                (acc[2 * c], acc[2 * c + 1]) = s.parts();
            };
            for c in negatives {
                push(c, (a(c) - mx) - rel_dt);
            }
            // a[pos] = -zeta[pos]/tau: a[pos] - log_dt, written as
            // -logaddexp(-ln(n-1), u - ln(m) - a[pos]) so that no two huge
            // numbers are subtracted (that cancellation overflows exp).
            push(
                p,
                -log_add_exp(-n_minus_1.ln(), (rel_u - m.ln()) - (-zeta_pos - mx)),
            );
        }
    }
    loss.value() * spec.weight
}

/// Updates the anchor's `u` (SPEC section 2) and returns it relative to the
/// row max: `u - mx`, given the batch's `L = mx + ls`.
fn moving_average<T: Real>(
    spec: &Spec<T>,
    st: &mut AnchorState<'_, T>,
    id: usize,
    mx: T,
    ls: T,
) -> T {
    let gamma = spec.gamma;
    let rel_u = if st.flags[id] & crate::state::SEEN_FLAG != 0 {
        // logaddexp(ln(1-gamma) + u, ln(gamma) + L), minus mx
        log_add_exp((T::ONE - gamma).ln() + (st.log_s[id] - mx), gamma.ln() + ls)
    } else {
        match spec.first_visit {
            FirstVisit::Batch => ls,
            FirstVisit::ZeroHistory => gamma.ln() + ls,
        }
    };
    st.log_s[id] = mx + rel_u;
    st.flags[id] |= crate::state::SEEN_FLAG;
    rel_u
}

/// `log_off` of a row with `m` negatives whose positive has `zeta_pos`.
fn log_offset<T: Real>(spec: &Spec<T>, m: T, n_minus_1: T, zeta_pos: T) -> T {
    match spec.kind {
        Kind::Dpm { offset, .. } => {
            let base = (m / n_minus_1).ln();
            match offset {
                Offset::Xi(xi) => base - xi / spec.tau,
                Offset::Vanilla => base - zeta_pos / spec.tau,
            }
        }
        Kind::SogClr => T::NEG_INFINITY,
        Kind::InfoNce => T::ZERO,
    }
}

/// Turns the column sums of [`run`] into
/// `h[c] = 1 - (n / (n-1)) (1 / R) acc[c]`, written to `acc[..cols]`.
pub(crate) fn finish_h<T: Real>(n: usize, rows: usize, acc: &mut [T]) {
    let factor = T::from_usize(n) / T::from_usize(n - 1) / T::from_usize(rows);
    for c in 0..acc.len() / 2 {
        let total = Sum::from_parts(acc[2 * c], acc[2 * c + 1]).value();
        acc[c] = T::ONE - factor * total;
    }
}
