//! Back to embeddings (SPEC section 6): the bilinear score `S = X Y^T`
//! and its gradients, L2 normalisation, SIMD kernels, and the bimodal
//! steps from features (stored, or in tiles).
//!
//! | function | computes |
//! |---|---|
//! | [`scores_forward`] | `S = X Y^T` |
//! | [`scores_backward`] | `dX = G Y`, `dY = G^T X` for `G = dL/dS` |
//! | [`shared_backward`] | `dphi_k = sum_j c_kj phi_j + sum_i c_ik phi_i` (one set of vectors, both roles) |
//! | [`l2_normalize`] | `x = v / |v|` row-wise |
//! | [`l2_normalize_backward`] | `dL/dv = (dL/dx - (x . dL/dx) x) / |v|` |
//! | [`dot`], [`dot_wide`] | `a . b`, scalar and SIMD |
//! | [`axpy`], [`axpy_wide`] | `y += alpha x`, scalar and SIMD |
//! | [`dpm_bimodal_from_features`] | `S`, [`dpm_bimodal`](crate::dpm_bimodal), `dS`, `dX`, `dY` |
//! | [`dpm_bimodal_tiled`], [`sogclr_bimodal_tiled`], [`infonce_bimodal_tiled`] | `dX`, `dY` from features with `S` and `dS` never stored (scratch: [`Scratch::Tiled`](crate::Scratch::Tiled)) |
//!
//! Matrices are row-major flat slices with explicit dimensions; elements
//! are [`Real`](crate::Real): `f32` (the SIMD kernels in `f32x8` lanes)
//! or `f64` (`f64x4`), the lanes of the `wide` crate, `no_std` here, that
//! the step's kernels use too.
//!
//! # Errors
//!
//! Every precondition is checked before anything is written: on `Err`,
//! every output slice is bit-identical to what it was.

mod bilinear;
mod checks;
mod end_to_end;
mod kernels;
mod normalize;
mod products;
pub(crate) mod tiled;

pub use bilinear::{scores_backward, scores_forward, shared_backward};
pub use end_to_end::{FeatureOut, Features, dpm_bimodal_from_features};
pub use kernels::{axpy, axpy_wide, dot, dot_wide};
pub use normalize::{l2_normalize, l2_normalize_backward};
pub use tiled::{TILE, TiledOut, dpm_bimodal_tiled, infonce_bimodal_tiled, sogclr_bimodal_tiled};
