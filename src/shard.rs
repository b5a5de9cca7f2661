//! The DPM step sharded across ranks (processes, machines): each rank
//! runs the anchor rows of its own samples against every candidate of
//! the batch, and a collective library (MPI, NCCL, ...) carries the
//! reductions. No allocation, no `std`.
//!
//! A batch of `b` pairs is split into blocks of consecutive pairs, one
//! per rank (rows `start..start + rows` of `S`). For one step, each rank:
//!
//! 1. all-gathers the features (or computes its block of `S` otherwise)
//!    and the zeta of the batch's candidates of both populations, so
//!    that it holds `S_image = X[start..] Y^T` (its image anchors
//!    against all texts) and `S_text = Y[start..] X^T` (its text anchors
//!    against all images), `rows x b` each;
//! 2. runs [`dpm_rows`] on each: the anchors' `u` are updated in the
//!    rank's own state (it owns their ids); it gets `dS` of its rows
//!    (scaled by `1 / b`, as the whole step's), the block's share of the
//!    loss, and `h_sum`, the block's partial sums of each candidate's
//!    zeta-gradient terms;
//! 3. sums across ranks (all-reduce, or reduce-scatter by owner): each
//!    direction's `h_sum` (`b` values each), the losses, and the feature
//!    gradients `dX`, `dY` (`b x d` each), which each rank forms from its
//!    two blocks of `dS` by the chain rule (`X_r`, `Y_r` its rows): the
//!    image block gives `dX_r += dS_image Y` and `dY += dS_image^T X_r`,
//!    the text block `dY_r += dS_text X` and `dX += dS_text^T Y_r`;
//! 4. runs [`finish`] for the candidates it owns: `h` from the summed
//!    `h_sum`, then the moving average `z` and the zeta step.
//!
//! `xi` (`Offset::Xi`) is a maximum over a population's zeta: one
//! all-reduce (max) per refresh.
//!
//! With one rank (`start = 0`, `rows = b`) this is [`dpm_step`] on
//! [`Layout::Diagonal`] bit for bit (`tests/shard.rs`). With several, a
//! sum of partial sums rounds differently from one sum over every row,
//! so `h`, the losses and the feature gradients agree with the
//! single-process step within SPEC section 7's bound, not bit for bit;
//! everything per row (`u`, the weights, `dS`) is computed as in the
//! single-process general step.
//!
//! [`dpm_step`]: crate::dpm_step
//! [`Layout::Diagonal`]: crate::Layout::Diagonal

use crate::step::checks::Algo;
use crate::step::general::{Block as KernelBlock, Shape, run};
use crate::{
    AnchorState, CandidateState, DpmParams, Error, Layout, Real, StepOut, ZetaStep, check,
};

/// A rank's block of a batch of `b` pairs: rows `start..start + rows` of
/// each direction's `S`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// The pairs of the whole batch (the columns of each block of `S`).
    pub b: usize,
    /// The block's first pair in the batch.
    pub start: usize,
    /// The block's pairs (its rows).
    pub rows: usize,
}

/// What [`dpm_rows`] writes.
#[derive(Debug)]
pub struct RowsOut<'o, T> {
    /// `dS` of the block's rows, `rows x b` (overwritten), scaled by `1 / b`.
    pub ds: &'o mut [T],
    /// The block's weights, `rows x b`, if wanted.
    pub weights: Option<&'o mut [T]>,
    /// The block's partial sum of each candidate's zeta-gradient terms
    /// (length `b`, overwritten): sum these over all blocks, then
    /// [`finish`].
    pub h_sum: &'o mut [T],
}

/// One direction of a rank's block of a sharded DPM step: its `rows`
/// anchors (the batch's rows `start..start + rows`, ids `anchor_ids` in
/// `anchors`, the rank's own state) against the batch's `b` candidates
/// (ids `cand_ids` in `candidates`, whose `zeta` the rank gathered: the
/// step uses their `zeta` and writes neither `z` nor `zeta`; a candidate
/// flagged visited has its `z` checked like any state value, so gathered
/// candidates are best kept unvisited, flags 0). `scores` is
/// `rows x b` row-major; row `r`'s positive is column `start + r`. `n` is
/// the candidates' population size (SPEC section 2), which `candidates`
/// need not hold. `params.zeta_step` is checked here and applied by
/// [`finish`]. Each block needs at least 2 rows (as every step): split a
/// batch into blocks of 2 or more pairs.
///
/// Returns the block's share of the direction's loss, `(1 / b) sum` over
/// its rows: the direction's loss is the sum over all blocks.
///
/// # Errors
///
/// Those of [`dpm_step`](crate::dpm_step) on `scores` with
/// `Layout::Rows { start }` (`cols` is `b`; `row_ids` and `col_ids` are
/// `anchor_ids` and `cand_ids`), and [`Error::LengthMismatch`] for
/// `h_sum` (`what: "h"`) not `b` long; [`Error::BatchTooSmall`] if
/// `rows < 2` or `b < 2`; [`Error::InvalidLayout`] if `start + rows > b`;
/// [`Error::PopulationTooSmall`] if `n < 2`; [`Error::InvalidParameter`]
/// (`"theta"`, `"eta"`) for a bad `params.zeta_step`. On error nothing is
/// written but `scratch`.
///
/// # Example
///
/// Two ranks of a batch of 4, the image direction: each runs its two
/// rows; the summed `h_sum` is what one rank running all four rows gets.
///
/// ```
/// use dpm_core::shard::{dpm_rows, Block, RowsOut};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State};
/// let s = [0.9_f64, 0.1, 0.2, 0.0, 0.1, 0.8, 0.0, 0.3, 0.2, 0.1, 0.7, 0.1, 0.0, 0.2, 0.1, 0.9];
/// let p = DpmParams { tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch };
/// let (texts, ids) = (State::<f64, 4>::new(-0.05), [0, 1, 2, 3]); // the 4 candidates' zeta, gathered
/// let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 4, cols: 4 })];
/// let mut run = |start: usize, rows: usize, h_sum: &mut [f64]| {
///     let (mut images, mut t, mut ds) = (State::<f64, 4>::new(-0.05), texts.clone(), vec![0.0; rows * 4]);
///     let out = RowsOut { ds: &mut ds, weights: None, h_sum };
///     let block = Block { b: 4, start, rows };
///     dpm_rows(&s[start * 4..(start + rows) * 4], block, &ids[start..start + rows], &mut images.view().split().0,
///         &ids, &mut t.view().split().1, 1000, p, out, &mut scratch)
/// };
/// let (mut h0, mut h1, mut whole) = ([0.0; 4], [0.0; 4], [0.0; 4]);
/// let loss = run(0, 2, &mut h0)? + run(2, 2, &mut h1)?;
/// let loss_one_rank = run(0, 4, &mut whole)?;
/// for j in 0..4 {
///     assert!((h0[j] + h1[j] - whole[j]).abs() <= 1e-15 * whole[j].abs());
/// }
/// assert!((loss - loss_one_rank).abs() <= 1e-15 * loss_one_rank.abs());
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_rows<T: Real>(
    scores: &[T],
    block: Block,
    anchor_ids: &[usize],
    anchors: &mut AnchorState<'_, T>,
    cand_ids: &[usize],
    candidates: &mut CandidateState<'_, T>,
    n: usize,
    params: DpmParams<T>,
    out: RowsOut<'_, T>,
    scratch: &mut [T],
) -> Result<T, Error> {
    if n < 2 {
        return Err(Error::PopulationTooSmall { len: n });
    }
    check::len("h", out.h_sum.len(), block.b)?;
    if let Some(step) = params.zeta_step {
        step.check()?;
    }
    let shape = Shape {
        layout: Layout::Rows { start: block.start },
        rows: block.rows,
        cols: block.b,
        row_ids: anchor_ids,
        col_ids: cand_ids,
    };
    let params = DpmParams {
        zeta_step: None,
        ..params
    };
    let RowsOut { ds, weights, h_sum } = out;
    let out = StepOut {
        ds,
        weights,
        h: Some(h_sum),
    };
    run(
        Algo::Dpm(params),
        shape,
        scores,
        Some(anchors),
        Some(candidates),
        out,
        scratch,
        Some(KernelBlock { b: block.b, n }),
    )
}

/// Ends a sharded step for the candidates a rank owns: for each id of
/// `ids` (in `candidates`, the rank's own state) and its summed
/// `h_sum` (the sum over all blocks of [`dpm_rows`]'s, in the same order
/// as `ids`), `h = 1 - (n / (n - 1)) (1 / b) h_sum` (SPEC section 2),
/// then `z = (1 - theta) z + theta h` (`z = h` on a first visit) and
/// `zeta -= eta z`. Writes `h` to `h_out` if given.
///
/// # Errors
///
/// [`Error::BatchTooSmall`] (`b < 2`), [`Error::PopulationTooSmall`]
/// (`n < 2`), [`Error::LengthMismatch`] (`h_sum` or `h_out` not
/// `ids.len()` long), [`Error::IdOutOfRange`], [`Error::DuplicateId`]
/// (`what: "ids"`), [`Error::InvalidParameter`] (`theta`, `eta`),
/// [`Error::NonFinite`] or [`Error::Subnormal`] (`what: "h_sum"`, or a
/// state value `zeta`, `z` the update reads), [`Error::OutOfRange`]
/// (`what: "eta"`: the update would overflow). Nothing is written on
/// error.
///
/// # Example
///
/// ```
/// use dpm_core::shard::finish;
/// use dpm_core::{State, ZetaStep};
/// let mut texts = State::<f64, 8>::new(-0.05);
/// let step = ZetaStep { theta: 0.5, eta: 0.1 };
/// let mut h = [0.0; 2];
/// // Owned ids 3 and 5; their h_sum summed over all ranks of a batch of 4.
/// finish(&[3, 5], &[3.0, 5.0], 4, 8, &mut texts.view().split().1, step, Some(&mut h))?;
/// assert_eq!(h[0], 1.0 - 8.0 / 7.0 / 4.0 * 3.0);
/// assert_eq!(texts.view().zeta(3)?, -0.05 - 0.1 * h[0]); // first visit: z = h
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn finish<T: Real>(
    ids: &[usize],
    h_sum: &[T],
    b: usize,
    n: usize,
    candidates: &mut CandidateState<'_, T>,
    step: ZetaStep<T>,
    h_out: Option<&mut [T]>,
) -> Result<(), Error> {
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    if n < 2 {
        return Err(Error::PopulationTooSmall { len: n });
    }
    check::len("h_sum", h_sum.len(), ids.len())?;
    if let Some(h) = &h_out {
        check::len("h_out", h.len(), ids.len())?;
    }
    crate::step::zeta::check_finish(ids, h_sum, b, n, candidates, step)?;
    // ---- writes ----
    crate::step::zeta::finish(ids, h_sum, b, n, candidates, step, h_out);
    Ok(())
}
