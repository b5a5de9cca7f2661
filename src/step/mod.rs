//! The DPM step and the losses that share its kernel.
//!
//! | function | SPEC | what |
//! |---|---|---|
//! | [`dpm_bimodal`] | 2, 3 | NUCLR on an image-text batch, both directions from one `S` |
//! | [`dpm_step`] | 2, 3b | one direction over any [`Layout`] (unimodal two-view, custom) |
//! | [`sogclr_bimodal`], [`sogclr_step`] | 4 | SogCLR / GCL: zeta = 0, no offset |
//! | [`infonce_bimodal`], [`infonce_step`] | 4 | InfoNCE / CLIP: softmax over all columns |
//!
//! Every step runs the SIMD passes of `crate::kernel` (three passes over
//! the rows of `S`, on the vector lanes this CPU has) on targets with
//! lanes, and the scalar kernel elsewhere (Cortex-M, RISC-V);
//! [`crate::scalar`] has the bimodal functions' scalar twins. The losses
//! differ in the offset, the state they touch and the weight of a
//! direction.
//!
//! # Accuracy
//!
//! A weight is `exp(t)` with `t = a - log_den`; its relative error is at
//! most `8 eps (1 + |a| + |max| + |log_den|)` (SPEC section 7; `max` the
//! anchor's largest `a`, relative to which `t` is formed), and the same
//! form holds for `u`, the loss and `h` with their own arguments. The
//! golden tests in `tests/golden.rs` check the tighter `8 eps (1 + |a| +
//! |log_den|)` on every recorded step.
//!
//! # Special cases
//!
//! - `gamma = 1` drops the history (`ln(1 - gamma) = -inf` is handled).
//! - A row's weights sum to at most `1 / gamma`, not 1: when an anchor's
//!   history is lighter than this batch, `exp(u) >= gamma exp(L)` is all
//!   that bounds the denominator (the golden cases reach `1 / 0.8 = 1.25`).
//!   On a first visit with [`FirstVisit::Batch`](crate::FirstVisit) the sum
//!   is at most 1 (below 1 for DPM, whose denominator has an offset; 1 for
//!   SogCLR); with `FirstVisit::ZeroHistory` it can reach `1 / gamma`.

mod bimodal;
mod cap;
pub(crate) mod checks;
mod engine;
pub(crate) mod general;
mod layout;
mod out;
mod run;
pub(crate) mod zeta;

pub use bimodal::{dpm_bimodal, infonce_bimodal, sogclr_bimodal};
pub(crate) use bimodal::{dpm_on, infonce_on, sogclr_on};
pub(crate) use engine::{Engine, SCALAR};
pub use general::{dpm_step, infonce_step, sogclr_step};
pub use layout::Layout;
pub use out::{BimodalOut, Losses, StepOut};
pub(crate) use run::{finish, plan};
