//! The rows of `S` computed from features for the SIMD passes, a panel at
//! a time, and each panel's `dS` turned into `dX`, `dY` at once
//! ([`crate::kernel::panels::Panels`]), on the register-blocked products
//! of `embed::products`. Every score is the one `embed::scores_forward`
//! computes, flushed as the stored step from features flushes it, and
//! the backward products add their terms in the order of
//! `embed::scores_backward` (panels in row order): so the tiled step on
//! panels gives the bits of the stored one.

use crate::{
    Real,
    embed::{checks::flush_all, products},
    kernel::panels::Panels,
};

/// Rows of `S` (and of `dS`) per panel: a multiple of the schedule's
/// block height (4) and of the products' register block (6). Two panels
/// of `PANEL x B` values are scratch that grows with `B` (192 KiB each in
/// `f32` at `B = 2048`).
pub(crate) const PANEL: usize = 24;

/// Normalised features `xn`, `yn` (`b x d`), the panel buffers, and the
/// gradients `dx`, `dy` they accumulate into (zeroed by the caller).
pub(super) struct FeaturePanels<'a, 'o, T> {
    pub xn: &'a [T],
    pub yn: &'a [T],
    /// `yn` packed for the products (`products::pack`).
    pub yp: &'a [T],
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
    /// Rows `r0..r1` of `S` into the panel, flushed; their count of values.
    fn fill(&mut self, r0: usize, r1: usize) -> usize {
        let (b, d) = (self.b, self.d);
        let n = (r1 - r0) * b;
        products::scores_packed(
            &self.xn[r0 * d..r1 * d],
            self.yn,
            self.yp,
            b,
            d,
            &mut self.s[..n],
        );
        self.flushed |= flush_all(&mut self.s[..n]);
        n
    }
}

impl<T: Real> Panels<T> for FeaturePanels<'_, '_, T> {
    fn height(&self) -> usize {
        PANEL
    }

    fn diag(&mut self, out: &mut [T]) {
        products::diag(self.xn, self.yn, self.d, out);
        self.flushed |= flush_all(out);
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
        let ds = &*self.ds;
        let dx = &mut self.dx[r0 * d..r1 * d];
        products::rows(|i, j| ds[i * b + j], self.yn, 0..b, d, dx);
        products::rows(|j, i| ds[(i - r0) * b + j], self.xn, r0..r1, d, self.dy);
    }
}
