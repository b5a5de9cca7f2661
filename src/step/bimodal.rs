//! Both directions of a bimodal batch from one row-major `S` (SPEC section
//! 3), without a transposed copy.

use super::{BimodalOut, Losses, checks::Algo, engine::Engine, run::run};
use crate::{Directions, DpmParams, Error, Real, SogClrParams, StateView};

/// The DPM (NUCLR) step on a bimodal batch: image-to-text on the rows of
/// `S`, text-to-image on its columns, summed (SPEC sections 2 and 3).
///
/// `scores` is `S`, `b x b` row-major, `S[i][j]` the score of image `i`
/// against text `j` (higher = more compatible; pair `i` on the diagonal);
/// `image_ids[i]`, `text_ids[i]` are pair `i`'s ids in their states. The
/// images' state (`u` as anchors, `zeta`/`z` as candidates) is in
/// `image`, the texts' in `text`; `params.image` is used when the images
/// are the anchors (its offset bound is the texts' xi, its eta the texts'
/// step size), `params.text` the reverse ([`Directions`]).
///
/// Every bimodal step takes its arguments in this order: the data
/// (`scores`, or features), `b`, the ids, the two states, the
/// parameters, the outputs, the scratch.
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
/// among the checks): [`Error::BatchTooSmall`] (`b < 2`),
/// [`Error::LengthMismatch`] (`image_ids`, `text_ids`, `scores`, `ds`, a weights or
/// `h` slice, or `scratch` shorter than [`scratch_len`](crate::scratch_len)`(Scratch::Bimodal { b })`),
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
/// let mut images = State::<f32, 100>::new(-0.05);
/// let mut texts = State::<f32, 100>::new(-0.05);
/// let s = [0.9_f32, 0.1, 0.2, 0.8]; // B = 2 cosine scores
/// let p = DpmParams {
///     tau: 0.05,
///     gamma: 0.8,
///     offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-3 }),
///     first_visit: FirstVisit::Batch,
/// };
/// let mut ds = [0.0_f32; 4];
/// let mut scratch = [0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })];
/// let loss = dpm_bimodal(
///     &s, 2, &[3, 7], &[3, 7],
///     &mut images.view(), &mut texts.view(),
///     dpm_core::Directions::both(p), BimodalOut::new(&mut ds), &mut scratch,
/// )?;
/// assert!(loss.total < 0.0); // negatives score below their positives
/// assert!(ds[1] > 0.0 && ds[0] < 0.0); // push negatives down, positives up
/// assert!(images.view().log_s(3)?.is_some()); // visited now
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal<T: Real>(
    scores: &[T],
    b: usize,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<DpmParams<T>>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    dpm_on(
        Engine::Simd,
        scores,
        b,
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
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0; 4], [0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
/// let loss = sogclr_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], 2, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p), BimodalOut::new(&mut ds), &mut scratch,
/// )?;
/// // First visit, one negative per row: each weight is exactly 1.
/// assert!((loss.total - 2.0 * -1.0).abs() < 1e-12);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sogclr_bimodal<T: Real>(
    scores: &[T],
    b: usize,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<SogClrParams<T>>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    sogclr_on(
        Engine::Simd,
        scores,
        b,
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
/// let (mut ds, mut scratch) = ([0.0_f64; 4], [0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
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
    b: usize,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<DpmParams<T>>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    run(
        engine,
        [Algo::Dpm(params.image), Algo::Dpm(params.text)],
        scores,
        b,
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
    b: usize,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<SogClrParams<T>>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    run(
        engine,
        [Algo::SogClr(params.image), Algo::SogClr(params.text)],
        scores,
        b,
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
