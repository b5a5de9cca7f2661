//! The rows of `S` computed from features for the SIMD passes, a panel at
//! a time, and each panel's `dS` turned into `dX`, `dY` at once
//! ([`crate::kernel::panels::Panels`]), on the register-blocked products
//! of `embed::products`. Every score is the one `embed::scores_forward`
//! computes, flushed as the stored step from features flushes it, and
//! the backward products add their terms in the order of
//! `embed::scores_backward` (panels in row order): so the tiled step on
//! panels gives the bits of the stored one.
//!
//! With `std` and `par`, the products of a panel are split across
//! rayon's workers by rows of what they write (rows of `S`, of `dX`, of
//! `dY`): each value is still one lane's steps in the same order (the
//! products' arithmetic does not depend on the block a value falls in),
//! so the split changes no bit.

use crate::{
    Real,
    embed::{
        checks::flush_all,
        products::{self, Coef},
    },
    kernel::panels::Panels,
};

/// Rows of `S` (and of `dS`) per panel, serial and parallel: a multiple
/// of the schedule's block height (4), of the products' register block
/// (6) and of the online first pass's chunk (24; the panel height
/// changes no bit: every pass runs the same blocks in the same order on
/// any split into panels, and the online pass rescales after every
/// chunk whatever the height). Two panels of `PANEL x B` values are
/// scratch that grows with `B` (384 KiB each in `f32` at `B = 1024`).
///
/// Why 96 and not one chunk (24): the panel's products `dX += dS Y`
/// (`Y` whole) and `dY += dS^T X` (`dY` whole, loaded and stored) run
/// over 96 values of `t` per visit of `Y` and `dY` instead of 24. The
/// serial step took 6-10% less time with 96 than with 24 rows (AMD EPYC
/// Zen 3, AVX2, B = 256, 1024, 4096, d = 128 and 512); 192 rows gained
/// nothing over 96. With `par`, each worker gets rows of its own.
pub(crate) const PANEL: usize = 4 * crate::kernel::online::CHUNK;

/// Rows of a product's output per task of the parallel step: one
/// register block (6) of `S`, eight of `dX` and `dY`.
#[cfg(feature = "std")]
const TASK_ROWS: [usize; 2] = [6, 48];

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
    /// The products on rayon's workers (only with `std`).
    pub par: bool,
}

impl<T: Real> FeaturePanels<'_, '_, T> {
    /// Rows `r0..r1` of `S` into the panel, flushed; their count of values.
    fn fill(&mut self, r0: usize, r1: usize) -> usize {
        let (b, d) = (self.b, self.d);
        let n = (r1 - r0) * b;
        let (xn, yn, yp) = (&self.xn[r0 * d..r1 * d], self.yn, self.yp);
        let s = &mut self.s[..n];
        let rows = |x: &[T], s: &mut [T]| products::scores_packed(x, yn, yp, b, d, s);
        if self.par {
            #[cfg(feature = "std")]
            {
                use rayon::prelude::*;
                let k = TASK_ROWS[0];
                s.par_chunks_mut(k * b)
                    .zip(xn.par_chunks(k * d))
                    .for_each(|(s, x)| rows(x, s));
            }
        } else {
            rows(xn, s);
        }
        self.flushed |= flush_all(s);
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
        let (ds, xn, yn) = (&*self.ds, self.xn, self.yn);
        let dx = &mut self.dx[r0 * d..r1 * d];
        // `o0`: the first row of `out` among the panel's rows of dX (among
        // all rows of dY).
        let to_dx = |o0: usize, out: &mut [T]| {
            products::rows(Coef::Rows(&ds[o0 * b..], b), yn, 0..b, d, out);
        };
        let to_dy = |o0: usize, out: &mut [T]| {
            products::rows(Coef::Cols(&ds[o0..], b), xn, r0..r1, d, out);
        };
        if self.par {
            #[cfg(feature = "std")]
            {
                use rayon::prelude::*;
                let k = TASK_ROWS[1];
                rayon::join(
                    || {
                        dx.par_chunks_mut(k * d)
                            .enumerate()
                            .for_each(|(c, out)| to_dx(c * k, out));
                    },
                    || {
                        self.dy
                            .par_chunks_mut(k * d)
                            .enumerate()
                            .for_each(|(c, out)| to_dy(c * k, out));
                    },
                );
            }
        } else {
            to_dx(0, dx);
            to_dy(0, self.dy);
        }
    }
}
