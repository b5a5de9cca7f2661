//! What every `extern "C"` function shares (the status code, a state's
//! arrays and view), and the smallest ones: state initialisation,
//! log-sum-exp (each in `float` and `double`, one generic body) and the
//! stored steps' scratch size.

use super::ptr::{Span, disjoint, read, slice, slice_mut};
use super::status::{DPM_ERR_BAD_POINTER, DPM_OK, status_code};
use super::types::{DpmStateF32, DpmStateF64, DpmStateOf};
use crate::{Error, Real, Scratch, StateView, lse, scratch_len};

pub(super) fn code(r: Result<(), i32>) -> i32 {
    r.err().unwrap_or(DPM_OK)
}

pub(super) fn rust(e: Error) -> i32 {
    status_code(&e)
}

pub(super) fn state_spans<T>(st: &DpmStateOf<T>) -> Result<[Span; 5], i32> {
    Ok([
        Span::of(st.log_s, st.n, true)?,
        Span::of(st.s_flags, st.n, true)?,
        Span::of(st.zeta, st.n, true)?,
        Span::of(st.z, st.n, true)?,
        Span::of(st.z_flags, st.n, true)?,
    ])
}

/// # Safety
///
/// `state_spans(st)` and `disjoint` accepted the arrays; the C contract of
/// [`DpmStateOf`] holds for the lifetime `'a`.
pub(super) unsafe fn view<'a, T: Real>(st: &DpmStateOf<T>) -> Result<StateView<'a, T>, i32> {
    // SAFETY: each array passed Span::of and disjoint; valid for reads and
    // writes of n elements by the caller's contract.
    let (log_s, s_flags, zeta, z, z_flags) = unsafe {
        (
            slice_mut(st.log_s, st.n),
            slice_mut(st.s_flags, st.n),
            slice_mut(st.zeta, st.n),
            slice_mut(st.z, st.n),
            slice_mut(st.z_flags, st.n),
        )
    };
    StateView::new(log_s, s_flags, zeta, z, z_flags).map_err(rust)
}

/// C: `int32_t dpm_state_init_f32(const DpmStateF32 *state, float
/// zeta_init)`. Initialises the caller's arrays of `state`: every id never
/// visited (flags 0, `log_s` and `z` 0) and every `zeta = zeta_init` (the
/// authors start at `-0.05`).
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`state` NULL, an array NULL or
/// misaligned, arrays overlapping); `DPM_ERR_POPULATION_TOO_SMALL`
/// (`n < 2`); `DPM_ERR_INVALID_PARAMETER` (`zeta_init` not finite). On an
/// error nothing is written.
///
/// # Safety
///
/// `state` is NULL or points to a `DpmStateF32` whose five arrays are each
/// valid for reads and writes of `n` elements and not accessed by anyone
/// else during the call.
#[doc = include_str!("doc/dpm_state_init_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_init_f32(state: *const DpmStateF32, zeta_init: f32) -> i32 {
    // SAFETY: the caller's contract on `state`.
    code(unsafe { state_init(state, zeta_init) })
}

/// C: `int32_t dpm_state_init_f64(const DpmStateF64 *state, double
/// zeta_init)`: [`dpm_state_init_f32`] on a state in `double`; the same
/// checks and status codes.
///
/// # Safety
///
/// As [`dpm_state_init_f32`], with the `double` arrays of a
/// `DpmStateF64`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_init_f64(state: *const DpmStateF64, zeta_init: f64) -> i32 {
    // SAFETY: the caller's contract on `state`.
    code(unsafe { state_init(state, zeta_init) })
}

/// Both precisions' state initialisation.
///
/// # Safety
///
/// As [`dpm_state_init_f32`].
unsafe fn state_init<T: Real>(state: *const DpmStateOf<T>, zeta_init: T) -> Result<(), i32> {
    // SAFETY: NULL or a readable DpmStateOf<T> (the caller).
    let st = unsafe { read(state)? };
    disjoint(&state_spans(&st)?)?;
    if st.n < 2 {
        return Err(rust(Error::PopulationTooSmall { len: st.n }));
    }
    if !zeta_init.is_finite() {
        return Err(rust(Error::InvalidParameter { what: "zeta_init" }));
    }
    // SAFETY: all five arrays passed Span::of and disjoint (above).
    unsafe {
        slice_mut(st.log_s, st.n).fill(T::ZERO);
        slice_mut(st.s_flags, st.n).fill(0);
        slice_mut(st.zeta, st.n).fill(zeta_init);
        slice_mut(st.z, st.n).fill(T::ZERO);
        slice_mut(st.z_flags, st.n).fill(0);
    }
    Ok(())
}

/// C: `size_t dpm_bimodal_scratch_len(size_t b)`: the elements of scratch
/// `dpm_bimodal_f32` needs for `b` pairs (see [`scratch_len`] of [`Scratch::Bimodal`]),
/// `float`s there and `double`s for `dpm_bimodal_f64` (the same count: a
/// count of elements, not bytes, in both precisions):
/// `32 b` on hosts (SIMD lanes), `3 b` on Cortex-M, or `SIZE_MAX` when
/// that does not fit a `size_t`. No buffer
/// has `SIZE_MAX` floats, so `dpm_bimodal_f32` refuses such a batch
/// (`b * b` scores do not fit either); the function never wraps or
/// aborts.
#[doc = include_str!("doc/dpm_bimodal_scratch_len.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_bimodal_scratch_len(b: usize) -> usize {
    scratch_len(Scratch::Bimodal { b })
}

/// C: `int32_t dpm_log_sum_exp_f32(const float *x, size_t len, float
/// *out)`: `*out = ln(sum_k exp(x[k]))`, stable (see
/// [`lse::log_sum_exp`]); `-inf` for `len = 0`.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`out` NULL, `x` NULL with
/// `len > 0`, misaligned, or `out` inside `x`); `DPM_ERR_NON_FINITE` (a NaN
/// or `+inf` in `x`; `-inf` is allowed). On an error `*out` is untouched.
///
/// # Safety
///
/// `x` is valid for reads of `len` floats (or `len = 0`); `out` is NULL or
/// valid for a write of one float.
#[doc = include_str!("doc/dpm_log_sum_exp_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_log_sum_exp_f32(x: *const f32, len: usize, out: *mut f32) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    code(unsafe { log_sum_exp(x, len, out) })
}

/// C: `int32_t dpm_log_sum_exp_f64(const double *x, size_t len, double
/// *out)`: [`dpm_log_sum_exp_f32`] in `double` (8-byte aligned); the same
/// checks and status codes.
///
/// # Safety
///
/// As [`dpm_log_sum_exp_f32`], with `double`s.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_log_sum_exp_f64(x: *const f64, len: usize, out: *mut f64) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    code(unsafe { log_sum_exp(x, len, out) })
}

/// Both precisions' log-sum-exp.
///
/// # Safety
///
/// As [`dpm_log_sum_exp_f32`].
unsafe fn log_sum_exp<T: Real>(x: *const T, len: usize, out: *mut T) -> Result<(), i32> {
    if out.is_null() {
        return Err(DPM_ERR_BAD_POINTER);
    }
    disjoint(&[Span::of(x, len, false)?, Span::of(out, 1, true)?])?;
    // SAFETY: checked by Span::of and disjoint; readable (the caller).
    let xs = unsafe { slice(x, len) };
    let v = lse::log_sum_exp(xs).map_err(rust)?;
    // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
    unsafe { out.write(v) };
    Ok(())
}
