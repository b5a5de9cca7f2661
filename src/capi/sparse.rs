//! The sparse state from C: arbitrary `uint64_t` ids on a fixed number
//! of slots ([`SparseState`]), in storage the caller owns
//! (`DpmSparseF32`, `DpmSparseF64`), at a capacity fixed when the library
//! is built (`DPM_SPARSE_CAPACITY`, read by `build.rs`). Initialisation,
//! the slots of a batch's ids, one id's slot, and the view the steps
//! take; checkpoints are in `sparse_checkpoint.rs`.
//!
//! C sees the storage as a struct of `uint64_t` words whose count the
//! header computes from `DPM_SPARSE_CAPACITY` (`DPM_SPARSE_WORDS_F32`,
//! `_F64`): [`dpm_sparse_bytes_f32`] is its size, and a compile-time
//! assertion here keeps the Rust state within it.

use super::ffi::{code, rust};
use super::ptr::{Span, disjoint, slice, slice_mut};
use super::status::{DPM_ERR_BAD_POINTER, DPM_ERR_LENGTH_MISMATCH};
use super::types::{DpmStateF32, DpmStateF64, DpmStateOf};
use crate::{Real, SparseState};
use core::mem::{align_of, size_of};

include!(concat!(env!("OUT_DIR"), "/sparse_capacity.rs"));

/// The capacity of the id map: twice the slots (a power of two).
const MAP: usize = 2 * DPM_SPARSE_CAPACITY;

/// The Rust state behind a `DpmSparseF32` or `DpmSparseF64`.
type Inner<T> = SparseState<T, DPM_SPARSE_CAPACITY, MAP>;

/// A sparse state in caller storage (C: `DpmSparseF32`, `DpmSparseF64`;
/// an opaque struct of `DPM_SPARSE_WORDS_F32` or `_F64` `uint64_t`
/// words). Initialise it with [`dpm_sparse_init_f32`] (or `_f64`) before
/// any other use; it holds no pointer, so it may live anywhere (a
/// `static`, the stack, a heap block) and be copied bytewise (`memcpy`,
/// assignment). Bytes it does not use (padding, the id map's free
/// entries) are indeterminate after `init`: never read the storage as
/// numbers or compare it bytewise; compare states by their slots and
/// checkpoints.
pub struct DpmSparseOf<T> {
    /// [`magic::<T>`] once initialised: catches a state never initialised
    /// (most of the time) or of the other precision.
    magic: u64,
    state: Inner<T>,
}

/// A sparse state in `float` (C: `DpmSparseF32`; see [`DpmSparseOf`]).
#[doc = include_str!("doc/DpmSparseF32.md")]
pub type DpmSparseF32 = DpmSparseOf<f32>;
/// A sparse state in `double` (C: `DpmSparseF64`; see [`DpmSparseOf`]).
pub type DpmSparseF64 = DpmSparseOf<f64>;

/// "DPMSPARS" with the precision's byte size in the low byte.
fn magic<T>() -> u64 {
    0x4450_4d53_5041_5200 | size_of::<T>() as u64
}

/// The `uint64_t` words of a `DpmSparseOf<T>` in C, as the header's
/// `DPM_SPARSE_WORDS_F32` and `_F64`: `9 N + 8` in `float`, `11 N + 8` in
/// `double` (`N` the capacity), at least the Rust state's size (checked
/// at compile time in [`bytes`]).
const fn words<T>() -> usize {
    let per_slot = if size_of::<T>() == 4 { 9 } else { 11 };
    per_slot * DPM_SPARSE_CAPACITY + 8
}

/// `sizeof(DpmSparseF32)` (or `F64`) in C.
const fn bytes<T>() -> usize {
    const {
        assert!(size_of::<DpmSparseOf<T>>() <= 8 * words::<T>());
        assert!(align_of::<DpmSparseOf<T>>() <= 8);
    }
    8 * words::<T>()
}

/// C: `size_t dpm_sparse_capacity(void)`: the slots of every sparse state
/// of this library build (`DPM_SPARSE_CAPACITY` when it was built, 256 by
/// default). A C program built with another `DPM_SPARSE_CAPACITY` has
/// structs of another size, which [`dpm_sparse_init_f32`] refuses.
///
/// # Example
///
/// ```
/// assert!(dpm_core::capi::dpm_sparse_capacity().is_power_of_two());
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn dpm_sparse_capacity() -> usize {
    DPM_SPARSE_CAPACITY
}

/// C: `size_t dpm_sparse_bytes_f32(void)`: the size of a `DpmSparseF32`
/// in this library build, `8 * (9 * DPM_SPARSE_CAPACITY + 8)`: equal to
/// `sizeof(DpmSparseF32)` when the C program was built with the same
/// `DPM_SPARSE_CAPACITY`.
///
/// # Example
///
/// ```
/// use dpm_core::capi::{dpm_sparse_bytes_f32, dpm_sparse_capacity};
/// assert_eq!(dpm_sparse_bytes_f32(), 8 * (9 * dpm_sparse_capacity() + 8));
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn dpm_sparse_bytes_f32() -> usize {
    bytes::<f32>()
}

/// C: `size_t dpm_sparse_bytes_f64(void)`: the size of a `DpmSparseF64`
/// in this library build, `8 * (11 * DPM_SPARSE_CAPACITY + 8)`.
///
/// # Example
///
/// ```
/// use dpm_core::capi::{dpm_sparse_bytes_f64, dpm_sparse_capacity};
/// assert_eq!(dpm_sparse_bytes_f64(), 8 * (11 * dpm_sparse_capacity() + 8));
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn dpm_sparse_bytes_f64() -> usize {
    bytes::<f64>()
}

/// The span of the storage at `p` (written or not): non-NULL, aligned,
/// and the whole struct as C sees it (`dpm_sparse_bytes_*`, more than the
/// Rust state inside), so that no output may overlap any of it.
pub(super) fn storage_span<T>(p: *const DpmSparseOf<T>, written: bool) -> Result<Span, i32> {
    if p.is_null() {
        return Err(DPM_ERR_BAD_POINTER);
    }
    Span::of(p.cast::<u64>(), words::<T>(), written)
}

/// `Err(DPM_ERR_BAD_POINTER)` unless the storage at `p` was initialised
/// in precision `T` (its magic word).
///
/// # Safety
///
/// `p` passed [`storage_span`] and is valid for reads of its first word.
unsafe fn initialised<T>(p: *const DpmSparseOf<T>) -> Result<(), i32> {
    // SAFETY: aligned, non-NULL, readable (the caller); any bytes are a
    // u64. No reference to the state is made.
    let m = unsafe { core::ptr::addr_of!((*p).magic).read() };
    if m == magic::<T>() {
        Ok(())
    } else {
        Err(DPM_ERR_BAD_POINTER)
    }
}

/// The state at `p`, to change it, after [`storage_span`] and `disjoint`
/// accepted it: `DPM_ERR_BAD_POINTER` unless it was initialised in
/// precision `T`. The exclusive reference ends every view taken before
/// (the docs of `dpm_sparse_view_f32`).
///
/// # Safety
///
/// `p` passed [`storage_span`] and `disjoint` with every other array of
/// the call, and is valid for reads and writes of a `DpmSparseOf<T>`
/// that no one else accesses for `'a`; if its first word holds the
/// magic, a `dpm_sparse_init_*` call in precision `T` initialised it.
pub(super) unsafe fn state<'a, T: Real>(p: *mut DpmSparseOf<T>) -> Result<&'a mut Inner<T>, i32> {
    // SAFETY: forwarded.
    unsafe { initialised(p)? };
    // SAFETY: initialised by dpm_sparse_init_* (the magic, the caller's
    // contract); exclusive for 'a (the caller).
    Ok(unsafe { &mut (*p).state })
}

/// The state at `p`, to read it: as [`state`], with a shared reference,
/// so that a view taken before stays valid and `p` may come from a
/// shared reference.
///
/// # Safety
///
/// As [`state`], with `p` valid for reads and not written by anyone for
/// `'a`.
pub(super) unsafe fn state_ref<'a, T: Real>(p: *const DpmSparseOf<T>) -> Result<&'a Inner<T>, i32> {
    // SAFETY: forwarded.
    unsafe { initialised(p)? };
    // SAFETY: initialised (the magic, the caller's contract); only read
    // for 'a (the caller).
    Ok(unsafe { &(*p).state })
}

/// C: `int32_t dpm_sparse_init_f32(DpmSparseF32 *st, size_t bytes, float
/// zeta_init)`: makes `*st` an empty sparse state (no id mapped, every
/// slot never visited with `zeta = zeta_init`), in place; `bytes` is
/// `sizeof(DpmSparseF32)` as the C program sees it.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st` NULL or not 8-byte
/// aligned); `DPM_ERR_LENGTH_MISMATCH` (`bytes` is not
/// [`dpm_sparse_bytes_f32`]`()`: the C program and the library were built
/// with different `DPM_SPARSE_CAPACITY`); `DPM_ERR_INVALID_PARAMETER`
/// (`zeta_init` not finite). On an error nothing is written.
///
/// # Safety
///
/// `st` is NULL or valid for writes of `bytes` bytes, not accessed by
/// anyone else during the call.
#[doc = include_str!("doc/dpm_sparse_init_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_init_f32(
    st: *mut DpmSparseF32,
    bytes: usize,
    zeta_init: f32,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { init(st, bytes, zeta_init) }
}

/// C: [`dpm_sparse_init_f32`] in `double` (`DpmSparseF64`,
/// [`dpm_sparse_bytes_f64`]): the same checks and status codes.
///
/// # Safety
///
/// As [`dpm_sparse_init_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_init_f64(
    st: *mut DpmSparseF64,
    bytes: usize,
    zeta_init: f64,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { init(st, bytes, zeta_init) }
}

/// The body of [`dpm_sparse_init_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_init_f32`], in `T`.
unsafe fn init<T: Real>(st: *mut DpmSparseOf<T>, n_bytes: usize, zeta_init: T) -> i32 {
    let checked = || {
        storage_span(st, true)?;
        if n_bytes != bytes::<T>() {
            return Err(DPM_ERR_LENGTH_MISMATCH);
        }
        // SAFETY: non-NULL, aligned (storage_span), valid for writes of
        // `bytes::<T>() >= size_of` bytes and exclusive (the caller).
        unsafe {
            SparseState::init_at(core::ptr::addr_of_mut!((*st).state), zeta_init).map_err(rust)?;
            core::ptr::addr_of_mut!((*st).magic).write(magic::<T>());
        }
        Ok(())
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_slots_f32(DpmSparseF32 *st, const uint64_t *ids,
/// size_t len, size_t *slots)`: the slot of each of the `len` ids, in
/// order, into `slots` (`SparseState::slots`): an id already mapped keeps
/// its slot, a new one takes a free slot or evicts the id seen least
/// recently (not in this call), and its slot starts as never visited.
/// The steps take these slots as ids, with [`dpm_sparse_view_f32`] as the
/// population's state.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st` NULL, misaligned or not
/// initialised in `float`; `ids` or `slots` NULL with `len > 0` or
/// misaligned; `slots` overlapping `ids` or `*st`);
/// `DPM_ERR_LENGTH_MISMATCH` (`len` above the capacity). On an error
/// nothing is written.
///
/// # Safety
///
/// `st` is NULL or valid for reads and writes of a `DpmSparseF32`; `ids`
/// for reads and `slots` for writes of `len` elements; nobody else
/// accesses them during the call. Any view of `*st` taken before the call
/// is invalid after it: take a new one with [`dpm_sparse_view_f32`].
#[doc = include_str!("doc/dpm_sparse_slots_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_slots_f32(
    st: *mut DpmSparseF32,
    ids: *const u64,
    len: usize,
    slots: *mut usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { slots_of(st, ids, len, slots) }
}

/// C: [`dpm_sparse_slots_f32`] on a `DpmSparseF64`: the same checks and
/// status codes.
///
/// # Safety
///
/// As [`dpm_sparse_slots_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_slots_f64(
    st: *mut DpmSparseF64,
    ids: *const u64,
    len: usize,
    slots: *mut usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { slots_of(st, ids, len, slots) }
}

/// The body of [`dpm_sparse_slots_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_slots_f32`], in `T`.
unsafe fn slots_of<T: Real>(
    st: *mut DpmSparseOf<T>,
    ids: *const u64,
    len: usize,
    slots: *mut usize,
) -> i32 {
    let checked = || {
        let spans = [
            storage_span(st, true)?,
            Span::of(ids, len, false)?,
            Span::of(slots, len, true)?,
        ];
        disjoint(&spans)?;
        // SAFETY: checked by storage_span, Span::of and disjoint; valid
        // and exclusive (the caller).
        let (s, ids, out) = unsafe { (state(st)?, slice(ids, len), slice_mut(slots, len)) };
        s.slots(ids, out).map_err(rust)
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_slot_f32(const DpmSparseF32 *st, uint64_t id,
/// size_t *slot)`: the slot of `id` if it is mapped, else `SIZE_MAX`
/// (`SparseState::slot`; does not count as seeing it).
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st` or `slot` NULL,
/// misaligned or overlapping, `st` not initialised in `float`). On an
/// error nothing is written.
///
/// # Safety
///
/// `st` is NULL or valid for reads of a `DpmSparseF32`, `slot` NULL or
/// valid for one write; nobody writes them during the call.
#[doc = include_str!("doc/dpm_sparse_slot_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_slot_f32(
    st: *const DpmSparseF32,
    id: u64,
    slot: *mut usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { slot_of(st, id, slot) }
}

/// C: [`dpm_sparse_slot_f32`] on a `DpmSparseF64`: the same checks and
/// status codes.
///
/// # Safety
///
/// As [`dpm_sparse_slot_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_slot_f64(
    st: *const DpmSparseF64,
    id: u64,
    slot: *mut usize,
) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { slot_of(st, id, slot) }
}

/// The body of [`dpm_sparse_slot_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_slot_f32`], in `T`.
unsafe fn slot_of<T: Real>(st: *const DpmSparseOf<T>, id: u64, slot: *mut usize) -> i32 {
    let checked = || {
        if slot.is_null() {
            return Err(DPM_ERR_BAD_POINTER);
        }
        disjoint(&[storage_span(st, false)?, Span::of(slot, 1, true)?])?;
        // SAFETY: checked; read only here (the `&mut` is used for one
        // lookup), not written by anyone during the call (the caller).
        let s = unsafe { state_ref(st)? };
        let k = s.slot(id).unwrap_or(usize::MAX);
        // SAFETY: non-NULL, aligned (Span::of), writable (the caller).
        unsafe { slot.write(k) };
        Ok(())
    };
    code(checked())
}

/// C: `int32_t dpm_sparse_view_f32(DpmSparseF32 *st, DpmStateF32 *view)`:
/// writes to `*view` the slots' five arrays inside `*st` (`n` the
/// capacity), the state every step and the `dpm_state_*` checkpoint
/// functions take; ids are the slots of [`dpm_sparse_slots_f32`]. The
/// view is valid until the next `dpm_sparse_*` call that writes `*st`
/// (`init`, `slots`, `load`, `load_newest`): take it after the batch's
/// slots, before the step.
///
/// Returns `DPM_OK`; `DPM_ERR_BAD_POINTER` (`st` or `view` NULL,
/// misaligned or overlapping, `st` not initialised in `float`). On an
/// error nothing is written.
///
/// # Safety
///
/// `st` is NULL or valid for reads and writes of a `DpmSparseF32`,
/// `view` NULL or valid for one write; nobody else accesses them during
/// the call.
#[doc = include_str!("doc/dpm_sparse_view_f32.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_view_f32(st: *mut DpmSparseF32, view: *mut DpmStateF32) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { view_of(st, view) }
}

/// C: [`dpm_sparse_view_f32`] on a `DpmSparseF64`, writing a
/// `DpmStateF64`: the same checks and status codes.
///
/// # Safety
///
/// As [`dpm_sparse_view_f32`].
#[doc = include_str!("doc/f64.md")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dpm_sparse_view_f64(st: *mut DpmSparseF64, view: *mut DpmStateF64) -> i32 {
    // SAFETY: the caller's contract, as this function's.
    unsafe { view_of(st, view) }
}

/// The body of [`dpm_sparse_view_f32`] and its `double` twin.
///
/// # Safety
///
/// As [`dpm_sparse_view_f32`], in `T`.
unsafe fn view_of<T: Real>(st: *mut DpmSparseOf<T>, view: *mut DpmStateOf<T>) -> i32 {
    let checked = || {
        if view.is_null() {
            return Err(DPM_ERR_BAD_POINTER);
        }
        disjoint(&[storage_span(st, true)?, Span::of(view, 1, true)?])?;
        // SAFETY: checked (storage_span, disjoint; the magic): pointers
        // into the state made without a reference to it, so that they
        // stay valid until a call makes a `&mut` of it.
        let (log_s, s_flags, zeta, z, z_flags) = unsafe {
            initialised(st)?;
            Inner::arrays_raw(core::ptr::addr_of_mut!((*st).state))
        };
        let v = DpmStateOf {
            log_s,
            s_flags,
            zeta,
            z,
            z_flags,
            n: DPM_SPARSE_CAPACITY,
        };
        // SAFETY: non-NULL, aligned (Span::of), writable, not overlapping
        // `*st` (disjoint).
        unsafe { view.write(v) };
        Ok(())
    };
    code(checked())
}
