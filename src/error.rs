//! The one error type of the crate.

use core::fmt;

/// Why a call refused its input.
///
/// Every function that returns `Result<_, Error>` checks all of its
/// preconditions before it writes any output or state: on `Err`, every
/// output slice and every state array is bit-identical to what it was
/// before the call. Caller scratch may have been written (some checks
/// run fused with a first pass that fills it); its contents are never an
/// input.
///
/// Names in `what` fields are the argument names of the function that
/// refused (for example `"scores"`, `"ds"`, `"image_ids"`).
///
/// # Example
///
/// ```
/// use dpm_core::{lse::log_sum_exp, Error};
/// assert_eq!(
///     log_sum_exp(&[1.0_f32, f32::NAN]),
///     Err(Error::NonFinite { what: "x", index: 1 })
/// );
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// A batch has fewer than two anchors or candidates (SPEC: B >= 2).
    BatchTooSmall {
        /// Rows or columns found.
        len: usize,
    },
    /// A state population has fewer than two samples (SPEC: n >= 2).
    PopulationTooSmall {
        /// The population size found.
        len: usize,
    },
    /// A slice does not have the length the other arguments imply.
    LengthMismatch {
        /// The argument.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A dataset id is not below the population size.
    IdOutOfRange {
        /// The argument holding the id.
        what: &'static str,
        /// The id.
        id: usize,
        /// The population size.
        len: usize,
    },
    /// The same dataset id appears twice on one side of a batch.
    DuplicateId {
        /// The argument holding the ids.
        what: &'static str,
        /// The repeated id.
        id: usize,
    },
    /// A scalar parameter is outside its domain (for example `tau <= 0`,
    /// `gamma` outside `(0, 1]`, `eta < 0`, or one of them not finite).
    InvalidParameter {
        /// The parameter.
        what: &'static str,
    },
    /// An input value (a score, a state entry used by this batch) is NaN or
    /// infinite.
    NonFinite {
        /// The argument.
        what: &'static str,
        /// Position of the first offending value in that argument.
        index: usize,
    },
    /// A row of a general layout has its positive out of range, excluded,
    /// or has no negative column left.
    InvalidLayout {
        /// The row.
        row: usize,
    },
    /// Finite inputs so large that an intermediate value would overflow
    /// (for example `|score| / tau` near the type's maximum). The crate
    /// refuses rather than return an infinity.
    OutOfRange {
        /// The argument or derived quantity that would overflow.
        what: &'static str,
    },
    /// A state flag byte holds a value the crate never writes.
    CorruptState {
        /// The id whose flag is invalid.
        id: usize,
    },
    /// An argument that needs at least one element has none (for example
    /// the sampled negatives of a sampled softmax, where `1 / K` is
    /// undefined for `K = 0`).
    Empty {
        /// The argument.
        what: &'static str,
    },
    /// A vector to be L2-normalised is zero: `v / |v|` has no value.
    ZeroNorm {
        /// The argument holding the vectors.
        what: &'static str,
        /// The zero row.
        row: usize,
    },
    /// An input value (a score, a state entry used by this batch) is a
    /// nonzero number below the smallest normal number of its type
    /// (subnormal). The crate neither consumes nor produces one (SPEC
    /// section 7): subnormal arithmetic costs 10-100x on common CPUs.
    Subnormal {
        /// The argument.
        what: &'static str,
        /// Position of the first offending value in that argument.
        index: usize,
    },
    /// A checkpoint ([`StateView::load`](crate::StateView::load)) is
    /// truncated, corrupted, of another format version, precision or
    /// population size, or holds values a state cannot: see
    /// [`inspect_checkpoint`](crate::inspect_checkpoint) and `load` for
    /// each `what`.
    BadCheckpoint {
        /// What is wrong: `"length"`, `"magic"`, `"version"`,
        /// `"precision"`, `"reserved"`, `"checksum"`, `"population"`,
        /// `"flags"`, `"value"` or `"slots"`.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::BatchTooSmall { len } => {
                write!(
                    f,
                    "batch of {len}: at least 2 anchors and candidates are needed"
                )
            }
            Error::PopulationTooSmall { len } => {
                write!(f, "population of {len}: at least 2 samples are needed")
            }
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "`{what}` has length {found}, expected {expected}"),
            Error::IdOutOfRange { what, id, len } => {
                write!(
                    f,
                    "`{what}` holds id {id}, not below the population size {len}"
                )
            }
            Error::DuplicateId { what, id } => write!(f, "`{what}` holds id {id} twice"),
            Error::InvalidParameter { what } => {
                write!(f, "parameter `{what}` is outside its domain")
            }
            Error::NonFinite { what, index } => {
                write!(f, "`{what}[{index}]` is NaN or infinite")
            }
            Error::InvalidLayout { row } => write!(
                f,
                "layout row {row}: positive out of range or excluded, or no negative left"
            ),
            Error::OutOfRange { what } => {
                write!(
                    f,
                    "`{what}` is so large that an intermediate would overflow"
                )
            }
            Error::CorruptState { id } => write!(f, "state flag of id {id} is not a valid flag"),
            Error::Empty { what } => write!(f, "`{what}` is empty: at least one element is needed"),
            Error::ZeroNorm { what, row } => {
                write!(
                    f,
                    "row {row} of `{what}` is zero and cannot be L2-normalised"
                )
            }
            Error::Subnormal { what, index } => {
                write!(f, "`{what}[{index}]` is subnormal")
            }
            Error::BadCheckpoint { what } => write!(f, "bad checkpoint: {what}"),
        }
    }
}

impl core::error::Error for Error {}
