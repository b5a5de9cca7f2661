//! Stable log-sum-exp kernels.
//!
//! `log_sum_exp(x) = m + ln(sum_k exp(x_k - m))` with `m = max_k x_k`: no
//! term of the sum exceeds 1, so no finite input overflows, and the sum is
//! at least 1, so its log loses nothing to cancellation.
//!
//! | function | computes |
//! |---|---|
//! | [`log_sum_exp`] | `ln sum_k exp(x[k])` over a slice (SIMD lanes; scalar twin: [`crate::scalar::log_sum_exp`]) |
//! | [`log_sum_exp_strided`] | the same over `x[start + k * stride]`, `k < count` (a column of a row-major matrix) |
//! | [`log_add_exp`] | `ln(exp(a) + exp(b))` |
//!
//! # Special cases
//!
//! `-inf` is a valid input everywhere: it is the log of a zero mass. The
//! log-sum-exp of no terms, or of only `-inf` terms, is `-inf` (never NaN).
//! NaN and `+inf` are refused with [`Error::NonFinite`](crate::Error).
//!
//! # Accuracy
//!
//! With `m` the maximum, the result is within about
//! `4 eps (1 + |m|)` of the exact value (compensated summation; the bound
//! does not grow with the length). The tests check `8 eps (1 + |m|)`.

pub(crate) mod scalar;
mod simd;

use crate::{Error, Real};
pub(crate) use scalar::lse_of;
pub use scalar::{log_add_exp, log_sum_exp_strided};

/// Stable `ln(sum_k exp(x[k]))` on SIMD lanes (`f32x8`, `f64x4`): a max
/// pass, then one exp pass with a compensated sum. On targets without
/// vector lanes (Cortex-M) this is the scalar twin.
///
/// Range: `[max x, max x + ln(len)]`; `-inf` for an empty slice or one of
/// only `-inf` values. Within the accuracy above, like its scalar twin
/// [`crate::scalar::log_sum_exp`] (the last bits may differ).
///
/// # Errors
///
/// [`Error::NonFinite`] if a value is NaN or `+inf` (`-inf` is allowed).
///
/// # Example
///
/// ```
/// use dpm_core::lse::log_sum_exp;
/// // exp(1000) overflows f64, the log-sum-exp does not.
/// let v = log_sum_exp(&[1000.0_f64, 1000.0])?;
/// assert!((v - (1000.0 + 2.0_f64.ln())).abs() < 1e-12);
/// assert_eq!(log_sum_exp::<f32>(&[])?, f32::NEG_INFINITY);
/// let row: Vec<f32> = (0..1000).map(|k| (k as f32 * 0.37).sin()).collect();
/// let reference = dpm_core::scalar::log_sum_exp(&row)?;
/// assert!((log_sum_exp(&row)? - reference).abs() <= 8.0 * f32::EPSILON * (1.0 + reference.abs()));
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn log_sum_exp<T: Real>(x: &[T]) -> Result<T, Error> {
    if !crate::lanes::LANES {
        return scalar::log_sum_exp(x);
    }
    scalar::check(x.iter().copied())?;
    Ok(simd::log_sum_exp(x))
}
