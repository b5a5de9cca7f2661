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
    BimodalOut, Directions, DpmParams, Error, Losses, Real, SogClrParams, StateView,
    embed::{
        Features, TiledOut,
        tiled::{self, Src},
    },
    step::{Engine, checks::Algo, dpm_on, infonce_on, sogclr_on},
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
/// let mut scratch = [0.0_f32; dpm_core::scalar::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })];
/// let mut run = |simd: bool| {
///     let (mut images, mut texts) = (State::<f32, 100>::new(-0.05), State::<f32, 100>::new(-0.05));
///     let mut ds = [0.0_f32; 4];
///     let f = if simd { dpm_core::dpm_bimodal } else { dpm_core::scalar::dpm_bimodal };
///     let loss = f(&s, 2, &[3, 7], &[3, 7], &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///         BimodalOut::new(&mut ds), &mut scratch).unwrap();
///     (loss.total, ds)
/// };
/// let (reference, fast) = (run(false), run(true));
/// assert!((reference.0 - fast.0).abs() <= 1e-5 * reference.0.abs());
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
        Engine::Scalar,
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
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let (mut ds, mut scratch) = ([0.0; 4], [0.0; dpm_core::scalar::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
/// let loss = dpm_core::scalar::sogclr_bimodal(
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
        Engine::Scalar,
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
/// let (mut ds, mut scratch) = ([0.0_f64; 4], [0.0; dpm_core::scalar::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
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

/// Scratch elements `call` needs on the scalar engine (this module's
/// functions): the sizes are on [`Scratch`](crate::Scratch)'s variants.
///
/// # Example
///
/// ```
/// use dpm_core::{Scratch, embed::TILE, scalar};
/// assert_eq!(scalar::scratch_len(Scratch::Tiled { b: 4096, d: 128 }), 23 * 4096 + 2 * TILE * 128);
/// ```
#[must_use]
pub const fn scratch_len(call: crate::Scratch) -> usize {
    crate::scratch::on(Engine::Scalar, call)
}

/// [`crate::embed::dpm_bimodal_tiled`] on the scalar reference kernel:
/// tiles of `S` with the arithmetic of [`dpm_bimodal`] (what runs on
/// targets without SIMD lanes). `dx`, `dy`, `h` and the state are
/// bit-identical to [`dpm_bimodal`] on the stored `S` followed by
/// [`crate::embed::scores_backward`] (and the normalisation's backward).
///
/// # Errors
///
/// As [`crate::embed::dpm_bimodal_tiled`], with `scratch` shorter than
/// [`scratch_len`]`(Scratch::Tiled { b, d })`.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{Features, TiledOut};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State, scalar};
/// let (mut images, mut texts) = (State::<f32, 4>::new(-0.05), State::<f32, 4>::new(-0.05));
/// let x = [1.0_f32, 0.2, 0.1, 1.0];
/// let p = DpmParams {
///     tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; scalar::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let loss = scalar::dpm_bimodal_tiled(
///     &x, &x, 2, 2, Features::Raw, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// assert!(loss.total < 0.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<DpmParams<T>>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algos = [Algo::Dpm(params.image), Algo::Dpm(params.text)];
    let (ids, states) = (Some((image_ids, text_ids)), Some((image, text)));
    let src = Src::new(x, y, b, d, features);
    tiled::run(Engine::Scalar, algos, src, ids, states, out, scratch)
}

/// [`crate::embed::sogclr_bimodal_tiled`] on the scalar reference kernel,
/// as [`dpm_bimodal_tiled`].
///
/// # Errors
///
/// As [`dpm_bimodal_tiled`].
///
/// # Example
///
/// ```
/// use dpm_core::embed::{Features, TiledOut};
/// use dpm_core::{FirstVisit, SogClrParams, State, scalar};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let x = [1.0, 0.0, 0.0, 1.0];
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; scalar::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let loss = scalar::sogclr_bimodal_tiled(
///     &x, &x, 2, 2, Features::Normalized, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// assert!((loss.total - 2.0 * -1.0).abs() < 1e-12);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sogclr_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<SogClrParams<T>>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algos = [Algo::SogClr(params.image), Algo::SogClr(params.text)];
    let (ids, states) = (Some((image_ids, text_ids)), Some((image, text)));
    let src = Src::new(x, y, b, d, features);
    tiled::run(Engine::Scalar, algos, src, ids, states, out, scratch)
}

/// [`crate::embed::infonce_bimodal_tiled`] on the scalar reference
/// kernel, as [`dpm_bimodal_tiled`].
///
/// # Errors
///
/// As [`crate::embed::infonce_bimodal_tiled`].
///
/// # Example
///
/// ```
/// use dpm_core::{embed::{Features, TiledOut}, scalar};
/// let x = [1.0_f64, 0.0, 0.0, 1.0];
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; scalar::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let out = TiledOut::new(&mut dx, &mut dy);
/// let loss = scalar::infonce_bimodal_tiled(&x, &x, 2, 2, Features::Normalized, 1.0, out, &mut scratch)?;
/// assert!((loss.total - ((1.0_f64.exp() + 1.0).ln() - 1.0)).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn infonce_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    tau: T,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algo = Algo::InfoNce { tau };
    let src = Src::new(x, y, b, d, features);
    tiled::run(Engine::Scalar, [algo, algo], src, None, None, out, scratch)
}
