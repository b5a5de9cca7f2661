//! The energy-based family of losses (SPEC section 5): the Gibbs NLL and
//! its expectation-form gradient, pair losses, softmax cross-entropy, and
//! sampled softmax with importance correction.
//!
//! Conventions: an energy `F` is LOWER for more compatible pairs (the
//! opposite sign of a score `S`), `beta = 1/T` is an inverse temperature,
//! a logit `z` is HIGHER for more likely classes. Matrices are row-major
//! flat slices with explicit dimensions.
//!
//! | function | loss | gradient written |
//! |---|---|---|
//! | [`gibbs_nll`] | `F_y + (1/beta) ln sum_k exp(-beta F_k)` | `[k == y] - p_k` |
//! | [`expectation_gradient`] | - | `E_p[dE/dtheta] - dE(x)/dtheta` |
//! | [`pair_loss`] | simple, hinge, log, square-square | `d/dF(x,y)`, `d/dF(x,ybar)` |
//! | [`softmax_cross_entropy`] | `-ln softmax(z)_c` | `p - onehot(c)` |
//! | [`softmax_cross_entropy_linear`] | the same with `z = W x + b` | `dW`, `db` |
//! | [`softmax_cross_entropy_linear_batch`] | its mean over `N` samples | `dW`, `db` |
//! | [`sampled_softmax`] | `-ln(exp(z_c) / D)`, importance-corrected `D` | `dl/dz_c`, `dl/dz_j` |
//! | [`sampled_softmax_linear`] | the same with `z = W x + b` | the touched rows of `dW`, `db` |
//!
//! Every softmax here runs one kernel: the target's logit is subtracted
//! from the others, and `l = ln(1 + exp(lse(rest)))` goes through the
//! crate's log-sum-exp ([`crate::lse`]). Losses near 0 and probabilities
//! near 1 keep their digits, and no finite input overflows.
//!
//! # Errors
//!
//! As everywhere in the crate: every precondition is checked before
//! anything is written, and on `Err` every output slice is bit-identical
//! to what it was.

pub(crate) mod gibbs;
mod linear;
mod pair;
mod sampled_softmax;
mod softmax_ce;
mod softmax_ce_batch;

pub use gibbs::{expectation_gradient, gibbs_nll};
pub use linear::{Linear, LinearGrad};
pub use pair::{PairLoss, PairOut, pair_loss};
pub use sampled_softmax::{SampledSoftmax, sampled_softmax, sampled_softmax_linear};
pub use softmax_ce::{softmax_cross_entropy, softmax_cross_entropy_linear};
pub use softmax_ce_batch::softmax_cross_entropy_linear_batch;
