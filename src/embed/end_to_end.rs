//! One bimodal DPM step from features: `S = X Y^T` (after L2
//! normalisation if asked), the step of SPEC sections 2-3, and the
//! gradients back to the features (SPEC section 6).

use super::{
    bilinear,
    checks::{self, flush_all, flushed_tau_ok},
    normalize,
};
use crate::{
    BimodalOut, Directions, DpmParams, Error, Losses, Real, StateView, check, dpm_bimodal,
    step::checks::{Algo, ids_len},
};

/// What the feature rows given to [`dpm_bimodal_from_features`] are.
///
/// # Example
///
/// ```
/// use dpm_core::embed::Features;
/// let kind = Features::Raw; // normalise, and chain the normalisation backward
/// assert_ne!(kind, Features::Normalized);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Features {
    /// Raw embeddings `v`: each row is L2-normalised first (`x = v / |v|`),
    /// and `dx`, `dy` are gradients with respect to `v`, through the
    /// normalisation.
    Raw,
    /// Rows used as given (normally already of unit norm); `dx`, `dy` are
    /// gradients with respect to them.
    Normalized,
}

/// Where [`dpm_bimodal_from_features`] writes.
///
/// # Example
///
/// ```
/// use dpm_core::embed::FeatureOut;
/// let (b, d) = (2, 3);
/// let (mut s, mut ds, mut dx, mut dy) = ([0.0_f32; 4], [0.0_f32; 4], [0.0_f32; 6], [0.0_f32; 6]);
/// let mut w = [0.0_f32; 4];
/// let out = FeatureOut { weights_image: Some(&mut w), ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy) };
/// assert_eq!((out.scores.len(), out.dx.len()), (b * b, b * d));
/// ```
#[derive(Debug)]
pub struct FeatureOut<'o, T> {
    /// `S = X Y^T` of the (normalised) features, `B x B` row-major.
    pub scores: &'o mut [T],
    /// `dS = dL/dS`, `B x B`, as [`dpm_bimodal`] writes it.
    pub ds: &'o mut [T],
    /// `dL/dX` (or `dL/dV` for [`Features::Raw`]), `B x d`.
    pub dx: &'o mut [T],
    /// `dL/dY` (or its raw form), `B x d`.
    pub dy: &'o mut [T],
    /// Image-to-text weights, as [`BimodalOut::weights_image`].
    pub weights_image: Option<&'o mut [T]>,
    /// Text-to-image weights, as [`BimodalOut::weights_text`].
    pub weights_text: Option<&'o mut [T]>,
    /// Zeta gradient of the images, as [`BimodalOut::h_image`].
    pub h_image: Option<&'o mut [T]>,
    /// Zeta gradient of the texts, as [`BimodalOut::h_text`].
    pub h_text: Option<&'o mut [T]>,
}

impl<'o, T> FeatureOut<'o, T> {
    /// `S`, `dS`, `dX` and `dY` only.
    #[must_use]
    pub fn new(scores: &'o mut [T], ds: &'o mut [T], dx: &'o mut [T], dy: &'o mut [T]) -> Self {
        FeatureOut {
            scores,
            ds,
            dx,
            dy,
            weights_image: None,
            weights_text: None,
            h_image: None,
            h_text: None,
        }
    }
}

/// The DPM (NUCLR) step on a bimodal batch of features: `S = X Y^T`, then
/// [`dpm_bimodal`], then `dX = dS Y`, `dY = dS^T X` (chained through the
/// L2 normalisation for [`Features::Raw`]).
///
/// `x` (images) and `y` (texts) are `b x d` row-major; ids, states and
/// params are those of [`dpm_bimodal`], which this calls on the computed
/// `S` (state updated as it documents). Writes `out.scores` (`S`), `out.ds`
/// (`dS`), `out.dx`, `out.dy` (and the weights and `h` asked for, as
/// [`dpm_bimodal`] does), and returns the [`Losses`].
///
/// The loss is the "half-loss" of SPEC section 2 (weights held constant),
/// so `dx`, `dy` are the gradients of the step's surrogate, exactly
/// `dS Y` and `dS^T X` (then `dL/dv = (dL/dx - (x . dL/dx) x) / |v|`
/// row-wise for raw features).
///
/// No subnormal is produced (SPEC section 7): entries of `S`, `dX` and
/// `dY` that round below the smallest normal number are written as 0, so
/// features whose products underflow give `S = 0` there, not a refusal of
/// the step. The building blocks
/// ([`scores_forward`](super::scores_forward) and the others) are plain
/// arithmetic and do not flush.
///
/// # Errors
///
/// Everything is checked before anything is written or any state moves:
/// [`Error::BatchTooSmall`] (`b < 2`), [`Error::LengthMismatch`] (`x`, `y`,
/// `dx`, `dy` not `b x d`, `scores`, `ds` not `b x b`, `image_ids`,
/// `text_ids` not `b` long, `scratch` shorter than
/// [`scratch_len`](crate::scratch_len)`(Scratch::Features { b, d })`), [`Error::InvalidParameter`] (params),
/// [`Error::NonFinite`] (`x`, `y`), [`Error::ZeroNorm`] (a zero row of
/// raw features, or `d = 0`), [`Error::OutOfRange`] (features so large or,
/// raw, so small that `S` or a gradient could overflow; `what: "scores /
/// tau"`: a score below the smallest normal number, flushed to 0, with a
/// `tau` under `MIN_POSITIVE / EPSILON`, where that flush alone would move
/// `S / tau` past SPEC section 7's bound), and every error of
/// [`dpm_bimodal`] (ids, state). On `Err`, all of `out` and both states
/// are untouched (the scratch may be written).
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dpm_bimodal_from_features, FeatureOut, Features};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State};
/// let (mut images, mut texts) = (State::<f32, 10>::new(-0.05), State::<f32, 10>::new(-0.05));
/// let x = [1.0_f32, 0.2, 0.1, 1.0]; // 2 images, d = 2, raw
/// let y = [0.9_f32, 0.0, 0.3, 1.1];
/// let p = DpmParams {
///     tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let (mut s, mut ds, mut dx, mut dy) = ([0.0; 4], [0.0; 4], [0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: 2, d: 2 })];
/// let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
/// let loss = dpm_bimodal_from_features(
///     &x, &y, 2, 2, Features::Raw, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p), out, &mut scratch,
/// )?;
/// assert!(loss.total.is_finite() && s[0] > s[1]); // cosines
/// // The raw gradient is orthogonal to its row.
/// assert!((dx[0] * x[0] + dx[1] * x[1]).abs() < 1e-6);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal_from_features<T: Real>(
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
    out: FeatureOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    // ---- checks: nothing is written above the line "writes" ----
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    let cells = check::cells("x", b, d)?;
    let bb = check::cells("scores", b, b)?;
    check::len("x", x.len(), cells)?;
    check::len("y", y.len(), cells)?;
    check::len("scores", out.scores.len(), bb)?;
    check::len("ds", out.ds.len(), bb)?;
    check::len("dx", out.dx.len(), cells)?;
    check::len("dy", out.dy.len(), cells)?;
    let need = crate::scratch_len(crate::Scratch::Features { b, d });
    if scratch.len() < need {
        return Err(Error::LengthMismatch {
            what: "scratch",
            expected: need,
            found: scratch.len(),
        });
    }
    let algos = [Algo::Dpm(params.image), Algo::Dpm(params.text)];
    checks::features(x, y, d, features, &algos)?;

    // ---- writes: scratch, then the step (which checks ids and state) ----
    let (s_buf, rest) = scratch[..need].split_at_mut(bb);
    let (step_scratch, rest) = rest.split_at_mut(crate::scratch_len(crate::Scratch::Bimodal { b }));
    let (xn, yn) = rest.split_at_mut(cells);
    let (xs, ys): (&[T], &[T]) = match features {
        Features::Raw => {
            for i in 0..b {
                let span = i * d..(i + 1) * d;
                normalize::row_forward(&x[span.clone()], &mut xn[span.clone()]);
                normalize::row_forward(&y[span.clone()], &mut yn[span]);
            }
            (xn, yn)
        }
        Features::Normalized => (x, y),
    };
    bilinear::forward_raw(xs, ys, b, d, s_buf);
    if flush_all(s_buf) {
        flushed_tau_ok([params.image.tau, params.text.tau])?;
    }
    // Where and as the tiled step checks them.
    ids_len(image_ids, text_ids, b)?;
    let FeatureOut {
        scores,
        ds,
        dx,
        dy,
        weights_image,
        weights_text,
        h_image,
        h_text,
    } = out;
    let step_out = BimodalOut {
        ds: &mut *ds,
        weights_image,
        weights_text,
        h_image,
        h_text,
    };
    let losses = dpm_bimodal(
        s_buf,
        b,
        image_ids,
        text_ids,
        image,
        text,
        params,
        step_out,
        step_scratch,
    )?;
    scores.copy_from_slice(s_buf);
    bilinear::backward_raw(ds, xs, ys, b, b, d, dx, dy);
    if features == Features::Raw {
        for i in 0..b {
            let span = i * d..(i + 1) * d;
            normalize::row_backward(&x[span.clone()], &mut dx[span.clone()]);
            normalize::row_backward(&y[span.clone()], &mut dy[span]);
        }
    }
    let _ = (flush_all(dx), flush_all(dy));
    Ok(losses)
}
