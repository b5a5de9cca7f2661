//! The three passes over `S` on rayon's workers ([`Waves`]), each
//! bit-identical to its serial twin in `crate::simd`. The maxima need no
//! order: up to `2 * WAVE` ranges of rows run at once, each with its
//! slot of column maxima, merged range by range at the end. The other two
//! run in waves of 4-row blocks ([`waves::run`]):
//!
//! | pass | per block (parallel) | in block order (one task) |
//! |---|---|---|
//! | exp | `dS` rows of the column direction; the block's column sums into its slot | the slot flushed into the Kahan pairs |
//! | rows | everything of `simd::row::row` per row: `dS`, weights, `h_image`, the texts' `h` partial sums into its slot | loss sums, image-anchor state writes, the texts' `h` Kahan pairs |
//!
//! A slot is `2 b` elements: a partial column-sum vector, then a row
//! buffer.

use super::waves::{self, Order, ROWS, take};
use crate::{
    Real,
    simd::{
        ColumnSums, MaxAbs, V,
        anchor::{self, Prev},
        bimodal::{Pass, Passes},
        column,
        row::{self, Columns, Ctx, RowOut, RowRes, RowSlices, Rows, Sums},
    },
    state::AnchorState,
    sum::Sum,
};
use rayon::prelude::*;

/// Elements of one slot for a batch of `b`.
pub(crate) const fn slot_len(b: usize) -> usize {
    b.saturating_mul(2)
}

/// The passes on rayon's workers, over caller scratch for the slots.
pub(crate) struct Waves<'a, T> {
    slots: &'a mut [T],
}

impl<'a, T> Waves<'a, T> {
    pub(crate) fn new(slots: &'a mut [T]) -> Self {
        Waves { slots }
    }
}

impl<T: Real> Passes<T> for Waves<'_, T> {
    fn maxima(&mut self, p: &Pass<'_, T>, rowmax: &mut [T], colmax: &mut [T]) -> Option<T> {
        // Maxima merge exactly however the rows are grouped (see
        // `column::merge_max`), so this pass needs no 4-row blocks: a
        // few ranges of rows, one slot each, merged in order at the end.
        let b = p.b;
        let len = slot_len(b);
        let ranges = 2 * waves::wave_len(b);
        let rows = b.div_ceil(ranges);
        let mut checks = [MaxAbs::<V<T>>::new(T::ZERO); 2 * waves::WAVE];
        rowmax
            .par_chunks_mut(rows)
            .zip(self.slots.par_chunks_mut(len))
            .zip(checks.par_iter_mut())
            .enumerate()
            .for_each(|(k, ((rm, slot), check))| {
                let part = &mut slot[..b];
                part.fill(T::NEG_INFINITY);
                column::maxima_rows(p, k * rows, rm, part, check);
            });
        colmax.fill(T::NEG_INFINITY);
        let mut check = MaxAbs::new(T::ZERO);
        for (slot, c) in self.slots.chunks(len).zip(&checks).take(b.div_ceil(rows)) {
            column::merge_max(colmax, &slot[..b]);
            check.merge(*c);
        }
        check.finish()
    }

    fn exp_pass(
        &mut self,
        p: &Pass<'_, T>,
        colmax: &[T],
        ds: &mut [T],
        sums: &mut ColumnSums<'_, T>,
    ) {
        let b = p.b;
        sums.clear();
        let mut order = ExpOrder {
            b,
            ds,
            sum: &mut *sums.sum,
            comp: &mut *sums.comp,
        };
        let compute = |it: &mut ExpItem<'_, T>, slot: &mut [T]| {
            let part = &mut slot[..b];
            part.fill(T::ZERO);
            for (k, ds_row) in it.ds.chunks_exact_mut(b).enumerate() {
                column::exp_row(p, colmax, it.i0 + k, ds_row, part);
            }
        };
        waves::run(b, self.slots, slot_len(b), &mut order, &compute);
    }

    fn rows(
        &mut self,
        p: &Pass<'_, T>,
        rows: Rows<'_, '_, '_, T>,
        cols: &Columns<'_, T>,
        ds: &mut [T],
        out: RowOut<'_, T>,
    ) -> Sums<T> {
        let b = p.b;
        let ctx = Ctx::new(p, rows.spec, rows.max, cols);
        let RowOut {
            mut h_text,
            h_image,
            weights_image,
            weights_text,
            ..
        } = out;
        if ctx.want_h() {
            h_text.clear();
        }
        let mut order = RowOrder {
            ctx: &ctx,
            ds,
            weights_image,
            weights_text,
            h_image,
            state: rows.state,
            sums: Sums {
                row: Sum::ZERO,
                col: Sum::ZERO,
            },
            h_sum: h_text.sum,
            h_comp: h_text.comp,
        };
        let want_h = ctx.want_h();
        let compute = |it: &mut RowItem<'_, T>, slot: &mut [T]| {
            let (h_part, buf) = slot.split_at_mut(b);
            if want_h {
                h_part.fill(T::ZERO);
            }
            let mut wi = it.weights_image.as_deref_mut();
            let mut wt = it.weights_text.as_deref_mut();
            let rows = it.ds.chunks_exact_mut(b).zip(it.h_image.iter_mut());
            for (k, (ds_row, h_img)) in rows.enumerate() {
                let span = k * b..(k + 1) * b;
                it.res[k] = Some(row::row(
                    &ctx,
                    it.i0 + k,
                    it.prev[k],
                    RowSlices {
                        ds: ds_row,
                        buf: &mut *buf,
                        h_part: &mut *h_part,
                        h_image: h_img,
                        weights_image: wi.as_deref_mut().map(|w| &mut w[span.clone()]),
                        weights_text: wt.as_deref_mut().map(|w| &mut w[span]),
                    },
                ));
            }
        };
        waves::run(b, self.slots, slot_len(b), &mut order, &compute);
        order.sums
    }
}

/// A block of the column direction's exp pass.
struct ExpItem<'r, T> {
    i0: usize,
    ds: &'r mut [T],
}

struct ExpOrder<'r, T> {
    b: usize,
    ds: &'r mut [T],
    sum: &'r mut [T],
    comp: &'r mut [T],
}

impl<'r, T: Real> Order<T> for ExpOrder<'r, T> {
    type Item = ExpItem<'r, T>;

    fn make(&mut self, rows: core::ops::Range<usize>) -> Self::Item {
        ExpItem {
            i0: rows.start,
            ds: take(&mut self.ds, rows.len() * self.b),
        }
    }

    fn flush(&mut self, _: Self::Item, slot: &mut [T]) {
        ColumnSums {
            part: &mut slot[..self.b],
            sum: &mut *self.sum,
            comp: &mut *self.comp,
        }
        .flush();
    }
}

/// A block of the last pass: its rows' outputs, the anchors' `u` before
/// the step (read in order) and the rows' results (folded in order).
struct RowItem<'r, T> {
    i0: usize,
    ds: &'r mut [T],
    weights_image: Option<&'r mut [T]>,
    weights_text: Option<&'r mut [T]>,
    h_image: &'r mut [T],
    prev: [Prev<T>; ROWS],
    res: [Option<RowRes<T>>; ROWS],
}

struct RowOrder<'r, 's, 'v, T: Real> {
    ctx: &'r Ctx<'r, T>,
    ds: &'r mut [T],
    weights_image: Option<&'r mut [T]>,
    weights_text: Option<&'r mut [T]>,
    h_image: &'r mut [T],
    state: Option<(&'s mut AnchorState<'v, T>, &'r [usize])>,
    sums: Sums<T>,
    h_sum: &'r mut [T],
    h_comp: &'r mut [T],
}

impl<'r, T: Real> Order<T> for RowOrder<'r, '_, '_, T> {
    type Item = RowItem<'r, T>;

    fn make(&mut self, rows: core::ops::Range<usize>) -> Self::Item {
        let b = self.ctx.p.b;
        let cells = rows.len() * b;
        let mut prev = [Prev::Stateless; ROWS];
        if let Some((st, ids)) = self.state.as_ref() {
            for (pv, &id) in prev.iter_mut().zip(&ids[rows.clone()]) {
                *pv = Prev::of(st, id);
            }
        }
        RowItem {
            i0: rows.start,
            ds: take(&mut self.ds, cells),
            weights_image: self.weights_image.as_mut().map(|w| take(w, cells)),
            weights_text: self.weights_text.as_mut().map(|w| take(w, cells)),
            h_image: take(&mut self.h_image, rows.len()),
            prev,
            res: [None; ROWS],
        }
    }

    fn flush(&mut self, item: Self::Item, slot: &mut [T]) {
        let b = self.ctx.p.b;
        let mut h_text = ColumnSums {
            part: &mut slot[..b],
            sum: &mut *self.h_sum,
            comp: &mut *self.h_comp,
        };
        for (k, res) in item.res.iter().enumerate() {
            let Some(res) = res else { continue };
            let i = item.i0 + k;
            if let Some((st, ids)) = self.state.as_mut() {
                anchor::store(st, ids[i], res.anchor.u);
            }
            row::row_end(self.ctx, i, res, &mut self.sums, &mut h_text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Waves;
    use crate::simd::bimodal::{Prepare, Serial, prepare, scratch_len};
    use std::{vec, vec::Vec};

    /// The maxima of scores that tie at `+0` and `-0` (`a = (S - S_jj -
    /// zeta) / tau` keeps the sign: `-0 - +0 = -0`), with rows split into
    /// ranges: the maxima's bits, signs of zero included, are the serial
    /// pass's for 1, 2 and 4 threads. Merging the ranges in any other
    /// order than theirs picks other zeros.
    #[test]
    fn maxima_ranges_keep_the_serial_zeros() {
        let b = 300;
        let mut x = 12_345_u32;
        let s: Vec<f64> = (0..b * b)
            .map(|k| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if k % (b + 1) == 0 {
                    0.0
                } else {
                    [0.0, -0.0, -1.0][(x % 3) as usize]
                }
            })
            .collect();
        let ids: Vec<usize> = (0..b).collect();
        let inputs = Prepare {
            zeta: [None, None],
            cand_ids: [&ids, &ids],
            tau: [1.0, 1.0],
        };
        let mut want = vec![0.0; scratch_len(b)];
        prepare(&mut Serial, &s, b, &inputs, &mut want);
        let maxima = 7 * b..9 * b; // `rowmax`, `colmax` (`bimodal::Parts`)
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let signs = want[maxima.clone()]
            .iter()
            .filter(|x| x.is_sign_negative())
            .count();
        assert!(
            signs > 0 && signs < 2 * b,
            "the case has ties of both zeros"
        );
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            let mut got = vec![0.0; crate::par::scratch_len(b)];
            let (own, slots) = got.split_at_mut(scratch_len(b));
            pool.install(|| prepare(&mut Waves::new(slots), &s, b, &inputs, own));
            assert_eq!(bits(&own[maxima.clone()]), bits(&want[maxima.clone()]));
        }
    }
}
