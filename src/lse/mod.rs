//! Stable log-sum-exp kernels.
//!
//! `log_sum_exp(x) = m + ln(sum_k exp(x_k - m))` with `m = max_k x_k`: no
//! term of the sum exceeds 1, so no finite input overflows, and the sum is
//! at least 1, so its log loses nothing to cancellation.
//!
//! | function | computes |
//! |---|---|
//! | [`log_sum_exp`] | `ln sum_k exp(x[k])` over a slice |
//! | [`log_sum_exp_strided`] | the same over `x[start + k * stride]`, `k < count` (a column of a row-major matrix) |
//! | [`log_add_exp`] | `ln(exp(a) + exp(b))` |
//!
//! # Special cases
//!
//! `-inf` is a valid input everywhere: it is the log of a zero mass. The
//! log-sum-exp of no terms, or of only `-inf` terms, is `-inf` (never NaN).
//! NaN and `+inf` are refused with [`Error::NonFinite`](crate::Error).
//!
//! # Accuracy
//!
//! With `m` the maximum, the result is within about
//! `4 eps (1 + |m|)` of the exact value (compensated summation; the bound
//! does not grow with the length). The tests check `8 eps (1 + |m|)`.

mod scalar;

pub(crate) use scalar::lse_of;
pub use scalar::{log_add_exp, log_sum_exp, log_sum_exp_strided};
