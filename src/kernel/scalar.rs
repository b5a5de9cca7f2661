//! One direction of a step, one element at a time: SPEC section 2 with
//! the general layout of section 3b and the special cases of section 4.
//! This is the reference the SIMD kernels are tested against; the
//! per-anchor part is [`super::anchor`], which they share.
//!
//! Anchors index rows of the direction and candidates its columns. The
//! text-to-image direction of a bimodal step reads the same row-major `S`
//! with the roles swapped ([`Scores::transposed`]), without a copy.

use super::anchor::{self, Logs, Prev};
use super::spec::{Kind, Spec};
use crate::{
    Layout, Real,
    lanes::exp::{exp0_scalar, flush},
    state::AnchorState,
    sum::{ScaledSum, Sum},
};

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
    /// `cols` values: `h` of each candidate column, when the kind asks
    /// for it.
    pub h: Option<&'o mut [T]>,
    /// `2 * cols` values of scratch for the compensated sums of `h`.
    pub h_acc: &'o mut [T],
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
    let r_count = T::from_usize(spec.norm_rows(rows));
    let logs = Logs::new(spec, rows);
    let zeta_of = |c: usize| zeta.map_or(T::ZERO, |z| z[batch.cand_ids[c]]);
    let Sink {
        ds,
        add,
        mut weights,
        h,
        h_acc,
    } = sink;
    h_acc.fill(T::ZERO);
    let layout = batch.layout;

    let info_nce = matches!(spec.kind, Kind::InfoNce);
    let mut loss = ScaledSum::ZERO;
    for r in 0..rows {
        let p = layout.positive(r, cols);
        let s_pos = scores.at(r, p);
        // a[r][c] = (S[r][c] - S[r][pos] - zeta[c]) / tau
        let a = |c: usize| (scores.at(r, c) - s_pos - zeta_of(c)) / tau;
        let negatives = (0..cols).filter(|&c| layout.is_negative(r, c, cols));

        // The row's largest a, its sum of exp(a - max) (at least 1), and
        // the anchor's statistics.
        let mx = negatives.clone().map(a).fold(T::NEG_INFINITY, T::max);
        let mut sum = Sum::ZERO;
        for c in negatives.clone() {
            sum.add(exp0_scalar(a(c) - mx));
        }
        let prev = anchors
            .as_deref()
            .map_or(Prev::Stateless, |st| Prev::of(st, batch.anchor_ids[r]));
        let m = layout.negatives(r, cols);
        let an = anchor::stats(spec, &logs, m, mx, sum.value(), zeta_of(p), prev);
        if let Some(st) = anchors.as_deref_mut() {
            anchor::store(st, batch.anchor_ids[r], an.u);
        }

        // Weights w = exp(a - log_den), dS and the loss of this row.
        for c in 0..cols {
            let k = scores.idx(r, c);
            let w = if layout.is_negative(r, c, cols) {
                let w = exp0_scalar((a(c) - mx) - an.rel_den);
                if !info_nce {
                    // w (S - S_pos) / R: divided by R before it is summed
                    // (the checks bound a row's loss, not a sum of R of
                    // them; SPEC section 7), and kept when it is below
                    // the smallest normal number (their sum need not be).
                    loss.add_product(w, scores.at(r, c) - s_pos, r_count);
                }
                w
            } else if c == p {
                an.w_pos
            } else {
                T::ZERO
            };
            if let Some(wout) = weights.as_deref_mut() {
                wout[k] = w;
            }
            let g = if c == p {
                -an.ds_sum
            } else {
                flush(w * logs.ds_scale())
            };
            ds[k] = if add { ds[k] + g } else { g };
        }
        // InfoNCE's loss of a row is its log_den, over R likewise.
        if info_nce {
            loss.add_quotient(an.log_den, r_count, T::ONE);
        }

        // Terms of the zeta gradient: exp(a[r][c] - log_dt[r]) for every
        // column the row sees, its positive included (a = -zeta[pos]/tau).
        if spec.wants_h() {
            let mut push = |c: usize, t: T| {
                let mut s = Sum::from_parts(h_acc[2 * c], h_acc[2 * c + 1]);
                s.add(t);
                (h_acc[2 * c], h_acc[2 * c + 1]) = s.parts();
            };
            for c in negatives {
                push(c, anchor::h_term(exp0_scalar((a(c) - mx) - an.rel_dt)));
            }
            push(p, an.h_pos);
        }
    }
    if let (true, Some(h)) = (spec.wants_h(), h) {
        for (c, v) in h.iter_mut().enumerate() {
            *v = logs.h_out(
                spec,
                Sum::from_parts(h_acc[2 * c], h_acc[2 * c + 1]).value(),
            );
        }
    }
    flush(loss.value() * spec.weight)
}
