//! The bimodal DPM step from features in tiles (Flash-DPM): `S` and `dS`
//! are never stored. Each pass recomputes `S` a tile at a time from
//! panels of (normalised) feature rows, and keeps only per-anchor values:
//! memory grows like `B + d`, not like `B^2`.
//!
//! The passes are those of the scalar reference ([`crate::scalar`]), in
//! the same order per anchor: the maxima of both directions, their sums
//! of `exp(a - max)`, the per-anchor statistics (and the state's `u`),
//! then each entry's `dS`, accumulated at once into `dX = dS Y` and
//! `dY = dS^T X`. Every row sum (a row anchor's, a column anchor's, a
//! candidate's `h`, a row of `dX` or `dY`) receives its terms in the
//! order the materialised step gives them, so state, `h` and the feature
//! gradients are bit-identical to `S`, [`crate::scalar::dpm_bimodal`]
//! and the backward products; only the losses, summed tile by tile, may
//! differ in the last bits.

use super::{
    Features,
    checks::{self, flush_all, flushed_tau_ok},
    kernels, normalize,
};
use crate::{
    DpmParams, Error, Losses, Real, StateView, check,
    kernel::{
        anchor::{self, Logs, Prev},
        spec::Spec,
        workspace::cut,
    },
    lanes::exp::{exp0_scalar, flush},
    state::{AnchorState, CandidateState},
    step::{
        checks::{self as step_checks, Algo},
        finish, plan,
    },
    sum::{ScaledSum, Sum},
};

/// Rows of `X` (and of `Y`) in one tile: a tile of `S` is `TILE x TILE`.
/// The two panels of normalised rows it reads take `2 TILE d` elements of
/// scratch.
pub const TILE: usize = 32;

/// Per-pair scratch: the diagonal, then per direction the candidates'
/// zeta, the anchors' maxima, compensated sums (2), four statistics,
/// compensated sums of `h` (2) and `h`.
const PER_PAIR: usize = 1 + 2 * 11;

/// Scratch elements [`dpm_bimodal_tiled`] needs for `b` pairs of
/// dimension `d`: `23 b + 2 TILE d` (saturating at `usize::MAX`, a size no
/// slice has: refused, never wrapped). No term grows like `b^2`: at
/// `b = 4096`, `d = 128` it is 102,400 elements (400 KiB in `f32`), where
/// [`features_scratch_len`](super::features_scratch_len) asks for 18.0 M
/// and the outputs `S`, `dS` of the materialised step for 33.6 M more.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{tiled_scratch_len, TILE};
/// assert_eq!(tiled_scratch_len(4096, 128), 23 * 4096 + 2 * TILE * 128);
/// const N: usize = tiled_scratch_len(8, 16);
/// let scratch = [0.0_f32; N];
/// # let _ = scratch;
/// ```
#[must_use]
pub const fn tiled_scratch_len(b: usize, d: usize) -> usize {
    b.saturating_mul(PER_PAIR)
        .saturating_add(d.saturating_mul(2 * TILE))
}

/// Where [`dpm_bimodal_tiled`] writes.
///
/// # Example
///
/// ```
/// use dpm_core::embed::TiledOut;
/// let (mut dx, mut dy, mut h) = ([0.0_f32; 6], [0.0_f32; 6], [0.0_f32; 2]);
/// let out = TiledOut { h_text: Some(&mut h), ..TiledOut::new(&mut dx, &mut dy) };
/// assert_eq!(out.dx.len(), 6);
/// ```
#[derive(Debug)]
pub struct TiledOut<'o, T> {
    /// `dL/dX` (or `dL/dV` for [`Features::Raw`]), `B x d`.
    pub dx: &'o mut [T],
    /// `dL/dY` (or its raw form), `B x d`.
    pub dy: &'o mut [T],
    /// Zeta gradient of the images, as [`BimodalOut::h_image`](crate::BimodalOut::h_image).
    pub h_image: Option<&'o mut [T]>,
    /// Zeta gradient of the texts, as [`BimodalOut::h_text`](crate::BimodalOut::h_text).
    pub h_text: Option<&'o mut [T]>,
}

impl<'o, T> TiledOut<'o, T> {
    /// `dX` and `dY` only.
    #[must_use]
    pub fn new(dx: &'o mut [T], dy: &'o mut [T]) -> Self {
        TiledOut {
            dx,
            dy,
            h_image: None,
            h_text: None,
        }
    }
}

/// The features as the passes read them.
#[derive(Clone, Copy)]
struct Src<'a, T> {
    x: &'a [T],
    y: &'a [T],
    b: usize,
    d: usize,
    features: Features,
}

impl<T: Real> Src<'_, T> {
    /// Row `i` of `m` (`x` or `y`) as the step uses it, normalised if raw.
    fn row(&self, m: &[T], i: usize, out: &mut [T]) {
        let v = &m[i * self.d..(i + 1) * self.d];
        match self.features {
            Features::Raw => {
                normalize::row_forward(v, out);
            }
            Features::Normalized => out.copy_from_slice(v),
        }
    }

    /// Rows `r0..r1` of `m` into `panel`.
    fn panel(&self, m: &[T], r0: usize, r1: usize, panel: &mut [T]) {
        let d = self.d;
        for (k, i) in (r0..r1).enumerate() {
            self.row(m, i, &mut panel[k * d..(k + 1) * d]);
        }
    }

    /// Calls `f(i, j, S_ij, x_i, y_j)` for every entry of `S`, tile by
    /// tile: tile rows outer, then tiles left to right, each tile row by
    /// row. So row `i` sees `j` ascending, and column `j` sees `i`
    /// ascending, as in a pass over the stored matrix. `S_ij` is the dot
    /// product of the normalised rows, not yet flushed.
    fn each(&self, xp: &mut [T], yp: &mut [T], mut f: impl FnMut(usize, usize, T, &[T], &[T])) {
        let (b, d) = (self.b, self.d);
        for i0 in (0..b).step_by(TILE) {
            let i1 = (i0 + TILE).min(b);
            self.panel(self.x, i0, i1, xp);
            for j0 in (0..b).step_by(TILE) {
                let j1 = (j0 + TILE).min(b);
                self.panel(self.y, j0, j1, yp);
                for i in i0..i1 {
                    let xi = &xp[(i - i0) * d..(i - i0 + 1) * d];
                    for j in j0..j1 {
                        let yj = &yp[(j - j0) * d..(j - j0 + 1) * d];
                        f(i, j, kernels::dot_lanes(xi, yj), xi, yj);
                    }
                }
            }
        }
    }
}

/// One direction's per-anchor (and per-candidate) values, each `b` long
/// (`sum` and `h_acc` `2 b`: compensated sums).
struct Dir<'s, T> {
    /// The candidates' zeta (0 where the direction reads none).
    zeta: &'s mut [T],
    max: &'s mut [T],
    sum: &'s mut [T],
    rel_den: &'s mut [T],
    rel_dt: &'s mut [T],
    h_pos: &'s mut [T],
    ds_sum: &'s mut [T],
    h_acc: &'s mut [T],
    h: &'s mut [T],
}

impl<'s, T: Real> Dir<'s, T> {
    #[allow(clippy::mut_mut)] // a slice cursor
    fn carve(rest: &mut &'s mut [T], b: usize) -> Self {
        let [zeta, max, rel_den, rel_dt, h_pos, ds_sum, h] = cut(rest, b);
        let [sum, h_acc] = cut(rest, 2 * b);
        Dir {
            zeta,
            max,
            sum,
            rel_den,
            rel_dt,
            h_pos,
            ds_sum,
            h_acc,
            h,
        }
    }

    /// `a` of an anchor whose positive scores `s_pos` against candidate
    /// `c` (SPEC section 2).
    #[inline]
    fn a(&self, fx: &Fixed<T>, c: usize, s: T, s_pos: T) -> T {
        (s - s_pos - self.zeta[c]) / fx.spec.tau
    }

    /// The `dS` share of entry (anchor `r`, candidate `c`) with score `s`
    /// and the anchor's positive score `s_pos`; adds its loss term to
    /// `loss` and its term of `h` to candidate `c`'s sum. As
    /// [`crate::kernel::scalar`] does for one entry.
    #[inline]
    fn output(
        &mut self,
        fx: &Fixed<T>,
        r: usize,
        c: usize,
        s: T,
        s_pos: T,
        loss: &mut ScaledSum<T>,
    ) -> T {
        if r == c {
            if fx.h {
                add(self.h_acc, c, self.h_pos[r]);
            }
            return -self.ds_sum[r];
        }
        let rel = self.a(fx, c, s, s_pos) - self.max[r];
        let w = exp0_scalar(rel - self.rel_den[r]);
        if !fx.spec.is_info_nce() {
            loss.add_product(w, s - s_pos, fx.r_count);
        }
        if fx.h {
            add(
                self.h_acc,
                c,
                anchor::h_term(exp0_scalar(rel - self.rel_dt[r])),
            );
        }
        flush(w * fx.logs.ds_scale())
    }
}

impl<T: Real> Dir<'_, T> {
    /// The statistics of every anchor (ids `ids`, state `st`) from its
    /// maximum and sum, and its new `u` stored.
    fn stats(&mut self, fx: &Fixed<T>, st: &mut AnchorState<'_, T>, ids: &[usize]) {
        let m = ids.len() - 1;
        for (r, &id) in ids.iter().enumerate() {
            let sum = Sum::from_parts(self.sum[2 * r], self.sum[2 * r + 1]).value();
            let an = anchor::stats(
                &fx.spec,
                &fx.logs,
                m,
                self.max[r],
                sum,
                self.zeta[r],
                Prev::of(st, id),
            );
            anchor::store(st, id, an.u);
            self.rel_den[r] = an.rel_den;
            self.rel_dt[r] = an.rel_dt;
            self.h_pos[r] = an.h_pos;
            self.ds_sum[r] = an.ds_sum;
        }
        self.h_acc.fill(T::ZERO);
    }

    /// After the outputs pass: `h` of every candidate (ids `ids`, state
    /// `c`), copied to `h_out` and the zeta update run, as the
    /// materialised step does; returns the direction's loss from its sum.
    fn finish(
        &mut self,
        fx: &Fixed<T>,
        algo: Algo<T>,
        loss: ScaledSum<T>,
        (c, ids): (&mut CandidateState<'_, T>, &[usize]),
        h_out: Option<&mut [T]>,
    ) -> T {
        if fx.h {
            for (v, acc) in self.h.iter_mut().zip(self.h_acc.chunks_exact(2)) {
                *v = fx.logs.h(Sum::from_parts(acc[0], acc[1]).value());
            }
        }
        finish(algo, fx.spec, Some(c), ids, self.h, h_out);
        flush(loss.value() * fx.spec.weight)
    }
}

/// `t` into the compensated sum `k` of `v`.
#[inline]
fn add<T: Real>(v: &mut [T], k: usize, t: T) {
    let mut s = Sum::from_parts(v[2 * k], v[2 * k + 1]);
    s.add(t);
    (v[2 * k], v[2 * k + 1]) = s.parts();
}

/// What is fixed for a direction.
struct Fixed<T> {
    spec: Spec<T>,
    logs: Logs<T>,
    r_count: T,
    h: bool,
}

impl<T: Real> Fixed<T> {
    /// A direction of `b` anchors.
    fn new(spec: Spec<T>, b: usize) -> Self {
        Fixed {
            spec,
            logs: Logs::new(&spec, b),
            r_count: T::from_usize(b),
            h: spec.wants_h(),
        }
    }
}

/// The DPM (NUCLR) step on a bimodal batch of features, in tiles: the
/// same step as [`dpm_bimodal_from_features`](super::dpm_bimodal_from_features)
/// without storing `S` or `dS`. Scratch is [`tiled_scratch_len`]`(b, d)`,
/// which grows like `b + d`, not `b^2`: a batch of 4096 fits where the
/// materialised step needs 200 MiB.
///
/// `x` (images) and `y` (texts) are `b x d` row-major, raw or normalised
/// ([`Features`]); ids, states and params are those of
/// [`dpm_bimodal`](crate::dpm_bimodal). Updates the states as it does,
/// writes `out.dx`, `out.dy` (and `h` where asked for) and returns the
/// [`Losses`].
///
/// Results: `dx`, `dy`, `h` and every state value are bit-identical to
/// the materialised step on the scalar engine ([`crate::scalar`]) followed
/// by [`scores_backward`](super::scores_backward) (and, raw, the
/// normalisation's backward); the losses are within SPEC section 7's
/// bound of it (their terms are summed in another order). Each pass
/// recomputes `S`, three times in all, with a dot product per entry: this
/// is the scalar engine's arithmetic, the one Cortex-M runs, not yet the
/// SIMD passes or a GEMM microkernel.
///
/// # Errors
///
/// Those of [`dpm_bimodal_from_features`](super::dpm_bimodal_from_features),
/// checked in the same order, with `out.dx`, `out.dy`, `out.h_image`,
/// `out.h_text` ([`Error::LengthMismatch`]; `h` must be `b` long), the ids
/// (`image_ids`, `text_ids` not `b` long) and `scratch` shorter than
/// [`tiled_scratch_len`]. On `Err`, all of `out` and both states are
/// untouched (the scratch may be written).
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dpm_bimodal_tiled, tiled_scratch_len, Features, TiledOut};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State};
/// let (mut images, mut texts) = (State::<f32, 10>::new(-0.05)?, State::<f32, 10>::new(-0.05)?);
/// let x = [1.0_f32, 0.2, 0.1, 1.0]; // 2 images, d = 2, raw
/// let y = [0.9_f32, 0.0, 0.3, 1.1];
/// let p = DpmParams {
///     tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; tiled_scratch_len(2, 2)];
/// let loss = dpm_bimodal_tiled(
///     &x, &y, 2, 2, Features::Raw, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), [p, p],
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// assert!(loss.total < 0.0);
/// // The raw gradient is orthogonal to its row.
/// assert!((dx[0] * x[0] + dx[1] * x[1]).abs() < 1e-6);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: [DpmParams<T>; 2],
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    // ---- checks: nothing but scratch is written above "writes" ----
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    let cells = check::cells("x", b, d)?;
    check::len("x", x.len(), cells)?;
    check::len("y", y.len(), cells)?;
    check::len("image_ids", image_ids.len(), b)?;
    check::len("text_ids", text_ids.len(), b)?;
    check::len("dx", out.dx.len(), cells)?;
    check::len("dy", out.dy.len(), cells)?;
    for (what, h) in [("h_image", &out.h_image), ("h_text", &out.h_text)] {
        if let Some(h) = h {
            check::len(what, h.len(), b)?;
        }
    }
    let need = tiled_scratch_len(b, d);
    check::at_least("scratch", scratch.len(), need)?;
    checks::features(x, y, d, features, &params)?;

    let algos = [Algo::Dpm(params[0]), Algo::Dpm(params[1])];
    let (ia, ic) = image.split();
    let (ta, tc) = text.split();
    let src = Src {
        x,
        y,
        b,
        d,
        features,
    };
    let mut w = Work::carve(&mut scratch[..need], src);
    // Pass 1, among the checks: zeta of the candidates (0 for an id out
    // of range: the checks refuse it before it is used), the diagonal, the
    // maxima of both directions, the largest |S|, any S flushed.
    gather(w.dirs[0].zeta, text_ids, tc);
    gather(w.dirs[1].zeta, image_ids, ic);
    let (max_abs, flushed) = w.maxima([params[0].tau, params[1].tau]);
    if flushed {
        flushed_tau_ok(&params)?;
    }
    let h_asked = [out.h_text.is_some(), out.h_image.is_some()];
    step_checks::bimodal(
        algos,
        b,
        max_abs,
        (image_ids, text_ids),
        (Some(&mut *ia), Some(&mut *tc)),
        (Some(&mut *ta), Some(&mut *ic)),
        h_asked,
    )?;

    // ---- writes ----
    let fixed = [
        Fixed::new(plan(algos[0], Some(&*tc), h_asked[0]), b),
        Fixed::new(plan(algos[1], Some(&*ic), h_asked[1]), b),
    ];
    w.sums(&fixed);
    w.dirs[0].stats(&fixed[0], ia, image_ids);
    w.dirs[1].stats(&fixed[1], ta, text_ids);
    let TiledOut {
        dx,
        dy,
        h_image,
        h_text,
    } = out;
    let [l0, l1] = w.outputs(&fixed, dx, dy);
    let [d0, d1] = &mut w.dirs;
    let to_text = d0.finish(&fixed[0], algos[0], l0, (tc, text_ids), h_text);
    let to_image = d1.finish(&fixed[1], algos[1], l1, (ic, image_ids), h_image);
    Ok(Losses {
        total: flush(to_text + to_image),
        image_to_text: to_text,
        text_to_image: to_image,
    })
}

/// The scratch of a step, carved: the diagonal, both directions' values,
/// and the two panels of a tile.
struct Work<'s, T> {
    src: Src<'s, T>,
    diag: &'s mut [T],
    dirs: [Dir<'s, T>; 2],
    xp: &'s mut [T],
    yp: &'s mut [T],
}

impl<'s, T: Real> Work<'s, T> {
    fn carve(scratch: &'s mut [T], src: Src<'s, T>) -> Self {
        let (b, d) = (src.b, src.d);
        let mut rest = scratch;
        let [diag] = cut(&mut rest, b);
        let dirs = [Dir::carve(&mut rest, b), Dir::carve(&mut rest, b)];
        let [xp, yp] = cut(&mut rest, TILE * d);
        Work {
            src,
            diag,
            dirs,
            xp,
            yp,
        }
    }

    /// Pass 1: the diagonal, then each anchor's largest `a` in both
    /// directions (`taus` theirs); returns the largest `|S|` and whether
    /// any `S` was flushed to 0.
    fn maxima(&mut self, taus: [T; 2]) -> (T, bool) {
        let (src, d) = (self.src, self.src.d);
        for (i, s) in self.diag.iter_mut().enumerate() {
            src.row(src.x, i, &mut self.xp[..d]);
            src.row(src.y, i, &mut self.yp[..d]);
            *s = flush(kernels::dot_lanes(&self.xp[..d], &self.yp[..d]));
        }
        let (mut max_abs, mut flushed) = (T::ZERO, false);
        let [d0, d1] = &mut self.dirs;
        let diag = &*self.diag;
        d0.max.fill(T::NEG_INFINITY);
        d1.max.fill(T::NEG_INFINITY);
        src.each(self.xp, self.yp, |i, j, raw, _, _| {
            let s = flush(raw);
            flushed |= s != raw;
            max_abs = max_abs.max(s.abs());
            if i != j {
                d0.max[i] = d0.max[i].max((s - diag[i] - d0.zeta[j]) / taus[0]);
                d1.max[j] = d1.max[j].max((s - diag[j] - d1.zeta[i]) / taus[1]);
            }
        });
        (max_abs, flushed)
    }

    /// Pass 2: each anchor's sum of `exp(a - max)`, in both directions.
    fn sums(&mut self, fixed: &[Fixed<T>; 2]) {
        let [d0, d1] = &mut self.dirs;
        let diag = &*self.diag;
        d0.sum.fill(T::ZERO);
        d1.sum.fill(T::ZERO);
        self.src.each(self.xp, self.yp, |i, j, raw, _, _| {
            if i != j {
                let s = flush(raw);
                let a0 = d0.a(&fixed[0], j, s, diag[i]);
                add(d0.sum, i, exp0_scalar(a0 - d0.max[i]));
                let a1 = d1.a(&fixed[1], i, s, diag[j]);
                add(d1.sum, j, exp0_scalar(a1 - d1.max[j]));
            }
        });
    }

    /// Pass 3: each entry's `dS`, straight into `dX = dS Y` and
    /// `dY = dS^T X` (then through the normalisation for raw features);
    /// returns both directions' loss sums.
    fn outputs(&mut self, fixed: &[Fixed<T>; 2], dx: &mut [T], dy: &mut [T]) -> [ScaledSum<T>; 2] {
        let (src, d) = (self.src, self.src.d);
        let [d0, d1] = &mut self.dirs;
        let diag = &*self.diag;
        let mut losses = [ScaledSum::ZERO; 2];
        let [l0, l1] = &mut losses;
        dx.fill(T::ZERO);
        dy.fill(T::ZERO);
        src.each(self.xp, self.yp, |i, j, raw, xi, yj| {
            let s = flush(raw);
            let g0 = d0.output(&fixed[0], i, j, s, diag[i], l0);
            let g1 = d1.output(&fixed[1], j, i, s, diag[j], l1);
            let g = g0 + g1;
            kernels::axpy_lanes(g, yj, &mut dx[i * d..(i + 1) * d]);
            kernels::axpy_lanes(g, xi, &mut dy[j * d..(j + 1) * d]);
        });
        if src.features == Features::Raw {
            for i in 0..src.b {
                let span = i * d..(i + 1) * d;
                normalize::row_backward(&src.x[span.clone()], &mut dx[span.clone()]);
                normalize::row_backward(&src.y[span.clone()], &mut dy[span]);
            }
        }
        let _ = (flush_all(dx), flush_all(dy));
        losses
    }
}

/// The zeta of each id of `ids` in `c` (0 for an id out of range).
fn gather<T: Real>(out: &mut [T], ids: &[usize], c: &CandidateState<'_, T>) {
    for (o, &id) in out.iter_mut().zip(ids) {
        *o = c.zeta.get(id).copied().unwrap_or(T::ZERO);
    }
}
