//! Precondition checks shared by every public function, run before it
//! writes anything.

use crate::{
    Error, Real,
    lanes::{Base, sum::Scan},
};

/// Intermediates stay below this, so that sums of a few of them and their
/// differences stay finite.
pub(crate) fn limit<T: Real>() -> T {
    T::MAX / T::from_f64(64.0)
}

/// `Ok` if `value` is finite and at most [`limit`].
pub(crate) fn guard<T: Real>(what: &'static str, value: T) -> Result<(), Error> {
    if value.is_finite() && value <= limit() {
        Ok(())
    } else {
        Err(Error::OutOfRange { what })
    }
}

/// `Ok` if `found == expected`.
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

/// `Ok` if `found >= expected` (scratch buffers may be longer).
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

/// `rows * cols`, or a length error naming `what` if it overflows.
pub(crate) fn cells(what: &'static str, rows: usize, cols: usize) -> Result<usize, Error> {
    rows.checked_mul(cols).ok_or(Error::LengthMismatch {
        what,
        expected: usize::MAX,
        found: 0,
    })
}

/// `Ok` if `index < len`.
pub(crate) fn index(what: &'static str, id: usize, len: usize) -> Result<(), Error> {
    if id < len {
        Ok(())
    } else {
        Err(Error::IdOutOfRange { what, id, len })
    }
}

/// The largest `|x|` (0 for an empty slice), or the first non-finite value
/// (a SIMD pass; the scalar loop runs only to name the culprit).
pub(crate) fn max_abs<T: Real>(what: &'static str, x: &[T]) -> Result<T, Error> {
    if crate::lanes::LANES
        && let Scan::Finite { max_abs, .. } = crate::lanes::sum::scan::<Base<T>>(x)
    {
        return Ok(max_abs);
    }
    let mut m = T::ZERO;
    for (index, &v) in x.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite { what, index });
        }
        m = m.max(v.abs());
    }
    Ok(m)
}

/// `Ok` if `x` and `1 / x` are both positive normal numbers, that is
/// `MIN_POSITIVE <= x <= 1 / MIN_POSITIVE` (a temperature, an inverse
/// temperature): dividing by `x` or multiplying by `1 / x` then never
/// overflows for that reason alone, and neither factor is subnormal.
pub(crate) fn normal_and_reciprocal<T: Real>(what: &'static str, x: T) -> Result<(), Error> {
    // `x >= MIN_POSITIVE` is false for NaN; `1 / x >= MIN_POSITIVE` false
    // for `+inf` and for `x > 1 / MIN_POSITIVE`.
    if x >= T::MIN_POSITIVE && T::ONE / x >= T::MIN_POSITIVE {
        Ok(())
    } else {
        Err(Error::InvalidParameter { what })
    }
}

/// `Ok` if a scalar input is finite.
pub(crate) fn finite<T: Real>(what: &'static str, x: T) -> Result<(), Error> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite { what, index: 0 })
    }
}
