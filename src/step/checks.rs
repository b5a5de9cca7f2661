//! Precondition checks of SPEC section 7, run before a step writes
//! anything.

pub(crate) use crate::check::{at_least, cells, len};
use crate::{
    DpmParams, Error, FirstVisit, Offset, Real, SogClrParams, ZetaStep,
    check::guard,
    kernel::spec::{Kind, Spec},
    lanes::sum::Scan,
    state::{AnchorState, CandidateState, SEEN_FLAG, check_ids},
};

/// Both sides' ids are `b` long: every bimodal step checks both against
/// its batch size, the steps from `S` before the scores and the steps
/// from features after them.
pub(crate) fn ids_len(image_ids: &[usize], text_ids: &[usize], b: usize) -> Result<(), Error> {
    len("image_ids", image_ids.len(), b)?;
    len("text_ids", text_ids.len(), b)
}

/// Parameters of one direction, whichever the loss.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Algo<T> {
    Dpm(DpmParams<T>),
    SogClr(SogClrParams<T>),
    InfoNce { tau: T },
}

impl<T: Real> Algo<T> {
    pub(crate) fn tau(&self) -> T {
        match *self {
            Algo::Dpm(p) => p.tau,
            Algo::SogClr(p) => p.tau,
            Algo::InfoNce { tau } => tau,
        }
    }

    pub(crate) fn gamma(&self) -> T {
        match *self {
            Algo::Dpm(p) => p.gamma,
            Algo::SogClr(p) => p.gamma,
            Algo::InfoNce { .. } => T::ONE,
        }
    }

    /// The kernel's view of these parameters for a direction whose
    /// candidates number `n`, weighted `weight` in the total; `h_out`: the
    /// caller asked for `h` (it is computed for a zeta step anyway).
    pub(crate) fn spec(&self, n: usize, weight: T, h_out: bool) -> Spec<T> {
        let (kind, gamma, first_visit) = match *self {
            Algo::Dpm(p) => {
                let h = p.zeta_step.is_some() || h_out;
                let kind = Kind::Dpm {
                    offset: p.offset,
                    h,
                };
                (kind, p.gamma, p.first_visit)
            }
            Algo::SogClr(p) => (Kind::SogClr, p.gamma, p.first_visit),
            Algo::InfoNce { .. } => (Kind::InfoNce, T::ONE, FirstVisit::Batch),
        };
        Spec {
            kind,
            tau: self.tau(),
            gamma,
            first_visit,
            n,
            weight,
            batch_rows: 0,
            partial_h: false,
        }
    }

    /// The zeta update that ends the direction, if any.
    pub(crate) fn zeta_step(&self) -> Option<ZetaStep<T>> {
        match *self {
            Algo::Dpm(p) => p.zeta_step,
            _ => None,
        }
    }

    /// The parameters' own checks ([`Error::InvalidParameter`]).
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self {
            Algo::Dpm(p) => p.check(),
            Algo::SogClr(p) => p.check(),
            Algo::InfoNce { tau } => crate::params::check_tau(*tau),
        }
    }
}

/// The scores' check without lanes: the largest and the smallest nonzero
/// `|S|`, or non-finite.
pub(crate) fn scan<T: Real>(s: &[T]) -> Scan<T> {
    let (mut max_abs, mut min_nonzero) = (T::ZERO, T::INFINITY);
    for &v in s {
        if !v.is_finite() {
            return Scan::NonFinite;
        }
        max_abs = max_abs.max(v.abs());
        if v != T::ZERO {
            min_nonzero = min_nonzero.min(v.abs());
        }
    }
    Scan::Finite {
        max_abs,
        min_nonzero,
    }
}

/// The largest `|S|` of scores `s` that `scan` passed, or the error that
/// names the first value it refused: NaN or infinite
/// ([`Error::NonFinite`]), or subnormal ([`Error::Subnormal`]: no
/// subnormal number is consumed, SPEC section 7).
pub(crate) fn scores<T: Real>(what: &'static str, s: &[T], scan: Scan<T>) -> Result<T, Error> {
    match scan {
        Scan::Finite {
            max_abs,
            min_nonzero,
        } if min_nonzero >= T::MIN_POSITIVE => Ok(max_abs),
        _ => {
            for (index, &v) in s.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::NonFinite { what, index });
                }
                if v != T::ZERO && v.abs() < T::MIN_POSITIVE {
                    return Err(Error::Subnormal { what, index });
                }
            }
            // The scan and this loop agree; unreachable in practice.
            Err(Error::NonFinite { what, index: 0 })
        }
    }
}

/// Both directions of a bimodal batch of `b` pairs whose largest `|S|`
/// is `max_abs_score`: images anchor the first (`images`: their `u`, and
/// the texts' zeta as candidates, when the direction reads them), texts
/// the second. `h_asked` is `[h_text, h_image]`: the caller asked for it.
pub(crate) fn bimodal<T: Real>(
    algos: [Algo<T>; 2],
    b: usize,
    max_abs_score: T,
    (image_ids, text_ids): (&[usize], &[usize]),
    images: Halves<'_, '_, '_, T>,
    texts: Halves<'_, '_, '_, T>,
    h_asked: [bool; 2],
) -> Result<(), Error> {
    let direction = |k: usize| Direction {
        algo: algos[k],
        rows: b,
        cols: b,
        h_out: h_asked[k],
        max_abs_score,
        anchor_ids: ("image_ids", image_ids),
        cand_ids: ("text_ids", text_ids),
        anchors: None,
        candidates: None,
        n: None,
    };
    Direction {
        anchors: images.0,
        candidates: images.1,
        ..direction(0)
    }
    .check()?;
    Direction {
        anchors: texts.0,
        candidates: texts.1,
        anchor_ids: ("text_ids", text_ids),
        cand_ids: ("image_ids", image_ids),
        ..direction(1)
    }
    .check()
}

/// A direction's anchors' state and its candidates' (where it reads them).
pub(crate) type Halves<'s, 'va, 'vc, T> = (
    Option<&'s mut AnchorState<'va, T>>,
    Option<&'s mut CandidateState<'vc, T>>,
);

/// The inputs of one direction, as far as checks need them.
pub(crate) struct Direction<'a, 's, 'va, 'vc, T> {
    pub algo: Algo<T>,
    pub rows: usize,
    pub cols: usize,
    /// The caller asked for `h` (it is computed for a zeta step anyway).
    pub h_out: bool,
    pub max_abs_score: T,
    pub anchor_ids: (&'static str, &'a [usize]),
    pub cand_ids: (&'static str, &'a [usize]),
    pub anchors: Option<&'s mut AnchorState<'va, T>>,
    pub candidates: Option<&'s mut CandidateState<'vc, T>>,
    /// The candidates' population size when `candidates` holds only
    /// some of them (a shard's gathered candidates); `None`: its size.
    pub n: Option<usize>,
}

impl<T: Real> Direction<'_, '_, '_, '_, T> {
    /// Every precondition of one direction: parameters, ids, the state
    /// values the batch reads, and magnitudes that would overflow.
    pub(crate) fn check(&mut self) -> Result<(), Error> {
        self.algo.check()?;
        let tau = self.algo.tau();
        let gamma = self.algo.gamma();
        let two = T::from_f64(2.0);
        let mut max_zeta = T::ZERO;
        let mut max_z = T::ZERO;
        if let Some(st) = self.anchors.as_deref_mut() {
            let (what, ids) = self.anchor_ids;
            check_ids(what, ids, st.flags)?;
            for &id in ids {
                if st.flags[id] & SEEN_FLAG != 0 {
                    let u = st.log_s[id];
                    state_value("log_s", u, id)?;
                    guard("log_s", u.abs())?;
                }
            }
        }
        if let Some(st) = self.candidates.as_deref_mut() {
            let (what, ids) = self.cand_ids;
            check_ids(what, ids, st.flags)?;
            for &id in ids {
                let zeta = st.zeta[id];
                state_value("zeta", zeta, id)?;
                max_zeta = max_zeta.max(zeta.abs());
                if st.flags[id] & SEEN_FLAG != 0 {
                    let z = st.z[id];
                    state_value("z", z, id)?;
                    max_z = max_z.max(z.abs());
                }
            }
        }
        // |a| <= (2 max|S| + max|zeta|) / tau, and the offset adds |xi| / tau.
        let xi = match self.algo {
            Algo::Dpm(DpmParams {
                offset: Offset::Xi(xi),
                ..
            }) => xi.abs(),
            _ => T::ZERO,
        };
        guard(
            "scores / tau",
            (two * self.max_abs_score + max_zeta + xi) / tau,
        )?;
        // A row's weights sum to at most 1 / gamma, so |loss| <= 2 max|S| / gamma.
        guard("scores / gamma", two * two * self.max_abs_score / gamma)?;
        if let Algo::Dpm(DpmParams { zeta_step, .. }) = self.algo
            && (zeta_step.is_some() || self.h_out)
            && let Some(st) = self.candidates.as_deref()
        {
            // Each term of h is at most max(m / gamma, n - 1), and a
            // candidate's h sums one term per anchor before the 1 / R
            // scaling: that sum, not only h, must stay finite.
            let n = T::from_usize(self.n.unwrap_or(st.population()));
            let term = T::from_usize(self.cols) / gamma + n;
            guard("h", T::from_usize(self.rows) * term)?;
            // |h| <= 1 + 2 (C / gamma + n); z stays below max(|z|, |h|).
            if let Some(step) = zeta_step {
                let h = T::ONE + two * term;
                guard("eta", max_zeta + step.eta * max_z.max(h))?;
            }
        }
        Ok(())
    }
}

/// A state value a batch reads: finite ([`Error::NonFinite`]) and not
/// subnormal ([`Error::Subnormal`]; the crate never stores one, so only a
/// caller's own slices can hold one).
pub(crate) fn state_value<T: Real>(what: &'static str, v: T, index: usize) -> Result<(), Error> {
    if !v.is_finite() {
        return Err(Error::NonFinite { what, index });
    }
    if v != T::ZERO && v.abs() < T::MIN_POSITIVE {
        return Err(Error::Subnormal { what, index });
    }
    Ok(())
}
