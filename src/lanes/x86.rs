//! [`Lanes`] on `x86_64` vector registers, chosen at run time
//! ([`super::dispatch`]): AVX2 + FMA (`__m256`, `__m256d`) and AVX-512F
//! (`__m512`, `__m512d`), and the detection of both.
//!
//! # Safety
//!
//! Every method runs instructions of its lanes' CPU features. That is
//! sound because these types are private to `crate::lanes`: the only way
//! the crate reaches them is as the lane type `L` that
//! [`super::dispatch::dispatch`] instantiates a kernel with, inside a
//! `#[target_feature]` function it calls only after
//! [`detect`] confirmed those features on this CPU
//! (and [`Lanes::enter`], which re-enters them on a worker thread of the
//! same machine). Loads and stores go through slices whose length is
//! checked first.
#![allow(unsafe_code)]

use super::Lanes;
#[allow(clippy::wildcard_imports)] // the intrinsics, dozens of them
use core::arch::x86_64::*;
use core::ops::{Add, Mul, Sub};

/// Runs `f` with AVX2 and FMA enabled.
#[target_feature(enable = "avx2,fma")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` with AVX-512F (and AVX2, FMA) enabled.
#[target_feature(enable = "avx512f,avx2,fma")]
fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The instruction sets this CPU and its OS support, asked once by CPUID
/// and XGETBV (as `std`'s `is_x86_feature_detected!` does; `core` has
/// both, so this works without `std` too): `(avx2 + fma, avx512f)`.
pub(crate) fn detect() -> (bool, bool) {
    use core::sync::atomic::{AtomicU8, Ordering};
    const UNKNOWN: u8 = 0xff;
    static FOUND: AtomicU8 = AtomicU8::new(UNKNOWN);
    let mut v = FOUND.load(Ordering::Relaxed);
    if v == UNKNOWN {
        let (avx2, avx512) = ask();
        v = u8::from(avx2) | u8::from(avx512) << 1;
        FOUND.store(v, Ordering::Relaxed);
    }
    (v & 1 != 0, v & 2 != 0)
}

#[cfg(miri)]
fn ask() -> (bool, bool) {
    // Miri runs the baseline (it does not run CPUID).
    (false, false)
}

#[cfg(not(miri))]
fn ask() -> (bool, bool) {
    // SAFETY: CPUID exists on every x86_64 CPU; leaf 7 is asked only when
    // leaf 0 reports it. (A safe function in newer Rust; unsafe in 1.89.)
    #[allow(unused_unsafe)]
    let (leaf1, leaf7) = unsafe {
        let max = __cpuid(0).eax;
        (__cpuid(1), (max >= 7).then(|| __cpuid_count(7, 0)))
    };
    let osxsave = leaf1.ecx & (1 << 27) != 0;
    let (avx, fma) = (leaf1.ecx & (1 << 28) != 0, leaf1.ecx & (1 << 12) != 0);
    let (avx2, avx512f) = leaf7.map_or((false, false), |l| {
        (l.ebx & (1 << 5) != 0, l.ebx & (1 << 16) != 0)
    });
    if !(osxsave && avx) {
        return (false, false);
    }
    // SAFETY: OSXSAVE is set, so XGETBV is available and enabled.
    let xcr0 = unsafe { xcr0() };
    // The OS saves the YMM state (SSE and AVX bits) ...
    let ymm = xcr0 & 0b110 == 0b110;
    // ... and the ZMM state (opmask, ZMM_Hi256, Hi16_ZMM).
    let zmm = ymm && xcr0 & 0b1110_0000 == 0b1110_0000;
    let v3 = ymm && avx2 && fma;
    (v3, v3 && zmm && avx512f)
}

/// `XCR0`.
///
/// # Safety
///
/// The CPU reports OSXSAVE.
#[cfg(not(miri))]
#[target_feature(enable = "xsave")]
unsafe fn xcr0() -> u64 {
    // SAFETY: the caller checked OSXSAVE; `xsave` is enabled here.
    unsafe { _xgetbv(0) }
}

/// Entry points for the dispatcher.
pub(crate) fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    debug_assert!(detect().0);
    // SAFETY: called only after `detect()` found AVX2 and FMA (the
    // dispatcher).
    unsafe { with_avx2(f) }
}

/// See [`run_avx2`].
pub(crate) fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    debug_assert!(detect().1);
    // SAFETY: called only after `detect()` found AVX-512F (the
    // dispatcher).
    unsafe { with_avx512(f) }
}

macro_rules! lanes {
    (
        $name:ident, $reg:ty, $t:ty, $n:expr, $mask:ty, $enter:ident,
        set1: $set1:ident, loadu: $loadu:ident, storeu: $storeu:ident,
        add: $add:ident, sub: $sub:ident, mul: $mul:ident,
        max: $max:ident, min: $min:ident, fmadd: $fmadd:ident,
        abs: |$ax:ident| $abs:expr,
        cmp: |$ca:ident, $cb:ident, $op:ident| $cmp:expr,
        blend: |$bm:ident, $bt:ident, $bf:ident| $blend:expr,
        pow2: |$pt:ident| $pow2:expr
    ) => {
        /// See the module docs.
        #[derive(Clone, Copy, Debug)]
        pub struct $name($reg);

        impl Add for $name {
            type Output = Self;
            #[cfg_attr(dpm_inline, inline(always))]
            fn add(self, o: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $add(self.0, o.0) })
            }
        }
        impl Sub for $name {
            type Output = Self;
            #[cfg_attr(dpm_inline, inline(always))]
            fn sub(self, o: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $sub(self.0, o.0) })
            }
        }
        impl Mul for $name {
            type Output = Self;
            #[cfg_attr(dpm_inline, inline(always))]
            fn mul(self, o: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $mul(self.0, o.0) })
            }
        }

        impl Lanes for $name {
            type Scalar = $t;
            type Mask = $mask;
            const N: usize = $n;

            #[cfg_attr(dpm_inline, inline(always))]
            fn splat(x: $t) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $set1(x) })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn load(s: &[$t]) -> Self {
                let a: &[$t; $n] = s[..$n].try_into().unwrap_or(&[0.0; $n]);
                // SAFETY: `a` holds N initialised elements (unaligned load);
                // see the module docs for the features.
                Self(unsafe { $loadu(a.as_ptr()) })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn load_part(s: &[$t], fill: $t) -> Self {
                let mut a = [fill; $n];
                let k = s.len().min($n);
                a[..k].copy_from_slice(&s[..k]);
                Self::load(&a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn store(self, d: &mut [$t]) {
                if let Some(d) = d.get_mut(..$n) {
                    // SAFETY: `d` has N elements (unaligned store); see the
                    // module docs for the features.
                    unsafe { $storeu(d.as_mut_ptr(), self.0) }
                } else {
                    let mut a = [0.0; $n];
                    // SAFETY: as above, into `a`.
                    unsafe { $storeu(a.as_mut_ptr(), self.0) }
                    let k = d.len();
                    d.copy_from_slice(&a[..k]);
                }
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn max(self, o: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $max(self.0, o.0) })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn min(self, o: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $min(self.0, o.0) })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn abs(self) -> Self {
                let $ax = self.0;
                // SAFETY: see the module docs.
                Self(unsafe { $abs })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn mul_add(self, m: Self, a: Self) -> Self {
                // SAFETY: see the module docs.
                Self(unsafe { $fmadd(self.0, m.0, a.0) })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn lt(self, o: Self) -> $mask {
                const $op: i32 = _CMP_LT_OQ;
                let ($ca, $cb) = (self.0, o.0);
                // SAFETY: see the module docs.
                unsafe { $cmp }
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn eq(self, o: Self) -> $mask {
                const $op: i32 = _CMP_EQ_OQ;
                let ($ca, $cb) = (self.0, o.0);
                // SAFETY: see the module docs.
                unsafe { $cmp }
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn select(m: $mask, t: Self, f: Self) -> Self {
                let ($bm, $bt, $bf) = (m, t.0, f.0);
                // SAFETY: see the module docs.
                Self(unsafe { $blend })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn pow2_shifted(t: Self) -> Self {
                let $pt = t.0;
                // SAFETY: see the module docs.
                Self(unsafe { $pow2 })
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn with_lane(self, k: usize, v: $t) -> Self {
                let mut a = [0.0; $n];
                self.store(&mut a);
                a[k] = v;
                Self::load(&a)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn reduce_max(self) -> $t {
                let mut a = [0.0; $n];
                self.store(&mut a);
                a.into_iter().fold(<$t>::NEG_INFINITY, <$t>::max)
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn for_each(self, f: impl FnMut($t)) {
                let mut a = [0.0; $n];
                self.store(&mut a);
                a.into_iter().for_each(f);
            }
            #[cfg_attr(dpm_inline, inline(always))]
            fn enter<R>(f: impl FnOnce() -> R) -> R {
                $enter(f)
            }
        }
    };
}

lanes!(
    Avx2F32, __m256, f32, 8, __m256, run_avx2,
    set1: _mm256_set1_ps, loadu: _mm256_loadu_ps, storeu: _mm256_storeu_ps,
    add: _mm256_add_ps, sub: _mm256_sub_ps, mul: _mm256_mul_ps,
    max: _mm256_max_ps, min: _mm256_min_ps, fmadd: _mm256_fmadd_ps,
    abs: |x| _mm256_andnot_ps(_mm256_set1_ps(-0.0), x),
    cmp: |a, b, OP| _mm256_cmp_ps::<OP>(a, b),
    blend: |m, t, f| _mm256_blendv_ps(f, t, m),
    pow2: |t| _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_sub_epi32(
        _mm256_castps_si256(t),
        _mm256_set1_epi32(0x4b40_0000 - 127)
    )))
);

lanes!(
    Avx2F64, __m256d, f64, 4, __m256d, run_avx2,
    set1: _mm256_set1_pd, loadu: _mm256_loadu_pd, storeu: _mm256_storeu_pd,
    add: _mm256_add_pd, sub: _mm256_sub_pd, mul: _mm256_mul_pd,
    max: _mm256_max_pd, min: _mm256_min_pd, fmadd: _mm256_fmadd_pd,
    abs: |x| _mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
    cmp: |a, b, OP| _mm256_cmp_pd::<OP>(a, b),
    blend: |m, t, f| _mm256_blendv_pd(f, t, m),
    pow2: |t| _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_sub_epi64(
        _mm256_castpd_si256(t),
        _mm256_set1_epi64x(0x4338_0000_0000_0000 - 1023)
    )))
);

lanes!(
    Avx512F32, __m512, f32, 16, __mmask16, run_avx512,
    set1: _mm512_set1_ps, loadu: _mm512_loadu_ps, storeu: _mm512_storeu_ps,
    add: _mm512_add_ps, sub: _mm512_sub_ps, mul: _mm512_mul_ps,
    max: _mm512_max_ps, min: _mm512_min_ps, fmadd: _mm512_fmadd_ps,
    abs: |x| _mm512_abs_ps(x),
    cmp: |a, b, OP| _mm512_cmp_ps_mask::<OP>(a, b),
    blend: |m, t, f| _mm512_mask_blend_ps(m, f, t),
    pow2: |t| _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_sub_epi32(
        _mm512_castps_si512(t),
        _mm512_set1_epi32(0x4b40_0000 - 127)
    )))
);

lanes!(
    Avx512F64, __m512d, f64, 8, __mmask8, run_avx512,
    set1: _mm512_set1_pd, loadu: _mm512_loadu_pd, storeu: _mm512_storeu_pd,
    add: _mm512_add_pd, sub: _mm512_sub_pd, mul: _mm512_mul_pd,
    max: _mm512_max_pd, min: _mm512_min_pd, fmadd: _mm512_fmadd_pd,
    abs: |x| _mm512_abs_pd(x),
    cmp: |a, b, OP| _mm512_cmp_pd_mask::<OP>(a, b),
    blend: |m, t, f| _mm512_mask_blend_pd(m, f, t),
    pow2: |t| _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_sub_epi64(
        _mm512_castpd_si512(t),
        _mm512_set1_epi64(0x4338_0000_0000_0000 - 1023)
    )))
);
