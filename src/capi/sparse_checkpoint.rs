//! Checkpoints of the sparse state from C: its slots and id map saved
//! into and loaded from caller byte buffers
//! ([`SparseState::save_seq`](crate::SparseState::save_seq),
//! [`load`](crate::SparseState::load)) and the A/B slots
//! ([`next_checkpoint_slot`](crate::SparseState::next_checkpoint_slot),
//! [`load_newest`](crate::SparseState::load_newest)), in `float` and
//! `double` (one generic body each).

use super::checkpoint::optional;
use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, slice, slice_mut};
use super::sparse::{
    DPM_SPARSE_CAPACITY, DpmSparseF32, DpmSparseF64, DpmSparseOf, state, state_ref, storage_span,
};
use super::status::DPM_ERR_BAD_POINTER;
use crate::{Real, sparse_checkpoint_len};

/// C: `size_t dpm_sparse_checkpoint_len_f32(void)`: the bytes of a
/// checkpoint of a `DpmSparseF32` (`sparse_checkpoint_len::<f32>` of the
/// capacity: `44 + 4 + N (3 * 4 + 17)`).
///
/// # Example
///
/// ```
/// use dpm_core::capi::{dpm_sparse_capacity, dpm_sparse_checkpoint_len_f32};
/// assert_eq!(dpm_sparse_checkpoint_len_f32(), 48 + 29 * dpm_sparse_capacity());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn dpm_sparse_checkpoint_len_f32() -> usize {
    sparse_checkpoint_len::<f32>(DPM_SPARSE_CAPACITY)
}

/// C: `size_t dpm_sparse_checkpoint_len_f64(void)`: the bytes of a
/// checkpoint of a `DpmSparseF64` (`44 + 8 + N (3 * 8 + 17)`).
///
/// # Example
///
/// ```
/// use dpm_core::capi::{dpm_sparse_capacity, dpm_sparse_checkpoint_len_f64};
/// assert_eq!(dpm_sparse_checkpoint_len_f64(), 52 + 41 * dpm_sparse_capacity());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn dpm_sparse_checkpoint_len_f64() -> usize {
    sparse_checkpoint_len::<f64>(DPM_SPARSE_CAPACITY)
}

/// C: `int32_t dpm_sparse_save_f32(const DpmSparseF32 *st, uint64_t seq,
/// uint8_t *buf, size_t buf_len)`: writes the checkpoint of `*st` (slots,
/// id map, recency order, `zeta_init`), with sequence number `seq`, into
/// the first [`dpm_sparse_checkpoint_len_f32`]`()` bytes of `buf`.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st` NULL, misaligned or not
/// initialised in `float`, `buf` NULL with `buf_len > 0`, `buf`
/// overlapping `*st`); `DPM_ERR_LENGTH_MISMATCH` (`buf_len` shorter than
/// the checkpoint); `DPM_ERR_NON_FINITE` (a value the state uses, written
/// through a view, is NaN or infinite). On an error `buf` is untouched.
///
/// # Safety
///
/// `st` is NULL or valid for reads of a `DpmSparseF32`, `buf` valid for
/// writes of `buf_len` bytes (or `buf_len = 0`); nobody else accesses
/// them during the call.
#[doc = include_str!("doc/dpm_sparse_save_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_save_f32(
    st: *const DpmSparseF32,
    seq: u64,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { save(st, seq, buf, buf_len) }
}

/// C: [`dpm_sparse_save_f32`] on a `DpmSparseF64`: the same checks and
/// status codes; the checkpoint records `double`.
///
/// # Safety
///
/// As [`dpm_sparse_save_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_save_f64(
    st: *const DpmSparseF64,
    seq: u64,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { save(st, seq, buf, buf_len) }
}

/// The body of [`dpm_sparse_save_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_save_f32`], in `T`.
unsafe fn save<T: Real>(st: *const DpmSparseOf<T>, seq: u64, buf: *mut u8, buf_len: usize) -> i32 {
    let checked = || {
        disjoint(&[storage_span(st, false)?, Span::of(buf, buf_len, true)?])?;
        // SAFETY: checked; `*st` only read (the `&mut` is used for one
        // save), `buf` exclusive (disjoint, the caller).
        let (s, out) = unsafe { (state_ref(st)?, slice_mut(buf, buf_len)) };
        s.save_seq(seq, out).map(|_| ()).map_err(rust)
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_load_f32(DpmSparseF32 *st, const uint8_t *buf,
/// size_t buf_len, uint64_t *seq)`: replaces `*st` (slots and id map) by
/// the sparse checkpoint at the front of `buf`, checked whole first;
/// writes its sequence number to `*seq` (optional: NULL to skip).
/// Afterwards every id has the slot it had when saved and the same ids
/// are evicted in the same order.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (as for saving, and `seq`
/// misaligned or overlapping); `DPM_ERR_BAD_CHECKPOINT` (truncated,
/// corrupted, another version, precision or capacity, a dense state's
/// checkpoint, a broken id map: `SparseState::load`). On an error
/// `*seq` is not written and nothing observable of `*st` changes: every
/// id's slot, the values and the eviction order (its bytes may: a
/// refused id map is undone by rebuilding the map, whose internal order
/// then differs).
///
/// # Safety
///
/// `st` is NULL or valid for reads and writes of a `DpmSparseF32`, `buf`
/// for reads of `buf_len` bytes, `seq` NULL or valid for one write;
/// nobody else accesses them during the call. Views taken before are
/// invalid after it.
#[doc = include_str!("doc/dpm_sparse_load_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_load_f32(
    st: *mut DpmSparseF32,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load(st, buf, buf_len, seq) }
}

/// C: [`dpm_sparse_load_f32`] on a `DpmSparseF64`: the same checks and
/// status codes; a checkpoint saved in `float` is
/// `DPM_ERR_BAD_CHECKPOINT`.
///
/// # Safety
///
/// As [`dpm_sparse_load_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_load_f64(
    st: *mut DpmSparseF64,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load(st, buf, buf_len, seq) }
}

/// The body of [`dpm_sparse_load_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_load_f32`], in `T`.
unsafe fn load<T: Real>(
    st: *mut DpmSparseOf<T>,
    buf: *const u8,
    buf_len: usize,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        disjoint(&[
            storage_span(st, true)?,
            Span::of(buf, buf_len, false)?,
            optional(seq)?,
        ])?;
        // SAFETY: checked; exclusive and readable (the caller).
        let (s, bytes) = unsafe { (state(st)?, slice(buf, buf_len)) };
        let k = s.load(bytes).map_err(rust)?;
        if !seq.is_null() {
            // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
            unsafe { seq.write(k) };
        }
        Ok(())
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_next_slot_f32(const DpmSparseF32 *st, const
/// uint8_t *slot_a, size_t len_a, const uint8_t *slot_b, size_t len_b,
/// uint32_t *slot, uint64_t *seq)`: where the next checkpoint of `*st`
/// goes in an A/B pair (`SparseState::next_checkpoint_slot`): the slot
/// not holding the newest sparse checkpoint it can load (0 for A, 1 for
/// B) and the sequence number to save with.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st`, `slot` or `seq` NULL or
/// misaligned, `st` not initialised in `float`, a slot NULL with a
/// nonzero length, outputs overlapping anything). On an error nothing is
/// written.
///
/// # Safety
///
/// `st` is NULL or valid for reads of a `DpmSparseF32`, each slot for
/// reads of its length, `slot` and `seq` NULL or valid for one write;
/// nobody writes them during the call.
#[doc = include_str!("doc/dpm_sparse_next_slot_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_next_slot_f32(
    st: *const DpmSparseF32,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { next_slot(st, [(slot_a, len_a), (slot_b, len_b)], slot, seq) }
}

/// C: [`dpm_sparse_next_slot_f32`] on a `DpmSparseF64`: the same checks
/// and status codes; a slot holding a `float` checkpoint counts as empty.
///
/// # Safety
///
/// As [`dpm_sparse_next_slot_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_next_slot_f64(
    st: *const DpmSparseF64,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { next_slot(st, [(slot_a, len_a), (slot_b, len_b)], slot, seq) }
}

/// The spans of the two A/B slots.
fn slot_spans(slots: [(*const u8, usize); 2]) -> Result<[Span; 2], i32> {
    Ok([
        Span::of(slots[0].0, slots[0].1, false)?,
        Span::of(slots[1].0, slots[1].1, false)?,
    ])
}

/// The two A/B slots as byte slices.
///
/// # Safety
///
/// Both passed [`slot_spans`]; readable and not written during `'a`.
unsafe fn slot_bytes<'a>(slots: [(*const u8, usize); 2]) -> [&'a [u8]; 2] {
    // SAFETY: forwarded.
    unsafe { [slice(slots[0].0, slots[0].1), slice(slots[1].0, slots[1].1)] }
}

/// The body of [`dpm_sparse_next_slot_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_next_slot_f32`], in `T`.
unsafe fn next_slot<T: Real>(
    st: *const DpmSparseOf<T>,
    slots: [(*const u8, usize); 2],
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        if slot.is_null() || seq.is_null() {
            return Err(DPM_ERR_BAD_POINTER);
        }
        let [a, b] = slot_spans(slots)?;
        disjoint(&[
            storage_span(st, false)?,
            a,
            b,
            Span::of(slot, 1, true)?,
            Span::of(seq, 1, true)?,
        ])?;
        // SAFETY: checked; `*st` and the slots only read (the caller).
        let (s, bytes) = unsafe { (state_ref(st)?, slot_bytes(slots)) };
        let (k, q) = s.next_checkpoint_slot(bytes);
        // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
        unsafe {
            slot.write(u32::from(k == 1));
            seq.write(q);
        }
        Ok(())
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_load_newest_f32(DpmSparseF32 *st, const uint8_t
/// *slot_a, size_t len_a, const uint8_t *slot_b, size_t len_b, uint32_t
/// *slot, uint64_t *seq)`: loads the valid sparse checkpoint of the two
/// slots with the higher sequence number (`SparseState::load_newest`: a
/// write cut short leaves the previous checkpoint in force); writes which
/// slot (0 for A, 1 for B) and its sequence number (both optional).
///
/// Returns as [`dpm_sparse_load_f32`](super::dpm_sparse_load_f32);
/// `DPM_ERR_BAD_CHECKPOINT` also when neither slot holds a checkpoint
/// this state can load. On an error `*slot` and `*seq` are not written
/// and nothing observable of `*st` changes (as for
/// [`dpm_sparse_load_f32`](super::dpm_sparse_load_f32)).
///
/// # Safety
///
/// As [`dpm_sparse_load_f32`](super::dpm_sparse_load_f32), for both
/// slots; `slot` NULL or valid for one write.
#[doc = include_str!("doc/dpm_sparse_load_newest_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_load_newest_f32(
    st: *mut DpmSparseF32,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load_newest(st, [(slot_a, len_a), (slot_b, len_b)], slot, seq) }
}

/// C: [`dpm_sparse_load_newest_f32`] on a `DpmSparseF64`: the same checks
/// and status codes; only checkpoints saved in `double` load.
///
/// # Safety
///
/// As [`dpm_sparse_load_newest_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_load_newest_f64(
    st: *mut DpmSparseF64,
    slot_a: *const u8,
    len_a: usize,
    slot_b: *const u8,
    len_b: usize,
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { load_newest(st, [(slot_a, len_a), (slot_b, len_b)], slot, seq) }
}

/// The body of [`dpm_sparse_load_newest_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_load_newest_f32`], in `T`.
unsafe fn load_newest<T: Real>(
    st: *mut DpmSparseOf<T>,
    slots: [(*const u8, usize); 2],
    slot: *mut u32,
    seq: *mut u64,
) -> i32 {
    let checked = || {
        let [a, b] = slot_spans(slots)?;
        disjoint(&[
            storage_span(st, true)?,
            a,
            b,
            optional(slot)?,
            optional(seq)?,
        ])?;
        // SAFETY: checked; `*st` exclusive, the slots readable (the caller).
        let (s, bytes) = unsafe { (state(st)?, slot_bytes(slots)) };
        let (k, q) = s.load_newest(bytes).map_err(rust)?;
        // SAFETY: each non-NULL, aligned (Span::of), writable (the caller).
        unsafe {
            if !slot.is_null() {
                slot.write(u32::from(k == 1));
            }
            if !seq.is_null() {
                seq.write(q);
            }
        }
        Ok(())
    };
    code(checked())
}
