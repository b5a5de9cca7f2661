//! `dpm_bimodal_f32`: the bimodal DPM step over caller arrays.

use super::ffi::{code, rust, state_spans, view};
use super::ptr::{Span, disjoint, optional_mut, read, slice, slice_mut};
use super::types::{DpmLossesF32, DpmParamsF32, DpmStateF32};
use crate::{BimodalOut, Directions, dpm_bimodal};

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
    let optional = |p: *mut f32, len: usize| if p.is_null() { 0 } else { len };
    let checked = || -> Result<(), i32> {
        // SAFETY: each is NULL (refused) or readable (the caller); copied
        // before any array below is borrowed.
        let (img, txt, p0, p1) = unsafe {
            (
                read(image)?,
                read(text)?,
                read(image_to_text)?,
                read(text_to_image)?,
            )
        };
        let [i0, i1, i2, i3, i4] = state_spans(&img)?;
        let [t0, t1, t2, t3, t4] = state_spans(&txt)?;
        let n_losses = usize::from(!losses.is_null());
        disjoint(&[
            i0,
            i1,
            i2,
            i3,
            i4,
            t0,
            t1,
            t2,
            t3,
            t4,
            Span::of(scores, scores_len, false)?,
            Span::of(image_ids, image_ids_len, false)?,
            Span::of(text_ids, text_ids_len, false)?,
            Span::of(ds, ds_len, true)?,
            Span::of(
                weights_image,
                optional(weights_image, weights_image_len),
                true,
            )?,
            Span::of(weights_text, optional(weights_text, weights_text_len), true)?,
            Span::of(scratch, scratch_len, true)?,
            Span::of(losses, n_losses, true)?,
        ])?;
        // SAFETY: every array passed Span::of and disjoint (above); valid
        // for the lengths given (the caller).
        let (mut iv, mut tv, s, ii, ti, out, scratch) = unsafe {
            let out = BimodalOut {
                weights_image: optional_mut(weights_image, weights_image_len),
                weights_text: optional_mut(weights_text, weights_text_len),
                ..BimodalOut::new(slice_mut(ds, ds_len))
            };
            (
                view(&img)?,
                view(&txt)?,
                slice(scores, scores_len),
                slice(image_ids, image_ids_len),
                slice(text_ids, text_ids_len),
                out,
                slice_mut(scratch, scratch_len),
            )
        };
        let params = Directions {
            image: p0.to_rust().map_err(rust)?,
            text: p1.to_rust().map_err(rust)?,
        };
        // B is the length of the images' ids, as documented in the header.
        let b = ii.len();
        let l = dpm_bimodal(s, b, ii, ti, &mut iv, &mut tv, params, out, scratch).map_err(rust)?;
        if !losses.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe {
                losses.write(DpmLossesF32 {
                    total: l.total,
                    image_to_text: l.image_to_text,
                    text_to_image: l.text_to_image,
                });
            }
        }
        Ok(())
    };
    code(checked())
}
