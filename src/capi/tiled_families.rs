//! The SogCLR and InfoNCE steps from features in tiles in C, in `float`
//! and `double`, with `dpm_bimodal_tiled_f32`'s arrays and checks (one
//! body each, in `tiled_args.rs`).

use super::tiled_args::{infonce, stateful};
use super::types::{
    DpmLossesF32, DpmLossesF64, DpmSogClrParamsF32, DpmSogClrParamsF64, DpmStateF32, DpmStateF64,
};
use crate::embed::sogclr_bimodal_tiled;

/// C: the SogCLR step from features, in tiles (see
/// [`sogclr_bimodal_tiled`]): the arguments of `dpm_bimodal_tiled_f32`
/// with SogCLR's parameters (`image_to_text` used when the images are the
/// anchors). Scratch: `dpm_tiled_scratch_len(b, d)` floats.
///
/// Returns `DPM_OK` or the status codes of `dpm_bimodal_tiled_f32`
/// (`DPM_ERR_INVALID_PARAMETER` also for an unknown `first_visit`); on any
/// error no output array, no state array and no `*losses` is written
/// (`scratch` may be). Never panics.
///
/// # Safety
///
/// As `dpm_bimodal_tiled_f32`.
#[doc = include_str!("doc/dpm_sogclr_bimodal_tiled_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_sogclr_bimodal_tiled_f32(
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
    image_to_text: *const DpmSogClrParamsF32,
    text_to_image: *const DpmSogClrParamsF32,
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
        stateful(
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
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
            sogclr_bimodal_tiled,
        )
    }
}

/// C: InfoNCE / CLIP from features, in tiles (see
/// [`infonce_bimodal_tiled`](crate::embed::infonce_bimodal_tiled)): `x`, `y` and `features` as for
/// `dpm_bimodal_tiled_f32`, temperature `tau`, no ids and no state.
/// Writes `dx`, `dy` (`b * d` each) and `*losses` if not NULL (`total`
/// the MEAN of the two directions, CLIP's convention). Scratch:
/// `dpm_tiled_scratch_len(b, d)` floats.
///
/// Returns `DPM_OK` or one status code (`DPM_ERR_BAD_POINTER`,
/// `DPM_ERR_BATCH_TOO_SMALL`, `DPM_ERR_LENGTH_MISMATCH`,
/// `DPM_ERR_INVALID_PARAMETER` for `tau` or `features`,
/// `DPM_ERR_ZERO_NORM`, `DPM_ERR_NON_FINITE`, `DPM_ERR_OUT_OF_RANGE`); on
/// any error nothing but `scratch` is written. Never panics.
///
/// # Safety
///
/// Every non-NULL pointer with a nonzero length is valid for reads (and,
/// for outputs, writes) of that many elements, which nobody else accesses
/// during the call.
#[doc = include_str!("doc/dpm_infonce_bimodal_tiled_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_infonce_bimodal_tiled_f32(
    x: *const f32,
    x_len: usize,
    y: *const f32,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    tau: f32,
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
        infonce(
            x,
            x_len,
            y,
            y_len,
            b,
            d,
            features,
            tau,
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
        )
    }
}

/// C: the SogCLR step from features in tiles of
/// [`dpm_sogclr_bimodal_tiled_f32`] in `double`: the same arguments, checks
/// and status codes, with `double` arrays (8-byte aligned) and the `F64`
/// structs; scratch `dpm_tiled_scratch_len(b, d)` doubles. Never panics.
///
/// # Safety
///
/// As [`dpm_sogclr_bimodal_tiled_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_sogclr_bimodal_tiled_f64(
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
    image_to_text: *const DpmSogClrParamsF64,
    text_to_image: *const DpmSogClrParamsF64,
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
        stateful(
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
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
            sogclr_bimodal_tiled,
        )
    }
}

/// C: the InfoNCE step from features in tiles of
/// [`dpm_infonce_bimodal_tiled_f32`] in `double`: the same arguments,
/// checks and status codes, with `double` arrays (8-byte aligned) and the
/// `F64` structs; scratch `dpm_tiled_scratch_len(b, d)` doubles. Never
/// panics.
///
/// # Safety
///
/// As [`dpm_infonce_bimodal_tiled_f32`], in `double`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_infonce_bimodal_tiled_f64(
    x: *const f64,
    x_len: usize,
    y: *const f64,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    tau: f64,
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
        infonce(
            x,
            x_len,
            y,
            y_len,
            b,
            d,
            features,
            tau,
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
        )
    }
}
