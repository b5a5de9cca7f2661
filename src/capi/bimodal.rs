//! The bimodal DPM step from `S` in C: `dpm_bimodal_f32` and its
//! `double` twin here, the SogCLR and InfoNCE steps in `families.rs`;
//! their one body is `stored.rs`'s.

use super::stored::stateful;
use super::types::{
    DpmLossesF32, DpmLossesF64, DpmParamsF32, DpmParamsF64, DpmStateF32, DpmStateF64,
};
use crate::dpm_bimodal;

/// C: the DPM (NUCLR) step on a bimodal batch of `b = image_ids_len`
/// pairs (see [`dpm_bimodal`]): reads `scores` (`S`, `b * b` floats,
/// row-major, image rows, text columns, pairs on the diagonal), writes
/// `ds` (`dS`, `b * b`), the weights if their pointers are not NULL
/// (`b * b` each), `*losses` if not NULL, and updates both states.
///
/// All arrays belong to the caller; nothing is kept after the call.
/// `float` arrays must be 4-byte aligned, `size_t` arrays aligned for
/// `size_t`. `scratch` needs `dpm_bimodal_scratch_len(b)` floats (its
/// contents are ignored and overwritten). A pointer with length 0 may be
/// NULL. No output array may overlap any other array argument, and the two
/// states must be distinct.
///
/// Returns `DPM_OK`, or one status code: `DPM_ERR_BAD_POINTER` (a required
/// pointer NULL, misaligned, or overlapping), and the codes of the
/// [`dpm_bimodal`] errors: `DPM_ERR_BATCH_TOO_SMALL`,
/// `DPM_ERR_POPULATION_TOO_SMALL`, `DPM_ERR_LENGTH_MISMATCH`,
/// `DPM_ERR_ID_OUT_OF_RANGE`, `DPM_ERR_DUPLICATE_ID`,
/// `DPM_ERR_INVALID_PARAMETER` (also an unknown `offset`, `first_visit` or
/// `has_zeta_step`), `DPM_ERR_NON_FINITE`, `DPM_ERR_OUT_OF_RANGE`,
/// `DPM_ERR_CORRUPT_STATE`. On any error, no output array, no state array
/// and `*losses` is written (`scratch` may be). Never panics (see the
/// module docs).
///
/// # Safety
///
/// Every non-NULL pointer with a nonzero length is valid for reads (and,
/// for outputs and states, writes) of that many elements, which nobody
/// else accesses during the call; `image`, `text`, `image_to_text`,
/// `text_to_image` are NULL or point to initialised structs.
#[doc = include_str!("doc/dpm_bimodal_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_bimodal_f32(
    scores: *const f32,
    scores_len: usize,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF32,
    text: *const DpmStateF32,
    image_to_text: *const DpmParamsF32,
    text_to_image: *const DpmParamsF32,
    ds: *mut f32,
    ds_len: usize,
    weights_image: *mut f32,
    weights_image_len: usize,
    weights_text: *mut f32,
    weights_text_len: usize,
    scratch: *mut f32,
    scratch_len: usize,
    losses: *mut DpmLossesF32,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        stateful(
            scores,
            scores_len,
            image_ids,
            image_ids_len,
            text_ids,
            text_ids_len,
            image,
            text,
            image_to_text,
            text_to_image,
            ds,
            ds_len,
            weights_image,
            weights_image_len,
            weights_text,
            weights_text_len,
            scratch,
            scratch_len,
            losses,
            dpm_bimodal,
        )
    }
}

/// C: the DPM step of [`dpm_bimodal_f32`] in `double`: the same arrays,
/// lengths, checks and status codes, with `double` arrays (8-byte
/// aligned), `DpmStateF64`, `DpmParamsF64` and `DpmLossesF64`; scratch
/// `dpm_bimodal_scratch_len(b)` doubles. Never panics.
///
/// # Safety
///
/// As [`dpm_bimodal_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_bimodal_f64(
    scores: *const f64,
    scores_len: usize,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF64,
    text: *const DpmStateF64,
    image_to_text: *const DpmParamsF64,
    text_to_image: *const DpmParamsF64,
    ds: *mut f64,
    ds_len: usize,
    weights_image: *mut f64,
    weights_image_len: usize,
    weights_text: *mut f64,
    weights_text_len: usize,
    scratch: *mut f64,
    scratch_len: usize,
    losses: *mut DpmLossesF64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        stateful(
            scores,
            scores_len,
            image_ids,
            image_ids_len,
            text_ids,
            text_ids_len,
            image,
            text,
            image_to_text,
            text_to_image,
            ds,
            ds_len,
            weights_image,
            weights_image_len,
            weights_text,
            weights_text_len,
            scratch,
            scratch_len,
            losses,
            dpm_bimodal,
        )
    }
}
