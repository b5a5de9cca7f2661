//! `dpm_sogclr_bimodal_f32` and `dpm_infonce_bimodal_f32` and their
//! `double` twins: the SogCLR (GCL) and InfoNCE (CLIP) steps from `S`,
//! with `dpm_bimodal_f32`'s arrays and checks (one body each, in
//! `stored.rs`).

use super::stored::{infonce, stateful};
use super::types::{
    DpmLossesF32, DpmLossesF64, DpmSogClrParamsF32, DpmSogClrParamsF64, DpmStateF32, DpmStateF64,
};
use crate::sogclr_bimodal;

/// C: the SogCLR (GCL) step on a bimodal batch of `b = image_ids_len`
/// pairs (see [`sogclr_bimodal`]): the arrays of `dpm_bimodal_f32`, and
/// its scratch (`dpm_bimodal_scratch_len(b)`); only `log_s` and `s_flags`
/// of the states are read and written (zeta = 0, no offset, no zeta
/// update). `image_to_text` is used when the images are the anchors,
/// `text_to_image` the reverse.
///
/// Returns `DPM_OK` or the status codes of `dpm_bimodal_f32`
/// (`DPM_ERR_INVALID_PARAMETER` also for an unknown `first_visit`); on any
/// error nothing but `scratch` is written. Never panics.
///
/// # Safety
///
/// As `dpm_bimodal_f32`: every non-NULL pointer with a nonzero length is
/// valid for reads (and, for outputs and states, writes) of that many
/// elements, which nobody else accesses during the call; `image`, `text`,
/// `image_to_text`, `text_to_image` are NULL or point to initialised
/// structs.
#[doc = include_str!("doc/dpm_sogclr_bimodal_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_sogclr_bimodal_f32(
    scores: *const f32,
    scores_len: usize,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF32,
    text: *const DpmStateF32,
    image_to_text: *const DpmSogClrParamsF32,
    text_to_image: *const DpmSogClrParamsF32,
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
            sogclr_bimodal,
        )
    }
}

/// C: InfoNCE / CLIP on a bimodal batch of `b` pairs (see
/// [`infonce_bimodal`](crate::infonce_bimodal)): `scores` (`b * b`), no ids and no state; writes
/// `ds` (`b * b`), the two softmax matrices if their pointers are not
/// NULL, and `*losses` (`total` the MEAN of the two directions, CLIP's
/// convention). Scratch: `dpm_bimodal_scratch_len(b)` floats.
///
/// Returns `DPM_OK` or one status code (`DPM_ERR_BAD_POINTER`,
/// `DPM_ERR_BATCH_TOO_SMALL`, `DPM_ERR_LENGTH_MISMATCH`,
/// `DPM_ERR_INVALID_PARAMETER` for `tau`, `DPM_ERR_NON_FINITE`,
/// `DPM_ERR_SUBNORMAL`, `DPM_ERR_OUT_OF_RANGE`); on any error nothing but
/// `scratch` is written. Never panics.
///
/// # Safety
///
/// Every non-NULL pointer with a nonzero length is valid for reads (and,
/// for outputs, writes) of that many elements, which nobody else accesses
/// during the call.
#[doc = include_str!("doc/dpm_infonce_bimodal_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_infonce_bimodal_f32(
    scores: *const f32,
    scores_len: usize,
    b: usize,
    tau: f32,
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
        infonce(
            scores,
            scores_len,
            b,
            tau,
            ds,
            ds_len,
            weights_image,
            weights_image_len,
            weights_text,
            weights_text_len,
            scratch,
            scratch_len,
            losses,
        )
    }
}

/// C: the SogCLR step of [`dpm_sogclr_bimodal_f32`] in `double`: the same
/// arguments, checks and status codes, with `double` arrays (8-byte
/// aligned) and the `F64` structs. Never panics.
///
/// # Safety
///
/// As [`dpm_sogclr_bimodal_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_sogclr_bimodal_f64(
    scores: *const f64,
    scores_len: usize,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateF64,
    text: *const DpmStateF64,
    image_to_text: *const DpmSogClrParamsF64,
    text_to_image: *const DpmSogClrParamsF64,
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
            sogclr_bimodal,
        )
    }
}

/// C: the InfoNCE step of [`dpm_infonce_bimodal_f32`] in `double`: the same
/// arguments, checks and status codes, with `double` arrays (8-byte
/// aligned) and the `F64` structs. Never panics.
///
/// # Safety
///
/// As [`dpm_infonce_bimodal_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_infonce_bimodal_f64(
    scores: *const f64,
    scores_len: usize,
    b: usize,
    tau: f64,
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
        infonce(
            scores,
            scores_len,
            b,
            tau,
            ds,
            ds_len,
            weights_image,
            weights_image_len,
            weights_text,
            weights_text_len,
            scratch,
            scratch_len,
            losses,
        )
    }
}
