//! The scalar reference kernels, with the signatures of the public
//! functions that run on SIMD lanes.
//!
//! [`crate::dpm_bimodal`], [`crate::sogclr_bimodal`],
//! [`crate::infonce_bimodal`] and [`crate::lse::log_sum_exp`] run the
//! `wide`-based kernels. The functions here compute the same values one
//! element at a time, each line a line of SPEC section 2, with `libm`'s
//! `exp` and `ln`: the readable reference the SIMD kernels are tested
//! against, and the baseline of the benchmarks. Both meet SPEC section 7's
//! bound; their results differ in the last bits.
//!
//! The general-layout steps ([`crate::dpm_step`] and its siblings) are
//! scalar already and have no twin here.

use crate::{
    BimodalOut, DpmParams, Error, Losses, Real, SogClrParams, StateView,
    step::{Engine, dpm_on, infonce_on, sogclr_on},
};

pub use crate::lse::scalar::log_sum_exp;

/// [`crate::dpm_bimodal`] on the scalar reference kernel.
///
/// # Errors
///
/// As [`crate::dpm_bimodal`].
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, State, ZetaStep};
/// let s = [0.9_f32, 0.1, 0.2, 0.8];
/// let p = DpmParams {
///     tau: 0.05, gamma: 0.8, offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-3 }), first_visit: FirstVisit::Batch,
/// };
/// let mut scratch = [0.0_f32; dpm_core::bimodal_scratch_len(2)];
/// let mut run = |simd: bool| {
///     let (mut images, mut texts) = (State::<f32, 100>::new(-0.05).unwrap(), State::<f32, 100>::new(-0.05).unwrap());
///     let mut ds = [0.0_f32; 4];
///     let f = if simd { dpm_core::dpm_bimodal } else { dpm_core::scalar::dpm_bimodal };
///     let loss = f(&s, &[3, 7], &[3, 7], &mut images.view(), &mut texts.view(), [p, p],
///         BimodalOut::new(&mut ds), &mut scratch).unwrap();
///     (loss.total, ds)
/// };
/// let (reference, fast) = (run(false), run(true));
/// assert!((reference.0 - fast.0).abs() <= 1e-5 * reference.0.abs());
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
        Engine::Scalar,
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

/// [`crate::sogclr_bimodal`] on the scalar reference kernel.
///
/// # Errors
///
/// As [`crate::sogclr_bimodal`].
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, FirstVisit, SogClrParams, State};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0)?, State::<f64, 4>::new(0.0)?);
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0; 4], [0.0; dpm_core::bimodal_scratch_len(2)]);
/// let loss = dpm_core::scalar::sogclr_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), p, BimodalOut::new(&mut ds), &mut scratch,
/// )?;
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
        Engine::Scalar,
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

/// [`crate::infonce_bimodal`] on the scalar reference kernel.
///
/// # Errors
///
/// As [`crate::infonce_bimodal`].
///
/// # Example
///
/// ```
/// use dpm_core::BimodalOut;
/// let (mut ds, mut scratch) = ([0.0_f64; 4], [0.0; dpm_core::bimodal_scratch_len(2)]);
/// let loss = dpm_core::scalar::infonce_bimodal(
///     &[1.0, 0.0, 0.0, 1.0], 2, 1.0, BimodalOut::new(&mut ds), &mut scratch,
/// )?;
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
    infonce_on(Engine::Scalar, scores, b, tau, out, scratch)
}
