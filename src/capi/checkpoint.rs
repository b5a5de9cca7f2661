//! Checkpoints from C: a population's state saved into and loaded from
//! caller byte buffers ([`StateView::save_seq`](crate::StateView::save_seq),
//! [`StateView::load`](crate::StateView::load)), and the A/B slot rule
//! ([`StateView::next_checkpoint_slot`](crate::StateView::next_checkpoint_slot),
//! [`StateView::load_newest`](crate::StateView::load_newest)).

use super::ffi::{code, rust, state_spans, view};
use super::ptr::{Span, disjoint, read, slice, slice_mut};
use super::status::DPM_ERR_BAD_POINTER;
use super::types::DpmStateF32;
use crate::{StateView, checkpoint_len};

/// C: `size_t dpm_checkpoint_len_f32(size_t n)`: the bytes of a checkpoint
/// of a population of `n` in `float` ([`checkpoint_len`]): `28 + 13 n`,
/// or `SIZE_MAX` when that does not fit a `size_t` (no buffer is that
/// long, so such a save is refused).
#[doc = include_str!("doc/dpm_checkpoint_len_f32.md")]
#[unsafe(no_mangle)]
pub extern "C" fn dpm_checkpoint_len_f32(n: usize) -> usize {
    checkpoint_len::<f32>(n)
}

/// The view of `state` after every pointer check: its five arrays and
/// the call's `other` arrays (at most four) valid, and disjoint where
/// written.
///
/// # Safety
///
/// `state` is NULL or points to a `DpmStateF32` whose arrays are valid
/// for reads and writes of `n` elements, not accessed by anyone else for
/// `'a`.
unsafe fn checked_view<'a>(
    state: *const DpmStateF32,
    other: &[Span],
) -> Result<StateView<'a, f32>, i32> {
    // SAFETY: NULL or a readable DpmStateF32 (the caller).
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
fn optional<T>(p: *mut T) -> Result<Span, i32> {
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

/// C: `int32_t dpm_state_load_newest_f32(const DpmStateF32 *state, const
/// uint8_t *slot_a, size_t len_a, const uint8_t *slot_b, size_t len_b,
/// uint32_t *slot, uint64_t *seq)`: loads the valid checkpoint of the two
/// slots with the higher sequence number (`StateView::load_newest`: a
/// write cut short leaves the previous checkpoint in force); writes which
/// slot (0 for A, 1 for B) and its sequence number (both optional).
///
/// Returns as [`dpm_state_load_f32`]; `DPM_ERR_BAD_CHECKPOINT` also when
/// neither slot holds a checkpoint this state can load. On an error nothing is written.
///
/// # Safety
///
/// As [`dpm_state_load_f32`], for both slots; `slot` NULL or valid for one
/// write.
#[doc = include_str!("doc/dpm_state_load_newest_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_load_newest_f32(
    state: *const DpmStateF32,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        let other = [
            Span::of(slot_a, len_a, false)?,
            Span::of(slot_b, len_b, false)?,
            optional(slot)?,
            optional(seq)?,
        ];
        // SAFETY: the caller's contract on `state`.
        let mut v = unsafe { checked_view(state, &other)? };
        // SAFETY: checked by Span::of and disjoint; readable (the caller).
        let slots = unsafe { [slice(slot_a, len_a), slice(slot_b, len_b)] };
        let (k, s) = v.load_newest(slots).map_err(rust)?;
        // SAFETY: each non-NULL, aligned (Span::of), writable (the caller).
        unsafe {
            if !slot.is_null() {
                slot.write(u32::from(k == 1));
            }
            if !seq.is_null() {
                seq.write(s);
            }
        }
        Ok(())
    };
    code(checked())
}

/// C: `int32_t dpm_state_next_slot_f32(const DpmStateF32 *state, const
/// uint8_t *slot_a, size_t len_a, const uint8_t *slot_b, size_t len_b,
/// uint32_t *slot, uint64_t *seq)`: where the next checkpoint of `state`
/// goes in an A/B pair (`StateView::next_checkpoint_slot`): the slot not
/// holding the newest checkpoint this state can load (0 for A, 1 for B)
/// and the sequence number to save with.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`state`, `slot` or `seq`
/// NULL or misaligned, a slot NULL with a nonzero length, outputs
/// overlapping anything); `DPM_ERR_POPULATION_TOO_SMALL`,
/// `DPM_ERR_CORRUPT_STATE` (the state given). On an error nothing is
/// written.
///
/// # Safety
///
/// As [`dpm_state_load_newest_f32`], with `slot` and `seq` valid for one
/// write each.
#[doc = include_str!("doc/dpm_state_next_slot_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_next_slot_f32(
    state: *const DpmStateF32,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        if slot.is_null() || seq.is_null() {
            return Err(DPM_ERR_BAD_POINTER);
        }
        let other = [
            Span::of(slot_a, len_a, false)?,
            Span::of(slot_b, len_b, false)?,
            Span::of(slot, 1, true)?,
            Span::of(seq, 1, true)?,
        ];
        // SAFETY: the caller's contract on `state`.
        let v = unsafe { checked_view(state, &other)? };
        // SAFETY: checked by Span::of and disjoint; readable (the caller).
        let slots = unsafe { [slice(slot_a, len_a), slice(slot_b, len_b)] };
        let (k, s) = v.next_checkpoint_slot(slots);
        // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
        unsafe {
            slot.write(u32::from(k == 1));
            seq.write(s);
        }
        Ok(())
    };
    code(checked())
}
