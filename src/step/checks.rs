//! Precondition checks of SPEC section 7, run before a step writes
//! anything.

use super::{
    DpmParams, FirstVisit, Offset, SogClrParams, ZetaStep,
    kernel::{Kind, Spec},
};
pub(crate) use crate::check::{at_least, cells, len};
use crate::{
    Error, Real,
    check::guard,
    state::{AnchorState, CandidateState, SEEN_FLAG, check_ids},
};

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

    fn gamma(&self) -> T {
        match *self {
            Algo::Dpm(p) => p.gamma,
            Algo::SogClr(p) => p.gamma,
            Algo::InfoNce { .. } => T::ONE,
        }
    }

    /// The kernel's view of these parameters for a direction whose
    /// candidates number `n`, weighted `weight` in the total; `h_out`: the
    /// caller asked for `h`. Also returns the zeta step to commit.
    pub(crate) fn spec(&self, n: usize, weight: T, h_out: bool) -> (Spec<T>, Option<ZetaStep<T>>) {
        let (kind, gamma, first_visit, zeta_step) = match *self {
            Algo::Dpm(p) => {
                let h = p.zeta_step.is_some() || h_out;
                (
                    Kind::Dpm {
                        offset: p.offset,
                        h,
                    },
                    p.gamma,
                    p.first_visit,
                    p.zeta_step,
                )
            }
            Algo::SogClr(p) => (Kind::SogClr, p.gamma, p.first_visit, None),
            Algo::InfoNce { .. } => (Kind::InfoNce, T::ONE, FirstVisit::Batch, None),
        };
        let spec = Spec {
            kind,
            tau: self.tau(),
            gamma,
            first_visit,
            n,
            weight,
        };
        (spec, zeta_step)
    }

    fn check(&self) -> Result<(), Error> {
        match self {
            Algo::Dpm(p) => p.check(),
            Algo::SogClr(p) => p.check(),
            Algo::InfoNce { tau } => super::params::check_tau(*tau),
        }
    }
}

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
                    if !u.is_finite() {
                        return Err(Error::NonFinite {
                            what: "log_s",
                            index: id,
                        });
                    }
                    guard("log_s", u.abs())?;
                }
            }
        }
        if let Some(st) = self.candidates.as_deref_mut() {
            let (what, ids) = self.cand_ids;
            check_ids(what, ids, st.flags)?;
            for &id in ids {
                let zeta = st.zeta[id];
                if !zeta.is_finite() {
                    return Err(Error::NonFinite {
                        what: "zeta",
                        index: id,
                    });
                }
                max_zeta = max_zeta.max(zeta.abs());
                if st.flags[id] & SEEN_FLAG != 0 {
                    let z = st.z[id];
                    if !z.is_finite() {
                        return Err(Error::NonFinite {
                            what: "z",
                            index: id,
                        });
                    }
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
            let n = T::from_usize(st.population());
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
