//! [`Lanes`] on `wide`'s `f32x8` and `f64x4`: the baseline, whose
//! instructions `wide` picks at compile time from the target features.

use super::Lanes;
use wide::{f32x8, f64x4, u32x8, u64x4};

macro_rules! impl_lanes {
    ($v:ty, $t:ty, $n:expr, $bits:ty, $bias:expr, $shift:expr) => {
        impl Lanes for $v {
            type Scalar = $t;
            type Mask = $v;
            const N: usize = $n;

            #[cfg_attr(dpm_inline, inline(always))]
            fn splat(x: $t) -> Self {
                <$v>::splat(x)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn load(s: &[$t]) -> Self {
                let a: [$t; $n] = s[..$n].try_into().unwrap_or([0.0; $n]);
                <$v>::new(a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn load_part(s: &[$t], fill: $t) -> Self {
                let mut a = [fill; $n];
                let k = s.len().min($n);
                a[..k].copy_from_slice(&s[..k]);
                <$v>::new(a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn store(self, d: &mut [$t]) {
                let a = self.to_array();
                let k = d.len().min($n);
                d[..k].copy_from_slice(&a[..k]);
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn max(self, o: Self) -> Self {
                self.fast_max(o)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn min(self, o: Self) -> Self {
                self.fast_min(o)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn abs(self) -> Self {
                <$v>::abs(self)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn mul_add(self, m: Self, a: Self) -> Self {
                <$v>::mul_add(self, m, a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn lt(self, o: Self) -> Self {
                self.simd_lt(o)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn eq(self, o: Self) -> Self {
                self.simd_eq(o)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn select(m: Self, t: Self, f: Self) -> Self {
                m.select(t, f)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn pow2_shifted(t: Self) -> Self {
                <$v>::from_bits((t.to_bits() - <$bits>::splat($bias)) << $shift)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn with_lane(self, k: usize, v: $t) -> Self {
                let mut a = self.to_array();
                a[k] = v;
                <$v>::new(a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn reduce_max(self) -> $t {
                self.to_array()
                    .into_iter()
                    .fold(<$t>::NEG_INFINITY, <$t>::max)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn for_each(self, f: impl FnMut($t)) {
                self.to_array().into_iter().for_each(f);
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn enter<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
        }
    };
}

// `bits(SHIFT) - bias`: with the shifter `1.5 * 2^23` (f32) or `1.5 * 2^52`
// (f64), `bits(t) - bits(SHIFT) = k`, so `(bits(t) - bias) << mantissa`
// is the biased exponent of `2^k`.
impl_lanes!(f32x8, f32, 8, u32x8, 0x4b40_0000 - 127, 23);
impl_lanes!(f64x4, f64, 4, u64x4, 0x4338_0000_0000_0000 - 1023, 52);
