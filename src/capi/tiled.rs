//! `dpm_bimodal_tiled_f32`: the DPM step from features in tiles (`S`
//! and `dS` never stored), and its scratch size.

use super::ffi::{code, rust, state_spans, view};
use super::ptr::{Span, disjoint, read, slice, slice_mut};
use super::types::{
    CParams, DPM_FEATURES_NORMALIZED, DPM_FEATURES_RAW, DpmLossesF32, DpmParamsF32, DpmStateF32,
};
use crate::embed::{Features, TiledOut, dpm_bimodal_tiled};
use crate::{Directions, Error, Scratch, scratch_len};

/// C: `size_t dpm_tiled_scratch_len(size_t b, size_t d)`: the `float`s of
/// scratch `dpm_bimodal_tiled_f32` needs for `b` pairs of dimension `d`
/// ([`scratch_len`] of [`Scratch::Tiled`]): `80 b + 2 b d + 32 ceil(b /
/// 32) d` on hosts (SIMD lanes), `23 b + 64 d` on Cortex-M; no term grows
/// like `b^2`. `SIZE_MAX` when that does not fit a `size_t` (no buffer is
/// that large, so the step refuses such a batch); never wraps or aborts.
#[doc = include_str!("doc/dpm_tiled_scratch_len.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_tiled_scratch_len(b: usize, d: usize) -> usize {
    scratch_len(Scratch::Tiled { b, d })
}

/// C: the DPM (NUCLR) step from features, in tiles (see
/// [`dpm_bimodal_tiled`]): `x` (images) and `y` (texts) are `b x d`
/// floats, row-major, raw (`features = DPM_FEATURES_RAW`: L2-normalised
/// here, and the gradients chained through it) or unit rows
/// (`DPM_FEATURES_NORMALIZED`); `image_ids`, `text_ids` are `b` ids
/// each. Writes `dx`, `dy` (`b * d` each, `d loss / d x` and `/ d y`),
/// `*losses` if not NULL, and updates both states. `image_to_text` is
/// used when the images are the anchors (its `xi` is the texts' bound, its
/// `eta` the texts' step size), `text_to_image` the reverse.
///
/// Scratch: `dpm_tiled_scratch_len(b, d)` floats (contents ignored and
/// overwritten); memory grows like `b d`, never `b^2`, so it fits a
/// microcontroller. Arrays as for `dpm_bimodal_f32`: the caller's, naturally
/// aligned, NULL only with length 0, no output overlapping another array,
/// the two states distinct.
///
/// Returns `DPM_OK`, or one status code: `DPM_ERR_BAD_POINTER`, and the
/// codes of the [`dpm_bimodal_tiled`] errors (`DPM_ERR_BATCH_TOO_SMALL`,
/// `DPM_ERR_LENGTH_MISMATCH`: an array not of the length `b`, `d` give,
/// scratch too short; `DPM_ERR_INVALID_PARAMETER`: also a `features`
/// value other than the two constants; `DPM_ERR_ZERO_NORM`,
/// `DPM_ERR_NON_FINITE`, `DPM_ERR_OUT_OF_RANGE`, the ids' and states'
/// codes). On any error, no output array, no state array and no
/// `*losses` is written (`scratch` may be). Never panics.
///
/// # Safety
///
/// Every non-NULL pointer with a nonzero length is valid for reads (and,
/// for outputs and states, writes) of that many elements, which nobody
/// else accesses during the call; `image`, `text`, `image_to_text`,
/// `text_to_image` are NULL or point to initialised structs.
#[doc = include_str!("doc/dpm_bimodal_tiled_f32.md")]
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn dpm_bimodal_tiled_f32(
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
    dx: *mut f32,
    dx_len: usize,
    dy: *mut f32,
    dy_len: usize,
    scratch: *mut f32,
    scratch_len: usize,
    losses: *mut DpmLossesF32,
) -> i32 {
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
        let features = match features {
            DPM_FEATURES_RAW => Features::Raw,
            DPM_FEATURES_NORMALIZED => Features::Normalized,
            _ => return Err(rust(Error::InvalidParameter { what: "features" })),
        };
        let [i0, i1, i2, i3, i4] = state_spans(&img)?;
        let [t0, t1, t2, t3, t4] = state_spans(&txt)?;
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
            Span::of(x, x_len, false)?,
            Span::of(y, y_len, false)?,
            Span::of(image_ids, image_ids_len, false)?,
            Span::of(text_ids, text_ids_len, false)?,
            Span::of(dx, dx_len, true)?,
            Span::of(dy, dy_len, true)?,
            Span::of(scratch, scratch_len, true)?,
            Span::of(losses, usize::from(!losses.is_null()), true)?,
        ])?;
        let params = Directions {
            image: p0.to_rust().map_err(rust)?,
            text: p1.to_rust().map_err(rust)?,
        };
        // SAFETY: every array passed Span::of and disjoint (above); valid
        // for the lengths given (the caller).
        let (mut iv, mut tv, x, y, ii, ti, out, scratch) = unsafe {
            (
                view(&img)?,
                view(&txt)?,
                slice(x, x_len),
                slice(y, y_len),
                slice(image_ids, image_ids_len),
                slice(text_ids, text_ids_len),
                TiledOut::new(slice_mut(dx, dx_len), slice_mut(dy, dy_len)),
                slice_mut(scratch, scratch_len),
            )
        };
        let l = dpm_bimodal_tiled(
            x, y, b, d, features, ii, ti, &mut iv, &mut tv, params, out, scratch,
        )
        .map_err(rust)?;
        if !losses.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe {
                losses.write(l.into());
            }
        }
        Ok(())
    };
    code(checked())
}
