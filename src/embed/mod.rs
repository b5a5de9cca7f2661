//! placeholder
mod kernels;
pub use kernels::{Lanes, axpy, axpy_wide, dot, dot_wide};
