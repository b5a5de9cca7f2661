//! Gibbs (Boltzmann) negative log-likelihood over a finite candidate set,
//! and the expectation form of a log-likelihood gradient (SPEC section 5).

use super::softmax_ce::shifted_nll;
use crate::check;
use crate::{Error, Real, sum::Sum};

/// Negative log-likelihood of target `y` under the Gibbs distribution of
/// energies `F` at inverse temperature `beta` (lower energy = more
/// compatible).
///
/// `l = F_y + (1/beta) ln sum_k exp(-beta F_k)`, and writes
/// `grad[k] = dl/dF_k = [k == y] - p_k` with `p = softmax(-beta F)`.
/// (The derivative of `exp(-beta F)` is `-beta exp(-beta F) dF`; SPEC
/// section 5 corrects a seed that wrote `-beta F dF`.)
///
/// Range: `l >= 0` (`0` for one candidate); `grad` in `[-1, 1]`, summing
/// to 0. Evaluated as `(1/beta) ln(1 + sum_{k != y} exp(-beta (F_k - F_y)))`:
/// energies far apart (say `1e4` at `beta = 1`) give finite, accurate
/// values, and `grad[y] = sum_{k != y} p_k` keeps its digits when `p_y` is
/// near 1.
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`grad` not the length of `energies`),
/// [`Error::IdOutOfRange`] (`target >= energies.len()`, including an empty
/// set), [`Error::InvalidParameter`] (`beta` or `1 / beta` not a positive
/// normal number),
/// [`Error::NonFinite`] (`energies`), [`Error::OutOfRange`] (`|F|`,
/// `beta (max F - min F)` or `ln(K) / beta` above `MAX / 64`). On `Err`,
/// `grad` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::gibbs_nll;
/// let f = [0.5_f64, 1.5, 3.0];
/// let mut grad = [0.0; 3];
/// let l = gibbs_nll(&f, 2.0, 0, &mut grad)?;
/// let z: f64 = f.iter().map(|e| (-2.0 * e).exp()).sum();
/// assert!((l - (0.5 + z.ln() / 2.0)).abs() < 1e-15);
/// assert!((grad[1] + (-3.0_f64).exp() / z).abs() < 1e-15); // -p_1
/// assert!(grad.iter().sum::<f64>().abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn gibbs_nll<T: Real>(
    energies: &[T],
    beta: T,
    target: usize,
    grad: &mut [T],
) -> Result<T, Error> {
    let k = energies.len();
    check::len("grad", grad.len(), k)?;
    check::index("target", target, k)?;
    check::normal_and_reciprocal("beta", beta)?;
    check::guard("energies", check::max_abs("energies", energies)?)?;
    let hi = energies.iter().copied().fold(T::NEG_INFINITY, T::max);
    let lo = energies.iter().copied().fold(T::INFINITY, T::min);
    check::guard("beta * energies", beta * (hi - lo))?;
    check::guard("1 / beta", T::from_usize(k).ln() / beta)?;

    // ---- writes ----
    let fy = energies[target];
    let shifted = |f: T| beta * (fy - f); // -beta (F_k - F_y)
    let rest = energies
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != target)
        .map(|(_, &f)| shifted(f));
    let sh = shifted_nll(rest);
    for (j, (g, &f)) in grad.iter_mut().zip(energies).enumerate() {
        *g = if j == target {
            sh.others_mass()
        } else {
            -sh.p(shifted(f))
        };
    }
    Ok(sh.loss / beta)
}

/// The expectation form of a log-likelihood gradient over a finite
/// support: writes `out = E_p[dE/dtheta] - dE(x)/dtheta`.
///
/// `p` is a probability vector over `K` candidates, `de` the per-candidate
/// gradient rows `dE(k)/dtheta`, `K x P` row-major, and `data` the index
/// of the observed `x`. With `p` the model's own Gibbs distribution
/// `p = softmax(-E)` this is `d ln p(x) / dtheta` (SPEC section 5).
///
/// Evaluated as `out[j] = sum_k p_k (de[k][j] - de[data][j])` (compensated
/// sum), equal to the formula because `p` sums to 1, and exact (0) when
/// every row is the same.
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`p` not of length `k`, `de` not `k x params`,
/// `out` not of length `params`), [`Error::IdOutOfRange`]
/// (`data >= k`), [`Error::NonFinite`] (`p`, `de`),
/// [`Error::InvalidParameter`] (`what: "p"`: a weight outside `[0, 1]`, or
/// the weights' sum more than `sqrt(eps)` from 1, whatever `K`: `3.5e-4`
/// in `f32`, `1.5e-8` in `f64`; the result then differs from the
/// normalised formula by at most that fraction of `max |de|`),
/// [`Error::OutOfRange`] (a `|de|` above `MAX / 64`). On `Err`, `out` is
/// untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::expectation_gradient;
/// let p = [0.25_f64, 0.75];
/// let de = [1.0, 0.0, 3.0, 2.0]; // 2 candidates x 2 parameters
/// let mut out = [0.0; 2];
/// expectation_gradient(&p, &de, 2, 2, 0, &mut out)?;
/// // E_p[dE] = (2.5, 1.5), minus the data row (1, 0).
/// assert_eq!(out, [1.5, 1.5]);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn expectation_gradient<T: Real>(
    p: &[T],
    de: &[T],
    k: usize,
    params: usize,
    data: usize,
    out: &mut [T],
) -> Result<(), Error> {
    check::len("p", p.len(), k)?;
    check::len("de", de.len(), check::cells("de", k, params)?)?;
    check::len("out", out.len(), params)?;
    check::index("data", data, k)?;
    check::max_abs("p", p)?;
    let mut total = Sum::ZERO;
    for &w in p {
        if !(w >= T::ZERO && w <= T::ONE) {
            return Err(Error::InvalidParameter { what: "p" });
        }
        total.add(w);
    }
    // A fixed tolerance, whatever K: sqrt(eps) (3.5e-4 in f32, 1.5e-8 in
    // f64) admits probabilities normalised by a plain sum of millions of
    // terms, and keeps `sum p <= 1 + sqrt(eps)`, so the result stays
    // below 2 (1 + sqrt(eps)) max |de| (no overflow past the `de` guard).
    let tol = T::EPSILON.sqrt();
    let normalised = (total.value() - T::ONE).abs() <= tol; // false for NaN
    if !normalised {
        return Err(Error::InvalidParameter { what: "p" });
    }
    check::guard("de", check::max_abs("de", de)?)?;

    // ---- writes ----
    let x_row = &de[data * params..(data + 1) * params];
    for (j, o) in out.iter_mut().enumerate() {
        let mut s = Sum::ZERO;
        for (i, &w) in p.iter().enumerate() {
            s.add(w * (de[i * params + j] - x_row[j]));
        }
        *o = s.value();
    }
    Ok(())
}
