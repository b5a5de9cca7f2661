//! The kernels of the steps, written once.
//!
//! | module | what |
//! |---|---|
//! | `spec` | a direction as the kernels see it (`Spec`, `Kind`) |
//! | `anchor` | the per-anchor math of SPEC section 2: state update, denominators, the factors of `dS` and `h` |
//! | `scalar` | one direction, one element at a time: the readable reference |
//! | `rows` | what the passes compute for one row of `S`, on any lanes |
//! | `passes` | the three passes over blocks of rows: maxima, sums, outputs |
//! | `schedule` | blocks in order on one thread, or in waves on rayon's workers (bit-identical) |
//! | `panels` | where the passes read `S` and write `dS`: stored, or a panel of rows at a time |
//! | `workspace` | caller scratch carved into named vectors |
//! | `bimodal` | both directions of a bimodal step on the passes |
//! | `online` | the tiled steps' first pass: maxima and sums at once, column sums rescaled online |
//! | `general` | one direction over any layout on the passes |
//!
//! Layering: `lanes` (vectors, exp, sums) below, `kernel` here, the
//! public steps of `crate::step` and `crate::par` above; nothing here
//! imports from them.

pub(crate) mod anchor;
pub(crate) mod bimodal;
pub(crate) mod general;
pub(crate) mod online;
pub(crate) mod panels;
mod passes;
mod rows;
pub(crate) mod scalar;
pub(crate) mod schedule;
pub(crate) mod spec;
pub(crate) mod workspace;
