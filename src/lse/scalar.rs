//! Scalar log-sum-exp: the portable kernel and the readable reference.

use crate::{Error, Real, sum::Sum};

/// `ln(sum exp(x))` of the values an iterator yields, two passes (max, then
/// shifted sum). Terms equal to `-inf` contribute nothing; no terms, or only
/// `-inf` terms, give `-inf`. The caller guarantees there is no NaN and no
/// `+inf`.
#[inline]
pub(crate) fn lse_of<T: Real, I: Iterator<Item = T> + Clone>(values: I) -> T {
    let m = values.clone().fold(T::NEG_INFINITY, T::max);
    if m == T::NEG_INFINITY {
        return m;
    }
    let mut s = Sum::ZERO;
    for x in values {
        s.add((x - m).exp());
    }
    m + s.value().ln()
}

pub(crate) fn check<T: Real>(x: impl Iterator<Item = T>) -> Result<(), Error> {
    for (index, v) in x.enumerate() {
        if v.is_finite() || v == T::NEG_INFINITY {
            continue;
        }
        return Err(Error::NonFinite { what: "x", index });
    }
    Ok(())
}

/// Stable `ln(sum_k exp(x[k]))`, one element at a time with `libm`: the
/// reference of [`crate::lse::log_sum_exp`].
///
/// Range: `[max x, max x + ln(len)]`; `-inf` for an empty slice or one of
/// only `-inf` values.
///
/// # Errors
///
/// [`Error::NonFinite`] if a value is NaN or `+inf` (`-inf` is allowed).
///
/// # Example
///
/// ```
/// use dpm_core::scalar::log_sum_exp;
/// // exp(1000) overflows f64, the log-sum-exp does not.
/// let v = log_sum_exp(&[1000.0_f64, 1000.0])?;
/// assert!((v - (1000.0 + 2.0_f64.ln())).abs() < 1e-12);
/// assert_eq!(log_sum_exp::<f32>(&[])?, f32::NEG_INFINITY);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn log_sum_exp<T: Real>(x: &[T]) -> Result<T, Error> {
    check(x.iter().copied())?;
    Ok(lse_of(x.iter().copied()))
}

/// Stable log-sum-exp of `x[start + k * stride]` for `k < count`: a column
/// of a row-major matrix (`start` = column, `stride` = row length), read in
/// place without a transposed copy.
///
/// # Errors
///
/// [`Error::LengthMismatch`] if the last element lies outside `x`
/// (`expected` is the length `x` would need); [`Error::InvalidParameter`]
/// (`what: "stride"`) for `stride = 0` with `count > 1`, which would read
/// one element `count` times (so every accepted call reads `count <=
/// x.len()` distinct elements); [`Error::NonFinite`] as for
/// [`log_sum_exp`] (`index` counts along the column).
///
/// # Example
///
/// ```
/// use dpm_core::lse::{log_sum_exp, log_sum_exp_strided};
/// let m = [1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 x 2, row-major
/// let col1 = log_sum_exp_strided(&m, 1, 2, 3)?;
/// assert_eq!(col1, log_sum_exp(&[2.0_f32, 4.0, 6.0])?);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn log_sum_exp_strided<T: Real>(
    x: &[T],
    start: usize,
    stride: usize,
    count: usize,
) -> Result<T, Error> {
    if count == 0 {
        return Ok(T::NEG_INFINITY);
    }
    if stride == 0 && count > 1 {
        // The same element `count` times: work not bounded by the data.
        return Err(Error::InvalidParameter { what: "stride" });
    }
    let needed = (count - 1)
        .checked_mul(stride)
        .and_then(|k| k.checked_add(start))
        .and_then(|k| k.checked_add(1))
        .unwrap_or(usize::MAX);
    if needed > x.len() {
        return Err(Error::LengthMismatch {
            what: "x",
            expected: needed,
            found: x.len(),
        });
    }
    let column = (0..count).map(|k| x[start + k * stride]);
    check(column.clone())?;
    Ok(lse_of(column))
}

/// Stable `ln(exp(a) + exp(b))`.
///
/// # Special cases
///
/// `log_add_exp(-inf, -inf) = -inf`; `-inf` is the identity. An infinite
/// or NaN argument otherwise propagates as it would through `max`: `+inf`
/// gives `+inf`, NaN gives NaN. The result is never NaN for non-NaN input.
///
/// # Example
///
/// ```
/// use dpm_core::lse::log_add_exp;
/// assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
/// assert!((log_add_exp(0.0_f64, 0.0) - 2.0_f64.ln()).abs() < 1e-16);
/// ```
#[inline]
#[must_use]
pub fn log_add_exp<T: Real>(a: T, b: T) -> T {
    let m = a.max(b);
    if m == T::NEG_INFINITY || m == T::INFINITY {
        return m;
    }
    let d = if a > b { b - a } else { a - b };
    m + d.exp().ln_1p()
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // special values are exact: -inf, the identity
mod tests {
    use super::*;

    /// Reference: exact-enough f64 evaluation without shifting.
    fn naive(x: &[f64]) -> f64 {
        x.iter().map(|v| v.exp()).sum::<f64>().ln()
    }

    #[test]
    fn matches_naive_where_naive_is_safe() {
        let x = [0.5, -1.25, 3.0, 2.75, -0.125];
        let got = log_sum_exp(&x).unwrap();
        assert!((got - naive(&x)).abs() <= 8.0 * f64::EPSILON * 4.0);
    }

    #[test]
    fn shift_invariance_and_no_overflow() {
        let x = [0.5_f32, -1.25, 3.0, 2.75];
        let base = log_sum_exp(&x).unwrap();
        let shifted: [f32; 4] = core::array::from_fn(|k| x[k] + 1e4);
        let got = log_sum_exp(&shifted).unwrap();
        assert!(got.is_finite());
        assert!((got - (base + 1e4)).abs() <= 8.0 * f32::EPSILON * (1.0 + 1e4));
    }

    #[test]
    fn neg_inf_masses() {
        let ni = f64::NEG_INFINITY;
        assert_eq!(log_sum_exp(&[ni, ni]).unwrap(), ni);
        assert_eq!(log_sum_exp(&[ni, 2.0]).unwrap(), 2.0);
        assert_eq!(log_add_exp(ni, ni), ni);
        assert_eq!(log_add_exp(ni, -3.0), -3.0);
        assert_eq!(log_add_exp(-3.0_f32, f32::NEG_INFINITY), -3.0);
        assert_eq!(log_add_exp(f32::INFINITY, 1.0), f32::INFINITY);
    }

    #[test]
    fn refuses_nan_and_pos_inf() {
        assert_eq!(
            log_sum_exp(&[0.0, f64::INFINITY]),
            Err(Error::NonFinite {
                what: "x",
                index: 1
            })
        );
        assert_eq!(
            log_sum_exp_strided(&[0.0_f32, 0.0, f32::NAN, 0.0], 0, 2, 2),
            Err(Error::NonFinite {
                what: "x",
                index: 1
            })
        );
    }

    #[test]
    fn strided_bounds() {
        let m = [0.0_f64; 6];
        assert!(log_sum_exp_strided(&m, 1, 2, 3).is_ok());
        assert_eq!(
            log_sum_exp_strided(&m, 2, 2, 3),
            Err(Error::LengthMismatch {
                what: "x",
                expected: 7,
                found: 6
            })
        );
        assert_eq!(
            log_sum_exp_strided(&m, 0, usize::MAX, 3).unwrap_err(),
            Error::LengthMismatch {
                what: "x",
                expected: usize::MAX,
                found: 6
            }
        );
        assert_eq!(log_sum_exp_strided(&m, 0, 2, 0).unwrap(), f64::NEG_INFINITY);
    }

    #[test]
    fn log_add_exp_symmetric_and_accurate() {
        for &(a, b) in &[
            (0.0, 0.0),
            (-700.0, 3.0),
            (1e300, 1e300),
            (-2.5, -2.500_000_1),
        ] {
            let r = log_add_exp(a, b);
            assert_eq!(r, log_add_exp(b, a));
            let m = f64::max(a, b);
            let exact = m + ((a - m).exp() + (b - m).exp()).ln();
            assert!(
                (r - exact).abs() <= 8.0 * f64::EPSILON * (1.0 + m.abs()),
                "{a} {b}"
            );
        }
    }
}
