//! The C ABI's arrays of a bimodal step from `S` ([`StoredArgs`]), in
//! either precision: every pointer checked before any slice exists, then
//! the Rust step run on the slices. The `extern "C"` functions over it
//! are in `bimodal.rs` (DPM) and `families.rs` (SogCLR, InfoNCE).

use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, optional_mut, slice, slice_mut};
use super::stateful::{StateSpans, Stateful, no_state};
use super::types::{CParams, DpmLossesOf, DpmStateOf};
use crate::{BimodalOut, Directions, Error, Losses, Real, StateView};

/// A bimodal step with state from `S`, as [`dpm_bimodal`] and
/// [`sogclr_bimodal`](crate::sogclr_bimodal) take it.
pub(super) type StatefulStep<T, P> = fn(
    &[T],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, T>,
    &mut StateView<'_, T>,
    Directions<P>,
    BimodalOut<'_, T>,
    &mut [T],
) -> Result<Losses<T>, Error>;

/// The C ABI's arrays of a bimodal step from `S`: every pointer checked
/// ([`Span::of`], [`disjoint`]) before any slice exists. A step with state
/// runs through [`StoredArgs::run_stateful`], one without through
/// [`StoredArgs::run_stateless`].
pub(super) struct StoredArgs<T> {
    pub scores: (*const T, usize),
    pub ds: (*mut T, usize),
    pub weights_image: (*mut T, usize),
    pub weights_text: (*mut T, usize),
    pub scratch: (*mut T, usize),
    pub losses: *mut DpmLossesOf<T>,
}

impl<T: Real> StoredArgs<T> {
    /// `step` (DPM, SogCLR) on these arrays, the ids and states of
    /// `stateful`, and `params` (the images-anchor then the texts-anchor
    /// direction's C struct, each NULL or misaligned:
    /// `DPM_ERR_BAD_POINTER`), converted once the arrays are checked; B is
    /// the length of the images' ids, as the header says. The status code.
    ///
    /// # Safety
    ///
    /// As [`StoredArgs::run`]; `params` and the state pointers are NULL or
    /// point to initialised structs.
    pub(super) unsafe fn run_stateful<C: CParams>(
        self,
        stateful: &Stateful<T>,
        params: [*const C; 2],
        step: StatefulStep<T, C::Rust>,
    ) -> i32 {
        let checked = || -> Result<(), i32> {
            // SAFETY: the caller's contract, as this function's.
            let parts = unsafe { stateful.read(params)? };
            // SAFETY: `run` calls `views` once every array passed
            // Span::of and disjoint; the rest is the caller's contract.
            unsafe {
                self.run(
                    &parts.spans,
                    || parts.views(),
                    |s, (ii, ti, mut iv, mut tv, params), out, scratch| {
                        step(s, ii.len(), ii, ti, &mut iv, &mut tv, params, out, scratch)
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
    /// As [`StoredArgs::run`].
    pub(super) unsafe fn run_stateless(
        self,
        step: impl FnOnce(&[T], BimodalOut<'_, T>, &mut [T]) -> Result<Losses<T>, Error>,
    ) -> i32 {
        // SAFETY: the caller's contract, as this function's.
        code(no_state().and_then(|spans| unsafe {
            self.run(
                &spans,
                || Ok(()),
                |s, (), out, scratch| step(s, out, scratch),
            )
        }))
    }

    /// Checks every pointer (these arrays' and `state`'s, the ids and
    /// states of a step with state), borrows the arrays, makes the views of
    /// the states (`views`), runs `step` on them and writes `*losses` (if
    /// not NULL) from its result.
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
        step: impl FnOnce(&[T], V, BimodalOut<'_, T>, &mut [T]) -> Result<Losses<T>, Error>,
    ) -> Result<(), i32> {
        let optional = |(p, len): (*mut T, usize)| (p, if p.is_null() { 0 } else { len });
        let (wi, wt) = (optional(self.weights_image), optional(self.weights_text));
        let mut spans = [Span::of(core::ptr::null::<u8>(), 0, false)?; 18];
        spans[..12].copy_from_slice(state);
        spans[12] = Span::of(self.scores.0, self.scores.1, false)?;
        spans[13] = Span::of(self.ds.0, self.ds.1, true)?;
        spans[14] = Span::of(wi.0, wi.1, true)?;
        spans[15] = Span::of(wt.0, wt.1, true)?;
        spans[16] = Span::of(self.scratch.0, self.scratch.1, true)?;
        spans[17] = Span::of(self.losses, usize::from(!self.losses.is_null()), true)?;
        disjoint(&spans)?;
        let views = views()?;
        // SAFETY: every array passed Span::of and disjoint (above); valid
        // for the lengths given (the caller).
        let (s, out, scratch) = unsafe {
            let out = BimodalOut {
                weights_image: optional_mut(wi.0, wi.1),
                weights_text: optional_mut(wt.0, wt.1),
                ..BimodalOut::new(slice_mut(self.ds.0, self.ds.1))
            };
            (
                slice(self.scores.0, self.scores.1),
                out,
                slice_mut(self.scratch.0, self.scratch.1),
            )
        };
        let l = step(s, views, out, scratch).map_err(rust)?;
        if !self.losses.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe {
                self.losses.write(l.into());
            }
        }
        Ok(())
    }
}

/// The body of every C step with state from `S` (DPM and SogCLR, `float`
/// and `double`): the arguments of `dpm_bimodal_f32` in its order, then
/// the Rust `step`. The status code.
///
/// # Safety
///
/// The C contract of `dpm_bimodal_f32`, in `T`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn stateful<T: Real, C: CParams>(
    scores: *const T,
    scores_len: usize,
    image_ids: *const usize,
    image_ids_len: usize,
    text_ids: *const usize,
    text_ids_len: usize,
    image: *const DpmStateOf<T>,
    text: *const DpmStateOf<T>,
    image_to_text: *const C,
    text_to_image: *const C,
    ds: *mut T,
    ds_len: usize,
    weights_image: *mut T,
    weights_image_len: usize,
    weights_text: *mut T,
    weights_text_len: usize,
    scratch: *mut T,
    scratch_len: usize,
    losses: *mut DpmLossesOf<T>,
    step: StatefulStep<T, C::Rust>,
) -> i32 {
    let args = StoredArgs {
        scores: (scores, scores_len),
        ds: (ds, ds_len),
        weights_image: (weights_image, weights_image_len),
        weights_text: (weights_text, weights_text_len),
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

/// The body of the C InfoNCE step from `S` in both precisions: the
/// arguments of `dpm_infonce_bimodal_f32` in its order. The status code.
///
/// # Safety
///
/// The C contract of `dpm_infonce_bimodal_f32`, in `T`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn infonce<T: Real>(
    scores: *const T,
    scores_len: usize,
    b: usize,
    tau: T,
    ds: *mut T,
    ds_len: usize,
    weights_image: *mut T,
    weights_image_len: usize,
    weights_text: *mut T,
    weights_text_len: usize,
    scratch: *mut T,
    scratch_len: usize,
    losses: *mut DpmLossesOf<T>,
) -> i32 {
    let args = StoredArgs {
        scores: (scores, scores_len),
        ds: (ds, ds_len),
        weights_image: (weights_image, weights_image_len),
        weights_text: (weights_text, weights_text_len),
        scratch: (scratch, scratch_len),
        losses,
    };
    // SAFETY: the caller's contract, as this function's.
    unsafe { args.run_stateless(|s, out, scratch| crate::infonce_bimodal(s, b, tau, out, scratch)) }
}
