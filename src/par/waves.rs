//! The schedule of a parallel pass over the rows of `S`: waves of row
//! blocks computed on rayon's workers, each block's order-sensitive
//! results folded in afterwards, in block order, on one worker.
//!
//! A block is [`ROWS`] consecutive rows, the block of the serial column
//! sums ([`crate::simd::ColumnSums`] flushes its plain partial sums into
//! the compensated pair every `ROWS` rows). A wave is up to [`WAVE`]
//! blocks. While the blocks of wave `w` run in parallel, each with its own
//! slot of scratch (partial column sums, a row buffer), one task folds the
//! blocks of wave `w - 1` in order, from the other half of the slots: so
//! every fold (Kahan updates, loss sums, state writes) sees the same
//! operands in the same order as the serial pass, whatever the number of
//! threads, and the fold overlaps the next wave instead of stopping it.
//! The same task then cuts the outputs of the wave after (`Order::make`,
//! which also reads the anchors' state in order), so the workers never
//! wait for that either.

use crate::{
    Real,
    simd::{Blocked, V},
};
use core::ops::Range;
use rayon::prelude::*;

/// Rows per block: the serial column sums' flush period.
pub(crate) const ROWS: usize = 4;

// The blocks here must be the serial column sums' blocks, for both types.
const _: () = assert!(Blocked::<V<f32>>::BLOCK as usize == ROWS);
const _: () = assert!(Blocked::<V<f64>>::BLOCK as usize == ROWS);

/// Blocks per wave.
pub(crate) const WAVE: usize = 32;

/// Blocks of a batch of `b` rows in one wave (fewer than [`WAVE`] only for
/// small batches).
pub(crate) const fn wave_len(b: usize) -> usize {
    let blocks = b.div_ceil(ROWS);
    if blocks < WAVE { blocks } else { WAVE }
}

/// The in-order side of a pass: cuts the outputs into blocks, and folds
/// each computed block into the results.
pub(crate) trait Order<T>: Send {
    /// One block's work: its rows' output slices and results.
    type Item: Send;

    /// The item of the next block, rows `rows` (called in block order).
    fn make(&mut self, rows: Range<usize>) -> Self::Item;

    /// Folds a computed block into the results (called in block order);
    /// `slot` is the scratch its computation used.
    fn flush(&mut self, item: Self::Item, slot: &mut [T]);
}

/// Runs the blocks of `0..b` rows through `compute` in parallel waves and
/// through `order.flush` in block order; `slots` holds `2 * wave_len(b)`
/// slots of `slot_len` elements.
pub(crate) fn run<T, O, C>(b: usize, slots: &mut [T], slot_len: usize, order: &mut O, compute: &C)
where
    T: Real,
    O: Order<T>,
    C: Fn(&mut O::Item, &mut [T]) + Sync,
{
    let blocks = b.div_ceil(ROWS);
    let wave = wave_len(b);
    let (even, odd) = slots[..2 * wave * slot_len].split_at_mut(wave * slot_len);
    let mut halves = [even, odd];
    // The items of wave `w + 1` are cut while wave `w` computes, on the
    // in-order side (they read state in order).
    let make = |order: &mut O, first: usize| {
        let mut items: [Option<O::Item>; WAVE] = core::array::from_fn(|_| None);
        let m = (blocks - first).min(wave);
        for (q, it) in items[..m].iter_mut().enumerate() {
            let k = first + q;
            *it = Some(order.make(k * ROWS..((k + 1) * ROWS).min(b)));
        }
        (items, m)
    };
    let (mut items, mut m) = make(order, 0);
    let mut pending: Option<[Option<O::Item>; WAVE]> = None;
    let mut next = 0;
    let mut w = 0;
    loop {
        if m == 0 && pending.is_none() {
            break;
        }
        let [h0, h1] = &mut halves;
        let (cur, old) = if w % 2 == 0 { (h0, h1) } else { (h1, h0) };
        let prev = pending.take();
        let ((), (following, m_next)) = rayon::join(
            || {
                items[..m]
                    .par_iter_mut()
                    .zip(cur.par_chunks_mut(slot_len))
                    .for_each(|(it, slot)| {
                        if let Some(it) = it {
                            compute(it, slot);
                        }
                    });
            },
            || {
                for (it, slot) in prev.into_iter().flatten().zip(old.chunks_mut(slot_len)) {
                    if let Some(it) = it {
                        order.flush(it, slot);
                    }
                }
                make(order, next + m)
            },
        );
        pending = (m > 0).then_some(core::mem::replace(&mut items, following));
        next += m;
        m = m_next;
        w += 1;
    }
}

/// Cuts the first `len` elements off `rest` (a slice cursor, hence the
/// double reference).
#[allow(clippy::mut_mut)]
pub(crate) fn take<'a, T>(rest: &mut &'a mut [T], len: usize) -> &'a mut [T] {
    let (head, tail) = core::mem::take(rest).split_at_mut(len);
    *rest = tail;
    head
}
