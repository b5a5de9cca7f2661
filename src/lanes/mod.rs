//! Vector lanes for the SIMD kernels, chosen per CPU: one trait,
//! [`Lanes`], that every kernel is written against once, and its
//! implementations.
//!
//! | module | what |
//! |---|---|
//! | `wide` | `wide::f32x8` / `f64x4`: the baseline, chosen at compile time (SSE2, or AVX2 + FMA under `-C target-cpu`, NEON on aarch64) |
//! | `x86` | AVX2 + FMA (`__m256`) and AVX-512F (`__m512`) lanes, on `x86_64` (with or without `std`) |
//! | `dispatch` | which lanes run: detected once at run time on `x86_64`, the baseline otherwise |
//! | `exp` | `e^x` on any lanes, 0 below the log of the smallest normal number |
//! | `sum` | compensated sums of lanes |
//! | `iter` | loops over a row in whole vectors and one padded tail |
//!
//! `#[cfg_attr(dpm_inline, inline(always))]` is deliberate throughout: a
//! kernel generic over [`Lanes`] must inline into the `#[target_feature]`
//! function the dispatcher calls, or the intrinsics stay out-of-line
//! calls. `build.rs` sets `dpm_inline` in optimised builds (opt-level 2
//! and up), with or without debug assertions.
#![allow(clippy::inline_always)]

pub(crate) mod dispatch;
pub(crate) mod exp;
pub(crate) mod iter;
pub(crate) mod sum;
mod wide;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use crate::Real;
use core::ops::{Add, Mul, Sub};

/// The target has SIMD lanes for `wide` to use (SSE2 and up on x86, NEON
/// on Arm A-profile, wasm `simd128`). Elsewhere, as on Cortex-M, `wide`
/// emulates its vectors with arrays: no faster than the scalar kernels and
/// larger in code and stack, so the public functions run the scalar
/// kernels there.
pub(crate) const LANES: bool = cfg!(any(
    target_feature = "sse2",
    target_feature = "neon",
    target_feature = "simd128"
));

/// A vector of `N` lanes of `Self::Scalar`.
///
/// `pub` only so that it can bound an associated type of the sealed
/// supertrait of [`Real`]; the module is private, so no user can name it.
pub trait Lanes:
    Copy + Send + Sync + core::fmt::Debug + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    /// The element type.
    type Scalar: Real;
    /// A lane mask from a comparison.
    type Mask: Copy;
    /// Number of lanes.
    const N: usize;

    /// Every lane `x`.
    fn splat(x: Self::Scalar) -> Self;
    /// The first `N` elements of `s` (`s.len() >= N`).
    fn load(s: &[Self::Scalar]) -> Self;
    /// `s` (`s.len() <= N`) in the low lanes, `fill` in the others.
    fn load_part(s: &[Self::Scalar], fill: Self::Scalar) -> Self;
    /// Writes the low `min(N, d.len())` lanes to `d`.
    fn store(self, d: &mut [Self::Scalar]);
    /// Lane-wise maximum; the kernels never pass NaN.
    #[must_use]
    fn max(self, o: Self) -> Self;
    /// Lane-wise minimum; the kernels never pass NaN.
    #[must_use]
    fn min(self, o: Self) -> Self;
    /// Lane-wise `|x|`.
    #[must_use]
    fn abs(self) -> Self;
    /// `self * m + a`, fused where the lanes have FMA.
    #[must_use]
    fn mul_add(self, m: Self, a: Self) -> Self;
    /// `self < o`, lane-wise (false where either is NaN).
    fn lt(self, o: Self) -> Self::Mask;
    /// `self == o`, lane-wise.
    fn eq(self, o: Self) -> Self::Mask;
    /// `if m { t } else { f }`, lane-wise.
    fn select(m: Self::Mask, t: Self, f: Self) -> Self;
    /// `2^k` where `t = k + SHIFT` holds an integer `k` in the normal
    /// exponent range in its low mantissa bits (the exp's shifter,
    /// [`exp`]).
    fn pow2_shifted(t: Self) -> Self;
    /// The same vector with lane `k < N` set to `v`.
    #[must_use]
    fn with_lane(self, k: usize, v: Self::Scalar) -> Self;
    /// The largest lane.
    fn reduce_max(self) -> Self::Scalar;
    /// Calls `f` on every lane, lowest first.
    fn for_each(self, f: impl FnMut(Self::Scalar));
    /// Runs `f` with these lanes' CPU features enabled: a kernel that runs
    /// on another thread (`crate::par`) enters them again there.
    fn enter<R>(f: impl FnOnce() -> R) -> R;
}

/// The baseline lanes of `T` (compile-time choice, `wide`).
pub(crate) type Base<T> = <T as crate::real::Sealed>::Base;
