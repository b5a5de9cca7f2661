//! The A/B checkpoint slots from C: which slot the next checkpoint goes
//! to ([`StateView::next_checkpoint_slot`](crate::StateView::next_checkpoint_slot))
//! and loading the newest valid one
//! ([`StateView::load_newest`](crate::StateView::load_newest)), in
//! `float` and `double` (one generic body each).

use super::checkpoint::{checked_view, optional};
use super::ffi::{code, rust};
use super::ptr::{Span, slice};
use super::status::DPM_ERR_BAD_POINTER;
use super::types::{DpmStateF32, DpmStateF64, DpmStateOf};
use crate::Real;

/// C: `int32_t dpm_state_load_newest_f32(const DpmStateF32 *state, const
/// uint8_t *slot_a, size_t len_a, const uint8_t *slot_b, size_t len_b,
/// uint32_t *slot, uint64_t *seq)`: loads the valid checkpoint of the two
/// slots with the higher sequence number (`StateView::load_newest`: a
/// write cut short leaves the previous checkpoint in force); writes which
/// slot (0 for A, 1 for B) and its sequence number (both optional).
///
/// Returns as [`dpm_state_load_f32`](super::dpm_state_load_f32); `DPM_ERR_BAD_CHECKPOINT` also when
/// neither slot holds a checkpoint this state can load. On an error nothing is written.
///
/// # Safety
///
/// As [`dpm_state_load_f32`](super::dpm_state_load_f32), for both slots;
/// `slot` NULL or valid for one write.
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
    // SAFETY: the caller's contract, as this function's.
    unsafe { load_newest(state, slot_a, len_a, slot_b, len_b, slot, seq) }
}

/// C: [`dpm_state_load_newest_f32`] on a state in `double` (`DpmStateF64`): the same
/// checks and status codes; only checkpoints saved in `double` load.
///
/// # Safety
///
/// As [`dpm_state_load_newest_f32`], with the `double` arrays of a `DpmStateF64`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_load_newest_f64(
    state: *const DpmStateF64,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load_newest(state, slot_a, len_a, slot_b, len_b, slot, seq) }
}

/// The body of [`dpm_state_load_newest_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_state_load_newest_f32`], in `T`.
unsafe fn load_newest<T: Real>(
    state: *const DpmStateOf<T>,
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
    // SAFETY: the caller's contract, as this function's.
    unsafe { next_slot(state, slot_a, len_a, slot_b, len_b, slot, seq) }
}

/// C: [`dpm_state_next_slot_f32`] on a state in `double` (`DpmStateF64`): the same
/// checks and status codes; a slot holding a `float` checkpoint counts
/// as empty.
///
/// # Safety
///
/// As [`dpm_state_next_slot_f32`], with the `double` arrays of a `DpmStateF64`.
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_state_next_slot_f64(
    state: *const DpmStateF64,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { next_slot(state, slot_a, len_a, slot_b, len_b, slot, seq) }
}

/// The body of [`dpm_state_next_slot_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_state_next_slot_f32`], in `T`.
unsafe fn next_slot<T: Real>(
    state: *const DpmStateOf<T>,
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
