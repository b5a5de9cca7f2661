//! The element types the crate computes in: `f32` and `f64`.
//!
//! Every transcendental function goes through [`libm`], never through
//! `std`'s platform math, so a firmware build and a host build of the same
//! code round the same way whatever features other crates in the graph
//! enable.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};
use num_traits::float::FloatCore;

/// The seal, and the per-type choice of SIMD lanes and exp constants: a
/// crate-private supertrait, so the lane types never appear in the public
/// API.
mod sealed {
    use crate::lanes::exp::ExpConsts;

    pub trait Sealed: ExpConsts {
        /// The baseline lanes (`wide`, chosen at compile time).
        type Base: crate::lanes::Lanes<Scalar = Self>;
        /// AVX2 + FMA lanes, chosen at run time.
        #[cfg(target_arch = "x86_64")]
        type Avx2: crate::lanes::Lanes<Scalar = Self>;
        /// AVX-512F lanes, chosen at run time.
        #[cfg(target_arch = "x86_64")]
        type Avx512: crate::lanes::Lanes<Scalar = Self>;
    }
    impl Sealed for f32 {
        type Base = wide::f32x8;
        #[cfg(target_arch = "x86_64")]
        type Avx2 = crate::lanes::x86::Avx2F32;
        #[cfg(target_arch = "x86_64")]
        type Avx512 = crate::lanes::x86::Avx512F32;
    }
    impl Sealed for f64 {
        type Base = wide::f64x4;
        #[cfg(target_arch = "x86_64")]
        type Avx2 = crate::lanes::x86::Avx2F64;
        #[cfg(target_arch = "x86_64")]
        type Avx512 = crate::lanes::x86::Avx512F64;
    }
}

pub(crate) use sealed::Sealed;

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// This trait is sealed: it cannot be implemented outside this crate, so
/// new methods are not breaking changes.
///
/// [`num_traits::float::FloatCore`] is a supertrait: code generic over
/// num-traits takes a `T: Real` as it is, and `abs`, `max`, `min`,
/// `is_finite`, `is_nan`, `classify`, ... are `FloatCore`'s (exact
/// operations: the same bits whichever num-traits features the build
/// enables). The transcendental functions (`exp`, `ln`, `ln_1p`, `sqrt`)
/// are this trait's own and always libm's, so firmware and host round
/// alike; num-traits' `Float` is not required (with `num-traits/std`
/// enabled anywhere in the graph, its `exp` is the platform's).
///
/// One name is in both: `to_f64`. On a value, `x.to_f64()` is this
/// trait's (an `f64`); on a reference, method lookup finds num-traits'
/// `ToPrimitive::to_f64(&self)` first, an `Option<f64>`: write
/// `(*x).to_f64()`, or take the value in the closure (`|&x|`).
///
/// # Example
///
/// ```
/// use dpm_core::Real;
/// use dpm_core::num_traits::float::FloatCore;
/// fn softplus<T: Real>(x: T) -> T {
///     x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
/// }
/// assert!((softplus(0.0_f64) - 2.0_f64.ln()).abs() < 1e-15);
/// // Generic code written against num-traits composes:
/// fn clamp_unit<F: FloatCore>(x: F) -> F {
///     x.max(F::zero()).min(F::one())
/// }
/// fn squash<T: Real>(x: T) -> T {
///     clamp_unit(x).sqrt()
/// }
/// assert_eq!(squash(0.25_f32), 0.5);
/// assert_eq!([0.5_f32, 0.25].iter().map(|&v| v.to_f64()).sum::<f64>(), 0.75);
/// ```
pub trait Real:
    sealed::Sealed
    + FloatCore
    + Copy
    + Default
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity: the log of a zero mass.
    const NEG_INFINITY: Self;
    /// Machine epsilon: `2^-23` for `f32`, `2^-52` for `f64`.
    const EPSILON: Self;
    /// Largest finite value.
    const MAX: Self;
    /// Smallest positive normal value.
    const MIN_POSITIVE: Self;

    /// `e^self` (libm).
    #[must_use]
    fn exp(self) -> Self;
    /// Natural logarithm (libm); `ln(0) = -inf`.
    #[must_use]
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near 0 (libm).
    #[must_use]
    fn ln_1p(self) -> Self;
    /// Square root, correctly rounded (libm); NaN below 0.
    #[must_use]
    fn sqrt(self) -> Self;
    /// Rounds an `f64` to this type (to nearest).
    #[must_use]
    fn from_f64(x: f64) -> Self;
    /// Widens (or keeps) this value as an `f64`, exactly.
    #[must_use]
    fn to_f64(self) -> f64;
    /// Converts a count (rounds to nearest for counts above 2^24 in `f32`).
    #[must_use]
    fn from_usize(n: usize) -> Self;
}

macro_rules! impl_real {
    ($t:ty, $exp:path, $ln:path, $ln1p:path, $sqrt:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const EPSILON: Self = <$t>::EPSILON;
            const MAX: Self = <$t>::MAX;
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;

            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $ln1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline]
            #[allow(clippy::cast_possible_truncation, trivial_numeric_casts)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            #[allow(trivial_numeric_casts)]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline]
            #[allow(clippy::cast_precision_loss)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
        }
    };
}

impl_real!(f32, libm::expf, libm::logf, libm::log1pf, libm::sqrtf);
impl_real!(f64, libm::exp, libm::log, libm::log1p, libm::sqrt);
