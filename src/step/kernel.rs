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
    let Spec { tau, gamma, .. } = *spec;
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

        // L = log sum_{negatives} exp(a); the moving average in log domain.
        let l = lse_of(negatives.clone().map(a));
        let u = match anchors.as_deref_mut() {
            None => l,
            Some(st) => {
                let id = batch.anchor_ids[r];
                let u = if st.flags[id] & crate::state::SEEN_FLAG != 0 {
                    log_add_exp((T::ONE - gamma).ln() + st.log_s[id], gamma.ln() + l)
                } else {
                    match spec.first_visit {
                        FirstVisit::Batch => l,
                        FirstVisit::ZeroHistory => gamma.ln() + l,
                    }
                };
                st.log_s[id] = u;
                st.flags[id] |= crate::state::SEEN_FLAG;
                u
            }
        };

        let log_off = match spec.kind {
            Kind::Dpm { offset, .. } => {
                let base = (m / n_minus_1).ln();
                match offset {
                    Offset::Xi(xi) => base - xi / tau,
                    Offset::Vanilla => base - zeta_of(p) / tau,
                }
            }
            Kind::SogClr => T::NEG_INFINITY,
            Kind::InfoNce => T::ZERO,
        };
        let log_den = log_add_exp(log_off, u);

        // Weights, dS and the loss of this row.
        let mut w_sum = Sum::ZERO;
        let mut row_loss = Sum::ZERO;
        for c in 0..cols {
            let k = scores.idx(r, c);
            let w = if layout.is_negative(r, c, cols) {
                let w = (a(c) - log_den).exp();
                w_sum.add(w);
                row_loss.add(w * (scores.at(r, c) - s_pos));
                w
            } else if c == p && matches!(spec.kind, Kind::InfoNce) {
                (-log_den).exp()
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
        loss.add(match spec.kind {
            Kind::InfoNce => log_den,
            _ => row_loss.value(),
        });

        // Terms of the zeta gradient: exp(a[r][c] - log_dt[r]) for every
        // column the row sees, its positive included (a = -zeta[pos]/tau).
        if let (Kind::Dpm { h: true, .. }, Some(acc)) = (spec.kind, h_acc.as_deref_mut()) {
            let zeta_pos = zeta_of(p) / tau;
            let log_dt = log_add_exp(-n_minus_1.ln() - zeta_pos, u - m.ln());
            let mut push = |c: usize, t: T| {
                let mut s = Sum::from_parts(acc[2 * c], acc[2 * c + 1]);
                s.add(t.exp());
                (acc[2 * c], acc[2 * c + 1]) = s.parts();
            };
            for c in negatives {
                push(c, a(c) - log_dt);
            }
            push(p, -zeta_pos - log_dt);
        }
    }
    loss.value() * spec.weight / r_count
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
