//! How the passes over the rows of `S` run: blocks of [`ROWS`] rows, each
//! computed with a slot of scratch (partial column sums or maxima, a row
//! buffer), then folded into the results in block order. Serially, that
//! is one slot, block after block. With `std` and [`Sched::Par`], waves of
//! up to [`WAVE`] blocks are computed on rayon's workers while one task
//! folds the wave before, in order, from the other half of the slots.
//!
//! The serial step is the parallel schedule with one worker: the same
//! blocks, the same per-block computation, the same folds in the same
//! order. So the parallel step is bit-identical to the serial one by
//! construction, for any number of threads.

use crate::Real;
use core::ops::Range;

/// Rows per block.
pub(crate) const ROWS: usize = 4;

/// Blocks per wave of the parallel schedule.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) const WAVE: usize = 32;

/// Blocks of a batch of `b` rows in one wave (fewer than [`WAVE`] only for
/// small batches).
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) const fn wave_len(b: usize) -> usize {
    let blocks = b.div_ceil(ROWS);
    if blocks < WAVE { blocks } else { WAVE }
}

/// Slots a schedule needs for `b` rows.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) const fn slots(sched: Sched, b: usize) -> usize {
    let _ = b;
    match sched {
        Sched::Serial => 1,
        #[cfg(feature = "std")]
        Sched::Par => 2 * wave_len(b),
    }
}

/// Where the blocks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sched {
    /// On the calling thread.
    Serial,
    /// On the current rayon pool's workers.
    #[cfg(feature = "std")]
    Par,
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

/// Runs the blocks of the rows `rows` (starting at a multiple of
/// [`ROWS`]: a panel of a larger matrix, or all of it) through `compute`
/// and `order.flush`; `slots` holds [`slots`]`(sched, b)` slots of
/// `slot_len` elements for a matrix of `b >= rows.end` rows.
pub(crate) fn run<T, O, C>(
    sched: Sched,
    rows: Range<usize>,
    slots: &mut [T],
    slot_len: usize,
    order: &mut O,
    compute: &C,
) where
    T: Real,
    O: Order<T>,
    C: Fn(&mut O::Item, &mut [T]) + Sync,
{
    debug_assert!(rows.start.is_multiple_of(ROWS));
    let (first, end) = (rows.start / ROWS, rows.end);
    match sched {
        Sched::Serial => {
            let slot = &mut slots[..slot_len];
            for k in first..end.div_ceil(ROWS) {
                let mut item = order.make(k * ROWS..((k + 1) * ROWS).min(end));
                compute(&mut item, slot);
                order.flush(item, slot);
            }
        }
        #[cfg(feature = "std")]
        Sched::Par => waves(first, end, slots, slot_len, order, compute),
    }
}

#[cfg(feature = "std")]
fn waves<T, O, C>(
    first: usize,
    b: usize,
    slots: &mut [T],
    slot_len: usize,
    order: &mut O,
    compute: &C,
) where
    T: Real,
    O: Order<T>,
    C: Fn(&mut O::Item, &mut [T]) + Sync,
{
    use rayon::prelude::*;
    // Blocks `first..blocks` of the rows `..b`.
    let blocks = b.div_ceil(ROWS);
    let wave = (blocks - first).min(WAVE);
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
    let (mut items, mut m) = make(order, first);
    let mut pending: Option<[Option<O::Item>; WAVE]> = None;
    let mut next = first;
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
