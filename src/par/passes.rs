//! The three passes over `S` on rayon's workers ([`Waves`]), each
//! bit-identical to its serial twin in `crate::simd`:
//!
//! | pass | per block (parallel) | in block order (one task) |
//! |---|---|---|
//! | maxima | row maxima; the block's column maxima and score check into its slot | `colmax = max(colmax, slot)`, checks merged |
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

/// Elements of one slot for a batch of `b`.
pub(crate) const fn slot_len(b: usize) -> usize {
    2 * b
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
        let b = p.b;
        colmax.fill(T::NEG_INFINITY);
        let mut order = MaxOrder {
            rowmax,
            colmax,
            check: MaxAbs::new(T::ZERO),
        };
        let compute = |it: &mut MaxItem<'_, T>, slot: &mut [T]| {
            let part = &mut slot[..b];
            part.fill(T::NEG_INFINITY);
            column::maxima_rows(p, it.i0, &mut *it.rowmax, part, &mut it.check);
        };
        waves::run(b, self.slots, slot_len(b), &mut order, &compute);
        order.check.finish()
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

/// A block of the maxima pass.
struct MaxItem<'r, T: Real> {
    i0: usize,
    rowmax: &'r mut [T],
    check: MaxAbs<V<T>>,
}

struct MaxOrder<'r, T: Real> {
    rowmax: &'r mut [T],
    colmax: &'r mut [T],
    check: MaxAbs<V<T>>,
}

impl<'r, T: Real> Order<T> for MaxOrder<'r, T> {
    type Item = MaxItem<'r, T>;

    fn make(&mut self, rows: core::ops::Range<usize>) -> Self::Item {
        MaxItem {
            i0: rows.start,
            rowmax: take(&mut self.rowmax, rows.len()),
            check: MaxAbs::new(T::ZERO),
        }
    }

    fn flush(&mut self, item: Self::Item, slot: &mut [T]) {
        column::merge_max(self.colmax, &slot[..self.colmax.len()]);
        self.check.merge(item.check);
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
