//! `e^x` on any [`Lanes`]: one definition for every instruction set.
//!
//! # Method
//!
//! 1. Clamp `x` below at `X_C`, the smallest float whose `e^x` is a normal
//!    number with a margin (`ln(MIN_POSITIVE) + 4.5e-6` in f32,
//!    `+ 1.1e-12` in f64). Every lane then computes with a normal result,
//!    and lanes with `x < X_C` are set to exactly 0 at the end: no
//!    subnormal is ever produced (SPEC section 7), as XNNPACK's kernels
//!    mask inputs below their cutoff. Values in `[ln(MIN), X_C)` become 0
//!    too: an error of at most `MIN_POSITIVE`, the bound's absolute floor.
//! 2. `k = round(x / ln 2)` by the "shifter": `t = x * log2(e) + 1.5 *
//!    2^p` (`p` = mantissa bits) rounds to an integer in the low mantissa
//!    bits of `t`; no round or convert instruction is needed.
//! 3. `r = x - k ln 2`, `|r| <= ln(2)/2 (1 + tiny)`, in two steps
//!    (fdlibm's Cody-Waite split of `ln 2`, `e_exp.c` and `e_expf.c`, Sun
//!    Microsystems 1993: `k ln2_hi` is exact for every `k` this range
//!    reaches, with or without FMA). XNNPACK's one-step `rr1` (`ln 2`
//!    rounded, one FMA) was measured: 3% faster on the bimodal step
//!    (B = 1024, aligned scores, Xeon Sapphire Rapids: 2.82 against 2.91
//!    ns per entry, medians of 100 steps) but it adds up to 2 ulp (`ln 2`
//!    rounded, times `|k|` up to 126: 5.9 ulp worst against 3.5 with the
//!    same polynomial), so the crate keeps two steps.
//! 4. `e^r ~ 1 + r q(r)`, `q` of degree 4 (f32: a degree-5 polynomial,
//!    XNNPACK's `p5`; minimax of the relative error, 1.02e-7) or 10 (f64:
//!    a Chebyshev fit of `(e^r - 1) / r`, 9.8e-18), on
//!    `[-ln(2)/2, ln(2)/2]`, rounded to the element type
//!    (`tools/exp_coefficients.py`). Total error, f32, over all 2^32
//!    inputs: at most 2.04 ulp with FMA (AVX2, AVX-512), 2.28 without
//!    (SSE2); the tests bound it by 2.5 ulp on every instruction set of
//!    the machine, and f64 by 2 ulp of libm.
//! 5. `e^x = p 2^k`, `2^k` built in the exponent bits
//!    ([`Lanes::pow2_shifted`]). For `x >= X_C`, `k >= -126` (f32) and
//!    `r >= 0` at `k = -126`, so `p >= 1` and the product is normal.
//!
//! # Variants
//!
//! | function | domain | result |
//! |---|---|---|
//! | [`exp0`] | `x <= 88` (f32), `x <= 709` (f64), or `-inf` | `e^x`, 0 below `X_C` |
//! | [`exp0_scaled`] | `x <= 0` or `-inf` | `e^x 2^S` (S = 64, 512), 0 below `X_C`: sums of these never round into the subnormal range (their compensation terms are multiples of `2^(S - 126 - p)`) |
//! | [`exp_any`] | any | as [`exp0`], and `+inf` above `ln(MAX)`, NaN for NaN |

use super::Lanes;

/// The constants of the exp of one element type.
pub trait ExpConsts: Copy + 'static {
    /// Smallest `x` whose `e^x` is kept (see the module docs).
    const X_C: Self;
    /// Largest `x` with a finite `e^x`.
    const MAX_X: Self;
    /// `log2(e)`.
    const LOG2E: Self;
    /// `1.5 * 2^p`: adding it rounds to an integer.
    const SHIFT: Self;
    /// `-ln2_hi`, `-ln2_lo` of the two-step (Cody-Waite) reduction
    /// (negated for `mul_add`).
    const NEG_LN2_HI: Self;
    /// See [`ExpConsts::NEG_LN2_HI`].
    const NEG_LN2_LO: Self;
    /// `e^r ~ 1 + r q(r)`, `q(r) = Q[0] + Q[1] r + ...`.
    const Q: &'static [Self];
    /// `S` of [`exp0_scaled`], as a float.
    const SCALE: Self;
    /// `2^-S`, exact.
    const UNSCALE: Self;
    /// Terms of `h` below this are dropped (`2^-100` in f32, `2^-900` in
    /// f64): `h = 1 - f sum` is only good to `eps` absolute anyway, and
    /// sums of terms this large never round into the subnormal range.
    const H_FLOOR: Self;

    /// `(m, k)` with `self = m 2^k` exactly, `|m|` in `[1/2, 1)` (libm's
    /// `frexp`; `(0, 0)` for 0).
    fn frexp(self) -> (Self, i32);
    /// `self 2^n`, rounded once (libm's `scalbn`).
    #[must_use]
    fn scalbn(self, n: i32) -> Self;
}

impl ExpConsts for f32 {
    /// `0xc2aeac4f = -87.33654`: `ln(2^-126) = -87.3365448`, plus 4.5e-6.
    const X_C: f32 = f32::from_bits(0xc2ae_ac4f);
    /// `0x42b17217`; `ln(f32::MAX) = 88.72283905...`.
    const MAX_X: f32 = f32::from_bits(0x42b1_7217);
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    const SHIFT: f32 = 12_582_912.0;
    /// fdlibm `e_expf.c`: `ln2HI = 6.9314575195e-01` (`0x3f317200`),
    /// `ln2LO = 1.4286067653e-06` (`0x35bfbe8e`).
    const NEG_LN2_HI: f32 = -6.931_457_5e-1;
    const NEG_LN2_LO: f32 = -1.428_606_8e-6;
    const Q: &'static [f32] = &[
        0.999_999_7,
        0.499_991_6,
        0.166_676_24,
        0.041_896_444,
        0.008_290_617,
    ];
    const SCALE: f32 = 64.0;
    const UNSCALE: f32 = f32::from_bits((127 - 64) << 23); // 2^-64
    const H_FLOOR: f32 = f32::from_bits((127 - 100) << 23); // 2^-100

    fn frexp(self) -> (f32, i32) {
        libm::frexpf(self)
    }

    fn scalbn(self, n: i32) -> f32 {
        libm::scalbnf(self, n)
    }
}

impl ExpConsts for f64 {
    /// `0xc086232bdd7abcc9`: `ln(2^-1022) = -708.39641853226411`, plus
    /// 1.1e-12.
    const X_C: f64 = f64::from_bits(0xc086_232b_dd7a_bcc9);
    /// `0x40862e42fefa39ef`.
    const MAX_X: f64 = f64::from_bits(0x4086_2e42_fefa_39ef);
    const LOG2E: f64 = core::f64::consts::LOG2_E;
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    /// fdlibm `e_exp.c`: `ln2HI = 6.93147180369123816490e-01`
    /// (`0x3fe62e42fee00000`), `ln2LO = 1.90821492927058770002e-10`.
    const NEG_LN2_HI: f64 = -f64::from_bits(0x3fe6_2e42_fee0_0000);
    const NEG_LN2_LO: f64 = -1.908_214_929_270_587_7e-10;
    const Q: &'static [f64] = &[
        1.0,
        0.500_000_000_000_000_6,
        0.166_666_666_666_666_7,
        0.041_666_666_666_573_14,
        0.008_333_333_333_326_141,
        0.001_388_888_893_248_884_8,
        0.000_198_412_698_748_006_83,
        2.480_150_434_668_099_7e-5,
        2.755_725_542_550_29e-6,
        2.762_635_737_327_897_5e-7,
        2.510_520_647_533_483_4e-8,
    ];
    const SCALE: f64 = 512.0;
    const UNSCALE: f64 = f64::from_bits((1023 - 512) << 52); // 2^-512
    const H_FLOOR: f64 = f64::from_bits((1023 - 900) << 52); // 2^-900

    fn frexp(self) -> (f64, i32) {
        libm::frexp(self)
    }

    fn scalbn(self, n: i32) -> f64 {
        libm::scalbn(self, n)
    }
}

/// `(t, k, p)`: the shifter, `k` and `e^r` of a clamped `x`.
#[cfg_attr(dpm_inline, inline(always))]
fn reduce<L: Lanes>(x: L) -> (L, L, L) {
    let c = |v: L::Scalar| L::splat(v);
    let t = x.mul_add(c(L::Scalar::LOG2E), c(L::Scalar::SHIFT));
    let k = t - c(L::Scalar::SHIFT);
    // `k ln2_hi` is exact (ln2_hi has trailing zero bits), so r's first
    // step is exact with or without FMA.
    let r = k.mul_add(c(L::Scalar::NEG_LN2_HI), x);
    let r = k.mul_add(c(L::Scalar::NEG_LN2_LO), r);
    let q = L::Scalar::Q;
    let mut acc = c(q[q.len() - 1]);
    for &v in q[..q.len() - 1].iter().rev() {
        acc = acc.mul_add(r, c(v));
    }
    let p = r.mul_add(acc, c(<L::Scalar as crate::Real>::ONE));
    (t, k, p)
}

/// `e^x`, exactly 0 below `X_C`; `x <= 88` (f32) or `709` (f64), or
/// `-inf` (the kernels' arguments: `k <= 127` so one power of two scales).
#[cfg_attr(dpm_inline, inline(always))]
#[must_use]
pub(crate) fn exp0<L: Lanes>(x: L) -> L {
    let floor = L::splat(L::Scalar::X_C);
    let (t, _, p) = reduce(x.max(floor));
    (p * L::pow2_shifted(t)).zero_where(x, floor)
}

/// `e^x 2^S` for `x <= 0` or `-inf`, exactly 0 where `e^x` is below
/// `X_C`'s.
#[cfg_attr(dpm_inline, inline(always))]
#[must_use]
pub(crate) fn exp0_scaled<L: Lanes>(x: L) -> L {
    let floor = L::splat(L::Scalar::X_C);
    let (t, _, p) = reduce(x.max(floor));
    let ts = t + L::splat(L::Scalar::SCALE);
    (p * L::pow2_shifted(ts)).zero_where(x, floor)
}

/// `e^x` for any `x`: as [`exp0`], `+inf` above `ln(MAX)`, NaN for NaN.
/// `2^k` in two halves, so that `k` up to 128 (1024) scales too.
#[cfg_attr(dpm_inline, inline(always))]
#[must_use]
pub(crate) fn exp_any<L: Lanes>(x: L) -> L {
    let c = |v: L::Scalar| L::splat(v);
    let (floor, top) = (c(L::Scalar::X_C), c(L::Scalar::MAX_X));
    let (_, k, p) = reduce(x.max(floor).min(top));
    let half = c(<L::Scalar as crate::Real>::from_f64(0.5));
    let t1 = k.mul_add(half, c(L::Scalar::SHIFT));
    let k1 = t1 - c(L::Scalar::SHIFT);
    let t2 = (k - k1) + c(L::Scalar::SHIFT);
    let y = p * L::pow2_shifted(t1) * L::pow2_shifted(t2);
    let inf = c(<L::Scalar as crate::Real>::INFINITY);
    let y = L::select(top.lt(x), inf, y).zero_where(x, floor);
    // NaN is the only value not equal to itself.
    L::select(x.eq(x), y, x)
}

/// The scalar twin of [`exp0`] for the reference kernels and the
/// per-anchor statistics: `e^x` (libm), exactly 0 below `X_C`.
#[inline]
#[must_use]
pub(crate) fn exp0_scalar<T: crate::Real>(x: T) -> T {
    if x < T::X_C { T::ZERO } else { x.exp() }
}

/// `x`, or 0 if `x` is subnormal: for the once-per-anchor scalar results
/// (a product of two per-anchor factors, a state value) that may round
/// into the subnormal range; the same bits a flush-to-zero CPU mode
/// gives.
#[inline]
#[must_use]
pub(crate) fn flush<T: crate::Real>(x: T) -> T {
    if x.abs() < T::MIN_POSITIVE {
        T::ZERO
    } else {
        x
    }
}

/// `zero_where`: lanes whose `x` is below `floor` become 0.
trait ZeroWhere: Lanes {
    fn zero_where(self, x: Self, floor: Self) -> Self;
}

impl<L: Lanes> ZeroWhere for L {
    #[cfg_attr(dpm_inline, inline(always))]
    fn zero_where(self, x: Self, floor: Self) -> Self {
        let zero = L::splat(<L::Scalar as crate::Real>::ZERO);
        L::select(x.lt(floor), zero, self)
    }
}

/// `x[k] = e^x[k]` with [`exp_any`] on this machine's lanes.
pub(crate) fn exp_in_place<T: crate::Real>(x: &mut [T]) {
    struct Op<'a, T>(&'a mut [T]);
    impl<T: crate::Real> super::dispatch::Kernel<T> for Op<'_, T> {
        type Output = ();
        #[cfg_attr(dpm_inline, inline(always))]
        fn run<L: Lanes<Scalar = T>>(self) {
            let x = self.0;
            super::iter::chunks::<L>(
                x.len(),
                #[cfg_attr(dpm_inline, inline(always))]
                |j, n| {
                    exp_any(super::iter::ld::<L>(x, j, n, T::ZERO)).store(&mut x[j..j + n]);
                },
            );
        }
    }
    super::dispatch::dispatch(Op(x));
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of these tests
mod tests {
    extern crate std;
    use super::*;

    use crate::Real;
    use crate::lanes::dispatch::{Isa, Kernel, on};

    /// Which exp a test evaluates.
    #[derive(Clone, Copy)]
    enum Which {
        Any,
        Zero,
        Scaled,
    }

    struct One<T>(Which, T);
    impl<T: Real> Kernel<T> for One<T> {
        type Output = T;
        fn run<L: Lanes<Scalar = T>>(self) -> T {
            let x = L::splat(self.1);
            let y = match self.0 {
                Which::Any => exp_any(x),
                Which::Zero => exp0(x),
                Which::Scaled => exp0_scaled(x),
            };
            let mut a = [T::ZERO; 16];
            y.store(&mut a[..L::N]);
            a[0]
        }
    }

    /// [`One`] over a slice, in place.
    struct Many<'a, T>(Which, &'a mut [T]);
    impl<T: Real> Kernel<T> for Many<'_, T> {
        type Output = ();
        fn run<L: Lanes<Scalar = T>>(self) {
            let (w, x) = (self.0, self.1);
            crate::lanes::iter::chunks::<L>(x.len(), |j, n| {
                let v = crate::lanes::iter::ld::<L>(x, j, n, T::ZERO);
                let y = match w {
                    Which::Any => exp_any(v),
                    Which::Zero => exp0(v),
                    Which::Scaled => exp0_scaled(v),
                };
                y.store(&mut x[j..j + n]);
            });
        }
    }

    /// `w` of every element of `x`, with the current instruction set.
    fn map<T: Real>(w: Which, x: &[T]) -> std::vec::Vec<T> {
        let mut y = x.to_vec();
        on(ISA.with(core::cell::Cell::get), Many(w, &mut y));
        y
    }

    /// Every instruction set this machine runs (the baseline under Miri).
    fn isas() -> std::vec::Vec<Isa> {
        // Only x86_64 pushes more.
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut v = std::vec![Isa::Base];
        #[cfg(target_arch = "x86_64")]
        {
            let (avx2, avx512) = crate::lanes::x86::detect();
            if avx2 {
                v.push(Isa::Avx2);
            }
            if avx512 {
                v.push(Isa::Avx512);
            }
        }
        v
    }

    std::thread_local! {
        static ISA: core::cell::Cell<Isa> = const { core::cell::Cell::new(Isa::Base) };
    }

    /// Runs `f` once with each of [`isas`] current for the helpers below.
    fn each_isa(mut f: impl FnMut(Isa)) {
        for isa in isas() {
            ISA.with(|c| c.set(isa));
            f(isa);
        }
    }

    fn ev<T: Real>(w: Which, x: T) -> T {
        on(ISA.with(core::cell::Cell::get), One(w, x))
    }

    fn any32(x: f32) -> f32 {
        ev(Which::Any, x)
    }

    fn zero32(x: f32) -> f32 {
        ev(Which::Zero, x)
    }

    fn scaled32(x: f32) -> f32 {
        ev(Which::Scaled, x)
    }

    fn any64(x: f64) -> f64 {
        ev(Which::Any, x)
    }

    fn zero64(x: f64) -> f64 {
        ev(Which::Zero, x)
    }

    /// `|got - e^x|` in ulps of the correctly rounded f32 result.
    #[allow(clippy::cast_possible_truncation)] // rounding to f32 is the point
    fn ulps32(got: f32, x: f32) -> f64 {
        let exact = libm::exp(f64::from(x));
        let want = exact as f32;
        let e = i32::try_from(want.to_bits() >> 23).unwrap();
        let ulp = libm::ldexp(1.0, e - 127 - 23);
        (f64::from(got) - exact).abs() / ulp
    }

    /// `2^64`, exact (`powi` is not: Miri gives it a random error).
    const TWO_64: f32 = f32::from_bits((127 + 64) << 23);

    #[test]
    fn special_values() {
        each_isa(special_values_on);
    }

    fn special_values_on(_isa: Isa) {
        assert!(any32(f32::NAN).is_nan());
        assert_eq!(any32(f32::INFINITY), f32::INFINITY);
        assert_eq!(any32(f32::NEG_INFINITY), 0.0);
        assert_eq!(any32(f32::MAX), f32::INFINITY);
        assert_eq!(any32(f32::MIN), 0.0);
        assert_eq!(any32(0.0), 1.0);
        assert_eq!(any32(-0.0), 1.0);
        assert_eq!(any32(1e-45), 1.0);
        assert!(any64(f64::NAN).is_nan());
        assert_eq!(any64(f64::INFINITY), f64::INFINITY);
        assert_eq!(any64(f64::NEG_INFINITY), 0.0);
        assert_eq!(any64(f64::MAX), f64::INFINITY);
        assert_eq!(any64(f64::MIN), 0.0);
        assert_eq!(any64(0.0), 1.0);
        assert_eq!(any64(5e-324), 1.0);
        assert_eq!(zero32(f32::NEG_INFINITY), 0.0);
        assert_eq!(scaled32(f32::NEG_INFINITY), 0.0);
        assert_eq!(scaled32(0.0), TWO_64);
    }

    /// The cutoff: `X_C` gives a normal number, the float below it exactly
    /// 0, in every variant; `X_C` is within 5e-6 above `ln(MIN_POSITIVE)`.
    #[test]
    fn cutoff_is_the_smallest_normal() {
        each_isa(cutoff_is_the_smallest_normal_on);
    }

    fn cutoff_is_the_smallest_normal_on(_isa: Isa) {
        let below32 = f32::from_bits(f32::X_C.to_bits() + 1);
        for f in [any32, zero32] {
            assert!(f(f32::X_C) >= f32::MIN_POSITIVE, "{:e}", f(f32::X_C));
            assert_eq!(f(below32).to_bits(), 0);
        }
        assert!(scaled32(f32::X_C) >= f32::MIN_POSITIVE * TWO_64);
        assert_eq!(scaled32(below32).to_bits(), 0);
        let gap = f64::from(f32::X_C) - libm::log(f64::from(f32::MIN_POSITIVE));
        assert!(gap > 0.0 && gap < 5e-6, "{gap}");
        let below64 = f64::from_bits(f64::X_C.to_bits() + 1);
        for f in [any64, zero64] {
            assert!(f(f64::X_C) >= f64::MIN_POSITIVE);
            assert_eq!(f(below64).to_bits(), 0);
        }
        let gap = f64::X_C - libm::log(f64::MIN_POSITIVE);
        assert!(gap > 0.0 && gap < 2e-12, "{gap}");
        // Just below overflow: finite; the next float overflows.
        assert!(any32(f32::MAX_X).is_finite());
        assert_eq!(
            any32(f32::from_bits(f32::MAX_X.to_bits() + 1)),
            f32::INFINITY
        );
        assert!(any64(f64::MAX_X).is_finite());
        assert_eq!(
            any64(f64::from_bits(f64::MAX_X.to_bits() + 1)),
            f64::INFINITY
        );
    }

    /// The kernels' variants are the same function: `exp0` equals
    /// `exp_any` bit for bit on its domain, and `exp0_scaled` is it times
    /// `2^64` exactly.
    #[test]
    fn variants_agree() {
        each_isa(variants_agree_on);
    }

    fn variants_agree_on(isa: Isa) {
        let stride = if cfg!(miri) { 999_983 } else { 61 };
        let mut x: std::vec::Vec<f32> = (0x8000_0000_u32..=u32::MAX) // x <= 0
            .step_by(stride)
            .map(f32::from_bits)
            .filter(|x| !x.is_nan())
            .collect();
        x.extend([1.0_f32, 10.0, 50.0, 87.0, 88.0]);
        let (any, zero, scaled) = (
            map(Which::Any, &x),
            map(Which::Zero, &x),
            map(Which::Scaled, &x),
        );
        for i in 0..x.len() {
            let n = isa.name();
            assert_eq!(zero[i].to_bits(), any[i].to_bits(), "{n}: {:e}", x[i]);
            if x[i] <= 0.0 {
                assert_eq!(scaled[i], any[i] * TWO_64, "{n}: {:e}", x[i]);
            }
        }
        let step = if cfg!(miri) { 3.777 } else { 0.000_377_7 };
        let x: std::vec::Vec<f64> = (0..i32::MAX)
            .map(|i| -800.0 + f64::from(i) * step)
            .take_while(|&x| x <= 700.0)
            .collect();
        let (any, zero) = (map(Which::Any, &x), map(Which::Zero, &x));
        for i in 0..x.len() {
            assert_eq!(
                zero[i].to_bits(),
                any[i].to_bits(),
                "{}: {:e}",
                isa.name(),
                x[i]
            );
        }
    }

    /// The f32 error bound in ulps of the exact result: the polynomial
    /// gives up to 0.86, the rest is rounding. Worst over all inputs
    /// (`exhaustive_f32`): 2.039 with FMA (`x = -5.198612`), 2.275
    /// without (`x = -27.333433`).
    const F32_ULPS: f64 = 2.5;

    /// Every 997th f32 bit pattern (4.3 million inputs over the whole
    /// range, both signs, subnormals and specials included), plus the
    /// neighbourhoods of the thresholds, on every instruction set of the
    /// machine: within [`F32_ULPS`] of the exact result where that is at
    /// least the cutoff's (the worst seen is printed), 0 below the cutoff,
    /// never a subnormal, never NaN for a non-NaN input.
    #[test]
    fn whole_f32_range() {
        each_isa(whole_f32_range_on);
    }

    fn whole_f32_range_on(isa: Isa) {
        let (stride, near) = if cfg!(miri) {
            (9_999_991, 16)
        } else {
            (997, 4096)
        };
        let mut x: std::vec::Vec<f32> =
            (0..=u32::MAX).step_by(stride).map(f32::from_bits).collect();
        for centre in [f32::MAX_X, f32::X_C, 0.0, 0.346_573_6, -0.346_573_6] {
            for d in 0..near {
                x.push(f32::from_bits(centre.to_bits().wrapping_add(d)));
                x.push(f32::from_bits(centre.to_bits().wrapping_sub(d)));
            }
        }
        let worst = check32(isa, &x);
        std::println!(
            "exp f32 on {}: worst {:.3} ulp at {:e}",
            isa.name(),
            worst.0,
            worst.1
        );
    }

    /// Checks `exp_any` on `x` against the contract; returns the worst
    /// error in ulps and where.
    fn check32(isa: Isa, x: &[f32]) -> (f64, f32) {
        let mut worst = (0.0, 0.0_f32);
        let n = isa.name();
        for (&x, got) in x.iter().zip(map(Which::Any, x)) {
            if x.is_nan() {
                assert!(got.is_nan(), "{n}");
                continue;
            }
            assert!(!got.is_nan(), "{n}: exp({x:e}) = NaN");
            assert!(
                got == 0.0 || got >= f32::MIN_POSITIVE,
                "{n}: exp({x:e}) = {got:e}"
            );
            if x < f32::X_C {
                assert_eq!(got.to_bits(), 0, "{n}: exp({x:e})");
            } else if x > f32::MAX_X {
                assert_eq!(got, f32::INFINITY, "{n}: exp({x:e})");
            } else {
                let e = ulps32(got, x);
                if e > worst.0 {
                    worst = (e, x);
                }
                assert!(e <= F32_ULPS, "{n}: exp({x:e}) = {got:e}: {e} ulp");
            }
        }
        worst
    }

    /// Exhaustive over all 2^32 inputs (about a minute in release):
    /// `RUSTFLAGS="--cfg exhaustive" cargo test --release exp`.
    #[test]
    #[cfg_attr(not(exhaustive), ignore = "requires cfg(exhaustive)")]
    fn exhaustive_f32() {
        each_isa(exhaustive_f32_on);
    }

    fn exhaustive_f32_on(isa: Isa) {
        let mut worst = (0.0, 0.0_f32);
        for hi in 0..=u16::MAX {
            let base = u32::from(hi) << 16;
            let x: std::vec::Vec<f32> = (0..=u16::MAX)
                .map(|lo| f32::from_bits(base | u32::from(lo)))
                .collect();
            let w = check32(isa, &x);
            if w.0 > worst.0 {
                worst = w;
            }
        }
        std::println!(
            "exp f32 on {}, all inputs: worst {:.3} ulp at {:e}",
            isa.name(),
            worst.0,
            worst.1
        );
    }

    /// f64 against libm's `exp` (< 1 ulp itself): within 2 ulp over a sweep
    /// of the whole finite range, 0 below the cutoff, never subnormal.
    #[test]
    fn f64_sweep_within_two_ulp_of_libm() {
        each_isa(f64_sweep_within_two_ulp_of_libm_on);
    }

    fn f64_sweep_within_two_ulp_of_libm_on(isa: Isa) {
        let step = if cfg!(miri) { 0.731_3 } else { 0.000_731_3 };
        let x: std::vec::Vec<f64> = (0..i32::MAX)
            .map(|i| -746.0 + f64::from(i) * step)
            .take_while(|&x| x < 710.0)
            .collect();
        let n = isa.name();
        for (&x, got) in x.iter().zip(map(Which::Any, &x)) {
            let want = libm::exp(x);
            assert!(
                got == 0.0 || got >= f64::MIN_POSITIVE,
                "{n}: exp({x:e}) = {got:e}"
            );
            if x < f64::X_C {
                assert_eq!(got.to_bits(), 0, "{n}: exp({x:e})");
            } else if want.is_infinite() {
                assert_eq!(got, want, "{n}: exp({x:e})");
            } else {
                let ulp = f64::from_bits(want.to_bits() + 1) - want;
                assert!(
                    (got - want).abs() <= 2.0 * ulp,
                    "{n}: exp({x:e}) = {got:e}, want {want:e}"
                );
            }
        }
    }

    /// The scalar twin: the same cutoff (libm's `e^x` above it).
    #[test]
    fn scalar_twin_cuts_at_the_same_place() {
        assert!(exp0_scalar(f32::X_C) >= f32::MIN_POSITIVE);
        assert_eq!(exp0_scalar(f32::from_bits(f32::X_C.to_bits() + 1)), 0.0);
        assert!(exp0_scalar(f64::X_C) >= f64::MIN_POSITIVE);
        assert_eq!(exp0_scalar(f64::from_bits(f64::X_C.to_bits() + 1)), 0.0);
        assert_eq!(flush(f32::MIN_POSITIVE / 2.0), 0.0);
        assert_eq!(flush(-f64::MIN_POSITIVE), -f64::MIN_POSITIVE);
    }
}
