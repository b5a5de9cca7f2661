//! Checkpoints from C: a population's state saved into and loaded from
//! caller byte buffers ([`StateView::save_seq`](crate::StateView::save_seq),
//! [`StateView::load`](crate::StateView::load)), in `float` and `double`
//! (one generic body each); the A/B slot rule is in `slots.rs`.

use super::ffi::{code, rust, state_spans, view};
use super::ptr::{Span, disjoint, read, slice, slice_mut};
use super::types::{DpmStateF32, DpmStateF64, DpmStateOf};
use crate::{Real, StateView, checkpoint_len};

/// C: `size_t dpm_checkpoint_len_f32(size_t n)`: the bytes of a checkpoint
/// of a population of `n` in `float` ([`checkpoint_len`]): `28 + 13 n`,
/// or `SIZE_MAX` when that does not fit a `size_t` (no buffer is that
/// long, so such a save is refused).
#[doc = include_str!("doc/dpm_checkpoint_len_f32.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_checkpoint_len_f32(n: usize) -> usize {
    checkpoint_len::<f32>(n)
}

/// C: `size_t dpm_checkpoint_len_f64(size_t n)`: the bytes of a checkpoint
/// of a population of `n` in `double` ([`checkpoint_len`]): `28 + 25 n`,
/// or `SIZE_MAX` when that does not fit a `size_t`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_checkpoint_len_f64(n: usize) -> usize {
    checkpoint_len::<f64>(n)
}

/// The view of `state` after every pointer check: its five arrays and
/// the call's `other` arrays (at most four) valid, and disjoint where
/// written.
///
/// # Safety
///
/// `state` is NULL or points to a `DpmStateOf<T>` whose arrays are valid
/// for reads and writes of `n` elements, not accessed by anyone else for
/// `'a`.
pub(super) unsafe fn checked_view<'a, T: Real>(
    state: *const DpmStateOf<T>,
    other: &[Span],
) -> Result<StateView<'a, T>, i32> {
    // SAFETY: NULL or a readable DpmStateOf<T> (the caller).
    let st = unsafe { read(state)? };
    let mut spans = [Span::of(state, 0, false)?; 9];
    spans[..5].copy_from_slice(&state_spans(&st)?);
    let all = &mut spans[..5 + other.len()];
    all[5..].copy_from_slice(other);
    disjoint(all)?;
    // SAFETY: the arrays passed state_spans and disjoint; the caller's
    // contract for 'a.
    unsafe { view(&st) }
}

/// An optional output of one element: its span (empty for NULL).
pub(super) fn optional<T>(p: *mut T) -> Result<Span, i32> {
    Span::of(p, usize::from(!p.is_null()), true)
}

/// C: `int32_t dpm_state_save_f32(const DpmStateF32 *state, uint64_t seq,
/// uint8_t *buf, size_t buf_len)`: writes the checkpoint of `state`, with
/// sequence number `seq`, into the first `dpm_checkpoint_len_f32(n)`
/// bytes of `buf`.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`state` or an array NULL or
/// misaligned, `buf` NULL with `buf_len > 0`, `buf` overlapping a state
/// array); `DPM_ERR_POPULATION_TOO_SMALL` (`n < 2`);
/// `DPM_ERR_CORRUPT_STATE` (a flag byte other than 0 or 1);
/// `DPM_ERR_LENGTH_MISMATCH` (`buf_len` shorter than the checkpoint);
/// `DPM_ERR_NON_FINITE` (a value the state uses is NaN or infinite). On
/// an error `buf` is untouched.
///
/// # Safety
///
/// `state` is NULL or points to a `DpmStateF32` whose arrays are valid
/// for reads of `n` elements; `buf` is valid for writes of `buf_len`
/// bytes (or `buf_len = 0`); nobody else accesses them during the call.
#[doc = include_str!("doc/dpm_state_save_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_save_f32(
    state: *const DpmStateF32,
    seq: u64,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { save(state, seq, buf, buf_len) }
}

/// C: [`dpm_state_save_f32`] on a state in `double` (`DpmStateF64`): the same checks
/// and status codes; the checkpoint records `double`
/// (`dpm_checkpoint_len_f64(n)` bytes).
///
/// # Safety
///
/// As [`dpm_state_save_f32`], with the `double` arrays of a `DpmStateF64`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_save_f64(
    state: *const DpmStateF64,
    seq: u64,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { save(state, seq, buf, buf_len) }
}

/// The body of [`dpm_state_save_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_state_save_f32`], in `T`.
unsafe fn save<T: Real>(
    state: *const DpmStateOf<T>,
    seq: u64,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    let checked = || {
        // SAFETY: the caller's contract on `state`.
        let v = unsafe { checked_view(state, &[Span::of(buf, buf_len, true)?])? };
        // SAFETY: checked by Span::of and disjoint; writable (the caller).
        let out = unsafe { slice_mut(buf, buf_len) };
        v.save_seq(seq, out).map(|_| ()).map_err(rust)
    };
    code(checked())
}

/// C: `int32_t dpm_state_load_f32(const DpmStateF32 *state, const uint8_t
/// *buf, size_t buf_len, uint64_t *seq)`: replaces the whole state of
/// `state` by the checkpoint at the front of `buf` (checked whole first);
/// writes its sequence number to `*seq` (optional: NULL to skip).
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (as for saving, and `seq`
/// misaligned or overlapping); `DPM_ERR_POPULATION_TOO_SMALL`,
/// `DPM_ERR_CORRUPT_STATE` (the state given); `DPM_ERR_BAD_CHECKPOINT`
/// (truncated, corrupted, another version, precision or population size,
/// bad flags or values: `StateView::load`). On an error neither the state
/// nor `*seq` is written.
///
/// # Safety
///
/// As [`dpm_state_save_f32`], with the state arrays valid for writes,
/// `buf` for reads of `buf_len` bytes, and `seq` NULL or valid for one
/// write.
#[doc = include_str!("doc/dpm_state_load_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_load_f32(
    state: *const DpmStateF32,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load(state, buf, buf_len, seq) }
}

/// C: [`dpm_state_load_f32`] on a state in `double` (`DpmStateF64`): the same checks
/// and status codes; a checkpoint saved in `float` (or of another
/// population size) is `DPM_ERR_BAD_CHECKPOINT`.
///
/// # Safety
///
/// As [`dpm_state_load_f32`], with the `double` arrays of a `DpmStateF64`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_load_f64(
    state: *const DpmStateF64,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load(state, buf, buf_len, seq) }
}

/// The body of [`dpm_state_load_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_state_load_f32`], in `T`.
unsafe fn load<T: Real>(
    state: *const DpmStateOf<T>,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        let other = [Span::of(buf, buf_len, false)?, optional(seq)?];
        // SAFETY: the caller's contract on `state`.
        let mut v = unsafe { checked_view(state, &other)? };
        // SAFETY: checked by Span::of and disjoint; readable (the caller).
        let bytes = unsafe { slice(buf, buf_len) };
        let s = v.load(bytes).map_err(rust)?;
        if !seq.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe { seq.write(s) };
        }
        Ok(())
    };
    code(checked())
}
