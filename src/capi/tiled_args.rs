//! The C ABI's arrays of a step from features ([`TiledArgs`]: in tiles,
//! or stored, with `S` and `dS` among the outputs), in either precision:
//! `features` and every pointer checked before any slice exists, then the
//! Rust step run on the slices; and the one body of the steps from
//! features with state ([`from_features`], which the tiled ones reach
//! through [`stateful`]) and of the tiled InfoNCE ([`infonce`]) that the
//! `extern "C"` functions of `tiled.rs`, `tiled_families.rs` and
//! `from_features.rs` call.

use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, optional_mut, slice, slice_mut};
use super::stateful::{StateSpans, Stateful, no_state};
use super::types::{CParams, DPM_FEATURES_NORMALIZED, DPM_FEATURES_RAW, DpmLossesOf, DpmStateOf};
use crate::embed::{FeatureOut, Features, TiledOut};
use crate::{Directions, Error, Losses, Real, StateView};

/// A tiled step with state, as [`dpm_bimodal_tiled`](crate::embed::dpm_bimodal_tiled) and
/// [`sogclr_bimodal_tiled`](crate::embed::sogclr_bimodal_tiled) take it.
pub(super) type StatefulStep<T, P> = fn(
    &[T],
    &[T],
    usize,
    usize,
    Features,
    &[usize],
    &[usize],
    &mut StateView<'_, T>,
    &mut StateView<'_, T>,
    Directions<P>,
    TiledOut<'_, T>,
    &mut [T],
) -> Result<Losses<T>, Error>;

/// No array: the stored outputs of a tiled step.
const fn none<T>() -> (*mut T, usize) {
    (core::ptr::null_mut(), 0)
}

/// The C ABI's arrays of a step from features: every pointer checked
/// ([`Span::of`], [`disjoint`]) before any slice exists; the ids and
/// states of a step with state come as [`Stateful`]
/// ([`TiledArgs::run_stateful`]).
struct TiledArgs<T> {
    x: (*const T, usize),
    y: (*const T, usize),
    b: usize,
    d: usize,
    features: u32,
    /// `S`, `dS` and the optional weights (NULL: not asked for) of the
    /// stored step; [`none`] for the tiled steps, which keep none of them.
    stored: [(*mut T, usize); 4],
    dx: (*mut T, usize),
    dy: (*mut T, usize),
    scratch: (*mut T, usize),
    losses: *mut DpmLossesOf<T>,
}

impl<T: Real> TiledArgs<T> {
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
        stateful: &Stateful<T>,
        params: [*const C; 2],
        step: impl FnOnce(
            &[T],
            &[T],
            usize,
            usize,
            Features,
            &[usize],
            &[usize],
            &mut StateView<'_, T>,
            &mut StateView<'_, T>,
            Directions<C::Rust>,
            FeatureOut<'_, T>,
            &mut [T],
        ) -> Result<Losses<T>, Error>,
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
        step: impl FnOnce(&[T], &[T], Features, TiledOut<'_, T>, &mut [T]) -> Result<Losses<T>, Error>,
    ) -> i32 {
        // SAFETY: the caller's contract, as this function's.
        code(no_state().and_then(|spans| unsafe {
            self.run(
                &spans,
                || Ok(()),
                |x, y, f, (), out, scratch| step(x, y, f, tiled(out), scratch),
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
            &[T],
            &[T],
            Features,
            V,
            FeatureOut<'_, T>,
            &mut [T],
        ) -> Result<Losses<T>, Error>,
    ) -> Result<(), i32> {
        let features = match self.features {
            DPM_FEATURES_RAW => Features::Raw,
            DPM_FEATURES_NORMALIZED => Features::Normalized,
            _ => return Err(rust(Error::InvalidParameter { what: "features" })),
        };
        let optional = |(p, len): (*mut T, usize)| (p, if p.is_null() { 0 } else { len });
        let [scores, ds, wi, wt] = self.stored;
        let (wi, wt) = (optional(wi), optional(wt));
        let mut spans = [Span::of(core::ptr::null::<u8>(), 0, false)?; 22];
        spans[..12].copy_from_slice(state);
        spans[12] = Span::of(self.x.0, self.x.1, false)?;
        spans[13] = Span::of(self.y.0, self.y.1, false)?;
        spans[14] = Span::of(self.dx.0, self.dx.1, true)?;
        spans[15] = Span::of(self.dy.0, self.dy.1, true)?;
        spans[16] = Span::of(self.scratch.0, self.scratch.1, true)?;
        spans[17] = Span::of(self.losses, usize::from(!self.losses.is_null()), true)?;
        spans[18] = Span::of(scores.0, scores.1, true)?;
        spans[19] = Span::of(ds.0, ds.1, true)?;
        spans[20] = Span::of(wi.0, wi.1, true)?;
        spans[21] = Span::of(wt.0, wt.1, true)?;
        disjoint(&spans)?;
        let views = views()?;
        // SAFETY: every array passed Span::of and disjoint (above); valid
        // for the lengths given (the caller).
        let (x, y, out, scratch) = unsafe {
            let out = FeatureOut {
                weights_image: optional_mut(wi.0, wi.1),
                weights_text: optional_mut(wt.0, wt.1),
                ..FeatureOut::new(
                    slice_mut(scores.0, scores.1),
                    slice_mut(ds.0, ds.1),
                    slice_mut(self.dx.0, self.dx.1),
                    slice_mut(self.dy.0, self.dy.1),
                )
            };
            (
                slice(self.x.0, self.x.1),
                slice(self.y.0, self.y.1),
                out,
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

/// The tiled steps' outputs of a [`FeatureOut`] (whose stored ones, [`none`]
/// for them, are empty).
fn tiled<T>(FeatureOut { dx, dy, .. }: FeatureOut<'_, T>) -> TiledOut<'_, T> {
    TiledOut::new(dx, dy)
}

/// The body of every C tiled step with state (DPM and SogCLR, `float`
/// and `double`): the arguments of `dpm_bimodal_tiled_f32` in its order,
/// then the Rust `step`; [`from_features`] without the stored outputs.
/// The status code.
///
/// # Safety
///
/// The C contract of `dpm_bimodal_tiled_f32`, in `T`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn stateful<T: Real, C: CParams>(
    x: *const T,
    x_len: usize,
    y: *const T,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateOf<T>,
    text: *const DpmStateOf<T>,
    image_to_text: *const C,
    text_to_image: *const C,
    dx: *mut T,
    dx_len: usize,
    dy: *mut T,
    dy_len: usize,
    scratch: *mut T,
    scratch_len: usize,
    losses: *mut DpmLossesOf<T>,
    step: StatefulStep<T, C::Rust>,
) -> i32 {
    // SAFETY: the caller's contract, as this function's; no stored
    // output.
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
            [none(); 4],
            dx,
            dx_len,
            dy,
            dy_len,
            scratch,
            scratch_len,
            losses,
            |x, y, b, d, f, ii, ti, iv, tv, params, out, sc| {
                step(x, y, b, d, f, ii, ti, iv, tv, params, tiled(out), sc)
            },
        )
    }
}

/// The body of every C step from features with state: the arguments of
/// `dpm_bimodal_from_features_f32` in its order, `S`, `dS` and the two
/// optional weights as `stored` (`(pointer, length)` each), then the Rust
/// `step`. The status code.
///
/// # Safety
///
/// The C contract of `dpm_bimodal_from_features_f32`, in `T`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn from_features<T: Real, C: CParams>(
    x: *const T,
    x_len: usize,
    y: *const T,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateOf<T>,
    text: *const DpmStateOf<T>,
    image_to_text: *const C,
    text_to_image: *const C,
    stored: [(*mut T, usize); 4],
    dx: *mut T,
    dx_len: usize,
    dy: *mut T,
    dy_len: usize,
    scratch: *mut T,
    scratch_len: usize,
    losses: *mut DpmLossesOf<T>,
    step: impl FnOnce(
        &[T],
        &[T],
        usize,
        usize,
        Features,
        &[usize],
        &[usize],
        &mut StateView<'_, T>,
        &mut StateView<'_, T>,
        Directions<C::Rust>,
        FeatureOut<'_, T>,
        &mut [T],
    ) -> Result<Losses<T>, Error>,
) -> i32 {
    let args = TiledArgs {
        x: (x, x_len),
        y: (y, y_len),
        b,
        d,
        features,
        stored,
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
            step,
        )
    }
}

/// The body of the C tiled InfoNCE step in both precisions: the
/// arguments of `dpm_infonce_bimodal_tiled_f32` in its order. The status
/// code.
///
/// # Safety
///
/// The C contract of `dpm_infonce_bimodal_tiled_f32`, in `T`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn infonce<T: Real>(
    x: *const T,
    x_len: usize,
    y: *const T,
    y_len: usize,
    b: usize,
    d: usize,
    features: u32,
    tau: T,
    dx: *mut T,
    dx_len: usize,
    dy: *mut T,
    dy_len: usize,
    scratch: *mut T,
    scratch_len: usize,
    losses: *mut DpmLossesOf<T>,
) -> i32 {
    let args = TiledArgs {
        x: (x, x_len),
        y: (y, y_len),
        b,
        d,
        features,
        stored: [none(); 4],
        dx: (dx, dx_len),
        dy: (dy, dy_len),
        scratch: (scratch, scratch_len),
        losses,
    };
    // SAFETY: the caller's contract, as this function's.
    unsafe {
        args.run_stateless(|x, y, features, out, scratch| {
            crate::embed::infonce_bimodal_tiled(x, y, b, d, features, tau, out, scratch)
        })
    }
}
