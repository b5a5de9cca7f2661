//! Dot and axpy kernels: a scalar twin and a SIMD version on the baseline
//! lanes (`crate::lanes`: `wide`'s `f32x8` / `f64x4`, the tail
//! zero-padded) of each.
//!
//! The SIMD versions sum in lanes, then across them: the same sum in
//! another order, so results differ from the scalar twins by rounding
//! only. Both are within `n eps sum_i |a_i b_i|` of the exact dot product
//! (`n` the length), which the tests check against an `f64` evaluation.

use crate::{
    Error, Real, check,
    lanes::{
        Base, Lanes as _,
        iter::{chunks, ld},
    },
};

type V<T> = Base<T>;

/// `sum_i a_i b_i` over the common length: lanes of fused multiply-adds
/// (the tail padded with zeros), then the lanes summed in order.
#[inline]
pub(crate) fn dot_lanes<T: Real>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let mut acc = V::<T>::splat(T::ZERO);
    chunks::<V<T>>(n, |j, len| {
        acc = ld::<V<T>>(a, j, len, T::ZERO).mul_add(ld(b, j, len, T::ZERO), acc);
    });
    let mut s = T::ZERO;
    acc.for_each(|x| s += x);
    s
}

/// `y_i += alpha x_i` over the common length, in lanes.
#[inline]
pub(crate) fn axpy_lanes<T: Real>(alpha: T, x: &[T], y: &mut [T]) {
    let n = x.len().min(y.len());
    let va = V::<T>::splat(alpha);
    chunks::<V<T>>(n, |j, len| {
        va.mul_add(ld(x, j, len, T::ZERO), ld(y, j, len, T::ZERO))
            .store(&mut y[j..j + len]);
    });
}

/// `sum_i a_i b_i`, scalar, in index order: the readable twin of
/// [`dot_wide`].
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`b` not the length of `a`),
/// [`Error::NonFinite`] (a NaN or infinite value in `a`, then `b`),
/// [`Error::OutOfRange`] (finite inputs whose products or sum overflow).
///
/// # Example
///
/// ```
/// use dpm_core::embed::dot;
/// assert_eq!(dot(&[1.0_f64, 2.0, 3.0], &[4.0, 5.0, 6.0])?, 32.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn dot<T: Real>(a: &[T], b: &[T]) -> Result<T, Error> {
    check::len("b", b.len(), a.len())?;
    finish_dot(super::products::dot(a, b), a, b)
}

/// `sum_i a_i b_i` in SIMD lanes (`f32x8` or `f64x4`, scalar tail).
///
/// # Errors
///
/// As [`dot`].
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dot, dot_wide};
/// let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
/// assert_eq!(dot_wide(&a, &a)?, dot(&a, &a)?); // small integers: exact
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn dot_wide<T: Real>(a: &[T], b: &[T]) -> Result<T, Error> {
    check::len("b", b.len(), a.len())?;
    finish_dot(dot_lanes(a, b), a, b)
}

/// A dot product is finite, or the reason it is not.
fn finish_dot<T: Real>(s: T, a: &[T], b: &[T]) -> Result<T, Error> {
    if s.is_finite() {
        return Ok(s);
    }
    check::max_abs("a", a)?;
    check::max_abs("b", b)?;
    Err(Error::OutOfRange { what: "dot" })
}

/// `y_i += alpha x_i`, scalar: the readable twin of [`axpy_wide`].
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`y` not the length of `x`),
/// [`Error::NonFinite`] (`alpha`, `x`, `y`), [`Error::OutOfRange`] (an
/// element with `|alpha x_i| + |y_i| > MAX / 2`, which could overflow).
/// On `Err`, `y` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::axpy;
/// let mut y = [1.0_f32, 1.0];
/// axpy(2.0, &[3.0, -1.0], &mut y)?;
/// assert_eq!(y, [7.0, -1.0]);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn axpy<T: Real>(alpha: T, x: &[T], y: &mut [T]) -> Result<(), Error> {
    check_axpy(alpha, x, y)?;
    for (&p, q) in x.iter().zip(y) {
        *q += alpha * p;
    }
    Ok(())
}

/// `y_i += alpha x_i` in SIMD lanes (`f32x8` or `f64x4`, scalar tail).
///
/// # Errors
///
/// As [`axpy`]; on `Err`, `y` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::axpy_wide;
/// let x = [1.0_f64; 11];
/// let mut y = [0.5_f64; 11];
/// axpy_wide(-2.0, &x, &mut y)?;
/// assert!(y.iter().all(|&v| v == -1.5));
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn axpy_wide<T: Real>(alpha: T, x: &[T], y: &mut [T]) -> Result<(), Error> {
    check_axpy(alpha, x, y)?;
    axpy_lanes(alpha, x, y);
    Ok(())
}

fn check_axpy<T: Real>(alpha: T, x: &[T], y: &[T]) -> Result<(), Error> {
    check::len("y", y.len(), x.len())?;
    check::finite("alpha", alpha)?;
    check::max_abs("x", x)?;
    check::max_abs("y", y)?;
    let half = T::MAX / T::from_f64(2.0);
    let a = alpha.abs();
    for (&p, &q) in x.iter().zip(y) {
        let bound = a * p.abs() + q.abs();
        if !(bound.is_finite() && bound <= half) {
            return Err(Error::OutOfRange { what: "y" });
        }
    }
    Ok(())
}
