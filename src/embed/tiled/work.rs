//! The passes of the tiled step over `S`, tile by tile, and the
//! per-anchor values they keep (scratch carved by name).

use super::TILE;
use crate::{
    Real,
    embed::{Features, checks::flush_all, normalize, products},
    kernel::{
        anchor::{self, Logs, Prev},
        spec::Spec,
        workspace::cut,
    },
    lanes::exp::{exp0_scalar, flush},
    state::{AnchorState, CandidateState},
    step::{checks::Algo, finish},
    sum::{ScaledSum, Sum},
};

/// The features as the passes read them.
#[derive(Clone, Copy)]
pub(crate) struct Src<'a, T> {
    pub x: &'a [T],
    pub y: &'a [T],
    pub b: usize,
    pub d: usize,
    pub features: Features,
}

impl<'a, T: Real> Src<'a, T> {
    /// `b x d` features `x`, `y` of kind `features`.
    pub(crate) fn new(x: &'a [T], y: &'a [T], b: usize, d: usize, features: Features) -> Self {
        Src {
            x,
            y,
            b,
            d,
            features,
        }
    }

    /// Row `i` of `m` (`x` or `y`) as the step uses it, normalised if raw.
    pub(super) fn row(&self, m: &[T], i: usize, out: &mut [T]) {
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
                        f(i, j, products::dot(xi, yj), xi, yj);
                    }
                }
            }
        }
    }
}

/// One direction's per-anchor (and per-candidate) values, each `b` long
/// (`sum` and `h_acc` `2 b`: compensated sums).
pub(super) struct Dir<'s, T> {
    /// The candidates' zeta (0 where the direction reads none).
    pub zeta: &'s mut [T],
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
    /// The statistics of every one of `b` anchors (ids `ids`, state `st`
    /// where the direction has one) from its maximum and sum, its new `u`
    /// stored; InfoNCE's loss (each anchor's `log_den`) into `loss`.
    #[allow(clippy::needless_range_loop)] // `ids` is empty without state
    pub(super) fn stats(
        &mut self,
        fx: &Fixed<T>,
        b: usize,
        mut st: Option<&mut AnchorState<'_, T>>,
        ids: &[usize],
        loss: &mut ScaledSum<T>,
    ) {
        for r in 0..b {
            let sum = Sum::from_parts(self.sum[2 * r], self.sum[2 * r + 1]).value();
            let prev = st
                .as_deref()
                .map_or(Prev::Stateless, |st| Prev::of(st, ids[r]));
            let an = anchor::stats(
                &fx.spec,
                &fx.logs,
                b - 1,
                self.max[r],
                sum,
                self.zeta[r],
                prev,
            );
            if let Some(st) = st.as_deref_mut() {
                anchor::store(st, ids[r], an.u);
            }
            if fx.spec.is_info_nce() {
                loss.add_quotient(an.log_den, fx.r_count, T::ONE);
            }
            self.rel_den[r] = an.rel_den;
            self.rel_dt[r] = an.rel_dt;
            self.h_pos[r] = an.h_pos;
            self.ds_sum[r] = an.ds_sum;
        }
        self.h_acc.fill(T::ZERO);
    }

    /// After the outputs pass: `h` of every candidate (ids `ids`, state
    /// `c`), copied to `h_out` and the zeta update run, as the stored
    /// step does (a direction without `h` leaves `h_out` untouched);
    /// returns the direction's loss from its sum.
    pub(super) fn finish(
        &mut self,
        fx: &Fixed<T>,
        algo: Algo<T>,
        loss: ScaledSum<T>,
        (c, ids): (Option<&mut CandidateState<'_, T>>, &[usize]),
        h_out: Option<&mut [T]>,
    ) -> T {
        if fx.h {
            for (v, acc) in self.h.iter_mut().zip(self.h_acc.chunks_exact(2)) {
                *v = fx.logs.h(Sum::from_parts(acc[0], acc[1]).value());
            }
        }
        finish(algo, fx.spec, c, ids, self.h, h_out);
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
pub(super) struct Fixed<T> {
    spec: Spec<T>,
    logs: Logs<T>,
    r_count: T,
    h: bool,
}

impl<T: Real> Fixed<T> {
    /// A direction of `b` anchors.
    pub(super) fn new(spec: Spec<T>, b: usize) -> Self {
        Fixed {
            spec,
            logs: Logs::new(&spec, b),
            r_count: T::from_usize(b),
            h: spec.wants_h(),
        }
    }
}

/// The scratch of a step, carved: the diagonal, both directions' values,
/// and the two panels of a tile.
pub(super) struct Work<'s, T> {
    src: Src<'s, T>,
    diag: &'s mut [T],
    pub dirs: [Dir<'s, T>; 2],
    xp: &'s mut [T],
    yp: &'s mut [T],
}

impl<'s, T: Real> Work<'s, T> {
    pub(super) fn carve(scratch: &'s mut [T], src: Src<'s, T>) -> Self {
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
    pub(super) fn maxima(&mut self, taus: [T; 2]) -> (T, bool) {
        let (src, d) = (self.src, self.src.d);
        for (i, s) in self.diag.iter_mut().enumerate() {
            src.row(src.x, i, &mut self.xp[..d]);
            src.row(src.y, i, &mut self.yp[..d]);
            *s = flush(products::dot(&self.xp[..d], &self.yp[..d]));
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
    pub(super) fn sums(&mut self, fixed: &[Fixed<T>; 2]) {
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
    /// the loss terms into `losses`.
    pub(super) fn outputs(
        &mut self,
        fixed: &[Fixed<T>; 2],
        losses: &mut [ScaledSum<T>; 2],
        dx: &mut [T],
        dy: &mut [T],
    ) {
        let (src, d) = (self.src, self.src.d);
        let [d0, d1] = &mut self.dirs;
        let diag = &*self.diag;
        let [l0, l1] = losses;
        dx.fill(T::ZERO);
        dy.fill(T::ZERO);
        src.each(self.xp, self.yp, |i, j, raw, xi, yj| {
            let s = flush(raw);
            let g0 = d0.output(&fixed[0], i, j, s, diag[i], l0);
            let g1 = d1.output(&fixed[1], j, i, s, diag[j], l1);
            let g = g0 + g1;
            products::axpy(g, yj, &mut dx[i * d..(i + 1) * d]);
            products::axpy(g, xi, &mut dy[j * d..(j + 1) * d]);
        });
        if src.features == Features::Raw {
            for i in 0..src.b {
                let span = i * d..(i + 1) * d;
                normalize::row_backward(&src.x[span.clone()], &mut dx[span.clone()]);
                normalize::row_backward(&src.y[span.clone()], &mut dy[span]);
            }
        }
        let _ = (flush_all(dx), flush_all(dy));
    }
}
