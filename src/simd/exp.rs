//! `e^x` on `wide` lanes: Cody-Waite range reduction, a minimax polynomial
//! and an exponent split that keeps gradual underflow exact.
//!
//! # Method
//!
//! 1. `k = round(x / ln 2)` by the "shifter" trick: `t = x * log2(e) +
//!    1.5 * 2^p` (`p` = mantissa bits) rounds `x / ln 2` to an integer in
//!    the current (nearest-even) rounding mode, and `k` sits in the low
//!    mantissa bits of `t`. No round or convert instruction is needed, so
//!    SSE2-only and FPU-only targets run the same code.
//! 2. `r = x - k ln2_hi - k ln2_lo`, `|r| <= ln(2)/2 (1 + tiny)`: fdlibm's
//!    Cody-Waite split of `ln 2` (`e_expf.c` and `e_exp.c`, Sun
//!    Microsystems 1993): `ln2_hi` has trailing zero bits, so `k ln2_hi` is
//!    exact for every `k` this range reaches and the first subtraction is
//!    exact (Sterbenz), with or without FMA.
//! 3. `e^r ~ 1 + r + r^2 q(r)`, `q` of degree 4 (f32) or 9 (f64): a
//!    Chebyshev fit of `(e^r - 1 - r) / r^2` on `[-ln(2)/2, ln(2)/2]`,
//!    `mpmath.chebyfit` at 60 digits (`tools/exp_coefficients.py`), rounded
//!    to the element type. With the rounded coefficients the relative error
//!    of the polynomial is 9.7e-9 (f32, 0.08 ulp) and 1.6e-17 (f64,
//!    0.07 ulp), measured by that script on 20 001 points in 60 digits.
//!    The total error is at most about 1 ulp (the tests bound it by 1.5
//!    ulp of the exact value and print the worst: 1.02 ulp with FMA); the
//!    remaining error is the final rounding and that of `r`.
//! 4. `e^x = p * 2^floor(k/2) * 2^ceil(k/2)`: each factor is a normal
//!    power of two for every `k` in range, so the second product rounds
//!    once, exactly as a correctly scaled result would, also into the
//!    subnormal range (a single `2^k` would not exist there, and `2^128`
//!    overflows where `e^x` does not).
//!
//! # Special cases (explicit, by `select`)
//!
//! | input | result |
//! |---|---|
//! | NaN | NaN |
//! | `x > ln(MAX)` (88.722832 f32, 709.782713 f64), `+inf` | `+inf` |
//! | `x` whose `e^x` rounds to 0 (below -103.972076 f32, -745.133219 f64), `-inf` | `+0` |
//!
//! The input is clamped to the finite range before the arithmetic, so no
//! lane computes with an out-of-range exponent, then the masks above pick
//! the special values.

use wide::{f32x8, f64x4, u32x8, u64x4};

/// Constants of [`exp_f32x8`].
mod c32 {
    /// Largest `x` with a finite `e^x`: `0x42b17217`; `ln(f32::MAX) =
    /// 88.72283905...`, and the next float, 88.72283936, overflows.
    pub const MAX_X: f32 = f32::from_bits(0x42b1_7217);
    /// `e^x` rounds to 0 below this: `ln(2^-150) = -103.97207708...`, and
    /// this is the float just above it (`0xc2cff1b4`).
    pub(super) const MIN_X: f32 = f32::from_bits(0xc2cf_f1b4);
    pub const LOG2_E: f32 = core::f32::consts::LOG2_E;
    /// `1.5 * 2^23`: adding it rounds to an integer, `k` in the low bits.
    pub(super) const SHIFT: f32 = 12_582_912.0;
    /// fdlibm `e_expf.c`: `ln2HI = 6.9314575195e-01` (`0x3f317200`, 16
    /// significant bits), `ln2LO = 1.4286067653e-06` (`0x35bfbe8e`);
    /// `ln2_hi + ln2_lo - ln 2 = -5.5e-14`.
    pub(super) const LN2_HI: f32 = 6.931_457_5e-1;
    pub(super) const LN2_LO: f32 = 1.428_606_8e-6;
    /// `q(r) = Q0 + Q1 r + ... + Q4 r^4` (`tools/exp_coefficients.py`).
    pub(super) const Q: [f32; 5] = [
        0.5,
        0.166_665_78,
        0.041_666_556,
        0.008_363_173,
        0.001_392_617_6,
    ];
    /// `bits(SHIFT) - 254`: `bits(t) - KBIAS = k + 254`, so that its
    /// halves `floor` and `ceil` are biased exponents (`+127` each).
    pub(super) const KBIAS: u32 = 0x4b40_0000 - 254;
}

/// Constants of [`exp_f64x4`].
mod c64 {
    /// Largest `x` with a finite `e^x` (`0x40862e42fefa39ef`).
    pub const MAX_X: f64 = f64::from_bits(0x4086_2e42_fefa_39ef);
    /// `e^x` rounds to 0 below this: `ln(2^-1075) = -745.13321910194121...`,
    /// and this is the double just above it.
    pub(super) const MIN_X: f64 = -745.133_219_101_941_1;
    pub const LOG2_E: f64 = core::f64::consts::LOG2_E;
    /// `1.5 * 2^52`.
    pub(super) const SHIFT: f64 = 6_755_399_441_055_744.0;
    /// fdlibm `e_exp.c`: `ln2HI = 6.93147180369123816490e-01`
    /// (`0x3fe62e42fee00000`, 32 trailing zero bits), `ln2LO =
    /// 1.90821492927058770002e-10`; `ln2_hi + ln2_lo - ln 2 = -1.2e-26`.
    pub(super) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    pub(super) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    /// `q(r)`, degree 9 (`tools/exp_coefficients.py`).
    pub(super) const Q: [f64; 10] = [
        0.500_000_000_000_000_1,
        0.166_666_666_666_666_69,
        0.041_666_666_666_624_164,
        0.008_333_333_333_330_065,
        0.001_388_888_891_719_671_9,
        0.000_198_412_698_630_405_45,
        2.480_152_132_236_869_2e-5,
        2.755_726_848_031_002_4e-6,
        2.762_007_587_998_336_7e-7,
        2.510_037_583_256_123_4e-8,
    ];
    /// `bits(SHIFT) - 2046`: `k + 2046` splits into two biased exponents.
    pub(super) const KBIAS: u64 = 0x4338_0000_0000_0000 - 2046;
}

/// `e^x` per lane of an `f32x8`; about 1 ulp, see the module docs.
#[inline(always)]
#[must_use]
pub(crate) fn exp_f32x8(x: f32x8) -> f32x8 {
    use c32::{KBIAS, LN2_HI, LN2_LO, LOG2_E, MAX_X, MIN_X, Q, SHIFT};
    let s = f32x8::splat;
    let xc = x.fast_max(s(MIN_X)).fast_min(s(MAX_X));
    let t = xc.mul_add(s(LOG2_E), s(SHIFT));
    let k = t - s(SHIFT);
    let r = k.mul_neg_add(s(LN2_HI), xc);
    let r = k.mul_neg_add(s(LN2_LO), r);
    let q = r.mul_add(s(Q[4]), s(Q[3]));
    let q = q.mul_add(r, s(Q[2]));
    let q = q.mul_add(r, s(Q[1]));
    let q = q.mul_add(r, s(Q[0]));
    let p = (r * r).mul_add(q, r) + s(1.0);
    let kb = t.to_bits() - u32x8::splat(KBIAS);
    let k1 = kb >> 1;
    let k2 = kb - k1;
    let y = p * f32x8::from_bits(k1 << 23) * f32x8::from_bits(k2 << 23);
    let y = x.simd_gt(s(MAX_X)).select(s(f32::INFINITY), y);
    let y = x.simd_lt(s(MIN_X)).select(s(0.0), y);
    x.is_nan().select(x, y)
}

/// `e^x` for `x <= 0` or `-inf` (never NaN): [`exp_f32x8`] without the
/// special-value selects, for the kernels, whose arguments are `a - max`.
/// Clamping at -104 makes every lane below the underflow threshold round
/// to +0 by itself: `e^-104 < 2^-150`, half the smallest subnormal, and
/// the step from `[-104, MIN_X)` has `k = -150`, `p < 1`. The tests check
/// that it equals [`exp_f32x8`] bit for bit on `x <= 0`.
#[inline(always)]
#[must_use]
pub(crate) fn exp_le0_f32x8(x: f32x8) -> f32x8 {
    use c32::{KBIAS, LN2_HI, LN2_LO, LOG2_E, Q, SHIFT};
    let s = f32x8::splat;
    let xc = x.fast_max(s(-104.0));
    let t = xc.mul_add(s(LOG2_E), s(SHIFT));
    let k = t - s(SHIFT);
    let r = k.mul_neg_add(s(LN2_HI), xc);
    let r = k.mul_neg_add(s(LN2_LO), r);
    let q = r.mul_add(s(Q[4]), s(Q[3]));
    let q = q.mul_add(r, s(Q[2]));
    let q = q.mul_add(r, s(Q[1]));
    let q = q.mul_add(r, s(Q[0]));
    let p = (r * r).mul_add(q, r) + s(1.0);
    let kb = t.to_bits() - u32x8::splat(KBIAS);
    let k1 = kb >> 1;
    let k2 = kb - k1;
    p * f32x8::from_bits(k1 << 23) * f32x8::from_bits(k2 << 23)
}

/// [`exp_le0_f32x8`] for `f64x4`, clamped at -746 (`e^-746 < 2^-1075`).
#[inline(always)]
#[must_use]
pub(crate) fn exp_le0_f64x4(x: f64x4) -> f64x4 {
    use c64::{KBIAS, LN2_HI, LN2_LO, LOG2_E, Q, SHIFT};
    let s = f64x4::splat;
    let xc = x.fast_max(s(-746.0));
    let t = xc.mul_add(s(LOG2_E), s(SHIFT));
    let k = t - s(SHIFT);
    let r = k.mul_neg_add(s(LN2_HI), xc);
    let r = k.mul_neg_add(s(LN2_LO), r);
    let mut q = r.mul_add(s(Q[9]), s(Q[8]));
    for &c in Q[..8].iter().rev() {
        q = q.mul_add(r, s(c));
    }
    let p = (r * r).mul_add(q, r) + s(1.0);
    let kb = t.to_bits() - u64x4::splat(KBIAS);
    let k1 = kb >> 1;
    let k2 = kb - k1;
    p * f64x4::from_bits(k1 << 52) * f64x4::from_bits(k2 << 52)
}

/// `e^x` per lane of an `f64x4`; about 1 ulp, see the module docs.
#[inline(always)]
#[must_use]
pub(crate) fn exp_f64x4(x: f64x4) -> f64x4 {
    use c64::{KBIAS, LN2_HI, LN2_LO, LOG2_E, MAX_X, MIN_X, Q, SHIFT};
    let s = f64x4::splat;
    let xc = x.fast_max(s(MIN_X)).fast_min(s(MAX_X));
    let t = xc.mul_add(s(LOG2_E), s(SHIFT));
    let k = t - s(SHIFT);
    let r = k.mul_neg_add(s(LN2_HI), xc);
    let r = k.mul_neg_add(s(LN2_LO), r);
    let mut q = r.mul_add(s(Q[9]), s(Q[8]));
    for &c in Q[..8].iter().rev() {
        q = q.mul_add(r, s(c));
    }
    let p = (r * r).mul_add(q, r) + s(1.0);
    let kb = t.to_bits() - u64x4::splat(KBIAS);
    let k1 = kb >> 1;
    let k2 = kb - k1;
    let y = p * f64x4::from_bits(k1 << 52) * f64x4::from_bits(k2 << 52);
    let y = x.simd_gt(s(MAX_X)).select(s(f64::INFINITY), y);
    let y = x.simd_lt(s(MIN_X)).select(s(0.0), y);
    x.is_nan().select(x, y)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of these tests
mod tests {
    extern crate std;
    use super::*;

    /// Exact-enough reference: f64 libm for f32 results.
    #[allow(clippy::cast_possible_truncation)]
    fn reference32(x: f32) -> f32 {
        libm::exp(f64::from(x)) as f32
    }

    fn ours32(x: f32) -> f32 {
        exp_f32x8(f32x8::splat(x)).to_array()[0]
    }

    fn ours64(x: f64) -> f64 {
        exp_f64x4(f64x4::splat(x)).to_array()[0]
    }

    /// `|got - e^x|` in ulps of the correctly rounded result (subnormal
    /// ulps below the normal range).
    fn ulps32(got: f32, x: f32) -> f64 {
        let want = reference32(x);
        let ulp = if want < f32::MIN_POSITIVE {
            f64::from(f32::from_bits(1))
        } else {
            let e = i32::try_from(want.to_bits() >> 23).unwrap();
            libm::ldexp(1.0, e - 127 - 23)
        };
        (f64::from(got) - libm::exp(f64::from(x))).abs() / ulp
    }

    #[test]
    fn special_values() {
        assert!(ours32(f32::NAN).is_nan());
        assert_eq!(ours32(f32::INFINITY), f32::INFINITY);
        assert_eq!(ours32(f32::NEG_INFINITY), 0.0);
        assert_eq!(ours32(f32::MAX), f32::INFINITY);
        assert_eq!(ours32(f32::MIN), 0.0);
        assert_eq!(ours32(0.0), 1.0);
        assert_eq!(ours32(-0.0), 1.0);
        assert_eq!(ours32(1e-45), 1.0);
        assert!(ours64(f64::NAN).is_nan());
        assert_eq!(ours64(f64::INFINITY), f64::INFINITY);
        assert_eq!(ours64(f64::NEG_INFINITY), 0.0);
        assert_eq!(ours64(f64::MAX), f64::INFINITY);
        assert_eq!(ours64(f64::MIN), 0.0);
        assert_eq!(ours64(0.0), 1.0);
        assert_eq!(ours64(5e-324), 1.0);
    }

    /// The kernels' variant is the same function on `x <= 0`.
    #[test]
    fn nonpositive_variant_is_identical() {
        let le0_32 = |x: f32| exp_le0_f32x8(f32x8::splat(x)).to_array()[0];
        let le0_64 = |x: f64| exp_le0_f64x4(f64x4::splat(x)).to_array()[0];
        // Every 61st negative f32 (sign bit set), -0 and -inf included.
        let (stride, step) = if cfg!(miri) {
            (999_983, 3.777)
        } else {
            (61, 0.000_377_7)
        };
        let mut bits = 0x8000_0000_u32;
        while let Some(b) = bits.checked_add(stride) {
            let x = f32::from_bits(bits);
            if !x.is_nan() {
                assert_eq!(le0_32(x).to_bits(), ours32(x).to_bits(), "{x:e}");
            }
            bits = b;
        }
        assert_eq!(le0_32(f32::NEG_INFINITY), 0.0);
        assert_eq!(le0_32(0.0), 1.0);
        let mut x = -800.0_f64;
        while x <= 0.0 {
            assert_eq!(le0_64(x).to_bits(), ours64(x).to_bits(), "{x:e}");
            x += step;
        }
        for x in [
            f64::NEG_INFINITY,
            -1e300,
            c64::MIN_X,
            f64::from_bits(c64::MIN_X.to_bits() + 1),
            -0.0,
        ] {
            assert_eq!(le0_64(x).to_bits(), ours64(x).to_bits(), "{x:e}");
        }
    }

    #[test]
    fn thresholds_f32() {
        // Just below overflow: finite and accurate; the next float overflows.
        let x = c32::MAX_X;
        assert_eq!(x.to_bits(), 0x42b1_7217);
        let y = ours32(x);
        assert!(y.is_finite() && ulps32(y, x) <= 1.0, "{y:e}");
        assert_eq!(ours32(f32::from_bits(x.to_bits() + 1)), f32::INFINITY);
        assert_eq!(reference32(f32::from_bits(x.to_bits() + 1)), f32::INFINITY);
        // Just above total underflow: the smallest subnormal; below: 0.
        assert_eq!(c32::MIN_X.to_bits(), 0xc2cf_f1b4);
        assert_eq!(ours32(c32::MIN_X), f32::from_bits(1));
        assert_eq!(reference32(c32::MIN_X), f32::from_bits(1));
        let below = f32::from_bits(c32::MIN_X.to_bits() + 1);
        assert_eq!(ours32(below).to_bits(), 0);
        assert_eq!(reference32(below), 0.0);
    }

    #[test]
    fn thresholds_f64() {
        let x = c64::MAX_X;
        assert_eq!(x.to_bits(), 0x4086_2e42_fefa_39ef);
        assert!(ours64(x).is_finite());
        assert_eq!(ours64(f64::from_bits(x.to_bits() + 1)), f64::INFINITY);
        assert_eq!(ours64(c64::MIN_X), f64::from_bits(1));
        assert_eq!(
            ours64(f64::from_bits(c64::MIN_X.to_bits() + 1)).to_bits(),
            0
        );
    }

    /// Every 997th f32 bit pattern (4.3 million inputs over the whole
    /// range, both signs, subnormals and specials included), plus the
    /// neighbourhoods of the thresholds: within 1.5 ulp of the exact result
    /// (subnormal ulps in the gradual-underflow range; the worst seen is
    /// printed, about 1.02 with FMA, below 1 without), 0
    /// exactly where that result is 0, never NaN for a non-NaN input.
    #[test]
    fn whole_f32_range_within_one_and_a_half_ulp() {
        let mut worst = (0.0, 0.0_f32);
        let mut check = |x: f32| {
            let got = ours32(x);
            if x.is_nan() {
                assert!(got.is_nan());
                return;
            }
            assert!(!got.is_nan(), "exp({x:e}) = NaN");
            let want = reference32(x);
            if want == 0.0 || want.is_infinite() {
                assert_eq!(got.to_bits(), want.to_bits(), "exp({x:e})");
                return;
            }
            let e = ulps32(got, x);
            if e > worst.0 {
                worst = (e, x);
            }
            assert!(e <= 1.5, "exp({x:e}) = {got:e}, want {want:e}: {e} ulp");
        };
        // Miri (CI's undefined-behaviour check) interprets every lane
        // operation: a sparser sweep there, the full one natively.
        let (stride, near) = if cfg!(miri) {
            (9_999_991, 16)
        } else {
            (997, 4096)
        };
        let mut bits = 0_u32;
        while let Some(b) = bits.checked_add(stride) {
            check(f32::from_bits(bits));
            bits = b;
        }
        for centre in [
            c32::MAX_X,
            c32::MIN_X,
            -87.336_55,
            0.0,
            0.346_573_6,
            -0.346_573_6,
        ] {
            for d in 0..near {
                check(f32::from_bits(centre.to_bits().wrapping_add(d)));
                check(f32::from_bits(centre.to_bits().wrapping_sub(d)));
            }
        }
        std::println!("exp f32: worst {:.3} ulp at {:e}", worst.0, worst.1);
    }

    /// Exhaustive over all 2^32 inputs (about a minute in release):
    /// `RUSTFLAGS="--cfg exhaustive" cargo test --release exp`.
    #[test]
    #[cfg_attr(not(exhaustive), ignore = "requires cfg(exhaustive)")]
    fn exhaustive_f32() {
        for bits in 0..=u32::MAX {
            let x = f32::from_bits(bits);
            let got = ours32(x);
            let want = reference32(x);
            if x.is_nan() {
                assert!(got.is_nan());
            } else if want == 0.0 || want.is_infinite() {
                assert_eq!(got.to_bits(), want.to_bits(), "exp({x:e})");
            } else {
                assert!(ulps32(got, x) <= 1.5, "exp({x:e})");
            }
        }
    }

    /// f64 against a double-double evaluation is out of reach without
    /// extra crates; against libm's `exp` (< 1 ulp itself) the difference
    /// stays below 2 ulp over a sweep of the whole finite range.
    #[test]
    fn f64_sweep_within_two_ulp_of_libm() {
        let mut x = -746.0_f64;
        while x < 710.0 {
            let got = ours64(x);
            let want = libm::exp(x);
            if want == 0.0 || want.is_infinite() {
                assert_eq!(got, want, "exp({x:e})");
            } else {
                let ulp = if want < f64::MIN_POSITIVE {
                    f64::from_bits(1)
                } else {
                    f64::from_bits(want.to_bits() + 1) - want
                };
                assert!(
                    (got - want).abs() <= 2.0 * ulp,
                    "exp({x:e}) = {got:e}, want {want:e}"
                );
            }
            x += if cfg!(miri) { 0.731_3 } else { 0.000_731_3 };
        }
    }
}
