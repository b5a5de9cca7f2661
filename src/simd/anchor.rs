//! The scalar part of one anchor (a row of one direction, a column of the
//! other): from its largest `a` and `sum exp(a - max)` to the state update
//! and the denominators of SPEC section 2, line for line as the scalar
//! reference (`step/kernel.rs`).

use crate::{
    FirstVisit, Offset, Real,
    lse::log_add_exp,
    state::{AnchorState, SEEN_FLAG},
    step::{Kind, Spec},
};

/// When `max - log_den` exceeds this, `w = exp(a - max) * exp(max -
/// log_den)` would scale subnormal `exp(a - max)` values up to normal
/// weights and lose their precision: such an anchor's weights are
/// recomputed directly as `exp(a - log_den)` (an extra exp pass). Only a
/// history much lighter than the batch gets here (`max - log_den <=
/// -ln(gamma)`, so `gamma < e^-5`).
pub(crate) const RESCALE_LIMIT: f64 = 5.0;

/// The same for the zeta-gradient terms `exp(a - log_dt) = exp(a - max)
/// exp(max - log_dt)`. `h` is `1 - (n/(n-1)/B) sum`, so only the absolute
/// error of a term matters: a factor up to `e^64` keeps it below `2^-56`.
/// `max - log_dt <= ln(B-1) - ln(gamma)` while `xi >= zeta` (SPEC section
/// 1); a stale `xi` far below the zetas can exceed it, and then the terms
/// are computed directly (an extra exp pass for the anchor).
pub(crate) const H_RESCALE_LIMIT: f64 = 64.0;

/// What one anchor contributes besides its per-entry terms. Like the
/// scalar reference, every log quantity is kept relative to the anchor's
/// largest `a` (`max`), so that `ln(m)`, `ln(gamma)` and the sum survive in
/// `a - log_den = (a - max) - rel_den` even when `|a|` is so large that
/// `max + ln(m)` rounds to `max`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchor<T> {
    /// `log_den - max` (SPEC section 2's `log_den`).
    pub rel_den: T,
    /// `log_den` itself (InfoNCE's loss and positive weight).
    pub log_den: T,
    /// `log_dt - max` (SPEC section 2's `log_dt`; with `h` only).
    pub rel_dt: T,
    /// `exp(max - log_den)`: turns `exp(a - max)` into weights (1 when
    /// `direct`).
    pub scale: T,
    /// The weights need a direct pass `exp((a - max) - rel_den)` (see
    /// [`RESCALE_LIMIT`]).
    pub direct: bool,
    /// `exp(max - log_dt)`: turns `exp(a - max)` into zeta-gradient terms
    /// (0 without `h` or with `direct_h`).
    pub h_scale: T,
    /// The zeta-gradient terms need a direct pass `exp((a - max) - rel_dt)`
    /// (see [`H_RESCALE_LIMIT`]).
    pub direct_h: bool,
    /// The zeta-gradient term of the anchor's own positive (0 without
    /// `h`).
    pub h_pos: T,
    /// The anchor's new `u` to store (`None` without state).
    pub u: Option<T>,
}

/// An anchor's `u` before the step, as [`stats`] needs it: `stats` itself
/// touches no state, so that a parallel pass can gather and scatter it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Prev<T> {
    /// No state (InfoNCE).
    Stateless,
    /// Never visited.
    Fresh,
    /// Visited, with this `u`.
    Seen(T),
}

impl<T: Real> Prev<T> {
    /// The `u` of `id` in `st`.
    #[inline]
    pub(crate) fn of(st: &AnchorState<'_, T>, id: usize) -> Self {
        if st.flags[id] & SEEN_FLAG != 0 {
            Prev::Seen(st.log_s[id])
        } else {
            Prev::Fresh
        }
    }
}

/// Stores the new `u` of an anchor (`u` from [`Anchor::u`]).
#[inline]
pub(crate) fn store<T: Real>(st: &mut AnchorState<'_, T>, id: usize, u: Option<T>) {
    if let Some(u) = u {
        st.log_s[id] = u;
        st.flags[id] |= SEEN_FLAG;
    }
}

/// The logarithms that are the same for every anchor of a direction
/// (computed once per direction, not per anchor: they were a visible share
/// of the profile at B = 1024).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logs<T> {
    /// `ln(1 - gamma)`.
    ln_keep: T,
    /// `ln(gamma)`.
    ln_gamma: T,
    /// `ln(m / (n - 1))`.
    base: T,
    /// `ln(n - 1)`.
    ln_n_minus_1: T,
    /// `ln(m)`.
    ln_m: T,
}

impl<T: Real> Logs<T> {
    /// The constants of a direction whose anchors have `m` negatives each.
    pub(crate) fn new(spec: &Spec<T>, m: usize) -> Self {
        let m = T::from_usize(m);
        let n_minus_1 = T::from_usize(spec.n.saturating_sub(1));
        Logs {
            ln_keep: (T::ONE - spec.gamma).ln(),
            ln_gamma: spec.gamma.ln(),
            base: (m / n_minus_1).ln(),
            ln_n_minus_1: n_minus_1.ln(),
            ln_m: m.ln(),
        }
    }
}

/// The anchor's statistics from `max` (over its negatives' `a`) and `sum`
/// (`sum exp(a - max)`, at least 1), `zeta_pos` the zeta of its positive (0
/// when the kind has no zeta), `prev` its `u` before the step. The new `u`
/// is returned in [`Anchor::u`], for the caller to [`store`].
pub(crate) fn stats<T: Real>(
    spec: &Spec<T>,
    logs: &Logs<T>,
    max: T,
    sum: T,
    zeta_pos: T,
    prev: Prev<T>,
) -> Anchor<T> {
    let tau = spec.tau;
    // L = log sum_{negatives} exp(a) = max + ls; the moving average in log
    // domain, relative to max.
    let ls = sum.ln();
    let rel_u = match prev {
        Prev::Stateless => ls,
        Prev::Seen(u) => log_add_exp(logs.ln_keep + (u - max), logs.ln_gamma + ls),
        Prev::Fresh => match spec.first_visit {
            FirstVisit::Batch => ls,
            FirstVisit::ZeroHistory => logs.ln_gamma + ls,
        },
    };
    let u = match prev {
        Prev::Stateless => None,
        _ => Some(max + rel_u),
    };
    let log_off = match spec.kind {
        Kind::Dpm { offset, .. } => {
            let base = logs.base;
            match offset {
                Offset::Xi(xi) => base - xi / tau,
                Offset::Vanilla => base - zeta_pos / tau,
            }
        }
        Kind::SogClr => T::NEG_INFINITY,
        Kind::InfoNce => T::ZERO,
    };
    let rel_den = log_add_exp(log_off - max, rel_u);
    let direct = (-rel_den).to_f64() > RESCALE_LIMIT;
    let mut a = Anchor {
        rel_den,
        log_den: max + rel_den,
        rel_dt: T::ZERO,
        scale: if direct { T::ONE } else { (-rel_den).exp() },
        direct,
        h_scale: T::ZERO,
        direct_h: false,
        h_pos: T::ZERO,
        u,
    };
    if let Kind::Dpm { h: true, .. } = spec.kind {
        let zeta_pos = zeta_pos / tau;
        let rel_dt = log_add_exp((-logs.ln_n_minus_1 - zeta_pos) - max, rel_u - logs.ln_m);
        a.rel_dt = rel_dt;
        // a[pos] - log_dt with a[pos] = -zeta_pos, written without
        // subtracting two possibly huge numbers (that cancellation
        // overflows exp).
        a.h_pos = (-log_add_exp(-logs.ln_n_minus_1, (rel_u - logs.ln_m) - (-zeta_pos - max))).exp();
        a.direct_h = direct || (-rel_dt).to_f64() > H_RESCALE_LIMIT;
        if !a.direct_h {
            a.h_scale = (-rel_dt).exp();
        }
    }
    a
}

/// The factor from a weight to its `dS` entry: `weight / B`, and for
/// InfoNCE (whose `a` is `S / tau`) `weight / (B tau)`.
pub(crate) fn ds_scale<T: Real>(spec: &Spec<T>, b: usize) -> T {
    let r = T::from_usize(b);
    match spec.kind {
        Kind::InfoNce => spec.weight / (r * spec.tau),
        _ => spec.weight / r,
    }
}
