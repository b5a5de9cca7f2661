//! The first pass of the tiled steps (Flash-DPM): both directions'
//! maxima and sums in one visit of each panel of `S`, so the rows of `S`
//! are computed twice per step (here and for the outputs), not three
//! times.
//!
//! Rows are complete in a panel, so a row anchor's maximum is final
//! before its sum starts, as in the stored step. A column anchor sees its
//! rows chunk by chunk (`CHUNK` rows, in row order): each chunk's maxima
//! pass gives the chunk's column maxima; where one raises a column's
//! running maximum from `old` to `new`, the column's sum and loss sum so
//! far are multiplied by `exp(old - new)` (flushed: no subnormal) before
//! the chunk's sums pass adds its terms relative to `new`. The loss sums'
//! factor `sigma` depends on the largest `|S|`, also running (from the
//! diagonal's, which every column's loss terms read): where a chunk
//! changes it, every loss sum so far is multiplied by the ratio (a power
//! of two). The chunks and their order do not depend on the panel
//! height or the engine, so the serial and parallel tiled steps agree bit
//! for bit; against the stored step a column's sum is off by a few
//! roundings per raise of its maximum (SPEC section 7's bound).

use super::{
    anchor,
    bimodal::{MaximaOrder, SumsOrder, gather_both, mat, maxima_rows, sums_rows},
    panels::{Panels, ranges as panel_ranges},
    passes::Losses,
    rows::Mat,
    schedule::Sched,
    workspace::{Bimodal, Pair},
};
use crate::{
    Real,
    lanes::{
        Lanes,
        dispatch::{Isa, Kernel, on},
        exp::{exp0_scalar, flush},
        sum::{Check, Scan},
    },
};
use core::{marker::PhantomData, ops::Range};

/// Rows per chunk: a divisor of the tiled steps' panel height (96).
pub(crate) const CHUNK: usize = 24;

/// Gathers the candidates' zeta and the diagonal as
/// [`super::bimodal::prepare`] does, then runs the maxima and the sums of
/// both directions chunk by chunk, reading `S` from `panels` (whose
/// height is a multiple of [`CHUNK`]). Returns the check of the scores;
/// the sums are meaningful only when it is [`Scan::Finite`] (after a
/// non-finite chunk only maxima run). `info_nce`: per direction (row,
/// column), whether it is InfoNCE's (whose loss is not a sum over
/// entries). Writes only `ws` (`ws.cols.sum` holds a chunk's column
/// maxima).
#[allow(clippy::too_many_arguments)] // both directions' inputs, named
pub(crate) fn prepare<T: Real, P: Panels<T>>(
    isa: Isa,
    sched: Sched,
    panels: &mut P,
    b: usize,
    zeta: [Option<&[T]>; 2],
    cand_ids: [&[usize]; 2],
    tau: [T; 2],
    info_nce: [bool; 2],
    ws: &mut Bimodal<'_, T>,
) -> Scan<T> {
    debug_assert!(panels.height().is_multiple_of(CHUNK));
    gather_both(panels, zeta, cand_ids, ws);
    on(
        isa,
        Online {
            sched,
            panels,
            b,
            tau,
            losses: Losses {
                row: !info_nce[0],
                col: !info_nce[1],
            },
            ws,
        },
    )
}

struct Online<'p, 'w, 'v, T, P> {
    sched: Sched,
    panels: &'p mut P,
    b: usize,
    tau: [T; 2],
    losses: Losses,
    ws: &'w mut Bimodal<'v, T>,
}

impl<T: Real, P: Panels<T>> Kernel<T> for Online<'_, '_, '_, T, P> {
    type Output = Scan<T>;

    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) -> Scan<T> {
        let Online {
            sched,
            panels,
            b,
            tau,
            losses,
            ws,
        } = self;
        let Bimodal {
            zeta_t,
            zeta_i,
            diag,
            rows,
            cols,
            col_sum,
            col_loss,
            slots,
            ..
        } = ws;
        let m = mat(&[], b, zeta_t, zeta_i, diag, tau, T::ONE);
        cols.max.fill(T::NEG_INFINITY);
        col_sum.clear();
        col_loss.clear();
        let mut check = Check::<L>::new();
        // The running largest |S| and its sigma (0 before the first chunk).
        // It starts from the diagonal's: a column's loss terms are
        // `e sigma (S[i][j] - S[j][j])`, and `S[j][j]` is known from the
        // start though its row may come in a later chunk; a sigma from
        // the rows seen so far alone let a large later positive overflow
        // the column's loss sum (found by an adversarial review). The
        // final sigma is the stored step's either way. (A non-finite
        // diagonal is refused after this pass: it is left out here.)
        let mut max_abs = diag
            .iter()
            .map(|v| v.abs())
            .filter(|&a| a < T::INFINITY)
            .fold(T::ZERO, T::max);
        let mut sigma = T::ZERO;
        let mut finite = true;
        for (p0, p1) in panel_ranges(b, panels.height()) {
            let panel = panels.scores(p0, p1);
            for r0 in (p0..p1).step_by(CHUNK) {
                let r1 = (r0 + CHUNK).min(p1);
                let m = Mat {
                    s: &panel[(r0 - p0) * b..(r1 - p0) * b],
                    row0: r0,
                    ..m
                };
                // Maxima: the chunk's rows' (final), its columns' into
                // `cols.sum`, its check.
                let chunk =
                    chunk_maxima::<L>(sched, &m, r0..r1, &mut rows.max[r0..r1], cols.sum, slots);
                check.merge(chunk);
                match chunk.finish() {
                    Scan::Finite { max_abs: c, .. } => max_abs = max_abs.max(c),
                    Scan::NonFinite => finite = false,
                }
                if !finite {
                    // Refused after this pass: only the maxima go on (the
                    // checks read the flushed scores of every panel).
                    continue;
                }
                let s_new = anchor::sigma(max_abs, b);
                if sigma != T::ZERO && s_new != sigma {
                    rescale_losses(&mut rows.loss[..r0], col_loss, s_new, sigma);
                }
                sigma = s_new;
                raise_maxima(cols.max, cols.sum, [col_sum, col_loss]);

                // Sums, relative to the columns' running maxima.
                let m = Mat { sigma, ..m };
                let row_out = (&mut rows.sum[r0..r1], &mut rows.loss[r0..r1]);
                let maxima = (losses, &*rows.max, &*cols.max);
                chunk_sums::<L>(sched, &m, maxima, row_out, [col_sum, col_loss], slots);
            }
        }
        check.finish()
    }
}

/// The maxima pass over the rows of `m` (one chunk): their maxima into
/// `rowmax`, the chunk's column maxima into `colmax`; returns its check.
#[cfg_attr(dpm_inline, inline(always))]
fn chunk_maxima<L: Lanes>(
    sched: Sched,
    m: &Mat<'_, L::Scalar>,
    rows: Range<usize>,
    rowmax: &mut [L::Scalar],
    colmax: &mut [L::Scalar],
    slots: &mut [L::Scalar],
) -> Check<L> {
    colmax.fill(L::Scalar::NEG_INFINITY);
    let mut order = MaximaOrder::<L> {
        rowmax,
        colmax,
        check: Check::new(),
    };
    maxima_rows(sched, m, rows, &mut order, (slots, 2 * m.cols));
    order.check
}

/// The sums pass over the rows of `m` (one chunk, from `m.row0`), each
/// relative to the maxima `(rowmax, colmax)`: the rows' sums and loss
/// sums into `row_out`, the columns' added to their pairs.
#[allow(clippy::type_complexity)] // two named pairs of slices
#[cfg_attr(dpm_inline, inline(always))]
fn chunk_sums<L: Lanes>(
    sched: Sched,
    m: &Mat<'_, L::Scalar>,
    maxima: (Losses, &[L::Scalar], &[L::Scalar]),
    (sum, loss): (&mut [L::Scalar], &mut [L::Scalar]),
    [col_sum, col_loss]: [&mut Pair<'_, L::Scalar>; 2],
    slots: &mut [L::Scalar],
) {
    let rows = m.row0..m.row0 + sum.len();
    let mut order = SumsOrder::<L> {
        sum,
        loss,
        cols: Some((col_sum.reborrow(), col_loss.reborrow())),
        b: m.cols,
        _l: PhantomData,
    };
    sums_rows(sched, m, rows, maxima, &mut order, (slots, 2 * m.cols));
}

/// The loss sums so far (the rows' `row_loss`, the columns' pair) from
/// `sigma` to `s_new`, both powers of two: exact but for what drops below
/// the smallest normal number (flushed).
fn rescale_losses<T: Real>(row_loss: &mut [T], col_loss: &mut Pair<'_, T>, s_new: T, sigma: T) {
    let ((_, e_new), (_, e_old)) = (s_new.frexp(), sigma.frexp());
    let k = e_new - e_old;
    for v in row_loss
        .iter_mut()
        .chain(col_loss.sum.iter_mut())
        .chain(col_loss.comp.iter_mut())
    {
        *v = flush(v.scalbn(k));
    }
}

/// Merges a chunk's column maxima `part` into the running `max` (the
/// lane maximum's rule: the old value only where strictly larger), and
/// where a maximum rises from a finite value, multiplies the column's
/// pairs (sum and compensation) by `exp(old - new)`, flushed.
fn raise_maxima<T: Real>(max: &mut [T], part: &[T], pairs: [&mut Pair<'_, T>; 2]) {
    let [p, q] = pairs;
    for (j, (mx, &pt)) in max.iter_mut().zip(part).enumerate() {
        let old = *mx;
        let new = if old > pt { old } else { pt };
        if new > old && old > T::NEG_INFINITY {
            let f = exp0_scalar(old - new);
            for v in [&mut p.sum[j], &mut p.comp[j], &mut q.sum[j], &mut q.comp[j]] {
                *v = flush(*v * f);
            }
        }
        *mx = new;
    }
}
