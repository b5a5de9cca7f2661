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
//! 3. `r = x - k ln2_hi - k ln2_lo`, `|r| <= ln(2)/2 (1 + tiny)`: fdlibm's
//!    Cody-Waite split of `ln 2` (`e_expf.c`, `e_exp.c`, Sun Microsystems
//!    1993); `k ln2_hi` is exact for every `k` this range reaches.
//! 4. `e^r ~ 1 + r + r^2 q(r)`, `q` of degree 4 (f32) or 9 (f64): a
//!    Chebyshev fit of `(e^r - 1 - r) / r^2` on `[-ln(2)/2, ln(2)/2]`
//!    (`tools/exp_coefficients.py`, 60 digits), rounded to the element
//!    type; relative error of the polynomial 9.7e-9 (f32) and 1.6e-17
//!    (f64). The total error is about 1 ulp (the tests bound it by 1.5).
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
    /// `-ln2_hi`, `-ln2_lo` (negated for `mul_add`).
    const NEG_LN2_HI: Self;
    /// See [`ExpConsts::NEG_LN2_HI`].
    const NEG_LN2_LO: Self;
    /// `q(r) = Q[0] + Q[1] r + ...`.
    const Q: &'static [Self];
    /// `S` of [`exp0_scaled`], as a float.
    const SCALE: Self;
    /// `2^-S`, exact.
    const UNSCALE: Self;
    /// Terms of `h` below this are dropped (`2^-100` in f32, `2^-900` in
    /// f64): `h = 1 - f sum` is only good to `eps` absolute anyway, and
    /// sums of terms this large never round into the subnormal range.
    const H_FLOOR: Self;
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
        0.5,
        0.166_665_78,
        0.041_666_556,
        0.008_363_173,
        0.001_392_617_6,
    ];
    const SCALE: f32 = 64.0;
    const UNSCALE: f32 = f32::from_bits((127 - 64) << 23); // 2^-64
    const H_FLOOR: f32 = f32::from_bits((127 - 100) << 23); // 2^-100
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
    const SCALE: f64 = 512.0;
    const UNSCALE: f64 = f64::from_bits((1023 - 512) << 52); // 2^-512
    const H_FLOOR: f64 = f64::from_bits((1023 - 900) << 52); // 2^-900
}

/// `(t, k, p)`: the shifter, `k` and `e^r` of a clamped `x`.
#[inline(always)]
fn reduce<L: Lanes>(x: L) -> (L, L, L) {
    let c = |v: L::Scalar| L::splat(v);
    let t = x.mul_add(c(L::Scalar::LOG2E), c(L::Scalar::SHIFT));
    let k = t - c(L::Scalar::SHIFT);
    let r = k.mul_add(c(L::Scalar::NEG_LN2_HI), x);
    let r = k.mul_add(c(L::Scalar::NEG_LN2_LO), r);
    let q = L::Scalar::Q;
    let mut acc = c(q[q.len() - 1]);
    for &v in q[..q.len() - 1].iter().rev() {
        acc = acc.mul_add(r, c(v));
    }
    let one = c(<L::Scalar as crate::Real>::ONE);
    let p = (r * r).mul_add(acc, r) + one;
    (t, k, p)
}

/// `e^x`, exactly 0 below `X_C`; `x <= 88` (f32) or `709` (f64), or
/// `-inf` (the kernels' arguments: `k <= 127` so one power of two scales).
#[inline(always)]
#[must_use]
pub(crate) fn exp0<L: Lanes>(x: L) -> L {
    let floor = L::splat(L::Scalar::X_C);
    let (t, _, p) = reduce(x.max(floor));
    (p * L::pow2_shifted(t)).zero_where(x, floor)
}

/// `e^x 2^S` for `x <= 0` or `-inf`, exactly 0 where `e^x` is below
/// `X_C`'s.
#[inline(always)]
#[must_use]
pub(crate) fn exp0_scaled<L: Lanes>(x: L) -> L {
    let floor = L::splat(L::Scalar::X_C);
    let (t, _, p) = reduce(x.max(floor));
    let ts = t + L::splat(L::Scalar::SCALE);
    (p * L::pow2_shifted(ts)).zero_where(x, floor)
}

/// `e^x` for any `x`: as [`exp0`], `+inf` above `ln(MAX)`, NaN for NaN.
/// `2^k` in two halves, so that `k` up to 128 (1024) scales too.
#[inline(always)]
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
    #[inline(always)]
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
        fn run<L: Lanes<Scalar = T>>(self) {
            let x = self.0;
            super::iter::chunks::<L>(
                x.len(),
                #[inline(always)]
                |j, n| {
                    exp_any(super::iter::ld::<L>(x, j, n, T::ZERO)).store(&mut x[j..j + n]);
                },
            );
        }
    }
    super::dispatch::dispatch(Op(x));
}
