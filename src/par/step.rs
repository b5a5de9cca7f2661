//! The parallel bimodal steps: the serial steps' checks and pass order,
//! with the passes over `S` on rayon's workers.

use crate::{
    BimodalOut, Directions, DpmParams, Error, Losses, Real, SogClrParams, StateView,
    step::{Engine, dpm_on, infonce_on, sogclr_on},
};

/// [`crate::dpm_bimodal`] on all workers of the current rayon pool:
/// the same arguments and the same results, bit for bit, for any number
/// of threads; only `scratch` is longer ([`super::scratch_len`]).
///
/// # Errors
///
/// As [`crate::dpm_bimodal`], checked before anything is written (outputs
/// and state are untouched on `Err`); [`Error::LengthMismatch`] for a
/// `scratch` shorter than [`super::scratch_len`]`(b)`.
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, State, ZetaStep};
/// let p = DpmParams {
///     tau: 0.05, gamma: 0.8, offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-3 }), first_visit: FirstVisit::Batch,
/// };
/// let s: Vec<f32> = (0..9).map(|k| if k % 4 == 0 { 0.9 } else { 0.1 * k as f32 / 9.0 }).collect();
/// let mut run = |parallel: bool| {
///     let (mut images, mut texts) = (State::<f32, 10>::new(-0.05), State::<f32, 10>::new(-0.05));
///     let mut ds = [0.0_f32; 9];
///     let mut scratch = vec![0.0_f32; dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: 3 })];
///     let (iv, tv) = (&mut images.view(), &mut texts.view());
///     let (ids, out) = ([1, 2, 3], BimodalOut::new(&mut ds));
///     let loss = if parallel {
///         dpm_core::par::dpm_bimodal(&s, ids.len(), &ids, &ids, iv, tv, dpm_core::Directions::both(p), out, &mut scratch)
///     } else {
///         dpm_core::dpm_bimodal(&s, ids.len(), &ids, &ids, iv, tv, dpm_core::Directions::both(p), out, &mut scratch)
///     }?;
///     Ok::<_, dpm_core::Error>((loss, ds))
/// };
/// assert_eq!(run(true)?, run(false)?); // bit for bit
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
        Engine::Par,
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

/// [`crate::sogclr_bimodal`] on all workers of the current rayon pool,
/// bit-identical to it.
///
/// # Errors
///
/// As [`crate::sogclr_bimodal`]; `scratch` must hold
/// [`super::scratch_len`]`(b)` elements.
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, FirstVisit, SogClrParams, State};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0; 4], vec![0.0; dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
/// let loss = dpm_core::par::sogclr_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], 2, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p), BimodalOut::new(&mut ds), &mut scratch,
/// )?;
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
        Engine::Par,
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

/// [`crate::infonce_bimodal`] on all workers of the current rayon pool,
/// bit-identical to it.
///
/// # Errors
///
/// As [`crate::infonce_bimodal`]; `scratch` must hold
/// [`super::scratch_len`]`(b)` elements.
///
/// # Example
///
/// ```
/// use dpm_core::BimodalOut;
/// let (mut ds, mut scratch) = ([0.0_f64; 4], vec![0.0; dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
/// let loss = dpm_core::par::infonce_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], 2, 1.0, BimodalOut::new(&mut ds), &mut scratch,
/// )?;
/// assert!((loss.total - ((1.0_f64.exp() + 1.0).ln() - 1.0)).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn infonce_bimodal<T: Real>(
    scores: &[T],
    b: usize,
    tau: T,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    infonce_on(Engine::Par, scores, b, tau, out, scratch)
}
