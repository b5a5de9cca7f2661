//! The bimodal steps from `S` in C: `dpm_bimodal_f32` here, the SogCLR
//! and InfoNCE twins in `families.rs`; their shared pointer handling is
//! [`StoredArgs`].

use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, optional_mut, slice, slice_mut};
use super::stateful::{StateSpans, Stateful, no_state};
use super::types::{CParams, DpmLossesF32, DpmParamsF32, DpmStateF32};
use crate::{BimodalOut, Directions, Error, Losses, StateView, dpm_bimodal};

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
            dpm_bimodal,
        )
    }
}

/// A bimodal step with state from `S`, as [`dpm_bimodal`] and
/// [`sogclr_bimodal`](crate::sogclr_bimodal) take it.
pub(super) type StatefulStep<P> = fn(
    &[f32],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, f32>,
    &mut StateView<'_, f32>,
    Directions<P>,
    BimodalOut<'_, f32>,
    &mut [f32],
) -> Result<Losses<f32>, Error>;

/// The C ABI's arrays of a bimodal step from `S`: every pointer checked
/// ([`Span::of`], [`disjoint`]) before any slice exists. A step with state
/// runs through [`StoredArgs::run_stateful`], one without through
/// [`StoredArgs::run_stateless`].
pub(super) struct StoredArgs {
    pub scores: (*const f32, usize),
    pub ds: (*mut f32, usize),
    pub weights_image: (*mut f32, usize),
    pub weights_text: (*mut f32, usize),
    pub scratch: (*mut f32, usize),
    pub losses: *mut DpmLossesF32,
}

impl StoredArgs {
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
        stateful: &Stateful,
        params: [*const C; 2],
        step: StatefulStep<C::Rust>,
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
        step: impl FnOnce(&[f32], BimodalOut<'_, f32>, &mut [f32]) -> Result<Losses<f32>, Error>,
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
        step: impl FnOnce(&[f32], V, BimodalOut<'_, f32>, &mut [f32]) -> Result<Losses<f32>, Error>,
    ) -> Result<(), i32> {
        let optional = |(p, len): (*mut f32, usize)| (p, if p.is_null() { 0 } else { len });
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
