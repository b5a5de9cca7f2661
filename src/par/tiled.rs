//! The tiled steps from features on all workers: the serial tiled steps'
//! checks and passes, with the products of each panel of `S` (its rows
//! of `S`, and `dX += dS Y`, `dY += dS^T X`) split by rows of what they
//! write. Every value gets the same operations in the same order as in
//! the serial step, so the results are its bits for any number of
//! threads. The passes over a panel stay serial: split into waves panel
//! by panel, they made the step slower than the serial one.

use crate::{
    Directions, DpmParams, Error, Losses, Real, SogClrParams, StateView,
    embed::{
        Features, TiledOut,
        tiled::{self, Src},
    },
    step::{Engine, checks::Algo},
};

/// [`crate::embed::dpm_bimodal_tiled`] on all workers of the current
/// rayon pool: the same arguments and the same results, bit for bit, for
/// any number of threads; only `scratch` is longer
/// ([`scratch_len`](super::scratch_len) of `Scratch::Tiled { b, d }`).
///
/// Bit for bit as long as the pool's workers run in the caller's
/// floating-point environment (as they do unless someone sets FTZ/DAZ on
/// one thread only): the products of features can meet subnormal terms
/// (tiny features, tiny `dS`), which flush-to-zero would round otherwise.
///
/// # Errors
///
/// As [`crate::embed::dpm_bimodal_tiled`], in the same order;
/// [`Error::LengthMismatch`] `"scratch"` for a `scratch` shorter than
/// [`scratch_len`](super::scratch_len)`(Scratch::Tiled { b, d })`. On `Err`, `out` and both states are
/// untouched (the scratch may be written).
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dpm_bimodal_tiled, Features, TiledOut};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State};
/// let (b, d) = (50, 8);
/// let x: Vec<f32> = (0..b * d).map(|k| ((k * 37 % 101) as f32 - 50.0) / 50.0).collect();
/// let y: Vec<f32> = x.iter().map(|v| v + 0.1).collect();
/// let ids: Vec<usize> = (0..b).collect();
/// let p = DpmParams {
///     tau: 0.05, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let mut run = |parallel: bool| {
///     let (mut images, mut texts) = (State::<f32, 64>::new(-0.05), State::<f32, 64>::new(-0.05));
///     let (mut dx, mut dy) = (vec![0.0; b * d], vec![0.0; b * d]);
///     let (iv, tv, out) = (&mut images.view(), &mut texts.view(), TiledOut::new(&mut dx, &mut dy));
///     let loss = if parallel {
///         let mut scratch = vec![0.0; dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b, d })];
///         dpm_core::par::dpm_bimodal_tiled(&x, &y, b, d, Features::Raw, &ids, &ids, iv, tv, dpm_core::Directions::both(p), out, &mut scratch)
///     } else {
///         let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
///         dpm_bimodal_tiled(&x, &y, b, d, Features::Raw, &ids, &ids, iv, tv, dpm_core::Directions::both(p), out, &mut scratch)
///     }?;
///     Ok::<_, dpm_core::Error>((loss, dx, dy))
/// };
/// assert_eq!(run(true)?, run(false)?); // bit for bit
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
    let src = Src::new(x, y, b, d, features);
    let (ids, states) = (Some((image_ids, text_ids)), Some((image, text)));
    tiled::run(Engine::Par, algos, src, ids, states, out, scratch)
}

/// [`crate::embed::sogclr_bimodal_tiled`] on all workers of the current
/// rayon pool, bit-identical to it.
///
/// # Errors
///
/// As [`crate::embed::sogclr_bimodal_tiled`]; `scratch` must hold
/// [`scratch_len`](super::scratch_len)`(Scratch::Tiled { b, d })` elements.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{Features, TiledOut};
/// use dpm_core::{FirstVisit, SogClrParams, State};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let x = [1.0, 0.0, 0.0, 1.0]; // B = 2, d = 2, unit rows
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = vec![0.0; dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let loss = dpm_core::par::sogclr_bimodal_tiled(
///     &x, &x, 2, 2, Features::Normalized, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// // First visit, one negative per row: each weight is exactly 1.
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
    let src = Src::new(x, y, b, d, features);
    let (ids, states) = (Some((image_ids, text_ids)), Some((image, text)));
    tiled::run(Engine::Par, algos, src, ids, states, out, scratch)
}

/// [`crate::embed::infonce_bimodal_tiled`] on all workers of the current
/// rayon pool, bit-identical to it.
///
/// # Errors
///
/// As [`crate::embed::infonce_bimodal_tiled`]; `scratch` must hold
/// [`scratch_len`](super::scratch_len)`(Scratch::Tiled { b, d })` elements.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{Features, TiledOut};
/// let x = [1.0_f64, 0.0, 0.0, 1.0]; // B = 2, d = 2: S = I
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = vec![0.0; dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let out = TiledOut::new(&mut dx, &mut dy);
/// let loss = dpm_core::par::infonce_bimodal_tiled(&x, &x, 2, 2, Features::Normalized, 1.0, out, &mut scratch)?;
/// let expected = (1.0_f64.exp() + 1.0).ln() - 1.0;
/// assert!((loss.total - expected).abs() < 1e-15);
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
    tiled::run(Engine::Par, [algo, algo], src, None, None, out, scratch)
}
