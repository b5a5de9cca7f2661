//! The steps from features in tiles (`S` and `dS` never stored) in C:
//! `dpm_bimodal_tiled_f32`, its SogCLR and InfoNCE twins, and their
//! scratch size; their shared pointer handling is `TiledArgs`.

use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, slice, slice_mut};
use super::stateful::{StateSpans, Stateful, no_state};
use super::types::{
    CParams, DPM_FEATURES_NORMALIZED, DPM_FEATURES_RAW, DpmLossesF32, DpmParamsF32,
    DpmSogClrParamsF32, DpmStateF32,
};
use crate::embed::{
    Features, TiledOut, dpm_bimodal_tiled, infonce_bimodal_tiled, sogclr_bimodal_tiled,
};
use crate::{Directions, Error, Losses, Scratch, StateView, scratch_len};

/// C: `size_t dpm_tiled_scratch_len(size_t b, size_t d)`: the `float`s of
/// scratch `dpm_bimodal_tiled_f32` needs for `b` pairs of dimension `d`
/// ([`scratch_len`] of [`Scratch::Tiled`]): `224 b + 2 b d + 32 ceil(b
/// / 32) d` on hosts (SIMD lanes), `23 b + 64 d` on Cortex-M; no term grows
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
    let args = TiledArgs {
        x: (x, x_len),
        y: (y, y_len),
        b,
        d,
        features,
        dx: (dx, dx_len),
        dy: (dy, dy_len),
        scratch: (scratch, scratch_len),
        losses,
    };
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        args.run_stateful(
            &Stateful {
                image_ids: (image_ids, image_ids_len),
                text_ids: (text_ids, text_ids_len),
                image,
                text,
            },
            [image_to_text, text_to_image],
            dpm_bimodal_tiled,
        )
    }
}

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
    let args = TiledArgs {
        x: (x, x_len),
        y: (y, y_len),
        b,
        d,
        features,
        dx: (dx, dx_len),
        dy: (dy, dy_len),
        scratch: (scratch, scratch_len),
        losses,
    };
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        args.run_stateful(
            &Stateful {
                image_ids: (image_ids, image_ids_len),
                text_ids: (text_ids, text_ids_len),
                image,
                text,
            },
            [image_to_text, text_to_image],
            sogclr_bimodal_tiled,
        )
    }
}

/// C: InfoNCE / CLIP from features, in tiles (see
/// [`infonce_bimodal_tiled`]): `x`, `y` and `features` as for
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
    let args = TiledArgs {
        x: (x, x_len),
        y: (y, y_len),
        b,
        d,
        features,
        dx: (dx, dx_len),
        dy: (dy, dy_len),
        scratch: (scratch, scratch_len),
        losses,
    };
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        args.run_stateless(|x, y, features, out, scratch| {
            infonce_bimodal_tiled(x, y, b, d, features, tau, out, scratch)
        })
    }
}

/// A tiled step with state, as [`dpm_bimodal_tiled`] and
/// [`sogclr_bimodal_tiled`] take it.
type StatefulStep<P> = fn(
    &[f32],
    &[f32],
    usize,
    usize,
    Features,
    &[usize],
    &[usize],
    &mut StateView<'_, f32>,
    &mut StateView<'_, f32>,
    Directions<P>,
    TiledOut<'_, f32>,
    &mut [f32],
) -> Result<Losses<f32>, Error>;

/// The C ABI's arrays of a tiled step: every pointer checked
/// ([`Span::of`], [`disjoint`]) before any slice exists; the ids and
/// states of a step with state come as [`Stateful`]
/// ([`TiledArgs::run_stateful`]).
struct TiledArgs {
    x: (*const f32, usize),
    y: (*const f32, usize),
    b: usize,
    d: usize,
    features: u32,
    dx: (*mut f32, usize),
    dy: (*mut f32, usize),
    scratch: (*mut f32, usize),
    losses: *mut DpmLossesF32,
}

impl TiledArgs {
    /// `step` (DPM, SogCLR) on these arrays, the ids and states of
    /// `stateful`, and `params` (images-anchor then texts-anchor, each
    /// NULL or misaligned: `DPM_ERR_BAD_POINTER`). The status code.
    ///
    /// # Safety
    ///
    /// As [`TiledArgs::run`]; `params` and the state pointers are NULL or
    /// point to initialised structs.
    unsafe fn run_stateful<C: CParams>(
        self,
        stateful: &Stateful,
        params: [*const C; 2],
        step: StatefulStep<C::Rust>,
    ) -> i32 {
        let (b, d) = (self.b, self.d);
        let checked = || -> Result<(), i32> {
            // SAFETY: the caller's contract, as this function's.
            let parts = unsafe { stateful.read(params)? };
            // SAFETY: `run` calls `views` once every array passed
            // Span::of and disjoint; the rest is the caller's contract.
            unsafe {
                self.run(
                    &parts.spans,
                    || parts.views(),
                    |x, y, f, (ii, ti, mut iv, mut tv, params), out, sc| {
                        step(x, y, b, d, f, ii, ti, &mut iv, &mut tv, params, out, sc)
                    },
                )
            }
        };
        code(checked())
    }

    /// `step` (InfoNCE) on these arrays, without ids or state. The status
    /// code.
    ///
    /// # Safety
    ///
    /// As [`TiledArgs::run`].
    unsafe fn run_stateless(
        self,
        step: impl FnOnce(
            &[f32],
            &[f32],
            Features,
            TiledOut<'_, f32>,
            &mut [f32],
        ) -> Result<Losses<f32>, Error>,
    ) -> i32 {
        // SAFETY: the caller's contract, as this function's.
        code(no_state().and_then(|spans| unsafe {
            self.run(
                &spans,
                || Ok(()),
                |x, y, f, (), out, scratch| step(x, y, f, out, scratch),
            )
        }))
    }

    /// Checks `features` and every pointer (these arrays' and `state`'s),
    /// borrows the arrays, makes the views of the states (`views`), runs
    /// `step` on them and writes `*losses` (if not NULL) from its result.
    ///
    /// # Safety
    ///
    /// The C contract of the calling function: every non-NULL pointer with
    /// a nonzero length is valid for reads (and, for outputs and states,
    /// writes) of that many elements, which nobody else accesses during
    /// the call.
    unsafe fn run<V>(
        self,
        state: &StateSpans,
        views: impl FnOnce() -> Result<V, i32>,
        step: impl FnOnce(
            &[f32],
            &[f32],
            Features,
            V,
            TiledOut<'_, f32>,
            &mut [f32],
        ) -> Result<Losses<f32>, Error>,
    ) -> Result<(), i32> {
        let features = match self.features {
            DPM_FEATURES_RAW => Features::Raw,
            DPM_FEATURES_NORMALIZED => Features::Normalized,
            _ => return Err(rust(Error::InvalidParameter { what: "features" })),
        };
        let mut spans = [Span::of(core::ptr::null::<u8>(), 0, false)?; 18];
        spans[..12].copy_from_slice(state);
        spans[12] = Span::of(self.x.0, self.x.1, false)?;
        spans[13] = Span::of(self.y.0, self.y.1, false)?;
        spans[14] = Span::of(self.dx.0, self.dx.1, true)?;
        spans[15] = Span::of(self.dy.0, self.dy.1, true)?;
        spans[16] = Span::of(self.scratch.0, self.scratch.1, true)?;
        spans[17] = Span::of(self.losses, usize::from(!self.losses.is_null()), true)?;
        disjoint(&spans)?;
        let views = views()?;
        // SAFETY: every array passed Span::of and disjoint (above); valid
        // for the lengths given (the caller).
        let (x, y, out, scratch) = unsafe {
            (
                slice(self.x.0, self.x.1),
                slice(self.y.0, self.y.1),
                TiledOut::new(
                    slice_mut(self.dx.0, self.dx.1),
                    slice_mut(self.dy.0, self.dy.1),
                ),
                slice_mut(self.scratch.0, self.scratch.1),
            )
        };
        let l = step(x, y, features, views, out, scratch).map_err(rust)?;
        if !self.losses.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe {
                self.losses.write(l.into());
            }
        }
        Ok(())
    }
}
