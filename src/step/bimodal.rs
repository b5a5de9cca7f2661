//! Both directions of a bimodal batch from one row-major `S` (SPEC section
//! 3), without a transposed copy.

use super::{BimodalOut, Losses, checks::Algo, engine::Engine, run::run};
use crate::{DpmParams, Error, Real, SogClrParams, StateView};

/// Scratch elements a bimodal step over `b` pairs needs: `32 b` on targets
/// with SIMD lanes, `3 b` on the others (Cortex-M, RISC-V: the scalar
/// kernels run there); saturating at `usize::MAX` (no slice is that long,
/// so a batch that large is refused, never given a wrapped, small size).
///
/// The SIMD passes keep per-anchor values of both directions (maxima,
/// sums, shifts, the factors of `h`, 10 vectors each), the candidates'
/// zeta and the diagonal, compensated column sums, `h`, and one slot of
/// two partial column vectors; the scalar reference of
/// [`crate::scalar`] needs `3 b` of it. Memory in `f32`: 128 KiB at
/// `b = 1024` with SIMD lanes.
///
/// # Example
///
/// ```
/// const SCRATCH: usize = dpm_core::bimodal_scratch_len(16);
/// let scratch = [0.0_f32; SCRATCH];
/// assert!(scratch.len() >= 3 * 16);
/// ```
#[must_use]
pub const fn bimodal_scratch_len(b: usize) -> usize {
    Engine::Simd.scratch_len(b)
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
/// negative, subnormal or not finite, `xi` not finite or subnormal),
/// [`Error::NonFinite`] (a score, or a state value this batch reads),
/// [`Error::Subnormal`] (a nonzero score or state value this batch reads
/// below the smallest normal number), [`Error::OutOfRange`] (finite
/// values so large that an intermediate would overflow).
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
/// [`Error::Subnormal`] (a score), [`Error::OutOfRange`], as
/// [`dpm_bimodal`].
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
