//! Status codes: one per [`Error`] variant, plus the C layer's own.

use crate::Error;
use core::ffi::{CStr, c_char};

/// Success.
pub const DPM_OK: i32 = 0;
/// [`Error::BatchTooSmall`]: fewer than 2 pairs in a batch.
pub const DPM_ERR_BATCH_TOO_SMALL: i32 = 1;
/// [`Error::PopulationTooSmall`]: a state with fewer than 2 samples.
pub const DPM_ERR_POPULATION_TOO_SMALL: i32 = 2;
/// [`Error::LengthMismatch`]: an array length does not fit the others.
pub const DPM_ERR_LENGTH_MISMATCH: i32 = 3;
/// [`Error::IdOutOfRange`]: an id not below the population size.
pub const DPM_ERR_ID_OUT_OF_RANGE: i32 = 4;
/// [`Error::DuplicateId`]: the same id twice on one side of a batch.
pub const DPM_ERR_DUPLICATE_ID: i32 = 5;
/// [`Error::InvalidParameter`]: `tau`, `gamma`, `xi`, `theta`, `eta`,
/// `zeta_init` or an enumeration field outside its domain.
pub const DPM_ERR_INVALID_PARAMETER: i32 = 6;
/// [`Error::NonFinite`]: NaN or an infinity in an input or in the state
/// the batch reads.
pub const DPM_ERR_NON_FINITE: i32 = 7;
/// [`Error::InvalidLayout`]: a bad row of a general layout.
pub const DPM_ERR_INVALID_LAYOUT: i32 = 8;
/// [`Error::OutOfRange`]: finite inputs so large an intermediate would
/// overflow.
pub const DPM_ERR_OUT_OF_RANGE: i32 = 9;
/// [`Error::CorruptState`]: a state flag byte other than 0 or 1.
pub const DPM_ERR_CORRUPT_STATE: i32 = 10;
/// [`Error::Empty`]: an argument that needs an element has none.
pub const DPM_ERR_EMPTY: i32 = 11;
/// [`Error::ZeroNorm`]: a zero vector to be L2-normalised.
pub const DPM_ERR_ZERO_NORM: i32 = 12;
/// [`Error::Subnormal`]: a subnormal input value.
pub const DPM_ERR_SUBNORMAL: i32 = 13;
/// [`Error::BadCheckpoint`]: a checkpoint truncated, corrupted, of
/// another version, precision or population size, or with bad values.
pub const DPM_ERR_BAD_CHECKPOINT: i32 = 14;
/// C layer only (no [`Error`] variant): a required pointer is NULL, an
/// array pointer with a nonzero length is NULL or misaligned for its
/// element type, an array is larger than `PTRDIFF_MAX` bytes, or an output
/// array overlaps another array argument.
pub const DPM_ERR_BAD_POINTER: i32 = -1;
/// Catch-all, reserved for an [`Error`] variant that has no code of its
/// own. This version never returns it: every variant has its code (the
/// mapping is an exhaustive `match`, so a new variant does not compile
/// until it gets one). C code should treat any code it does not know as
/// an error of unknown kind.
pub const DPM_ERR_OTHER: i32 = -2;

/// The status code of an error: one code per variant.
///
/// # Example
///
/// ```
/// use dpm_core::{capi, Error};
/// assert_eq!(capi::status_code(&Error::BatchTooSmall { len: 1 }), capi::DPM_ERR_BATCH_TOO_SMALL);
/// ```
#[must_use]
pub const fn status_code(e: &Error) -> i32 {
    match e {
        Error::BatchTooSmall { .. } => DPM_ERR_BATCH_TOO_SMALL,
        Error::PopulationTooSmall { .. } => DPM_ERR_POPULATION_TOO_SMALL,
        Error::LengthMismatch { .. } => DPM_ERR_LENGTH_MISMATCH,
        Error::IdOutOfRange { .. } => DPM_ERR_ID_OUT_OF_RANGE,
        Error::DuplicateId { .. } => DPM_ERR_DUPLICATE_ID,
        Error::InvalidParameter { .. } => DPM_ERR_INVALID_PARAMETER,
        Error::NonFinite { .. } => DPM_ERR_NON_FINITE,
        Error::InvalidLayout { .. } => DPM_ERR_INVALID_LAYOUT,
        Error::OutOfRange { .. } => DPM_ERR_OUT_OF_RANGE,
        Error::CorruptState { .. } => DPM_ERR_CORRUPT_STATE,
        Error::Empty { .. } => DPM_ERR_EMPTY,
        Error::ZeroNorm { .. } => DPM_ERR_ZERO_NORM,
        Error::Subnormal { .. } => DPM_ERR_SUBNORMAL,
        Error::BadCheckpoint { .. } => DPM_ERR_BAD_CHECKPOINT,
    }
}

/// A static, NUL-terminated English message for a status code; unknown
/// codes get `"unknown status code"`.
///
/// # Example
///
/// ```
/// use dpm_core::capi;
/// assert_eq!(capi::status_message(capi::DPM_OK).to_str(), Ok("ok"));
/// assert_eq!(capi::status_message(1234).to_str(), Ok("unknown status code"));
/// ```
#[must_use]
pub const fn status_message(code: i32) -> &'static CStr {
    match code {
        DPM_OK => c"ok",
        DPM_ERR_BATCH_TOO_SMALL => c"batch too small: at least 2 pairs are needed",
        DPM_ERR_POPULATION_TOO_SMALL => c"population too small: at least 2 samples are needed",
        DPM_ERR_LENGTH_MISMATCH => c"an array length does not match the other arguments",
        DPM_ERR_ID_OUT_OF_RANGE => c"an id is not below the population size",
        DPM_ERR_DUPLICATE_ID => c"the same id appears twice on one side of the batch",
        DPM_ERR_INVALID_PARAMETER => c"a parameter is outside its domain",
        DPM_ERR_NON_FINITE => c"an input value is NaN or infinite",
        DPM_ERR_INVALID_LAYOUT => c"a layout row is invalid",
        DPM_ERR_OUT_OF_RANGE => c"inputs so large that an intermediate would overflow",
        DPM_ERR_CORRUPT_STATE => c"a state flag byte is neither 0 nor 1",
        DPM_ERR_EMPTY => c"an argument that needs an element is empty",
        DPM_ERR_ZERO_NORM => c"a zero vector cannot be L2-normalised",
        DPM_ERR_SUBNORMAL => c"an input value is subnormal",
        DPM_ERR_BAD_CHECKPOINT => c"a checkpoint is truncated, corrupted or of another kind",
        DPM_ERR_BAD_POINTER => c"a pointer is NULL, misaligned, too large or overlapping",
        DPM_ERR_OTHER => c"an error without a code of its own",
        _ => c"unknown status code",
    }
}

/// C: `const char *dpm_status_message(int32_t code)`: a static,
/// NUL-terminated message for any status code (never NULL; the caller
/// must not free it).
#[doc = include_str!("doc/dpm_status_message.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_status_message(code: i32) -> *const c_char {
    status_message(code).as_ptr()
}
