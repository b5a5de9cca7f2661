//! Which lanes a kernel runs on.
//!
//! On `x86_64` the CPU is asked once, by CPUID and XGETBV (`core` has both,
//! so with or without `std`): AVX-512F, else AVX2 + FMA, else the
//! baseline. So one default build runs AVX-512 code on a machine that has
//! it and AVX2 code on one that has only that, with no `-C target-cpu`.
//! Elsewhere the baseline lanes of `wide` run, with the instructions the
//! target features of the build allow (NEON on aarch64; on Cortex-M and
//! RISC-V the scalar kernels run instead). Under Miri the baseline runs.
//!
//! With `std`, the environment variable `DPM_CORE_ISA` (`baseline`,
//! `avx2`, `avx512`) caps the choice, read once: CI runs the test suites
//! on every instruction set of its machine that way, and the benches
//! compare them.
//!
//! Why this mechanism and not `wide` alone or a crate: see the README
//! ("Runtime dispatch").

use super::Lanes;
use crate::Real;

/// A kernel generic over its lanes: [`dispatch`] instantiates it once,
/// with the lanes of this CPU, inside a function compiled for them.
pub(crate) trait Kernel<T: Real> {
    type Output;
    fn run<L: Lanes<Scalar = T>>(self) -> Self::Output;
}

/// The instruction sets [`dispatch`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Isa {
    /// `wide`'s lanes, as compiled.
    Base,
    /// AVX2 + FMA, 256-bit lanes.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512F, 512-bit lanes.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// A short name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Isa::Base => "baseline",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => "avx2+fma",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => "avx512f",
        }
    }

    /// The best this CPU has.
    fn detected() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            let (avx2, avx512) = super::x86::detect();
            if avx512 {
                return Isa::Avx512;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Base
    }
}

/// The instruction set [`dispatch`] uses on this machine.
pub(crate) fn isa() -> Isa {
    let best = Isa::detected();
    #[cfg(feature = "std")]
    {
        best.min(cap())
    }
    #[cfg(not(feature = "std"))]
    {
        best
    }
}

/// The cap `DPM_CORE_ISA` sets (read once).
#[cfg(feature = "std")]
fn cap() -> Isa {
    static CAP: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
    *CAP.get_or_init(|| match std::env::var("DPM_CORE_ISA").as_deref() {
        Ok("baseline") => Isa::Base,
        #[cfg(target_arch = "x86_64")]
        Ok("avx2") => Isa::Avx2,
        _ => Isa::detected(),
    })
}

/// Runs `k` on the lanes of this machine ([`isa`]).
#[inline]
pub(crate) fn dispatch<T: Real, K: Kernel<T>>(k: K) -> K::Output {
    on(isa(), k)
}

/// Runs `k` on the lanes of `isa`, or of the best this machine has if it
/// lacks `isa`.
#[inline]
pub(crate) fn on<T: Real, K: Kernel<T>>(isa: Isa, k: K) -> K::Output {
    let isa = isa.min(Isa::detected());
    match isa {
        Isa::Base => run_base(
            #[cfg_attr(dpm_inline, inline(always))]
            || k.run::<super::Base<T>>(),
        ),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => super::x86::run_avx2(
            #[cfg_attr(dpm_inline, inline(always))]
            || k.run::<<T as crate::real::Sealed>::Avx2>(),
        ),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => super::x86::run_avx512(
            #[cfg_attr(dpm_inline, inline(always))]
            || k.run::<<T as crate::real::Sealed>::Avx512>(),
        ),
    }
}

/// Runs the baseline lanes' instance of a kernel in a frame of its own
/// on `x86_64`: inlined into [`on`], its stack buffers (the products'
/// packed panels, 16 KiB in `f32`, 32 KiB in `f64`) sat in the same frame
/// as the call to the AVX2 or AVX-512 instance, which has its own, so
/// every product needed both (the backward product in `f64` on AVX2
/// needed 81 KiB of stack). Elsewhere the baseline is the only instance
/// and stays inlined.
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn run_base<R>(f: impl FnOnce() -> R) -> R {
    f()
}
