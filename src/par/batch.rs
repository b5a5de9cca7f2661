//! Many independent problems at once: each is one serial bimodal step on
//! its own slices, and the problems are spread across rayon's workers.

use crate::{
    BimodalOut, Directions, DpmParams, Error, Losses, Real, SogClrParams, StateView, dpm_bimodal,
    infonce_bimodal, sogclr_bimodal,
};
use rayon::prelude::*;

/// One bimodal step to run in a [`run_batch`]: the arguments of
/// [`crate::dpm_bimodal`], [`crate::sogclr_bimodal`] or
/// [`crate::infonce_bimodal`], field for field. Problems are independent:
/// each has its own outputs, scratch ([`crate::scratch_len`] of
/// its own `Scratch::Bimodal { b }`) and state, so two problems never share a `StateView` (the
/// borrow checker sees to it).
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, par::Problem};
/// let (mut ds, mut scratch) = ([0.0_f32; 4], [0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })]);
/// let mut p = Problem::InfoNce {
///     scores: &[1.0, 0.0, 0.0, 1.0], b: 2, tau: 1.0,
///     out: BimodalOut::new(&mut ds), scratch: &mut scratch,
/// };
/// let loss = p.run()?; // the serial step, here on this thread
/// assert!(loss.total > 0.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Debug)]
#[allow(missing_docs)] // the fields are the arguments of the functions named
pub enum Problem<'p, 'v, T> {
    /// [`crate::dpm_bimodal`].
    Dpm {
        scores: &'p [T],
        b: usize,
        image_ids: &'p [usize],
        text_ids: &'p [usize],
        image: &'p mut StateView<'v, T>,
        text: &'p mut StateView<'v, T>,
        params: Directions<DpmParams<T>>,
        out: BimodalOut<'p, T>,
        scratch: &'p mut [T],
    },
    /// [`crate::sogclr_bimodal`].
    SogClr {
        scores: &'p [T],
        b: usize,
        image_ids: &'p [usize],
        text_ids: &'p [usize],
        image: &'p mut StateView<'v, T>,
        text: &'p mut StateView<'v, T>,
        params: Directions<SogClrParams<T>>,
        out: BimodalOut<'p, T>,
        scratch: &'p mut [T],
    },
    /// [`crate::infonce_bimodal`].
    InfoNce {
        scores: &'p [T],
        b: usize,
        tau: T,
        out: BimodalOut<'p, T>,
        scratch: &'p mut [T],
    },
}

/// The outputs of `out`, reborrowed.
fn reborrow<'a, T>(out: &'a mut BimodalOut<'_, T>) -> BimodalOut<'a, T> {
    BimodalOut {
        ds: &mut *out.ds,
        weights_image: out.weights_image.as_deref_mut(),
        weights_text: out.weights_text.as_deref_mut(),
        h_image: out.h_image.as_deref_mut(),
        h_text: out.h_text.as_deref_mut(),
    }
}

impl<T: Real> Problem<'_, '_, T> {
    /// Runs the problem's step on this thread (what [`run_batch`] runs on
    /// a worker); it can be run again, as the step on the state it left.
    ///
    /// # Errors
    ///
    /// Those of the step run ([`crate::dpm_bimodal`] and its siblings);
    /// on `Err` the problem's outputs and state are untouched.
    ///
    /// # Example
    ///
    /// See [`Problem`].
    pub fn run(&mut self) -> Result<Losses<T>, Error> {
        match self {
            Problem::Dpm {
                scores,
                b,
                image_ids,
                text_ids,
                image,
                text,
                params,
                out,
                scratch,
            } => dpm_bimodal(
                scores,
                *b,
                image_ids,
                text_ids,
                image,
                text,
                *params,
                reborrow(out),
                scratch,
            ),
            Problem::SogClr {
                scores,
                b,
                image_ids,
                text_ids,
                image,
                text,
                params,
                out,
                scratch,
            } => sogclr_bimodal(
                scores,
                *b,
                image_ids,
                text_ids,
                image,
                text,
                *params,
                reborrow(out),
                scratch,
            ),
            Problem::InfoNce {
                scores,
                b,
                tau,
                out,
                scratch,
            } => infonce_bimodal(scores, *b, *tau, reborrow(out), scratch),
        }
    }
}

/// Runs every problem ([`Problem::run`], the serial step) on the workers
/// of the current rayon pool, `results[k]` the result of `problems[k]`.
///
/// For many small or medium problems (several heads, many small
/// batches): the problems, not the rows, are spread across the workers,
/// so each runs at the serial step's speed without synchronisation. For
/// one large batch use [`super::dpm_bimodal`] instead. Results are those
/// of running the problems one by one, bit for bit, in any order: the
/// problems share nothing. Allocates nothing; work is split by rayon's
/// `par_iter_mut`.
///
/// # Errors
///
/// [`Error::LengthMismatch`] if `results` is not as long as `problems`
/// (then nothing runs). A problem's own errors go to its entry of
/// `results`, leaving that problem's outputs and state untouched; the
/// other problems run.
///
/// # Example
///
/// ```
/// use dpm_core::{BimodalOut, Error, Losses, par::{Problem, run_batch}};
/// let s = [1.0_f32, 0.0, 0.0, 1.0];
/// let (mut ds1, mut ds2) = ([0.0_f32; 4], [0.0_f32; 4]);
/// const N: usize = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 });
/// let (mut sc1, mut sc2) = ([0.0_f32; N], [0.0_f32; N]);
/// let mut problems = [
///     Problem::InfoNce { scores: &s, b: 2, tau: 1.0, out: BimodalOut::new(&mut ds1), scratch: &mut sc1 },
///     Problem::InfoNce { scores: &s, b: 2, tau: -1.0, out: BimodalOut::new(&mut ds2), scratch: &mut sc2 },
/// ];
/// let mut results = [Ok(Losses::default()); 2];
/// run_batch(&mut problems, &mut results)?;
/// assert!(results[0].is_ok());
/// assert!(matches!(results[1], Err(Error::InvalidParameter { .. }))); // tau < 0
/// # Ok::<(), Error>(())
/// ```
pub fn run_batch<T: Real>(
    problems: &mut [Problem<'_, '_, T>],
    results: &mut [Result<Losses<T>, Error>],
) -> Result<(), Error> {
    crate::check::len("results", results.len(), problems.len())?;
    problems
        .par_iter_mut()
        .zip(results.par_iter_mut())
        .for_each(|(p, r)| *r = p.run());
    Ok(())
}
