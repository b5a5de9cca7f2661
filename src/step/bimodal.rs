//! Both directions of a bimodal batch from one row-major `S` (SPEC section
//! 3), without a transposed copy.

use super::engine::Engine;
use super::{
    BimodalOut, DpmParams, Layout, Losses, SogClrParams, ZetaStep,
    checks::{self, Algo, Direction},
    kernel::{self, Batch, Kind, Scores, Sink, Spec},
    zeta,
};
use crate::{AnchorState, CandidateState, Error, Real, StateView, simd};

/// Scratch elements a bimodal step over `b` pairs needs: `14 b`,
/// saturating at `usize::MAX` (no slice is that long, so a batch that
/// large is refused, never given a wrapped, small size).
///
/// The SIMD kernels keep fourteen per-column vectors (candidates' zeta, the
/// diagonal of `S`, row and column maxima, the column sums and the factors
/// they become, a row buffer, blocked and compensated column sums); the scalar
/// reference of [`crate::scalar`] needs `4 b` of it. Memory: `56 b` bytes in
/// `f32` (56 KiB at `b = 1024`).
///
/// # Example
///
/// ```
/// assert_eq!(dpm_core::bimodal_scratch_len(64), 896);
/// const SCRATCH: usize = dpm_core::bimodal_scratch_len(16);
/// let scratch = [0.0_f32; SCRATCH];
/// # let _ = scratch;
/// ```
#[must_use]
pub const fn bimodal_scratch_len(b: usize) -> usize {
    simd::bimodal::scratch_len(b)
}

/// The DPM (NUCLR) step on a bimodal batch: image-to-text on the rows of
/// `S`, text-to-image on its columns, summed (SPEC sections 2 and 3).
///
/// `scores` is `S`, `B x B` row-major, `S[i][j]` the score of image `i`
/// against text `j` (higher = more compatible; pair `i` on the diagonal).
/// The images' state (`u` as anchors, `zeta`/`z` as candidates) is in
/// `image`, the texts' in `text`; `params` is `[image_to_text,
/// text_to_image]` (the first direction's offset bound is the texts' xi,
/// its eta the texts' step size, and the reverse).
///
/// Writes `dS` (and any weights and `h` asked for in `out`), updates `u` of
/// every anchor, then `z` and `zeta` of every candidate (if the direction
/// has a [`ZetaStep`](crate::ZetaStep)), and returns the loss of SPEC
/// section 2, summed over the directions. All terms use zeta as it was
/// before the call.
///
/// # Errors
///
/// Every precondition of SPEC section 7, checked before any output or
/// state is written (`scratch` may be: the first pass over `S` runs
/// among the checks): [`Error::BatchTooSmall`] (B < 2),
/// [`Error::LengthMismatch`] (`text_ids`, `scores`, `ds`, a weights or
/// `h` slice, or `scratch` shorter than [`bimodal_scratch_len`]),
/// [`Error::IdOutOfRange`], [`Error::DuplicateId`],
/// [`Error::InvalidParameter`] (`tau` or `1 / tau` not a positive normal
/// number, `gamma` or `theta` outside `(0, 1]` or subnormal, `eta`
/// negative, subnormal or not finite, `xi` not finite),
/// [`Error::NonFinite`] (a score, or a state value this batch reads),
/// [`Error::OutOfRange`] (finite values so large that an intermediate
/// would overflow).
///
/// # Example
///
/// ```
/// use dpm_core::{dpm_bimodal, BimodalOut, DpmParams, FirstVisit, Offset, State, ZetaStep};
/// let mut images = State::<f32, 100>::new(-0.05)?;
/// let mut texts = State::<f32, 100>::new(-0.05)?;
/// let s = [0.9_f32, 0.1, 0.2, 0.8]; // B = 2 cosine scores
/// let p = DpmParams {
///     tau: 0.05,
///     gamma: 0.8,
///     offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-3 }),
///     first_visit: FirstVisit::Batch,
/// };
/// let mut ds = [0.0_f32; 4];
/// let mut scratch = [0.0_f32; dpm_core::bimodal_scratch_len(2)];
/// let loss = dpm_bimodal(
///     &s, &[3, 7], &[3, 7],
///     &mut images.view(), &mut texts.view(),
///     [p, p], BimodalOut::new(&mut ds), &mut scratch,
/// )?;
/// assert!(loss.total < 0.0); // negatives score below their positives
/// assert!(ds[1] > 0.0 && ds[0] < 0.0); // push negatives down, positives up
/// assert!(images.view().log_s(3)?.is_some()); // visited now
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal<T: Real>(
    scores: &[T],
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: [DpmParams<T>; 2],
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    dpm_on(
        Engine::Simd,
        scores,
        image_ids,
        text_ids,
        image,
        text,
        params,
        out,
        scratch,
    )
}

/// The SogCLR (GCL) step on a bimodal batch: DPM with `zeta = 0`, no
/// offset and no zeta update (SPEC section 4), both directions summed.
///
/// Arguments as [`dpm_bimodal`]; only `u` of the states is read and
/// written, and `h_image`, `h_text` of `out` are left untouched.
///
/// # Errors
///
/// As [`dpm_bimodal`].
///
/// # Example
///
/// ```
/// use dpm_core::{sogclr_bimodal, BimodalOut, FirstVisit, SogClrParams, State};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0)?, State::<f64, 4>::new(0.0)?);
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0; 4], [0.0; dpm_core::bimodal_scratch_len(2)]);
/// let loss = sogclr_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), p, BimodalOut::new(&mut ds), &mut scratch,
/// )?;
/// // First visit, one negative per row: each weight is exactly 1.
/// assert!((loss.total - 2.0 * -1.0).abs() < 1e-12);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sogclr_bimodal<T: Real>(
    scores: &[T],
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: SogClrParams<T>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    sogclr_on(
        Engine::Simd,
        scores,
        image_ids,
        text_ids,
        image,
        text,
        params,
        out,
        scratch,
    )
}

/// InfoNCE / CLIP on a bimodal batch of `b` pairs: the softmax over all
/// columns (rows) including the positive, no state (SPEC section 4).
///
/// `total` is the MEAN of the two directions, each
/// `mean_i (logsumexp_j S[i][j]/tau - S[i][i]/tau)` (CLIP's convention and
/// the reference's), and `dS` its exact gradient. The weights, if asked
/// for, are the two softmax matrices.
///
/// # Errors
///
/// [`Error::BatchTooSmall`], [`Error::LengthMismatch`],
/// [`Error::InvalidParameter`] (`tau`), [`Error::NonFinite`],
/// [`Error::OutOfRange`], as [`dpm_bimodal`].
///
/// # Example
///
/// ```
/// use dpm_core::{infonce_bimodal, BimodalOut};
/// let (mut ds, mut scratch) = ([0.0_f64; 4], [0.0; dpm_core::bimodal_scratch_len(2)]);
/// let loss = infonce_bimodal(&[1.0, 0.0, 0.0, 1.0], 2, 1.0, BimodalOut::new(&mut ds), &mut scratch)?;
/// let expected = (1.0_f64.exp() + 1.0).ln() - 1.0;
/// assert!((loss.total - expected).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn infonce_bimodal<T: Real>(
    scores: &[T],
    b: usize,
    tau: T,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    infonce_on(Engine::Simd, scores, b, tau, out, scratch)
}

/// [`dpm_bimodal`] on `engine` (the public functions of `crate::scalar`
/// and `crate::par` are this with their engine).
#[allow(clippy::too_many_arguments)]
pub(crate) fn dpm_on<T: Real>(
    engine: Engine,
    scores: &[T],
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: [DpmParams<T>; 2],
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    run(
        engine,
        [Algo::Dpm(params[0]), Algo::Dpm(params[1])],
        scores,
        image_ids.len(),
        Some((image_ids, text_ids)),
        Some((image, text)),
        out,
        scratch,
    )
}

/// [`sogclr_bimodal`] on `engine`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sogclr_on<T: Real>(
    engine: Engine,
    scores: &[T],
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: SogClrParams<T>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    run(
        engine,
        [Algo::SogClr(params), Algo::SogClr(params)],
        scores,
        image_ids.len(),
        Some((image_ids, text_ids)),
        Some((image, text)),
        out,
        scratch,
    )
}

/// [`infonce_bimodal`] on `engine`.
pub(crate) fn infonce_on<T: Real>(
    engine: Engine,
    scores: &[T],
    b: usize,
    tau: T,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algo = Algo::InfoNce { tau };
    run(engine, [algo, algo], scores, b, None, None, out, scratch)
}

type Ids<'a> = Option<(&'a [usize], &'a [usize])>;

#[allow(clippy::too_many_arguments, clippy::too_many_lines)] // checks, then one call per engine
pub(crate) fn run<T: Real>(
    engine: Engine,
    algos: [Algo<T>; 2],
    scores: &[T],
    b: usize,
    ids: Ids<'_>,
    states: Option<(&mut StateView<'_, T>, &mut StateView<'_, T>)>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    #[cfg(feature = "std")]
    if engine == Engine::Par && rayon::current_thread_index().is_none() {
        // Called from outside any pool, every `join` of the passes would
        // be injected into the global pool and waited for on its own (tens
        // of microseconds each, about 10% of a step at B = 1024). On a
        // worker (`rayon::scope` runs its closure on one) they are plain
        // work-stealing joins.
        return rayon::scope(|_| run(engine, algos, scores, b, ids, states, out, scratch));
    }
    // ---- checks: nothing is written above the line "writes" ----
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    let (image_ids, text_ids) = ids.unwrap_or((&[], &[]));
    if ids.is_some() {
        checks::len("text_ids", text_ids.len(), b)?;
    }
    let bb = checks::cells("scores", b, b)?;
    checks::len("scores", scores.len(), bb)?;
    checks::len("ds", out.ds.len(), bb)?;
    for (what, w) in [
        ("weights_image", &out.weights_image),
        ("weights_text", &out.weights_text),
    ] {
        if let Some(w) = w {
            checks::len(what, w.len(), bb)?;
        }
    }
    for (what, h) in [("h_image", &out.h_image), ("h_text", &out.h_text)] {
        if let Some(h) = h {
            checks::len(what, h.len(), b)?;
        }
    }
    checks::at_least("scratch", scratch.len(), engine.scratch_len(b))?;
    let (scratch, extra) = scratch.split_at_mut(bimodal_scratch_len(b));
    let mut passes = engine.passes(extra);

    let (mut image, mut text) = match states {
        Some((i, t)) => (Some(i.split()), Some(t.split())),
        None => (None, None),
    };
    let (mut ia, mut ic) = halves(&mut image);
    let (mut ta, mut tc) = halves(&mut text);
    let dpm = [
        matches!(algos[0], Algo::Dpm(_)),
        matches!(algos[1], Algo::Dpm(_)),
    ];
    // The SIMD engine's first pass over S (maxima of both directions)
    // doubles as the finiteness and magnitude check of the scores; it
    // writes only scratch.
    let simd_max = engine.simd().then(|| {
        let inputs = simd::bimodal::Prepare {
            zeta: [
                tc.as_deref().filter(|_| dpm[0]).map(|c| &*c.zeta),
                ic.as_deref().filter(|_| dpm[1]).map(|c| &*c.zeta),
            ],
            cand_ids: [text_ids, image_ids],
            tau: [algos[0].tau(), algos[1].tau()],
        };
        simd::bimodal::prepare(&mut passes, scores, b, &inputs, scratch)
    });
    let max_abs_score = match simd_max {
        Some(Some(m)) => m,
        _ => crate::check::max_abs("scores", scores)?,
    };
    let dirs = [
        Dir {
            algo: algos[0],
            anchor_ids: ("image_ids", image_ids),
            cand_ids: ("text_ids", text_ids),
        },
        Dir {
            algo: algos[1],
            anchor_ids: ("text_ids", text_ids),
            cand_ids: ("image_ids", image_ids),
        },
    ];
    let h_asked = [out.h_text.is_some(), out.h_image.is_some()];
    dirs[0].check(
        b,
        max_abs_score,
        h_asked[0],
        ia.as_deref_mut(),
        tc.as_deref_mut(),
    )?;
    dirs[1].check(
        b,
        max_abs_score,
        h_asked[1],
        ta.as_deref_mut(),
        ic.as_deref_mut(),
    )?;

    // ---- writes ----
    let BimodalOut {
        ds,
        weights_image,
        weights_text,
        h_image,
        h_text,
    } = out;
    let scalar = !engine.simd();
    let [to_text, to_image] = if scalar {
        let (acc_text, acc_image) = scratch[..4 * b].split_at_mut(2 * b);
        let to_text = dirs[0].run(
            b,
            Scores::rows(scores, b),
            ia,
            tc,
            Sink {
                ds: &mut *ds,
                add: false,
                weights: weights_image,
                h_acc: Some(acc_text),
            },
            h_text,
        );
        let to_image = dirs[1].run(
            b,
            Scores::transposed(scores, b),
            ta,
            ic,
            Sink {
                ds,
                add: true,
                weights: weights_text,
                h_acc: Some(acc_image),
            },
            h_image,
        );
        [to_text, to_image]
    } else {
        let plans = [
            dirs[0].plan(tc.as_deref(), h_text.is_some()),
            dirs[1].plan(ic.as_deref(), h_image.is_some()),
        ];
        let losses = simd::bimodal::run(
            &mut passes,
            scores,
            b,
            simd::bimodal::Dir {
                spec: plans[0].0,
                anchor_ids: image_ids,
                anchors: ia,
                weights: weights_image,
            },
            simd::bimodal::Dir {
                spec: plans[1].0,
                anchor_ids: text_ids,
                anchors: ta,
                weights: weights_text,
            },
            ds,
            scratch,
        );
        let (h_t, rest) = scratch.split_at(b);
        dirs[0].finish_h(plans[0], tc, h_t, h_text);
        dirs[1].finish_h(plans[1], ic, &rest[..b], h_image);
        losses
    };
    Ok(Losses {
        total: to_text + to_image,
        image_to_text: to_text,
        text_to_image: to_image,
    })
}

type Halves<'s, 'v, T> = (
    Option<&'s mut AnchorState<'v, T>>,
    Option<&'s mut CandidateState<'v, T>>,
);

fn halves<'s, 'v, T>(
    split: &'s mut Option<(&mut AnchorState<'v, T>, &mut CandidateState<'v, T>)>,
) -> Halves<'s, 'v, T> {
    match split {
        Some((a, c)) => (Some(&mut **a), Some(&mut **c)),
        None => (None, None),
    }
}

/// One direction of the bimodal batch.
struct Dir<'a, T> {
    algo: Algo<T>,
    anchor_ids: (&'static str, &'a [usize]),
    cand_ids: (&'static str, &'a [usize]),
}

impl<T: Real> Dir<'_, T> {
    fn is_dpm(&self) -> bool {
        matches!(self.algo, Algo::Dpm(_))
    }

    fn check(
        &self,
        b: usize,
        max_abs_score: T,
        h_out: bool,
        anchors: Option<&mut AnchorState<'_, T>>,
        candidates: Option<&mut CandidateState<'_, T>>,
    ) -> Result<(), Error> {
        Direction {
            algo: self.algo,
            rows: b,
            cols: b,
            h_out,
            max_abs_score,
            anchor_ids: self.anchor_ids,
            cand_ids: self.cand_ids,
            anchors,
            candidates: candidates.filter(|_| self.is_dpm()),
        }
        .check()
    }

    /// The kernel parameters of the direction, and its zeta step. `h` is
    /// computed when the direction updates zeta or `h_out` asks for it.
    fn plan(
        &self,
        candidates: Option<&CandidateState<'_, T>>,
        h_out: bool,
    ) -> (Spec<T>, Option<ZetaStep<T>>) {
        let n = candidates
            .filter(|_| self.is_dpm())
            .map_or(0, CandidateState::population);
        // Bimodal InfoNCE is the mean of its directions (CLIP's convention).
        let weight = if matches!(self.algo, Algo::InfoNce { .. }) {
            T::from_f64(0.5)
        } else {
            T::ONE
        };
        self.algo.spec(n, weight, h_out)
    }

    /// After a kernel left the finished `h` in `h`: copies it to `h_out`
    /// and runs the zeta update, if the direction has them.
    fn finish_h(
        &self,
        plan: (Spec<T>, Option<ZetaStep<T>>),
        candidates: Option<&mut CandidateState<'_, T>>,
        h: &[T],
        h_out: Option<&mut [T]>,
    ) {
        if !matches!(plan.0.kind, Kind::Dpm { h: true, .. }) {
            return;
        }
        if let Some(out) = h_out {
            out.copy_from_slice(h);
        }
        if let (Some(step), Some(c)) = (plan.1, candidates.filter(|_| self.is_dpm())) {
            zeta::commit(c, self.cand_ids.1, h, step);
        }
    }

    /// Runs the direction; `sink.h_acc` is the direction's scratch, used
    /// only when `h` is needed (a zeta step, or `h_out`).
    fn run(
        &self,
        b: usize,
        scores: Scores<'_, T>,
        anchors: Option<&mut AnchorState<'_, T>>,
        candidates: Option<&mut CandidateState<'_, T>>,
        mut sink: Sink<'_, T>,
        h_out: Option<&mut [T]>,
    ) -> T {
        let candidates = candidates.filter(|_| self.is_dpm());
        let plan = self.plan(candidates.as_deref(), h_out.is_some());
        let spec = plan.0;
        let want_h = matches!(spec.kind, Kind::Dpm { h: true, .. });
        let acc = sink.h_acc.take().filter(|_| want_h);
        let n = spec.n;
        let batch = Batch {
            layout: Layout::Diagonal,
            rows: b,
            cols: b,
            anchor_ids: self.anchor_ids.1,
            cand_ids: self.cand_ids.1,
        };
        let zeta_arr = candidates.as_deref().map(|c| &*c.zeta);
        let Some(acc) = acc else {
            return kernel::run(&spec, &batch, scores, anchors, zeta_arr, sink);
        };
        let loss = kernel::run(
            &spec,
            &batch,
            scores,
            anchors,
            zeta_arr,
            Sink {
                h_acc: Some(&mut *acc),
                ..sink
            },
        );
        kernel::finish_h(n, b, acc);
        self.finish_h(plan, candidates, &acc[..b], h_out);
        loss
    }
}
