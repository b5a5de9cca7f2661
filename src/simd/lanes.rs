//! The lane types the SIMD kernels compute in: `wide::f32x8` for `f32`,
//! `wide::f64x4` for `f64`, behind one small trait so that each kernel is
//! written once. Widths are fixed at compile time; `wide` picks AVX2/FMA,
//! SSE2, NEON or plain scalar lanes from the target features.

use core::ops::{Add, Mul, Sub};
use wide::{f32x8, f64x4};

/// A vector of `N` lanes of `Self::Scalar`.
///
/// `pub` only so that it can bound an associated type of the sealed
/// supertrait of [`Real`](crate::Real); the module is private, so no user
/// can name it.
pub trait Lanes:
    Copy + Send + Sync + core::fmt::Debug + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    /// The element type.
    type Scalar: Copy;
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
    /// `self * m + a`, fused where the target has FMA.
    #[must_use]
    fn mul_add(self, m: Self, a: Self) -> Self;
    /// `e^x` per lane ([`super::exp`]).
    #[must_use]
    fn exp(self) -> Self;
    /// `e^x` per lane for `x <= 0` (the kernels' arguments), the same
    /// values without the special-value selects.
    #[must_use]
    fn exp_le0(self) -> Self;
    /// The same vector with lane `k < N` set to `v`.
    #[must_use]
    fn with_lane(self, k: usize, v: Self::Scalar) -> Self;
    /// The largest lane.
    fn reduce_max(self) -> Self::Scalar;
    /// Calls `f` on every lane, lowest first.
    fn for_each(self, f: impl FnMut(Self::Scalar));
    /// Lane-wise `|x|`.
    #[must_use]
    fn abs(self) -> Self;
}

macro_rules! impl_lanes {
    ($v:ty, $t:ty, $n:expr, $exp:path, $exp_le0:path) => {
        impl Lanes for $v {
            type Scalar = $t;
            const N: usize = $n;

            #[inline(always)]
            fn splat(x: $t) -> Self {
                <$v>::splat(x)
            }
            #[inline(always)]
            fn load(s: &[$t]) -> Self {
                let a: [$t; $n] = s[..$n].try_into().unwrap_or([0.0; $n]);
                <$v>::new(a)
            }
            #[inline(always)]
            fn load_part(s: &[$t], fill: $t) -> Self {
                let mut a = [fill; $n];
                let k = s.len().min($n);
                a[..k].copy_from_slice(&s[..k]);
                <$v>::new(a)
            }
            #[inline(always)]
            fn store(self, d: &mut [$t]) {
                let a = self.to_array();
                let k = d.len().min($n);
                d[..k].copy_from_slice(&a[..k]);
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                self.fast_max(o)
            }
            #[inline(always)]
            fn mul_add(self, m: Self, a: Self) -> Self {
                <$v>::mul_add(self, m, a)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_le0(self) -> Self {
                $exp_le0(self)
            }
            #[inline(always)]
            fn with_lane(self, k: usize, v: $t) -> Self {
                let mut a = self.to_array();
                a[k] = v;
                <$v>::new(a)
            }
            #[inline(always)]
            fn reduce_max(self) -> $t {
                self.to_array()
                    .into_iter()
                    .fold(<$t>::NEG_INFINITY, <$t>::max)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$v>::abs(self)
            }
            #[inline(always)]
            fn for_each(self, f: impl FnMut($t)) {
                self.to_array().into_iter().for_each(f);
            }
        }
    };
}

impl_lanes!(
    f32x8,
    f32,
    8,
    super::exp::exp_f32x8,
    super::exp::exp_le0_f32x8
);
impl_lanes!(
    f64x4,
    f64,
    4,
    super::exp::exp_f64x4,
    super::exp::exp_le0_f64x4
);

/// Kahan's compensated sum, lane-wise: the error of each lane's total is
/// about `2 eps` times the sum of its terms' magnitudes, whatever the number
/// of terms, as the scalar [`Sum`](crate::sum::Sum) guarantees.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kahan<V> {
    /// Running sum.
    pub sum: V,
    /// Minus the low-order part lost so far.
    pub comp: V,
}

impl<V: Lanes> Kahan<V> {
    /// A zero sum.
    #[inline(always)]
    pub(crate) fn zero(zero: V::Scalar) -> Self {
        Kahan {
            sum: V::splat(zero),
            comp: V::splat(zero),
        }
    }

    /// Adds `x` to every lane's sum.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: V) {
        let y = x - self.comp;
        let t = self.sum + y;
        self.comp = (t - self.sum) - y;
        self.sum = t;
    }
}

/// A sum of many vectors: plain adds into a partial over blocks of
/// [`Blocked::BLOCK`] terms, each block's partial then added to a [`Kahan`]
/// sum. The error of a lane is at most about `(BLOCK + 1) eps` times the
/// sum of its terms' magnitudes however many terms there are, at one add
/// (or fused multiply-add) per term plus a Kahan update per block, and the
/// loop-carried chain is one add, not Kahan's four.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocked<V> {
    part: V,
    count: u32,
    total: Kahan<V>,
}

impl<V: Lanes> Blocked<V> {
    /// Terms per plain block.
    pub(crate) const BLOCK: u32 = 4;

    #[inline(always)]
    pub(crate) fn zero(zero: V::Scalar) -> Self {
        Blocked {
            part: V::splat(zero),
            count: 0,
            total: Kahan::zero(zero),
        }
    }

    #[inline(always)]
    fn tick(&mut self, zero: V::Scalar) {
        self.count += 1;
        if self.count == Self::BLOCK {
            self.total.add(self.part);
            self.part = V::splat(zero);
            self.count = 0;
        }
    }

    /// Adds `x`.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: V, zero: V::Scalar) {
        self.part = self.part + x;
        self.tick(zero);
    }

    /// Adds `a * b` (fused where the target has FMA).
    #[inline(always)]
    pub(crate) fn add_mul(&mut self, a: V, b: V, zero: V::Scalar) {
        self.part = a.mul_add(b, self.part);
        self.tick(zero);
    }

    /// Adds `a * b` to the current block without counting it: for loops
    /// that close their blocks themselves with [`Blocked::end_block`].
    #[inline(always)]
    pub(crate) fn push_mul(&mut self, a: V, b: V) {
        self.part = a.mul_add(b, self.part);
    }

    /// Closes the current block (call after at most `BLOCK` pushes, with
    /// no pending [`Blocked::add`] terms).
    #[inline(always)]
    pub(crate) fn end_block(&mut self, zero: V::Scalar) {
        self.total.add(self.part);
        self.part = V::splat(zero);
        self.count = 0;
    }

    /// The lane-wise compensated sums.
    #[inline(always)]
    pub(crate) fn finish(mut self) -> Kahan<V> {
        self.total.add(self.part);
        self.total
    }
}
