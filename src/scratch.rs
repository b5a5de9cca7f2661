//! How much scratch a call needs: one `const fn` per engine, of what the
//! call is ([`Scratch`]).

use crate::{embed::tiled, kernel::workspace, step::Engine};

/// The call a scratch slice is for, with its sizes. Give it to the
/// `scratch_len` of the engine that runs the call:
/// [`scratch_len`](crate::scratch_len) (the crate root's, `embed`'s and
/// `family`'s functions: SIMD lanes where the target has them),
/// [`scalar::scratch_len`](crate::scalar::scratch_len) (the scalar
/// reference), or `par::scratch_len` (feature `std`: many cores).
///
/// Every size saturates at `usize::MAX`, a length no slice has: a call
/// too large is refused ([`Error::LengthMismatch`](crate::Error::LengthMismatch)),
/// never given a wrapped, small size.
///
/// # Example
///
/// ```
/// use dpm_core::{Scratch, scratch_len};
/// // A `const fn`: scratch in a static array, as firmware keeps it.
/// const N: usize = scratch_len(Scratch::Bimodal { b: 16 });
/// let scratch = [0.0_f32; N];
/// assert!(scratch.len() >= 3 * 16);
/// assert_eq!(scratch_len(Scratch::Step { rows: 8, cols: usize::MAX }), usize::MAX);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scratch {
    /// [`dpm_bimodal`](crate::dpm_bimodal), [`sogclr_bimodal`](crate::sogclr_bimodal),
    /// [`infonce_bimodal`](crate::infonce_bimodal) (and their `scalar` and
    /// `par` twins) on `b` pairs.
    ///
    /// `32 b` with SIMD lanes (per-anchor values of both directions:
    /// maxima, sums, shifts, the factors of `h`, 10 vectors each; the
    /// candidates' zeta and the diagonal; compensated column sums; `h`;
    /// one slot of two partial column vectors), `3 b` on targets without
    /// them (Cortex-M, RISC-V: the scalar kernels, which need `h` and its
    /// compensated sums). 128 KiB of `f32` at `b = 1024` with lanes. The
    /// parallel step: the serial workspace without its slot plus two waves
    /// of up to 32 blocks' slots of `2 b`, `158 b` once `b >= 128`.
    Bimodal {
        /// Pairs in the batch.
        b: usize,
    },
    /// [`dpm_step`](crate::dpm_step), [`sogclr_step`](crate::sogclr_step),
    /// [`infonce_step`](crate::infonce_step): one direction over `rows x
    /// cols` scores. `5 cols + 10 rows` with SIMD lanes, `3 cols` without
    /// (the same on every engine: these steps have no twins).
    Step {
        /// Anchors (rows of the scores).
        rows: usize,
        /// Candidates (columns).
        cols: usize,
    },
    /// [`embed::dpm_bimodal_from_features`](crate::embed::dpm_bimodal_from_features)
    /// on `b` pairs of dimension `d`: `b^2 + 2 b d` plus the
    /// [`Bimodal`](Scratch::Bimodal) workspace (`S` itself, the normalised
    /// features, the step's workspace; the same on every engine: the step
    /// has no twins).
    Features {
        /// Pairs in the batch.
        b: usize,
        /// Dimension of each feature vector.
        d: usize,
    },
    /// [`embed::dpm_bimodal_tiled`](crate::embed::dpm_bimodal_tiled) and
    /// its SogCLR and InfoNCE twins (and theirs in `scalar` and `par`) on
    /// `b` pairs of dimension `d`. No term grows like `b^2`:
    ///
    /// - with SIMD lanes, serial and parallel, `224 b + 2 b d + 32 ceil(b
    ///   / 32) d` (the stored step's workspace, two panels of 96 rows of
    ///   `S` and `dS`, the normalised features, and `Y^T` packed for the
    ///   products): at `b = 4096`, `d = 128` 2.49 M elements (9.50 MiB in
    ///   `f32`), where [`Features`](Scratch::Features) asks for 18.0 M and
    ///   the outputs `S`, `dS` of the stored step take 33.6 M more;
    /// - the scalar engine, and every target without lanes: `23 b + 2 TILE
    ///   d` (per-pair statistics and two panels of
    ///   [`TILE`](crate::embed::TILE) normalised rows).
    Tiled {
        /// Pairs in the batch.
        b: usize,
        /// Dimension of each feature vector.
        d: usize,
    },
    /// [`family::softmax_cross_entropy_linear_batch`](crate::family::softmax_cross_entropy_linear_batch)
    /// through a layer of `classes` outputs: one row of logits (the same on
    /// every engine).
    SoftmaxBatch {
        /// Outputs of the layer.
        classes: usize,
    },
}

/// Scratch elements `call` needs on the serial engine: the functions of
/// the crate root, [`embed`](crate::embed) and [`family`](crate::family)
/// (SIMD lanes where the target has them). The sizes of each call are on
/// [`Scratch`]'s variants.
///
/// # Example
///
/// ```
/// use dpm_core::{Scratch, scratch_len};
/// let lanes = scratch_len(Scratch::Bimodal { b: 1 }) == 32;
/// let want = if lanes { 224 * 4096 + 3 * 4096 * 128 } else { 23 * 4096 + 2 * 32 * 128 };
/// assert_eq!(scratch_len(Scratch::Tiled { b: 4096, d: 128 }), want);
/// assert_eq!(scratch_len(Scratch::Features { b: 4, d: 8 }), 16 + 64 + scratch_len(Scratch::Bimodal { b: 4 }));
/// ```
#[must_use]
pub const fn scratch_len(call: Scratch) -> usize {
    on(Engine::Simd, call)
}

/// `call`'s scratch on `engine`.
pub(crate) const fn on(engine: Engine, call: Scratch) -> usize {
    match call {
        Scratch::Bimodal { b } => engine.scratch_len(b),
        Scratch::Step { rows, cols } => {
            if crate::lanes::LANES {
                workspace::general_len(rows, cols)
            } else {
                cols.saturating_mul(crate::step::SCALAR)
            }
        }
        Scratch::Features { b, d } => b
            .saturating_mul(b)
            .saturating_add(b.saturating_mul(d).saturating_mul(2))
            .saturating_add(Engine::Simd.scratch_len(b)),
        Scratch::Tiled { b, d } => tiled::scratch_len(engine, b, d),
        Scratch::SoftmaxBatch { classes } => classes,
    }
}
