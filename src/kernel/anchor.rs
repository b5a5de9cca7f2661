//! The per-anchor part of SPEC section 2, written once: from an anchor's
//! largest `a` and `sum exp(a - max)` to its new `u`, the denominators
//! `log_den` and `log_dt`, and the factors that turn its entries into
//! `dS`, weights and terms of `h`. The scalar reference
//! ([`super::scalar`]) and every SIMD pass call it, for row anchors and
//! column anchors alike.
//!
//! Every log quantity is kept relative to the anchor's largest `a`
//! (`max`), so that `ln(m)`, `ln(gamma)` and the sum survive in
//! `a - log_den = (a - max) - rel_den` even when `|a|` is so large that
//! `max + ln(m)` rounds to `max`.

use super::spec::{Kind, Spec};
use crate::{
    FirstVisit, Offset, Real,
    lanes::exp::{exp0_scalar, flush},
    lse::log_add_exp,
    state::{AnchorState, SEEN_FLAG},
};

/// The logarithms every anchor of a direction shares.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logs<T> {
    /// `ln(1 - gamma)`.
    ln_keep: T,
    /// `ln(gamma)`.
    ln_gamma: T,
    /// `ln(n - 1)`.
    ln_n_minus_1: T,
    /// `ln(ds_scale)`: the factor from a weight to its `dS` entry,
    /// `weight / R` (InfoNCE, whose `a` is `S / tau`: `weight / (R tau)`).
    ln_ds: T,
    /// `ds_scale` itself.
    ds: T,
    /// `n / (n - 1) / R`, the factor of `h`.
    h_factor: T,
}

impl<T: Real> Logs<T> {
    /// The constants of a direction with `rows` anchors.
    pub(crate) fn new(spec: &Spec<T>, rows: usize) -> Self {
        let r = T::from_usize(spec.norm_rows(rows));
        let n_minus_1 = T::from_usize(spec.n.saturating_sub(1));
        let ds = match spec.kind {
            Kind::InfoNce => spec.weight / (r * spec.tau),
            _ => spec.weight / r,
        };
        Logs {
            ln_keep: (T::ONE - spec.gamma).ln(),
            ln_gamma: spec.gamma.ln(),
            ln_n_minus_1: n_minus_1.ln(),
            ln_ds: ds.ln(),
            ds,
            h_factor: h_factor(spec.n, spec.norm_rows(rows)),
        }
    }

    /// `ds_scale` of the direction.
    pub(crate) fn ds_scale(&self) -> T {
        self.ds
    }

    /// `h = 1 - (n / (n-1)) (1 / R) sum` of a candidate whose terms sum
    /// to `sum` (SPEC section 2).
    pub(crate) fn h(&self, sum: T) -> T {
        h_of(self.h_factor, sum)
    }

    /// What a kernel leaves in `h` for a candidate whose terms sum to
    /// `sum`: `h` itself, or `sum` when the spec asks for partial sums.
    pub(crate) fn h_out(&self, spec: &Spec<T>, sum: T) -> T {
        if spec.partial_h { sum } else { self.h(sum) }
    }
}

/// `n / (n - 1) / R`, the factor of `h` (SPEC section 2) for `n`
/// candidates and `R` anchor rows.
pub(crate) fn h_factor<T: Real>(n: usize, rows: usize) -> T {
    T::from_usize(n) / T::from_usize(n.saturating_sub(1)) / T::from_usize(rows)
}

/// `h = 1 - factor sum` of a candidate whose terms sum to `sum`.
pub(crate) fn h_of<T: Real>(factor: T, sum: T) -> T {
    T::ONE - flush(factor * sum)
}

/// An anchor's `u` before the step. The statistics touch no state, so
/// that a parallel pass can gather and scatter it in order.
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

/// Stores the new `u` of an anchor ([`Anchor::u`]).
#[inline]
pub(crate) fn store<T: Real>(st: &mut AnchorState<'_, T>, id: usize, u: Option<T>) {
    if let Some(u) = u {
        st.log_s[id] = u;
        st.flags[id] |= SEEN_FLAG;
    }
}

/// One anchor's statistics.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchor<T> {
    /// `log_den - max` (SPEC section 2's `log_den`).
    pub rel_den: T,
    /// `log_den` itself (InfoNCE's loss and positive weight).
    pub log_den: T,
    /// `log_dt - max` (with `h` only).
    pub rel_dt: T,
    /// The term of `h` of the anchor's own positive (0 without `h`).
    pub h_pos: T,
    /// The anchor's new `u` to store (`None` without state).
    pub u: Option<T>,
    /// `sum_negatives w * ds_scale`: minus the positive's `dS` entry.
    pub ds_sum: T,
    /// InfoNCE: the positive's own weight `exp(-log_den)` (0 otherwise).
    pub w_pos: T,
}

/// The statistics of an anchor from `max` (over its `m` negatives' `a`)
/// and `sum = sum exp(a - max)` (at least 1: the largest term is 1),
/// `zeta_pos` the zeta of its positive (0 when the kind has none), `prev`
/// its `u` before the step.
pub(crate) fn stats<T: Real>(
    spec: &Spec<T>,
    logs: &Logs<T>,
    m: usize,
    max: T,
    sum: T,
    zeta_pos: T,
    prev: Prev<T>,
) -> Anchor<T> {
    let tau = spec.tau;
    let ln_m = T::from_usize(m).ln();
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
    // u itself, absolute: `max + rel_u` loses |max| eps, which the bound
    // of a weight allows (its |a| >= |max| when the negatives dominate u),
    // but not the positive's term of h, which depends on u alone. Where the
    // old u dominates, u is formed from it directly.
    let u_abs = match prev {
        Prev::Seen(u) if logs.ln_keep + (u - max) >= logs.ln_gamma + ls => {
            let x = logs.ln_keep + (u - max);
            (logs.ln_keep + u) + log_add_exp(T::ZERO, (logs.ln_gamma + ls) - x)
        }
        _ => max + rel_u,
    };
    let u = match prev {
        Prev::Stateless => None,
        _ => Some(flush(u_abs)),
    };
    let log_off = match spec.kind {
        Kind::Dpm { offset, .. } => {
            let base = ln_m - logs.ln_n_minus_1;
            match offset {
                Offset::Xi(xi) => base - xi / tau,
                Offset::Vanilla => base - zeta_pos / tau,
            }
        }
        Kind::SogClr => T::NEG_INFINITY,
        Kind::InfoNce => T::ZERO,
    };
    let rel_den = log_add_exp(log_off - max, rel_u);
    let mut a = Anchor {
        rel_den,
        // Absolute, as ln(e^off + e^u) with the larger term out: InfoNCE's
        // loss is log_den itself, and `max + rel_den` lost it when the two
        // nearly cancel (ln(1 + e^-20) = 2.1e-9 came back 0 in f32).
        log_den: log_add_exp0(log_off, u_abs),
        rel_dt: T::ZERO,
        h_pos: T::ZERO,
        u,
        // sum w = exp(-rel_den) sum, times ds_scale, in log domain.
        ds_sum: exp0_scalar((ls - rel_den) + logs.ln_ds),
        w_pos: T::ZERO,
    };
    if let Kind::InfoNce = spec.kind {
        // a[pos] = 0 is the offset itself: exp(rel_off - rel_den), written
        // without subtracting two possibly huge numbers.
        let rel_off = log_off - max;
        a.w_pos = exp0_scalar(-log_add_exp(T::ZERO, rel_u - rel_off));
    }
    if spec.wants_h() {
        let zeta_pos = zeta_pos / tau;
        a.rel_dt = log_add_exp((-logs.ln_n_minus_1 - zeta_pos) - max, rel_u - ln_m);
        // a[pos] - log_dt with a[pos] = -zeta_pos, written without
        // subtracting two possibly huge numbers (that cancellation
        // overflows exp), and from the absolute u (not max + rel_u).
        let t = -log_add_exp(-logs.ln_n_minus_1, (u_abs - ln_m) + zeta_pos);
        a.h_pos = h_term(exp0_scalar(t));
    }
    a
}

/// The losses' scale for scores whose largest magnitude is `max_abs`, in
/// a matrix whose rows and columns are at most `len` long. A term of the
/// sums pass is `(exp(a - max) 2^S sigma) (S - S_pos)`: `sigma` is the
/// largest power of two for which neither the first factor (at most `2^S
/// sigma`) nor a sum of `len` terms (each below `2^S sigma 2 max_abs`)
/// can overflow, with a factor 8 to spare. As large as that allows, and
/// applied to the exp rather than the gap, so that the tiny gaps of one
/// row still give normal terms beside a huge score in another: scaled to
/// `2 max_abs sigma < 1` and applied to the gap, one score of 1e30 made
/// every other row's gaps of `100 MIN_POSITIVE` underflow, and their loss
/// came back 0.
pub(crate) fn sigma<T: Real>(max_abs: T, len: usize) -> T {
    // max_abs < 2^k, MAX < 2^k_max, MIN_POSITIVE = 2^(k_min - 1).
    let (_, k) = max_abs.frexp();
    let (_, k_max) = T::MAX.frexp();
    let (_, k_min) = T::MIN_POSITIVE.frexp();
    #[allow(clippy::cast_possible_truncation)] // S is 64 or 512
    let s = T::SCALE.to_f64() as i32;
    #[allow(clippy::cast_possible_wrap)] // at most usize::BITS
    let lb = (usize::BITS - len.max(1).saturating_sub(1).leading_zeros()) as i32;
    // 2^S 2^e <= 2^(k_max - 4), and 2^S 2^e 2^(k + 1) 2^lb 2^3 <= 2^(k_max - 1)
    // (k is 0 for a zero matrix: the first bound decides).
    let e = ((k_max - 4) - s).min((k_max - 1) - (s + k + 1 + lb + 3));
    T::ONE.scalbn(e.max(k_min - 1))
}

/// `ln(e^x + e^y)` with the larger term out, neither consuming nor
/// returning a subnormal number: the smaller term's exp is 0 below the
/// smallest normal number ([`exp0_scalar`]), and a result below it is 0.
fn log_add_exp0<T: Real>(x: T, y: T) -> T {
    let m = x.max(y);
    if m == T::NEG_INFINITY {
        return m;
    }
    flush(m + exp0_scalar(-(x - y).abs()).ln_1p())
}

/// A term of `h` as it is summed: 0 below [`ExpConsts::H_FLOOR`].
///
/// [`ExpConsts::H_FLOOR`]: crate::lanes::exp::ExpConsts::H_FLOOR
#[inline]
pub(crate) fn h_term<T: Real>(t: T) -> T {
    if t < T::H_FLOOR { T::ZERO } else { t }
}

/// What the outputs pass needs of an anchor, besides its `max`. Every
/// exponent is formed as `(a - max) - shift`, relative to the anchor's
/// largest `a`, so that the small log terms survive when `|a|` is huge.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Out<T> {
    /// `dS` entry of a negative with `a`: `exp((a - max) - shift)` (the
    /// weight times `ds_scale`, one exp, no product).
    pub shift: T,
    /// The term of `h` of an entry is `dS entry * h_fac`...
    pub h_fac: T,
    /// ... kept where the `dS` entry is at least `h_min` (below it the
    /// term is under [`h_term`]'s floor, and the product would be
    /// subnormal).
    pub h_min: T,
    /// `h_fac` would overflow: the terms are `exp((a - max) - rel_dt)`,
    /// an exp of their own.
    pub direct_h: bool,
}

/// A factor of `h` beyond this (`e^64`) is computed directly instead.
pub(crate) const H_DIRECT_LIMIT: f64 = 64.0;

impl<T: Real> Out<T> {
    /// The outputs-pass values of anchor `a` of a direction with `logs`.
    pub(crate) fn of(a: &Anchor<T>, logs: &Logs<T>, h: bool) -> Self {
        let shift = a.rel_den - logs.ln_ds;
        // term = exp(a - log_dt) = dS entry * exp(log_den - log_dt - ln_ds).
        let ln_h = (a.rel_den - a.rel_dt) - logs.ln_ds;
        let direct_h = h && ln_h.to_f64() > H_DIRECT_LIMIT;
        let (h_fac, h_min) = if h && !direct_h {
            // Slightly above floor / h_fac, so that kept products are
            // at least the floor after rounding.
            let margin = T::ONE + T::from_f64(4.0) * T::EPSILON;
            let h_min = exp0_scalar(T::H_FLOOR.ln() - ln_h) * margin;
            (ln_h.exp(), h_min.max(T::MIN_POSITIVE))
        } else {
            (T::ZERO, T::INFINITY)
        };
        Out {
            shift,
            h_fac,
            h_min,
            direct_h,
        }
    }
}
