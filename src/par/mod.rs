//! Many cores (feature `std`): the bimodal step split across rayon's
//! workers, bit-identical to the serial step, and batches of independent
//! problems.
//!
//! | function | what |
//! |---|---|
//! | [`dpm_bimodal`], [`sogclr_bimodal`], [`infonce_bimodal`] | one large batch on all workers; same arguments and results as [`crate::dpm_bimodal`] and its siblings, bit for bit |
//! | [`scratch_len`] | the scratch of each, a `const fn` of a [`Scratch`](crate::Scratch) (`Bimodal { b }`, `Tiled { b, d }`: no `b^2` term) |
//! | [`dpm_bimodal_tiled`], [`sogclr_bimodal_tiled`], [`infonce_bimodal_tiled`] | the tiled steps from features ([`crate::embed::dpm_bimodal_tiled`] and its siblings) on all workers, bit for bit |
//! | [`run_batch`] with [`Problem`] | many independent problems (heads, small batches), each the serial step, spread across workers |
//!
//! Both run on the current rayon pool: the global one, or the pool whose
//! [`install`](rayon::ThreadPool::install) they are called from.
//!
//! # Bit-identical for any number of threads
//!
//! The serial step makes three passes over `S` (described in
//! `src/kernel/passes.rs`; the tiled steps run the first two at once,
//! `src/kernel/online.rs`, serially). The first, the maxima, folds with an exact
//! maximum, so it splits the rows into as many ranges as there are slots
//! (up to 64), each with its own column maxima, merged in range order. The
//! other two split the rows into blocks of 4 (the period of the serial
//! blocked column sums) and compute waves of up to 32 blocks in parallel;
//! whatever the serial pass folds across rows (compensated column sums,
//! loss sums, state writes) is kept per block and folded in block order by
//! one task, while the next wave runs. Every floating-point operation
//! therefore sees the same operands in the same order as in the serial
//! step, and results are equal bit for bit, with 1 thread or 64
//! (`tests/par.rs` checks 1, 2 and 4 threads against the serial step).
//!
//! # Memory
//!
//! The step takes caller scratch of [`scratch_len`]`(b)` elements: the
//! serial step's workspace without its slot (`30 b`) plus two waves of up
//! to 32 blocks' slots (`2 b` each): `158 b` for `b >= 128` (2.5 MiB in
//! `f32` at `b = 4096`, 3.9% of `S`). The kernels do
//! not allocate; rayon's thread pool allocates its threads and work queues
//! when it starts (the global one at first use), and its queues may grow
//! under load, which is rayon's business, not the kernels'.
//!
//! # Example
//!
//! ```
//! use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, State, ZetaStep};
//! let mut images = State::<f32, 100>::new(-0.05);
//! let mut texts = State::<f32, 100>::new(-0.05);
//! let s = [0.9_f32, 0.1, 0.2, 0.8];
//! let p = DpmParams {
//!     tau: 0.05, gamma: 0.8, offset: Offset::Xi(0.0),
//!     zeta_step: Some(ZetaStep { theta: 0.9, eta: 1e-3 }), first_visit: FirstVisit::Batch,
//! };
//! let mut ds = [0.0_f32; 4];
//! let mut scratch = vec![0.0_f32; dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })];
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let loss = pool.install(|| {
//!     dpm_core::par::dpm_bimodal(
//!         &s, 2, &[3, 7], &[3, 7], &mut images.view(), &mut texts.view(),
//!         dpm_core::Directions::both(p), BimodalOut::new(&mut ds), &mut scratch,
//!     )
//! })?;
//! assert!(loss.total < 0.0);
//! # Ok::<(), dpm_core::Error>(())
//! ```

mod batch;
mod step;
mod tiled;

pub use batch::{Problem, run_batch};
pub use step::{dpm_bimodal, infonce_bimodal, sogclr_bimodal};
pub use tiled::{dpm_bimodal_tiled, infonce_bimodal_tiled, sogclr_bimodal_tiled};

/// Scratch elements `call` needs on many cores (this module's
/// functions): the sizes are on [`Scratch`](crate::Scratch)'s variants.
/// The calls without a parallel twin here (`Step`, `Features`,
/// `SoftmaxBatch`) get the serial figure.
///
/// # Example
///
/// ```
/// use dpm_core::{Scratch, par};
/// assert_eq!(par::scratch_len(Scratch::Bimodal { b: 4096 }), 158 * 4096);
/// let (b, d) = (4096, 128);
/// let lanes = dpm_core::scratch_len(Scratch::Bimodal { b: 1 }) == 32;
/// if lanes {
///     assert_eq!(par::scratch_len(Scratch::Tiled { b, d }), 224 * b + 3 * b * d);
/// }
/// const SCRATCH: usize = par::scratch_len(Scratch::Bimodal { b: 64 });
/// # let _ = SCRATCH;
/// ```
#[must_use]
pub const fn scratch_len(call: crate::Scratch) -> usize {
    crate::scratch::on(crate::step::Engine::Par, call)
}
