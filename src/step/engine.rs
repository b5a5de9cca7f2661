//! Which kernels run a bimodal step, and the scratch each needs.

use crate::kernel::{schedule::Sched, workspace};

/// The kernels of a bimodal step: the public functions use
/// [`Engine::Simd`], [`crate::scalar`] the readable reference, `crate::par`
/// the SIMD passes on rayon's workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Scalar,
    Simd,
    #[cfg(feature = "std")]
    Par,
}

impl Engine {
    /// The SIMD passes run: not the scalar reference, and the target has
    /// lanes ([`crate::lanes::LANES`]). A compile-time `false` on targets
    /// without them (Cortex-M), so the SIMD code is not even linked there.
    pub(crate) fn simd(self) -> bool {
        crate::lanes::LANES && self != Engine::Scalar
    }

    /// Work is shared among rayon's workers (the parallel engine).
    pub(crate) fn parallel(self) -> bool {
        self.sched() != Sched::Serial
    }

    /// The schedule of the SIMD passes.
    pub(crate) fn sched(self) -> Sched {
        match self {
            Engine::Scalar | Engine::Simd => Sched::Serial,
            #[cfg(feature = "std")]
            Engine::Par => Sched::Par,
        }
    }

    /// The parallel engine, called from outside any rayon pool: the caller
    /// should rerun itself inside `rayon::scope`. From outside, every
    /// `join` of the passes and products would be injected into the global
    /// pool and waited for on its own (tens of microseconds each, about 10%
    /// of a step from `S` at B = 1024); on a worker (`rayon::scope` runs
    /// its closure on one) they are plain work-stealing joins.
    #[cfg(feature = "std")]
    pub(crate) fn off_pool(self) -> bool {
        self == Engine::Par && rayon::current_thread_index().is_none()
    }

    /// Scratch elements the engine needs for a batch of `b`, saturating.
    pub(crate) const fn scratch_len(self, b: usize) -> usize {
        if !crate::lanes::LANES {
            return SCALAR.saturating_mul(b);
        }
        match self {
            Engine::Scalar | Engine::Simd => workspace::bimodal_len(b, 1),
            #[cfg(feature = "std")]
            Engine::Par => workspace::bimodal_len(b, crate::kernel::schedule::slots(Sched::Par, b)),
        }
    }
}

/// Scratch of the scalar engine per pair: `h` of a direction, and its
/// compensated sums.
pub(crate) const SCALAR: usize = 3;
