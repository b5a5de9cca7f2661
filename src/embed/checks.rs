//! The checks the steps from features share: the parameters, the
//! features' magnitudes, and the flush of scores below the smallest
//! normal number.

use super::{Features, normalize};
use crate::{Error, Real, check, lanes::exp::flush, step::checks::Algo};

/// Every subnormal of `v` becomes 0 (SPEC section 7: no output holds a
/// subnormal, and the step refuses subnormal scores); whether any was
/// nonzero. A product of two small features can round into the subnormal
/// range; 0 is within the bound's absolute floor of it.
pub(super) fn flush_all<T: Real>(v: &mut [T]) -> bool {
    let mut any = false;
    for e in v {
        let f = flush(*e);
        any |= f != *e;
        *e = f;
    }
    any
}

/// A score flushed to 0 moves `a = S / tau` by up to `MIN_POSITIVE / tau`:
/// within SPEC section 7's bound only while that is at most `eps`.
pub(super) fn flushed_tau_ok<T: Real>(taus: [T; 2]) -> Result<(), Error> {
    let floor = T::MIN_POSITIVE / T::EPSILON;
    if taus.iter().all(|&tau| tau >= floor) {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            what: "scores / tau",
        })
    }
}

/// A bound on the absolute sums of a row and of a column of one
/// direction's `dS`: `2 / gamma` for DPM and SogCLR (a weight and a
/// row's weights are at most `1 / gamma`, and `dS` is a weight over B),
/// `1 / tau` for InfoNCE (its `dS` is a softmax weight over `2 B tau`:
/// a column sums at most B of them).
fn ds_sums<T: Real>(algo: Algo<T>) -> T {
    match algo {
        Algo::InfoNce { tau } => T::ONE / tau,
        _ => T::from_f64(2.0) / algo.gamma(),
    }
}

/// The parameters (`algos`: each direction's) and the features `x`, `y` (`b x d` each, lengths
/// checked by the caller) of a bimodal step from features: every row can
/// be normalised (raw) or every score is bounded (normalised), and the
/// gradients back to the features stay finite.
pub(super) fn features<T: Real>(
    x: &[T],
    y: &[T],
    d: usize,
    features: Features,
    algos: &[Algo<T>; 2],
) -> Result<(), Error> {
    algos[0].check()?;
    algos[1].check()?;
    // |dX| <= g_max max|Y| and |dY| <= g_max max|X|, g_max the sum of
    // the directions' bounds on dS's row and column absolute sums.
    let g_max = ds_sums(algos[0]) + ds_sums(algos[1]);
    let (mx, my) = (check::max_abs("x", x)?, check::max_abs("y", y)?);
    match features {
        Features::Raw => {
            if d == 0 {
                return Err(Error::ZeroNorm { what: "x", row: 0 });
            }
            normalize::check_rows("x", x, d, Some(g_max))?;
            normalize::check_rows("y", y, d, Some(g_max))?;
        }
        Features::Normalized => {
            let d_t = T::from_usize(d);
            check::guard("scores", d_t * mx * my)?;
            check::guard("dx", g_max * my)?;
            check::guard("dy", g_max * mx)?;
        }
    }
    Ok(())
}
