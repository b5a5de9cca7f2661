//! The C ABI's sparse state (`DpmSparseF32`, `DpmSparseF64`) in both
//! precisions behind one trait, as `c_prec.rs` does for the dense
//! functions: a test is written once, generic over `T`, and each
//! precision names its `dpm_sparse_*` functions here and nowhere else.
//! Its own trait, not an extension of `c_prec::Prec`: both name a `SAVE`,
//! a `LOAD`, ..., which a bound on both would make ambiguous; the two
//! dense functions a sparse test needs (a view's checkpoint) are here.
#![allow(dead_code)] // each test crate uses its own part

use dpm_core::capi::*;
use std::fmt::Debug;

/// `dpm_sparse_bytes_*` and `dpm_sparse_checkpoint_len_*`.
pub type Size = extern "C" fn() -> usize;
pub type Init<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, usize, T) -> i32;
pub type Slots<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, *const u64, usize, *mut usize) -> i32;
pub type Slot<T> = unsafe extern "C" fn(*const DpmSparseOf<T>, u64, *mut usize) -> i32;
pub type View<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, *mut DpmStateOf<T>) -> i32;
pub type Save<T> = unsafe extern "C" fn(*const DpmSparseOf<T>, u64, *mut u8, usize) -> i32;
pub type Load<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, *const u8, usize, *mut u64) -> i32;
pub type NextSlot<T> = unsafe extern "C" fn(
    *const DpmSparseOf<T>,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut u32,
    *mut u64,
) -> i32;
pub type LoadNewest<T> = unsafe extern "C" fn(
    *mut DpmSparseOf<T>,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut u32,
    *mut u64,
) -> i32;

/// `dpm_checkpoint_len_*` and `dpm_state_save_*` (dense).
pub type StateCheckpointLen = extern "C" fn(usize) -> usize;
pub type StateSave<T> = unsafe extern "C" fn(*const DpmStateOf<T>, u64, *mut u8, usize) -> i32;

/// A precision of the C ABI's sparse state: its functions, and the other
/// precision (whose states this one's functions refuse).
pub trait Sparse: dpm_core::Real + From<f32> + Debug + PartialEq {
    type Other: Sparse;
    const BYTES: Size;
    const CHECKPOINT_LEN: Size;
    const INIT: Init<Self>;
    const SLOTS: Slots<Self>;
    const SLOT: Slot<Self>;
    const VIEW: View<Self>;
    const SAVE: Save<Self>;
    const LOAD: Load<Self>;
    const NEXT_SLOT: NextSlot<Self>;
    const LOAD_NEWEST: LoadNewest<Self>;
    const STATE_CHECKPOINT_LEN: StateCheckpointLen;
    const STATE_SAVE: StateSave<Self>;
}

impl Sparse for f32 {
    type Other = f64;
    const BYTES: Size = dpm_sparse_bytes_f32;
    const CHECKPOINT_LEN: Size = dpm_sparse_checkpoint_len_f32;
    const INIT: Init<f32> = dpm_sparse_init_f32;
    const SLOTS: Slots<f32> = dpm_sparse_slots_f32;
    const SLOT: Slot<f32> = dpm_sparse_slot_f32;
    const VIEW: View<f32> = dpm_sparse_view_f32;
    const SAVE: Save<f32> = dpm_sparse_save_f32;
    const LOAD: Load<f32> = dpm_sparse_load_f32;
    const NEXT_SLOT: NextSlot<f32> = dpm_sparse_next_slot_f32;
    const LOAD_NEWEST: LoadNewest<f32> = dpm_sparse_load_newest_f32;
    const STATE_CHECKPOINT_LEN: StateCheckpointLen = dpm_checkpoint_len_f32;
    const STATE_SAVE: StateSave<f32> = dpm_state_save_f32;
}

impl Sparse for f64 {
    type Other = f32;
    const BYTES: Size = dpm_sparse_bytes_f64;
    const CHECKPOINT_LEN: Size = dpm_sparse_checkpoint_len_f64;
    const INIT: Init<f64> = dpm_sparse_init_f64;
    const SLOTS: Slots<f64> = dpm_sparse_slots_f64;
    const SLOT: Slot<f64> = dpm_sparse_slot_f64;
    const VIEW: View<f64> = dpm_sparse_view_f64;
    const SAVE: Save<f64> = dpm_sparse_save_f64;
    const LOAD: Load<f64> = dpm_sparse_load_f64;
    const NEXT_SLOT: NextSlot<f64> = dpm_sparse_next_slot_f64;
    const LOAD_NEWEST: LoadNewest<f64> = dpm_sparse_load_newest_f64;
    const STATE_CHECKPOINT_LEN: StateCheckpointLen = dpm_checkpoint_len_f64;
    const STATE_SAVE: StateSave<f64> = dpm_state_save_f64;
}

/// `x` in `T` (every constant of these tests is exact in `f32`).
pub fn v<T: Sparse>(x: f32) -> T {
    <T as From<f32>>::from(x)
}
