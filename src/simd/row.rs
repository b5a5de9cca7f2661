//! The last pass, one row of `S` at a time: the row direction's exp pass
//! (image anchor `i`; the row stays in L1 for the next loop), its anchor
//! statistics, then one loop that turns both directions' exponentials into
//! weights, writes `dS` and accumulates the losses and zeta-gradient terms.

use super::{
    Blocked, ColumnSums, Kahan, Lanes, Pass, V,
    anchor::{self, Anchor, Prev},
    around, chunks, chunks_from, ld, pad, total,
};
use crate::{Real, step::Kind, sum::Sum};

/// Per-column values of the column direction, ready for the last pass.
pub(crate) struct Columns<'a, T> {
    /// `exp(colmax - log_den)`: turns `ds`'s exponentials into weights.
    pub scale: &'a [T],
    /// `exp(colmax - log_dt)`: turns them into zeta-gradient terms (0 for a
    /// column whose terms were added directly).
    pub h_factor: &'a [T],
    /// Sum of the column anchor's weights (for the diagonal of `dS`).
    pub w_sum: &'a [T],
    /// `ds` scale of the column direction (`weight / B`, InfoNCE `/ tau`).
    pub ds_scale: T,
    /// Accumulate the column direction's loss per entry (not InfoNCE).
    pub loss: bool,
    /// Accumulate the images' zeta-gradient terms.
    pub h: bool,
}

/// Where the last pass writes, besides `dS`.
pub(crate) struct RowOut<'a, T> {
    /// `exp(a - rowmax)` of the current row, then its weights.
    pub buf: &'a mut [T],
    /// The texts' zeta-gradient column sums (row direction).
    pub h_text: ColumnSums<'a, T>,
    /// Images' zeta-gradient sums (column direction), preset to each
    /// anchor's positive term; completed here.
    pub h_image: &'a mut [T],
    pub weights_image: Option<&'a mut [T]>,
    pub weights_text: Option<&'a mut [T]>,
}

/// The per-row inputs of the row direction.
pub(crate) struct Rows<'a, 's, 'v, T: Real> {
    pub spec: &'a crate::step::Spec<T>,
    /// `max_j a[i][j]` from [`super::column::maxima`].
    pub max: &'a [T],
    /// Anchor state and ids (`None` for InfoNCE).
    pub state: Option<(&'s mut crate::state::AnchorState<'v, T>, &'a [usize])>,
}

/// Losses of the pass, each term already divided by `B`: `row`, the row
/// direction's `sum_i loss_i / B` (not yet weighted); `col`, the column
/// direction's per-entry terms `w_T dS-scale (S - S_jj)` (weighted).
pub(crate) struct Sums<T> {
    pub row: Sum<T>,
    pub col: Sum<T>,
}

/// What the rows share: the matrix, both directions' per-column values and
/// the row direction's constants. Read-only, so rows can run on several
/// threads.
pub(crate) struct Ctx<'a, T: Real> {
    pub p: &'a Pass<'a, T>,
    pub spec: &'a crate::step::Spec<T>,
    pub logs: anchor::Logs<T>,
    /// `max_j a[i][j]` from [`super::column::maxima`].
    pub max: &'a [T],
    pub cols: &'a Columns<'a, T>,
    info_nce: bool,
    want_h: bool,
    ds_scale: T,
}

impl<'a, T: Real> Ctx<'a, T> {
    pub(crate) fn new(
        p: &'a Pass<'a, T>,
        spec: &'a crate::step::Spec<T>,
        max: &'a [T],
        cols: &'a Columns<'a, T>,
    ) -> Self {
        Ctx {
            p,
            spec,
            logs: anchor::Logs::new(spec, p.b - 1),
            max,
            cols,
            info_nce: matches!(spec.kind, Kind::InfoNce),
            want_h: matches!(spec.kind, Kind::Dpm { h: true, .. }),
            ds_scale: anchor::ds_scale(spec, p.b),
        }
    }

    /// The row direction computes `h` (the texts' zeta gradient).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // for `crate::par`
    pub(crate) fn want_h(&self) -> bool {
        self.want_h
    }
}

/// Row `i`'s outputs in `S`'s row, for [`row`].
pub(crate) struct RowSlices<'r, T> {
    /// Row `i` of `dS`: the column direction's `exp(a_T - colmax)` in,
    /// both directions' gradient out.
    pub ds: &'r mut [T],
    /// `exp(a - rowmax)`, then the row's weights (length `b`).
    pub buf: &'r mut [T],
    /// The texts' zeta-gradient partial column sums (length `b`).
    pub h_part: &'r mut [T],
    /// `h_image[i]`, preset to the column anchor's positive term.
    pub h_image: &'r mut T,
    /// Row `i` of the weights, if asked for.
    pub weights_image: Option<&'r mut [T]>,
    pub weights_text: Option<&'r mut [T]>,
}

/// What a row leaves for the order-sensitive sums ([`row_end`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowRes<T> {
    /// The row's term of the row direction's loss sum.
    pub loss_r: T,
    /// The row's term of the column direction's loss sum (if counted per
    /// entry), its weights already times the direction's `dS` scale.
    pub loss_c: T,
    /// The row anchor's statistics (its new `u` in `anchor.u`).
    pub anchor: Anchor<T>,
}

/// Runs the row direction and finishes both: returns the loss sums.
pub(crate) fn run<T: Real>(
    p: &Pass<'_, T>,
    rows: Rows<'_, '_, '_, T>,
    cols: &Columns<'_, T>,
    ds: &mut [T],
    out: RowOut<'_, T>,
) -> Sums<T> {
    let b = p.b;
    let ctx = Ctx::new(p, rows.spec, rows.max, cols);
    let RowOut {
        buf,
        mut h_text,
        h_image,
        mut weights_image,
        mut weights_text,
    } = out;
    let mut state = rows.state;
    let mut sums = Sums {
        row: Sum::ZERO,
        col: Sum::ZERO,
    };
    if ctx.want_h {
        h_text.clear();
    }
    for ((i, ds_row), h_img) in ds.chunks_exact_mut(b).enumerate().zip(h_image.iter_mut()) {
        let span = i * b..(i + 1) * b;
        let prev = state
            .as_ref()
            .map_or(Prev::Stateless, |(st, ids)| Prev::of(st, ids[i]));
        let res = row(
            &ctx,
            i,
            prev,
            RowSlices {
                ds: ds_row,
                buf: &mut *buf,
                h_part: &mut *h_text.part,
                h_image: h_img,
                weights_image: weights_image.as_deref_mut().map(|w| &mut w[span.clone()]),
                weights_text: weights_text.as_deref_mut().map(|w| &mut w[span]),
            },
        );
        if let Some((st, ids)) = state.as_mut() {
            anchor::store(st, ids[i], res.anchor.u);
        }
        row_end(&ctx, i, &res, &mut sums, &mut h_text);
    }
    sums
}

/// After [`row`] `i` (rows in order): adds its loss terms to `sums` and
/// its Kahan terms of the texts' `h` to `h_text`, flushing `h_text.part`
/// at the end of a block.
pub(crate) fn row_end<T: Real>(
    ctx: &Ctx<'_, T>,
    i: usize,
    res: &RowRes<T>,
    sums: &mut Sums<T>,
    h_text: &mut ColumnSums<'_, T>,
) {
    let p = ctx.p;
    // A row's loss is bounded by the checks, a sum of B of them is not:
    // scaled by 1 / B first, the sum stays within that bound (SPEC section
    // 7). The column direction's terms are scaled per entry already.
    sums.row.add(res.loss_r / T::from_usize(p.b));
    if ctx.cols.loss {
        sums.col.add(res.loss_c);
    }
    let a = &res.anchor;
    if a.direct_h {
        let spv = V::<T>::splat(p.row(i)[i]);
        direct_h_row(p, i, spv, [ctx.max[i], a.rel_dt], h_text.sum, h_text.comp);
    }
    if ctx.want_h {
        h_text.add_at(i, a.h_pos);
        h_text.end_row(i, p.b);
    }
}

/// Row `i` of the last pass: the row anchor's exponentials and
/// statistics, then weights of both directions, `dS`, per-row loss terms,
/// `h_image[i]`, and the row's terms of the texts' `h` added into
/// `h_part`. Touches nothing outside row `i` but `h_part`.
#[allow(clippy::too_many_lines)]
pub(crate) fn row<T: Real>(
    ctx: &Ctx<'_, T>,
    i: usize,
    prev: Prev<T>,
    out: RowSlices<'_, T>,
) -> RowRes<T> {
    let (p, spec, cols) = (ctx.p, ctx.spec, ctx.cols);
    let b = p.b;
    let (info_nce, want_h, ds_scale) = (ctx.info_nce, ctx.want_h, ctx.ds_scale);
    let RowSlices {
        ds: ds_row,
        buf,
        h_part,
        h_image,
        mut weights_image,
        mut weights_text,
    } = out;
    let row = p.row(i);
    let s_pos = row[i];
    let spv = V::<T>::splat(s_pos);
    let max = ctx.max[i];

    // exp(a - max) of the row into `buf`, and its compensated sum.
    let e_sum = exp_row(p, i, spv, max, T::ZERO, buf);
    let a: Anchor<T> = anchor::stats(spec, &ctx.logs, max, e_sum, p.zeta_t[i], prev);
    let w_sum = if a.direct {
        exp_row(p, i, spv, max, a.rel_den, buf)
    } else {
        a.scale * e_sum
    };

    // Weights of both directions, dS, losses, zeta-gradient terms.
    let scale = V::<T>::splat(a.scale);
    let rs = V::<T>::splat(ds_scale);
    let cs = V::<T>::splat(cols.ds_scale);
    let hs = V::<T>::splat(a.h_scale);
    let mut loss_r = Blocked::zero(T::ZERO);
    let mut loss_c = Blocked::zero(T::ZERO);
    let mut h_img = Blocked::zero(T::ZERO);
    // The common case (DPM with h both ways, no weights out) runs a
    // tight loop over whole blocks; the rest goes element-generic.
    let fast = !info_nce
        && cols.loss
        && want_h
        && cols.h
        && weights_image.is_none()
        && weights_text.is_none();
    let done = if fast {
        let k = Consts {
            scale,
            rs,
            cs,
            hs,
            s_pos: spv,
        };
        let accs = [&mut loss_r, &mut loss_c, &mut h_img];
        combine_blocks(k, row, buf, ds_row, cols, p.diag, h_part, accs)
    } else {
        0
    };
    chunks_from::<T>(
        done,
        b,
        #[inline(always)]
        |j, n| {
            let sv = ld(row, j, n, T::ZERO);
            let e = ld(buf, j, n, T::ZERO);
            let w = e * scale;
            let et = ld(ds_row, j, n, T::ZERO);
            let wt = et * ld(cols.scale, j, n, T::ZERO);
            let gt = wt * cs;
            w.mul_add(rs, gt).store(&mut ds_row[j..j + n]);
            if !info_nce {
                loss_r.add_mul(w, sv - spv, T::ZERO);
            }
            if cols.loss {
                loss_c.add_mul(gt, sv - ld(p.diag, j, n, T::ZERO), T::ZERO);
            }
            if want_h {
                e.mul_add(hs, ld(h_part, j, n, T::ZERO))
                    .store(&mut h_part[j..j + n]);
            }
            if cols.h {
                h_img.add_mul(et, ld(cols.h_factor, j, n, T::ZERO), T::ZERO);
            }
            if let Some(wi) = weights_image.as_deref_mut() {
                w.store(&mut wi[j..j + n]);
            }
            if let Some(wt_out) = weights_text.as_deref_mut() {
                wt.store(&mut wt_out[j..j + n]);
            }
        },
    );
    // The diagonal: minus both directions' weight sums (SPEC section 2).
    ds_row[i] = -(w_sum * ds_scale) - cols.w_sum[i] * cols.ds_scale;
    let loss_r = if info_nce {
        if let Some(wi) = weights_image {
            wi[i] = (-a.log_den).exp();
        }
        a.log_den
    } else {
        total::<T>(loss_r.finish()).value()
    };
    let loss_c = if cols.loss {
        total::<T>(loss_c.finish()).value()
    } else {
        T::ZERO
    };
    if cols.h {
        let mut t = total::<T>(h_img.finish());
        t.add(*h_image);
        *h_image = t.value();
    }
    RowRes {
        loss_r,
        loss_c,
        anchor: a,
    }
}

/// `buf[j] = exp((a[i][j] - max) - rel)` over the row (0 on the
/// diagonal); returns their compensated sum. `rel = 0` (a constant once
/// inlined): the arguments are `<= 0`, so the kernels' exp variant applies;
/// otherwise `rel` is a log term relative to the row max (the direct pass
/// of [`anchor::RESCALE_LIMIT`]). Padding lanes of the tail are 0.
#[inline(always)]
fn exp_row<T: Real>(p: &Pass<'_, T>, i: usize, s_pos: V<T>, max: T, rel: T, buf: &mut [T]) -> T {
    let row = p.row(i);
    let le0 = rel == T::ZERO;
    let shift = V::<T>::splat(max);
    let relv = V::<T>::splat(rel);
    let mut acc = Blocked::zero(T::ZERO);
    around::<T>(
        p.b,
        i,
        #[inline(always)]
        |j, n, edge| {
            let sv = ld(row, j, n, T::ZERO);
            let x = p.a_row(sv, s_pos, j, n) - shift;
            let mut e = if le0 { x.exp_le0() } else { (x - relv).exp() };
            if edge {
                if i.wrapping_sub(j) < n {
                    e = e.with_lane(i - j, T::ZERO);
                }
                e = pad(e, n, T::ZERO);
            }
            e.store(&mut buf[j..j + n]);
            acc.add(e, T::ZERO);
        },
    );
    total::<T>(acc.finish()).value()
}

/// Adds `exp((a[i][j] - max) - rel_dt)` (not on the diagonal) to the Kahan pair of
/// the texts' zeta-gradient sums: the direct path of
/// [`anchor::H_RESCALE_LIMIT`].
fn direct_h_row<T: Real>(
    p: &Pass<'_, T>,
    i: usize,
    s_pos: V<T>,
    [max, rel_dt]: [T; 2],
    sum: &mut [T],
    comp: &mut [T],
) {
    let row = p.row(i);
    let shift = V::<T>::splat(max);
    let rel = V::<T>::splat(rel_dt);
    chunks::<T>(
        p.b,
        #[inline(always)]
        |j, n| {
            let sv = ld(row, j, n, T::ZERO);
            let mut t = ((p.a_row(sv, s_pos, j, n) - shift) - rel).exp();
            if i.wrapping_sub(j) < n {
                t = t.with_lane(i - j, T::ZERO);
            }
            let mut k = Kahan {
                sum: ld(sum, j, n, T::ZERO),
                comp: ld(comp, j, n, T::ZERO),
            };
            k.add(t);
            k.sum.store(&mut sum[j..j + n]);
            k.comp.store(&mut comp[j..j + n]);
        },
    );
}

/// Per-row constants of [`combine_blocks`].
#[derive(Clone, Copy)]
struct Consts<V> {
    scale: V,
    rs: V,
    cs: V,
    hs: V,
    s_pos: V,
}

/// The last pass over the whole blocks of `BLOCK * N` columns of a row, for
/// DPM with `h` in both directions and no weights out: fixed-size chunks
/// (no bounds checks, no per-chunk options), sums closed once per block.
/// Returns the number of columns done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn combine_blocks<T: Real>(
    k: Consts<V<T>>,
    row: &[T],
    buf: &[T],
    ds_row: &mut [T],
    cols: &Columns<'_, T>,
    diag: &[T],
    h_part: &mut [T],
    accs: [&mut Blocked<V<T>>; 3],
) -> usize {
    let n = <V<T> as Lanes>::N;
    let w = Blocked::<V<T>>::BLOCK as usize * n;
    let done = row.len() - row.len() % w;
    let [loss_r, loss_c, h_img] = accs;
    let it = row[..done]
        .chunks_exact(w)
        .zip(buf[..done].chunks_exact(w))
        .zip(ds_row[..done].chunks_exact_mut(w))
        .zip(cols.scale[..done].chunks_exact(w))
        .zip(diag[..done].chunks_exact(w))
        .zip(h_part[..done].chunks_exact_mut(w))
        .zip(cols.h_factor[..done].chunks_exact(w));
    for ((((((s, e), d), c), g), hp), hf) in it {
        for q in 0..Blocked::<V<T>>::BLOCK as usize {
            let r = q * n..(q + 1) * n;
            let sv = V::<T>::load(&s[r.clone()]);
            let e = V::<T>::load(&e[r.clone()]);
            let w = e * k.scale;
            let et = V::<T>::load(&d[r.clone()]);
            let gt = et * V::<T>::load(&c[r.clone()]) * k.cs;
            w.mul_add(k.rs, gt).store(&mut d[r.clone()]);
            loss_r.push_mul(w, sv - k.s_pos);
            loss_c.push_mul(gt, sv - V::<T>::load(&g[r.clone()]));
            e.mul_add(k.hs, V::<T>::load(&hp[r.clone()]))
                .store(&mut hp[r.clone()]);
            h_img.push_mul(et, V::<T>::load(&hf[r]));
        }
        loss_r.end_block(T::ZERO);
        loss_c.end_block(T::ZERO);
        h_img.end_block(T::ZERO);
    }
    done
}
