//! Dot and axpy kernels: a scalar twin and a SIMD version on [`wide`]
//! (`f32x8` / `f64x4` lanes, scalar tails) of each.
//!
//! The SIMD versions sum in lanes, then across them: the same sum in
//! another order, so results differ from the scalar twins by rounding
//! only. Both are within `n eps sum_i |a_i b_i|` of the exact dot product
//! (`n` the length), which the tests check against an `f64` evaluation.

use crate::{Error, Real, check};

mod sealed {
    /// The element-specific kernels behind [`Lanes`](super::Lanes); not
    /// nameable outside the crate, so neither implementable nor callable.
    pub trait Kernels: Sized {
        /// `sum_i a_i b_i` over the common length, in SIMD lanes.
        fn dot_lanes(a: &[Self], b: &[Self]) -> Self;
        /// `y_i += alpha x_i` over the common length, in SIMD lanes.
        fn axpy_lanes(alpha: Self, x: &[Self], y: &mut [Self]);
        /// Correctly rounded square root (libm).
        fn sqrt(self) -> Self;
    }
}

/// An element type with SIMD kernels: `f32` (8 lanes) and `f64` (4 lanes).
///
/// Sealed, like [`Real`]: every function of [`embed`](crate::embed) takes
/// `T: Lanes`, which `f32` and `f64` are.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dot_wide, Lanes};
/// fn norm2<T: Lanes>(v: &[T]) -> Result<T, dpm_core::Error> {
///     dot_wide(v, v)
/// }
/// assert_eq!(norm2(&[3.0_f32, 4.0])?, 25.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub trait Lanes: Real + sealed::Kernels {}

impl Lanes for f32 {}
impl Lanes for f64 {}

macro_rules! impl_kernels {
    ($t:ty, $v:ty, $n:literal, $sqrt:path) => {
        impl sealed::Kernels for $t {
            #[inline]
            fn dot_lanes(a: &[$t], b: &[$t]) -> $t {
                let n = a.len().min(b.len());
                let (ca, ta) = a[..n].as_chunks::<$n>();
                let (cb, tb) = b[..n].as_chunks::<$n>();
                let mut acc = <$v>::ZERO;
                for (va, vb) in ca.iter().zip(cb) {
                    acc = <$v>::new(*va).mul_add(<$v>::new(*vb), acc);
                }
                let mut s = acc.reduce_add();
                for (&p, &q) in ta.iter().zip(tb) {
                    s += p * q;
                }
                s
            }

            #[inline]
            fn axpy_lanes(alpha: $t, x: &[$t], y: &mut [$t]) {
                let n = x.len().min(y.len());
                let (cx, tx) = x[..n].as_chunks::<$n>();
                let (cy, ty) = y[..n].as_chunks_mut::<$n>();
                let va = <$v>::splat(alpha);
                for (vx, vy) in cx.iter().zip(cy) {
                    *vy = va.mul_add(<$v>::new(*vx), <$v>::new(*vy)).to_array();
                }
                for (&p, q) in tx.iter().zip(ty) {
                    *q += alpha * p;
                }
            }

            #[inline]
            fn sqrt(self) -> $t {
                $sqrt(self)
            }
        }
    };
}

impl_kernels!(f32, wide::f32x8, 8, libm::sqrtf);
impl_kernels!(f64, wide::f64x4, 4, libm::sqrt);

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
    let mut s = T::ZERO;
    for (&p, &q) in a.iter().zip(b) {
        s += p * q;
    }
    finish_dot(s, a, b)
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
pub fn dot_wide<T: Lanes>(a: &[T], b: &[T]) -> Result<T, Error> {
    check::len("b", b.len(), a.len())?;
    finish_dot(T::dot_lanes(a, b), a, b)
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
pub fn axpy_wide<T: Lanes>(alpha: T, x: &[T], y: &mut [T]) -> Result<(), Error> {
    check_axpy(alpha, x, y)?;
    T::axpy_lanes(alpha, x, y);
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
