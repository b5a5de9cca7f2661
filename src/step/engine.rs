//! Which kernels run a bimodal step, and the scratch each needs.

use crate::{
    Real,
    simd::{
        ColumnSums,
        bimodal::{Pass, Passes, Serial},
        row::{Columns, RowOut, Rows, Sums},
    },
};

/// The kernels of a bimodal step: the public functions use
/// [`Engine::Simd`], [`crate::scalar`] the readable reference, `crate::par`
/// the SIMD kernels on rayon's workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Scalar,
    Simd,
    #[cfg(feature = "std")]
    Par,
}

impl Engine {
    /// The SIMD kernels run: not the scalar reference, and the target has
    /// lanes ([`crate::simd::LANES`]). A compile-time `false` on targets
    /// without them (Cortex-M), so the SIMD code is not even linked there.
    pub(crate) fn simd(self) -> bool {
        crate::simd::LANES && self != Engine::Scalar
    }

    /// Scratch elements the engine needs for a batch of `b`.
    pub(crate) const fn scratch_len(self, b: usize) -> usize {
        match self {
            Engine::Scalar | Engine::Simd => crate::simd::bimodal::scratch_len(b),
            #[cfg(feature = "std")]
            Engine::Par => crate::par::scratch_len(b),
        }
    }

    /// The SIMD engines' passes over `extra`, the scratch beyond the SIMD
    /// step's own.
    #[cfg_attr(not(feature = "std"), allow(clippy::unused_self))]
    pub(crate) fn passes<T: Real>(self, extra: &mut [T]) -> Exec<'_, T> {
        #[cfg(feature = "std")]
        if self == Engine::Par {
            return Exec::Par(crate::par::Waves::new(extra));
        }
        let _ = extra;
        Exec::Serial(Serial, core::marker::PhantomData)
    }
}

/// The passes of a SIMD engine.
pub(crate) enum Exec<'a, T> {
    Serial(Serial, core::marker::PhantomData<&'a mut [T]>),
    #[cfg(feature = "std")]
    Par(crate::par::Waves<'a, T>),
}

impl<T: Real> Passes<T> for Exec<'_, T> {
    fn maxima(&mut self, p: &Pass<'_, T>, rowmax: &mut [T], colmax: &mut [T]) -> Option<T> {
        match self {
            Exec::Serial(s, _) => s.maxima(p, rowmax, colmax),
            #[cfg(feature = "std")]
            Exec::Par(w) => w.maxima(p, rowmax, colmax),
        }
    }

    fn exp_pass(
        &mut self,
        p: &Pass<'_, T>,
        colmax: &[T],
        ds: &mut [T],
        sums: &mut ColumnSums<'_, T>,
    ) {
        match self {
            Exec::Serial(s, _) => s.exp_pass(p, colmax, ds, sums),
            #[cfg(feature = "std")]
            Exec::Par(w) => w.exp_pass(p, colmax, ds, sums),
        }
    }

    fn rows(
        &mut self,
        p: &Pass<'_, T>,
        rows: Rows<'_, '_, '_, T>,
        cols: &Columns<'_, T>,
        ds: &mut [T],
        out: RowOut<'_, T>,
    ) -> Sums<T> {
        match self {
            Exec::Serial(s, _) => s.rows(p, rows, cols, ds, out),
            #[cfg(feature = "std")]
            Exec::Par(w) => w.rows(p, rows, cols, ds, out),
        }
    }
}
