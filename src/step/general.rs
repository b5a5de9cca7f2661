//! One direction over a general `R x C` layout (SPEC sections 2 and 3b):
//! one direction of a bimodal batch, or a unimodal (two-view) batch.

use super::{
    Layout, StepOut, cap,
    checks::{self, Algo, Direction},
    engine::SCALAR,
    run,
};
use crate::{
    AnchorState, CandidateState, DpmParams, Error, Real, SogClrParams,
    kernel::{
        general,
        scalar::{self, Batch, Scores, Sink},
        workspace::General,
    },
    lanes::dispatch::isa,
};

/// One direction of the DPM (NUCLR) step over any [`Layout`].
///
/// `scores` is `rows x cols` (`R x C`) row-major; row `r` is an anchor
/// with dataset id `row_ids[r]` in `anchors`, column `c` a candidate with
/// id `col_ids[c]` in `candidates`. The arguments come in the order of
/// every step: the layout and the data, the sizes, the ids, the state,
/// the parameters, the outputs, the scratch. For a unimodal batch both halves come from one
/// [`StateView::split`](crate::StateView::split); for one direction of a
/// bimodal batch, the anchors' half of one view and the candidates' half of
/// the other. `n` of SPEC section 2 is the candidates' population size.
///
/// Returns the loss `(1/R) sum_r sum_{c negative} w[r][c] (S[r][c] -
/// S[r][pos r])`; writes `dS = w / R` off the positive, `-sum_c w / R` on
/// it; updates `u` of each anchor, then `z`, `zeta` of each candidate.
///
/// # Errors
///
/// [`Error::BatchTooSmall`] (fewer than 2 rows or columns),
/// [`Error::InvalidLayout`], [`Error::LengthMismatch`] (`row_ids` not
/// `rows` long, `col_ids` not `cols` long, and the slices of
/// [`dpm_bimodal`](crate::dpm_bimodal)), and every error of
/// [`dpm_bimodal`](crate::dpm_bimodal), with the ids named `row_ids`,
/// `col_ids`. On error no output and no state is written (`scratch` may
/// be).
///
/// # Example
///
/// ```
/// use dpm_core::{dpm_step, DpmParams, FirstVisit, Layout, Offset, State, StepOut};
/// // SimCLR-style: two views of B = 2 samples, rows = columns = 4.
/// let s = [
///     1.0_f64, 0.1, 0.9, 0.2, //
///     0.1, 1.0, 0.3, 0.8, //
///     0.9, 0.3, 1.0, 0.1, //
///     0.2, 0.8, 0.1, 1.0,
/// ];
/// let ids = [0, 1, 2, 3]; // one id per view
/// let mut st = State::<f64, 10>::new(-0.05);
/// let mut view = st.view();
/// let (anchors, candidates) = view.split();
/// let p = DpmParams {
///     tau: 0.1, gamma: 0.9, offset: Offset::Vanilla, zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let (mut ds, mut scratch) = ([0.0; 16], [0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 4, cols: 4 })]);
/// let loss = dpm_step(Layout::TwoView, &s, ids.len(), ids.len(), &ids, &ids, anchors, candidates, p, StepOut::new(&mut ds), &mut scratch)?;
/// assert!(loss < 0.0);
/// assert_eq!(ds[0], 0.0); // a row never weighs itself
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_step<T: Real>(
    layout: Layout<'_>,
    scores: &[T],
    rows: usize,
    cols: usize,
    row_ids: &[usize],
    col_ids: &[usize],
    anchors: &mut AnchorState<'_, T>,
    candidates: &mut CandidateState<'_, T>,
    params: DpmParams<T>,
    out: StepOut<'_, T>,
    scratch: &mut [T],
) -> Result<T, Error> {
    let shape = Shape {
        layout,
        rows,
        cols,
        row_ids,
        col_ids,
    };
    run(
        Algo::Dpm(params),
        shape,
        scores,
        Some(anchors),
        Some(candidates),
        out,
        scratch,
        None,
    )
}

/// One direction of the SogCLR (GCL) step over any [`Layout`]: `rows`
/// anchors (`row_ids`) against `cols` candidates (zeta = 0, no offset, so
/// no candidate ids or state).
///
/// # Errors
///
/// As [`dpm_step`].
///
/// # Example
///
/// ```
/// use dpm_core::{sogclr_step, FirstVisit, Layout, SogClrParams, State, StepOut};
/// let mut st = State::<f32, 4>::new(0.0);
/// let mut view = st.view();
/// let p = SogClrParams { tau: 0.5, gamma: 1.0, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0_f32; 4], [0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 2, cols: 2 })]);
/// let loss = sogclr_step(Layout::Diagonal, &[1.0, 0.0, 0.0, 1.0], 2, 2, &[0, 1], view.split().0, p, StepOut::new(&mut ds), &mut scratch)?;
/// assert_eq!(loss, -1.0); // one negative per row: weight 1, margin -1
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sogclr_step<T: Real>(
    layout: Layout<'_>,
    scores: &[T],
    rows: usize,
    cols: usize,
    row_ids: &[usize],
    anchors: &mut AnchorState<'_, T>,
    params: SogClrParams<T>,
    out: StepOut<'_, T>,
    scratch: &mut [T],
) -> Result<T, Error> {
    let shape = Shape {
        layout,
        rows,
        cols,
        row_ids,
        col_ids: &[],
    };
    run(
        Algo::SogClr(params),
        shape,
        scores,
        Some(anchors),
        None,
        out,
        scratch,
        None,
    )
}

/// One direction of InfoNCE over any [`Layout`]: `mean_r (logsumexp over
/// the row's positive and negatives of S/tau - S[r][pos]/tau)`, its exact
/// gradient, and the softmax weights (positive included).
///
/// # Errors
///
/// As [`dpm_step`] without the state errors.
///
/// # Example
///
/// ```
/// use dpm_core::{infonce_step, Layout, StepOut};
/// let (mut ds, mut scratch) = ([0.0_f64; 4], [0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 2, cols: 2 })]);
/// let loss = infonce_step(Layout::Diagonal, &[2.0, 0.0, 0.0, 2.0], 2, 2, 1.0, StepOut::new(&mut ds), &mut scratch)?;
/// assert!((loss - ((-2.0_f64).exp().ln_1p())).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn infonce_step<T: Real>(
    layout: Layout<'_>,
    scores: &[T],
    rows: usize,
    cols: usize,
    tau: T,
    out: StepOut<'_, T>,
    scratch: &mut [T],
) -> Result<T, Error> {
    let shape = Shape {
        layout,
        rows,
        cols,
        row_ids: &[],
        col_ids: &[],
    };
    run(
        Algo::InfoNce { tau },
        shape,
        scores,
        None,
        None,
        out,
        scratch,
        None,
    )
}

#[derive(Clone, Copy)]
pub(crate) struct Shape<'a> {
    pub layout: Layout<'a>,
    pub rows: usize,
    pub cols: usize,
    pub row_ids: &'a [usize],
    pub col_ids: &'a [usize],
}

impl Shape<'_> {
    /// The sizes, the layout, and the ids' lengths where the step reads
    /// ids (`anchors`: the rows', `candidates`: the columns').
    fn check(&self, anchors: bool, candidates: bool) -> Result<(), Error> {
        let (rows, cols) = (self.rows, self.cols);
        if rows < 2 || cols < 2 {
            return Err(Error::BatchTooSmall {
                len: rows.min(cols),
            });
        }
        self.layout.check(rows, cols)?;
        if anchors {
            checks::len("row_ids", self.row_ids.len(), rows)?;
        }
        if candidates {
            checks::len("col_ids", self.col_ids.len(), cols)?;
        }
        Ok(())
    }
}

/// A call that runs one block of a batch's rows ([`crate::shard`]): the
/// batch's rows `b` for `1 / R`, the candidates' population `n` (their
/// state here holds only the gathered candidates), `h` left as partial
/// sums, no zeta step.
#[derive(Clone, Copy)]
pub(crate) struct Block {
    pub b: usize,
    pub n: usize,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Real>(
    algo: Algo<T>,
    shape: Shape<'_>,
    scores: &[T],
    mut anchors: Option<&mut AnchorState<'_, T>>,
    mut candidates: Option<&mut CandidateState<'_, T>>,
    out: StepOut<'_, T>,
    scratch: &mut [T],
    block: Option<Block>,
) -> Result<T, Error> {
    // ---- checks: no output or state is written above "writes" ----
    let Shape {
        layout,
        rows,
        cols,
        row_ids,
        col_ids,
    } = shape;
    shape.check(anchors.is_some(), candidates.is_some())?;
    let cells = checks::cells("scores", rows, cols)?;
    checks::len("scores", scores.len(), cells)?;
    checks::len("ds", out.ds.len(), cells)?;
    if let Some(w) = &out.weights {
        checks::len("weights", w.len(), cells)?;
    }
    if let Some(h) = &out.h {
        checks::len("h", h.len(), cols)?;
    }
    checks::at_least(
        "scratch",
        scratch.len(),
        crate::scratch_len(crate::Scratch::Step { rows, cols }),
    )?;
    let kernel_shape = general::Shape { layout, rows, cols };
    let isa = isa();
    let simd = crate::lanes::LANES;
    let mut ws = simd.then(|| General::carve(scratch, rows, cols));
    let scan = match ws.as_mut() {
        Some(ws) => {
            let zeta = candidates.as_deref().map(|c| &*c.zeta);
            general::prepare(isa, scores, kernel_shape, zeta, col_ids, algo.tau(), ws)
        }
        None => checks::scan(scores),
    };
    let max_abs_score = checks::scores("scores", scores, scan)?;
    Direction {
        algo,
        rows,
        cols,
        h_out: out.h.is_some(),
        max_abs_score,
        anchor_ids: ("row_ids", row_ids),
        cand_ids: ("col_ids", col_ids),
        anchors: anchors.as_deref_mut(),
        candidates: candidates.as_deref_mut(),
        n: block.map(|k| k.n),
    }
    .check()?;

    // ---- writes ----
    let n = candidates.as_ref().map_or(0, |c| c.population());
    let mut spec = algo.spec(n, T::ONE, out.h.is_some());
    if let Some(k) = block {
        (spec.n, spec.batch_rows, spec.partial_h) = (k.n, k.b, true);
    }
    let StepOut { ds, mut weights, h } = out;
    let (loss, h_done) = if let Some(ws) = ws {
        let loss = general::run(
            isa,
            scores,
            kernel_shape,
            max_abs_score,
            spec,
            row_ids,
            anchors,
            ds,
            weights.as_deref_mut(),
            ws,
        );
        (loss, General::carve(scratch, rows, cols).h.sum)
    } else {
        let (h_vals, acc) = scratch[..SCALAR * cols].split_at_mut(cols);
        let batch = Batch {
            layout,
            rows,
            cols,
            anchor_ids: row_ids,
            cand_ids: col_ids,
        };
        let sink = Sink {
            ds,
            add: false,
            weights: weights.as_deref_mut(),
            h: Some(&mut *h_vals),
            h_acc: acc,
        };
        let zeta = candidates.as_deref().map(|c| &*c.zeta);
        let loss = scalar::run(
            &spec,
            &batch,
            Scores::rows(scores, cols),
            anchors,
            zeta,
            sink,
        );
        (loss, h_vals)
    };
    if let Some(w) = weights {
        cap::rows(w, cols, algo.gamma());
    }
    run::finish(algo, spec, candidates, col_ids, &h_done[..cols], h);
    Ok(loss)
}
