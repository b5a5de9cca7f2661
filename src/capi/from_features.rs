//! The stored DPM step from features in C (`S` and `dS` written, as
//! [`dpm_bimodal_from_features`] does): `dpm_bimodal_from_features_f32`,
//! its `double` twin, and its scratch size; their one body is
//! `tiled_args.rs`'s, shared with the tiled steps.

use super::tiled_args::from_features;
use super::types::{
    DpmLossesF32, DpmLossesF64, DpmParamsF32, DpmParamsF64, DpmStateF32, DpmStateF64,
};
use crate::embed::dpm_bimodal_from_features;
use crate::{Scratch, scratch_len};

/// C: `size_t dpm_from_features_scratch_len(size_t b, size_t d)`: the
/// elements (`float`s, or `double`s for the `_f64` step: a count, not
/// bytes) of scratch `dpm_bimodal_from_features_f32` needs for `b` pairs
/// of dimension `d` ([`scratch_len`] of [`Scratch::Features`]): `b^2 + 2 b
/// d + dpm_bimodal_scratch_len(b)` (`S` itself, the normalised features,
/// the step's workspace). `SIZE_MAX` when that does not fit a `size_t` (no
/// buffer is that large, so the step refuses such a batch); never wraps or
/// aborts.
#[doc = include_str!("doc/dpm_from_features_scratch_len.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_from_features_scratch_len(b: usize, d: usize) -> usize {
    scratch_len(Scratch::Features { b, d })
}

/// C: the DPM (NUCLR) step from features with `S` stored (see
/// [`dpm_bimodal_from_features`]): `x` (images) and `y` (texts) are `b x
/// d` floats, row-major, raw (`features = DPM_FEATURES_RAW`: L2-normalised
/// here, and the gradients chained through it) or unit rows
/// (`DPM_FEATURES_NORMALIZED`); `image_ids`, `text_ids` are `b` ids each.
/// Writes `scores` (`S = X Y^T` of the normalised rows, `b * b`), `ds`
/// (`dS`, `b * b`), the weights if their pointers are not NULL (`b * b`
/// each), `dx`, `dy` (`b * d` each, `d loss / d x` and `/ d y`),
/// `*losses` if not NULL, and updates both states. `image_to_text` is
/// used when the images are the anchors, `text_to_image` the reverse (as
/// for `dpm_bimodal_f32`).
///
/// Scratch: `dpm_from_features_scratch_len(b, d)` floats (contents ignored
/// and overwritten); it and `S`, `dS` grow like `b^2`: on a
/// microcontroller, `dpm_bimodal_tiled_f32` is the step that does not.
/// Arrays as for `dpm_bimodal_f32`: the caller's, naturally aligned, NULL
/// only with length 0 (or for an optional weight), no output overlapping
/// another array, the two states distinct.
///
/// Returns `DPM_OK`, or one status code: `DPM_ERR_BAD_POINTER`, and the
/// codes of the [`dpm_bimodal_from_features`] errors
/// (`DPM_ERR_BATCH_TOO_SMALL`, `DPM_ERR_LENGTH_MISMATCH`: an array not of
/// the length `b`, `d` give, scratch too short;
/// `DPM_ERR_INVALID_PARAMETER`: also a `features` value other than the two
/// constants; `DPM_ERR_ZERO_NORM`, `DPM_ERR_NON_FINITE`,
/// `DPM_ERR_OUT_OF_RANGE`, the ids' and states' codes). On any error, no
/// output array, no state array and no `*losses` is written (`scratch` may
/// be). Never panics.
///
/// # Safety
///
/// Every non-NULL pointer with a nonzero length is valid for reads (and,
/// for outputs and states, writes) of that many elements, which nobody
/// else accesses during the call; `image`, `text`, `image_to_text`,
/// `text_to_image` are NULL or point to initialised structs.
#[doc = include_str!("doc/dpm_bimodal_from_features_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_bimodal_from_features_f32(
    x: *const f32,
    x_len: usize,
    y: *const f32,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF32,
    text: *const DpmStateF32,
    image_to_text: *const DpmParamsF32,
    text_to_image: *const DpmParamsF32,
    scores: *mut f32,
    scores_len: usize,
    ds: *mut f32,
    ds_len: usize,
    weights_image: *mut f32,
    weights_image_len: usize,
    weights_text: *mut f32,
    weights_text_len: usize,
    dx: *mut f32,
    dx_len: usize,
    dy: *mut f32,
    dy_len: usize,
    scratch: *mut f32,
    scratch_len: usize,
    losses: *mut DpmLossesF32,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        from_features(
            x,
            x_len,
            y,
            y_len,
            b,
            d,
            features,
            image_ids,
            image_ids_len,
            text_ids,
            text_ids_len,
            image,
            text,
            image_to_text,
            text_to_image,
            [
                (scores, scores_len),
                (ds, ds_len),
                (weights_image, weights_image_len),
                (weights_text, weights_text_len),
            ],
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
            dpm_bimodal_from_features,
        )
    }
}

/// C: the stored DPM step from features of
/// [`dpm_bimodal_from_features_f32`] in `double`: the same arguments,
/// checks and status codes, with `double` arrays (8-byte aligned) and the
/// `F64` structs; scratch `dpm_from_features_scratch_len(b, d)` doubles.
/// Never panics.
///
/// # Safety
///
/// As [`dpm_bimodal_from_features_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_bimodal_from_features_f64(
    x: *const f64,
    x_len: usize,
    y: *const f64,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF64,
    text: *const DpmStateF64,
    image_to_text: *const DpmParamsF64,
    text_to_image: *const DpmParamsF64,
    scores: *mut f64,
    scores_len: usize,
    ds: *mut f64,
    ds_len: usize,
    weights_image: *mut f64,
    weights_image_len: usize,
    weights_text: *mut f64,
    weights_text_len: usize,
    dx: *mut f64,
    dx_len: usize,
    dy: *mut f64,
    dy_len: usize,
    scratch: *mut f64,
    scratch_len: usize,
    losses: *mut DpmLossesF64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        from_features(
            x,
            x_len,
            y,
            y_len,
            b,
            d,
            features,
            image_ids,
            image_ids_len,
            text_ids,
            text_ids_len,
            image,
            text,
            image_to_text,
            text_to_image,
            [
                (scores, scores_len),
                (ds, ds_len),
                (weights_image, weights_image_len),
                (weights_text, weights_text_len),
            ],
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
            dpm_bimodal_from_features,
        )
    }
}
