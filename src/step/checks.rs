//! Precondition checks of SPEC section 7, run before a step writes
//! anything.

use super::{DpmParams, Offset, SogClrParams};
use crate::{
    Error, Real,
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

    fn check(&self) -> Result<(), Error> {
        match self {
            Algo::Dpm(p) => p.check(),
            Algo::SogClr(p) => p.check(),
            Algo::InfoNce { tau } => super::params::check_tau(*tau),
        }
    }
}

/// Intermediates stay below this, so that sums of a few of them and their
/// differences stay finite.
fn limit<T: Real>() -> T {
    T::MAX / T::from_f64(64.0)
}

fn guard<T: Real>(what: &'static str, value: T) -> Result<(), Error> {
    if value.is_finite() && value <= limit() {
        Ok(())
    } else {
        Err(Error::OutOfRange { what })
    }
}

pub(crate) fn len(what: &'static str, found: usize, expected: usize) -> Result<(), Error> {
    if found == expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

pub(crate) fn at_least(what: &'static str, found: usize, expected: usize) -> Result<(), Error> {
    if found >= expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

/// `rows * cols`, or an error naming `what` if it overflows.
pub(crate) fn cells(what: &'static str, rows: usize, cols: usize) -> Result<usize, Error> {
    rows.checked_mul(cols).ok_or(Error::LengthMismatch {
        what,
        expected: usize::MAX,
        found: 0,
    })
}

/// The largest `|S|`, or the first non-finite score (a SIMD pass; the
/// scalar loop below only runs to name the culprit).
pub(crate) fn max_abs_scores<T: Real>(s: &[T]) -> Result<T, Error> {
    if let Some(m) = crate::simd::max_abs(s) {
        return Ok(m);
    }
    let mut m = T::ZERO;
    for (index, &v) in s.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what: "scores",
                index,
            });
        }
        m = m.max(v.abs());
    }
    Ok(m)
}

/// The inputs of one direction, as far as checks need them.
pub(crate) struct Direction<'a, 's, 'va, 'vc, T> {
    pub algo: Algo<T>,
    pub cols: usize,
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
        if let Algo::Dpm(DpmParams {
            zeta_step: Some(step),
            ..
        }) = self.algo
            && let Some(st) = self.candidates.as_deref()
        {
            // Each term of h is at most max(m / gamma, n - 1), so
            // |h| <= 1 + 2 (C / gamma + n); z stays below max(|z|, |h|).
            let n = T::from_usize(st.population());
            let h = T::ONE + two * (T::from_usize(self.cols) / gamma + n);
            guard("eta", max_zeta + step.eta * max_z.max(h))?;
        }
        Ok(())
    }
}
