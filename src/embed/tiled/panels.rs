//! The rows of `S` computed from features for the SIMD passes, a panel at
//! a time, and each panel's `dS` turned into `dX`, `dY` at once
//! ([`crate::kernel::panels::Panels`]). Every score is the dot product
//! of the normalised rows that `embed::scores_forward` computes, flushed
//! as the stored step from features flushes it, and the backward
//! products add their terms in the order of `embed::scores_backward`: so
//! the tiled step on panels gives the bits of the stored one.

use crate::{Real, embed::kernels, kernel::panels::Panels, lanes::exp::flush};

/// Rows of `S` (and of `dS`) per panel: a multiple of the schedule's
/// block height. Two panels of `PANEL x B` values are the scratch that
/// grows with `B` (128 KiB each in `f32` at `B = 2048`).
pub(crate) const PANEL: usize = 16;

/// Normalised features `xn`, `yn` (`b x d`), the panel buffers, and the
/// gradients `dx`, `dy` they accumulate into (zeroed by the caller).
pub(super) struct FeaturePanels<'a, 'o, T> {
    pub xn: &'a [T],
    pub yn: &'a [T],
    pub b: usize,
    pub d: usize,
    pub s: &'a mut [T],
    pub ds: &'a mut [T],
    pub dx: &'o mut [T],
    pub dy: &'o mut [T],
    /// Some score was below the smallest normal number, now 0.
    pub flushed: bool,
}

impl<T: Real> FeaturePanels<'_, '_, T> {
    /// `S[i][j]`, flushed.
    #[inline]
    fn entry(&mut self, i: usize, j: usize) -> T {
        let d = self.d;
        let raw = kernels::dot_lanes(&self.xn[i * d..(i + 1) * d], &self.yn[j * d..(j + 1) * d]);
        let s = flush(raw);
        self.flushed |= s != raw;
        s
    }

    /// Rows `r0..r1` of `S` into the panel; their count of values.
    fn fill(&mut self, r0: usize, r1: usize) -> usize {
        let b = self.b;
        for i in r0..r1 {
            for j in 0..b {
                let s = self.entry(i, j);
                self.s[(i - r0) * b + j] = s;
            }
        }
        (r1 - r0) * b
    }
}

impl<T: Real> Panels<T> for FeaturePanels<'_, '_, T> {
    fn height(&self) -> usize {
        PANEL
    }

    fn diag(&mut self, out: &mut [T]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.entry(j, j);
        }
    }

    fn scores(&mut self, r0: usize, r1: usize) -> &[T] {
        let n = self.fill(r0, r1);
        &self.s[..n]
    }

    fn outputs(&mut self, r0: usize, r1: usize) -> (&[T], &mut [T]) {
        let n = self.fill(r0, r1);
        (&self.s[..n], &mut self.ds[..n])
    }

    /// `dX += dS Y`, `dY += dS^T X` over the panel's rows, term by term
    /// in the order of `embed::scores_backward`.
    fn done(&mut self, r0: usize, r1: usize) {
        let (b, d) = (self.b, self.d);
        for i in r0..r1 {
            let xi = &self.xn[i * d..(i + 1) * d];
            for j in 0..b {
                let g = self.ds[(i - r0) * b + j];
                let span = j * d..(j + 1) * d;
                kernels::axpy_lanes(g, &self.yn[span.clone()], &mut self.dx[i * d..(i + 1) * d]);
                kernels::axpy_lanes(g, xi, &mut self.dy[span]);
            }
        }
    }
}
