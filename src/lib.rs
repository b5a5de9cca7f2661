//! Allocation-free gradients of DPM (discriminative probabilistic modeling,
//! the NUCLR algorithm of Wang, Lei, Ying & Yang, ICLR 2025) and of the
//! contrastive losses around it (SogCLR / GCL, InfoNCE / CLIP), over
//! caller-provided slices.
//!
//! - `#![no_std]`, no `alloc`: every buffer is the caller's, and scratch
//!   sizes are `const fn`s ([`scratch_len`] of a [`Scratch`], one per engine).
//! - Log-domain state and log-sum-exp-stable kernels: no finite input gives
//!   NaN or an infinity; inputs so large that one would are refused.
//! - Every precondition is checked before any output or state is
//!   written: on `Err`, outputs and state are bit-identical to before
//!   (caller scratch may have been written: its contents are never an
//!   input).
//! - Past one machine: [`shard`] runs a rank's block of a step's anchor
//!   rows against the gathered candidates; a collective library (MPI,
//!   NCCL) carries the sums it names.
//!
//! The mathematical contract is [`spec`] (`docs/SPEC.md` in the
//! repository; the docs cite its sections as "SPEC section N");
//! scores are higher-is-better, `S[i][j]` = anchor `i` against candidate
//! `j`, positives on the diagonal.
//!
//! # Example
//!
//! ```
//! use dpm_core::{
//!     dpm_bimodal, BimodalOut, Directions, DpmParams, FirstVisit, Offset, Scratch, State,
//!     ZetaStep, scratch_len,
//! };
//!
//! // Per-sample state of a data set of 1000 image-text pairs (`State::new`
//! // is a `const fn`: in firmware, a `static`).
//! let mut images = State::<f32, 1000>::new(-0.05);
//! let mut texts = State::<f32, 1000>::new(-0.05);
//!
//! // One batch of B = 3: cosine scores, image rows x text columns.
//! let s = [0.9, 0.2, 0.1, 0.3, 0.8, 0.2, 0.0, 0.4, 0.7_f32];
//! let p = DpmParams {
//!     tau: 0.05, gamma: 0.8, offset: Offset::Vanilla,
//!     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-4 }),
//!     first_visit: FirstVisit::Batch,
//! };
//! // Each direction is named by its anchors, and bounded by its
//! // candidates' xi (refreshed once per epoch): images anchor against
//! // the texts, texts against the images.
//! let params = Directions {
//!     image: DpmParams { offset: Offset::Xi(texts.view().refresh_xi(0.0)), ..p },
//!     text: DpmParams { offset: Offset::Xi(images.view().refresh_xi(0.0)), ..p },
//! };
//! let mut ds = [0.0_f32; 9];
//! let mut scratch = [0.0_f32; scratch_len(Scratch::Bimodal { b: 3 })];
//! let loss = dpm_bimodal(
//!     &s, 3, &[10, 11, 12], &[10, 11, 12],
//!     &mut images.view(), &mut texts.view(), params,
//!     BimodalOut::new(&mut ds), &mut scratch,
//! )?;
//! assert!(loss.total.is_finite());
//! // dS = d loss / d S: chain it back to the embeddings (dX = dS Y).
//! # Ok::<(), dpm_core::Error>(())
//! ```
//!
//! # Feature flags
//!
//! - `std` (off by default): [`par`], the bimodal step on rayon's workers
//!   (bit-identical to the serial step) and batches of independent problems;
//!   the core never needs it.
//! - `capi` (off by default): the C ABI of [`capi`] (`include/dpm_core.h`);
//!   the only module with `unsafe` code.
//!
//! # Minimum supported Rust version
//!
//! 1.89 (the `rust-version` of `Cargo.toml`); raising it is a minor release.
#![no_std]
// Unsafe code only in the C ABI (`capi`, which allows it locally); an
// unsafe fn's body is not an unsafe block.
#![deny(unsafe_code)]
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::module_name_repetitions
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "capi")]
#[cfg_attr(docsrs, doc(cfg(feature = "capi")))]
pub mod capi;
mod check;
pub mod embed;
mod error;
pub mod family;
mod kernel;
mod lanes;
pub mod lse;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod par;
mod params;
mod real;
pub mod scalar;
pub mod schedule;
mod scratch;
pub mod shard;
#[doc = include_str!("../docs/SPEC.md")]
#[allow(clippy::doc_markdown, rustdoc::broken_intra_doc_links)] // its plain-ASCII notation: `a[i][j]`
pub mod spec {}
mod state;
mod step;
mod sum;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Hooks for `benches/`: not part of the API, may change in any release.
#[doc(hidden)]
pub mod __bench {
    /// `x[k] = e^x[k]` with the exp the kernels use, on this machine's
    /// lanes (0 below the smallest normal result).
    ///
    /// ```
    /// let mut x = [0.0_f32, 1.0, -100.0];
    /// dpm_core::__bench::exp_in_place(&mut x);
    /// assert_eq!((x[0], x[2]), (1.0, 0.0));
    /// ```
    pub fn exp_in_place<T: crate::Real>(x: &mut [T]) {
        crate::lanes::exp::exp_in_place(x);
    }

    /// The instruction set the kernels dispatch to on this machine:
    /// `"avx512f"`, `"avx2+fma"` or `"baseline"`.
    #[must_use]
    pub fn isa() -> &'static str {
        crate::lanes::dispatch::isa().name()
    }
}

pub use error::Error;
/// The num-traits this crate builds on ([`Real`] has
/// [`num_traits::float::FloatCore`] as a supertrait), re-exported so that
/// user code names the same version.
pub use num_traits;
pub use params::{Directions, DpmParams, FirstVisit, Offset, SogClrParams, ZetaStep};
pub use real::Real;
pub use scratch::{Scratch, scratch_len};
pub use state::{
    AnchorState, CandidateState, CheckpointInfo, SparseState, State, StateView, checkpoint_len,
    inspect_checkpoint, sparse_checkpoint_len,
};
pub use step::{
    BimodalOut, Layout, Losses, StepOut, dpm_bimodal, dpm_step, infonce_bimodal, infonce_step,
    sogclr_bimodal, sogclr_step,
};
