//! The last pass, one row of `S` at a time: the row direction's exp pass
//! (image anchor `i`; the row stays in L1 for the next loop), its anchor
//! statistics, then one loop that turns both directions' exponentials into
//! weights, writes `dS` and accumulates the losses and zeta-gradient terms.

use super::{
    Blocked, ColumnSums, Kahan, Lanes, Pass, V,
    anchor::{self, Anchor, Slot},
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

/// Losses of the pass (sums over anchors, not yet averaged).
pub(crate) struct Sums<T> {
    pub row: Sum<T>,
    pub col: Sum<T>,
}

/// Runs the row direction and finishes both: returns the loss sums.
#[allow(clippy::too_many_lines)]
pub(crate) fn run<T: Real>(
    p: &Pass<'_, T>,
    rows: Rows<'_, '_, '_, T>,
    cols: &Columns<'_, T>,
    ds: &mut [T],
    out: RowOut<'_, T>,
) -> Sums<T> {
    let b = p.b;
    let spec = rows.spec;
    let info_nce = matches!(spec.kind, Kind::InfoNce);
    let want_h = matches!(spec.kind, Kind::Dpm { h: true, .. });
    let ds_scale = anchor::ds_scale(spec, b);
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
    if want_h {
        h_text.clear();
    }
    let logs = anchor::Logs::new(spec, b - 1);
    for (i, ds_row) in ds.chunks_exact_mut(b).enumerate() {
        let row = p.row(i);
        let s_pos = row[i];
        let spv = V::<T>::splat(s_pos);
        let max = rows.max[i];

        // exp(a - max) of the row into `buf`, and its compensated sum.
        let e_sum = exp_row(p, i, spv, max, T::ZERO, buf);
        let slot: Slot<'_, '_, T> = state.as_mut().map(|(st, ids)| (&mut **st, ids[i]));
        let a: Anchor<T> = anchor::stats(spec, &logs, max, e_sum, p.zeta_t[i], slot);
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
        let h_part = &mut *h_text.part;
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
                wt.mul_add(cs, w * rs).store(&mut ds_row[j..j + n]);
                if !info_nce {
                    loss_r.add_mul(w, sv - spv, T::ZERO);
                }
                if cols.loss {
                    loss_c.add_mul(wt, sv - ld(p.diag, j, n, T::ZERO), T::ZERO);
                }
                if want_h {
                    e.mul_add(hs, ld(h_part, j, n, T::ZERO))
                        .store(&mut h_part[j..j + n]);
                }
                if cols.h {
                    h_img.add_mul(et, ld(cols.h_factor, j, n, T::ZERO), T::ZERO);
                }
                if let Some(wi) = weights_image.as_deref_mut() {
                    w.store(&mut wi[i * b + j..i * b + j + n]);
                }
                if let Some(wt_out) = weights_text.as_deref_mut() {
                    wt.store(&mut wt_out[i * b + j..i * b + j + n]);
                }
            },
        );
        // The diagonal: minus both directions' weight sums (SPEC section 2).
        ds_row[i] = -(w_sum * ds_scale) - cols.w_sum[i] * cols.ds_scale;
        if info_nce {
            sums.row.add(a.log_den);
            if let Some(wi) = weights_image.as_deref_mut() {
                wi[i * b + i] = (-a.log_den).exp();
            }
        } else {
            sums.row.add(total::<T>(loss_r.finish()).value());
        }
        if cols.loss {
            sums.col.add(total::<T>(loss_c.finish()).value());
        }
        if a.direct_h {
            direct_h_row(p, i, spv, [max, a.rel_dt], h_text.sum, h_text.comp);
        }
        if want_h {
            let mut k = Sum::from_parts(h_text.sum[i], h_text.comp[i]);
            k.add(a.h_pos);
            (h_text.sum[i], h_text.comp[i]) = k.parts();
            h_text.end_row(i, b);
        }
        if cols.h {
            let mut t = total::<T>(h_img.finish());
            t.add(h_image[i]);
            h_image[i] = t.value();
        }
    }
    sums
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
            let wt = et * V::<T>::load(&c[r.clone()]);
            wt.mul_add(k.cs, w * k.rs).store(&mut d[r.clone()]);
            loss_r.push_mul(w, sv - k.s_pos);
            loss_c.push_mul(wt, sv - V::<T>::load(&g[r.clone()]));
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
