//! Both precisions of the C ABI behind one trait, so that a C ABI test is
//! written once, generic over `T`, and run for `f32` and `f64`: each
//! precision names its `extern "C"` functions here and nowhere else.
#![allow(dead_code)] // each test crate uses its own part

use dpm_core::capi::*;
use std::fmt::Debug;

pub type StateInit<T> = unsafe extern "C" fn(*const DpmStateOf<T>, T) -> i32;
pub type LogSumExp<T> = unsafe extern "C" fn(*const T, usize, *mut T) -> i32;
/// `dpm_bimodal_*` and `dpm_sogclr_bimodal_*` with the parameters `P`.
pub type Stored<T, P> = unsafe extern "C" fn(
    *const T,
    usize,
    *const usize,
    usize,
    *const usize,
    usize,
    *const DpmStateOf<T>,
    *const DpmStateOf<T>,
    *const P,
    *const P,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut DpmLossesOf<T>,
) -> i32;
pub type StoredInfoNce<T> = unsafe extern "C" fn(
    *const T,
    usize,
    usize,
    T,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut DpmLossesOf<T>,
) -> i32;
/// `dpm_bimodal_tiled_*` and `dpm_sogclr_bimodal_tiled_*` with `P`.
pub type Tiled<T, P> = unsafe extern "C" fn(
    *const T,
    usize,
    *const T,
    usize,
    usize,
    usize,
    u32,
    *const usize,
    usize,
    *const usize,
    usize,
    *const DpmStateOf<T>,
    *const DpmStateOf<T>,
    *const P,
    *const P,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut DpmLossesOf<T>,
) -> i32;
pub type TiledInfoNce<T> = unsafe extern "C" fn(
    *const T,
    usize,
    *const T,
    usize,
    usize,
    usize,
    u32,
    T,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut DpmLossesOf<T>,
) -> i32;
/// `dpm_bimodal_from_features_*`: the tiled step's arguments with `S`,
/// `dS` and the two weights after the parameters.
pub type FromFeatures<T> = unsafe extern "C" fn(
    *const T,
    usize,
    *const T,
    usize,
    usize,
    usize,
    u32,
    *const usize,
    usize,
    *const usize,
    usize,
    *const DpmStateOf<T>,
    *const DpmStateOf<T>,
    *const DpmParamsOf<T>,
    *const DpmParamsOf<T>,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut T,
    usize,
    *mut DpmLossesOf<T>,
) -> i32;
pub type CheckpointLen = extern "C" fn(usize) -> usize;
pub type Save<T> = unsafe extern "C" fn(*const DpmStateOf<T>, u64, *mut u8, usize) -> i32;
pub type Load<T> = unsafe extern "C" fn(*const DpmStateOf<T>, *const u8, usize, *mut u64) -> i32;
/// `dpm_state_load_newest_*` and `dpm_state_next_slot_*`.
pub type Slots<T> = unsafe extern "C" fn(
    *const DpmStateOf<T>,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut u32,
    *mut u64,
) -> i32;

/// The sparse state's functions (`dpm_sparse_*`), `S` its storage.
pub type SparseInit<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, usize, T) -> i32;
pub type SparseSlots<T> =
    unsafe extern "C" fn(*mut DpmSparseOf<T>, *const u64, usize, *mut usize) -> i32;
pub type SparseSlot<T> = unsafe extern "C" fn(*const DpmSparseOf<T>, u64, *mut usize) -> i32;
pub type SparseView<T> = unsafe extern "C" fn(*mut DpmSparseOf<T>, *mut DpmStateOf<T>) -> i32;
pub type SparseSave<T> = unsafe extern "C" fn(*const DpmSparseOf<T>, u64, *mut u8, usize) -> i32;
pub type SparseLoad<T> =
    unsafe extern "C" fn(*mut DpmSparseOf<T>, *const u8, usize, *mut u64) -> i32;
/// `dpm_sparse_next_slot_*`.
pub type SparseNextSlot<T> = unsafe extern "C" fn(
    *const DpmSparseOf<T>,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut u32,
    *mut u64,
) -> i32;
/// `dpm_sparse_load_newest_*`.
pub type SparseLoadNewest<T> = unsafe extern "C" fn(
    *mut DpmSparseOf<T>,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut u32,
    *mut u64,
) -> i32;
/// `dpm_sparse_bytes_*`, `dpm_sparse_checkpoint_len_*`.
pub type SparseSize = extern "C" fn() -> usize;

/// A precision of the C ABI: its functions.
pub trait Prec: dpm_core::Real + From<f32> + Debug + PartialEq {
    const STATE_INIT: StateInit<Self>;
    const LOG_SUM_EXP: LogSumExp<Self>;
    const BIMODAL: Stored<Self, DpmParamsOf<Self>>;
    const SOGCLR: Stored<Self, DpmSogClrParamsOf<Self>>;
    const INFONCE: StoredInfoNce<Self>;
    const TILED: Tiled<Self, DpmParamsOf<Self>>;
    const SOGCLR_TILED: Tiled<Self, DpmSogClrParamsOf<Self>>;
    const INFONCE_TILED: TiledInfoNce<Self>;
    const FROM_FEATURES: FromFeatures<Self>;
    const CHECKPOINT_LEN: CheckpointLen;
    const SAVE: Save<Self>;
    const LOAD: Load<Self>;
    const LOAD_NEWEST: Slots<Self>;
    const NEXT_SLOT: Slots<Self>;
    const SPARSE_BYTES: SparseSize;
    const SPARSE_CHECKPOINT_LEN: SparseSize;
    const SPARSE_INIT: SparseInit<Self>;
    const SPARSE_SLOTS: SparseSlots<Self>;
    const SPARSE_SLOT: SparseSlot<Self>;
    const SPARSE_VIEW: SparseView<Self>;
    const SPARSE_SAVE: SparseSave<Self>;
    const SPARSE_LOAD: SparseLoad<Self>;
    const SPARSE_NEXT_SLOT: SparseNextSlot<Self>;
    const SPARSE_LOAD_NEWEST: SparseLoadNewest<Self>;
}

impl Prec for f32 {
    const STATE_INIT: StateInit<f32> = dpm_state_init_f32;
    const LOG_SUM_EXP: LogSumExp<f32> = dpm_log_sum_exp_f32;
    const BIMODAL: Stored<f32, DpmParamsF32> = dpm_bimodal_f32;
    const SOGCLR: Stored<f32, DpmSogClrParamsF32> = dpm_sogclr_bimodal_f32;
    const INFONCE: StoredInfoNce<f32> = dpm_infonce_bimodal_f32;
    const TILED: Tiled<f32, DpmParamsF32> = dpm_bimodal_tiled_f32;
    const SOGCLR_TILED: Tiled<f32, DpmSogClrParamsF32> = dpm_sogclr_bimodal_tiled_f32;
    const INFONCE_TILED: TiledInfoNce<f32> = dpm_infonce_bimodal_tiled_f32;
    const FROM_FEATURES: FromFeatures<f32> = dpm_bimodal_from_features_f32;
    const CHECKPOINT_LEN: CheckpointLen = dpm_checkpoint_len_f32;
    const SAVE: Save<f32> = dpm_state_save_f32;
    const LOAD: Load<f32> = dpm_state_load_f32;
    const LOAD_NEWEST: Slots<f32> = dpm_state_load_newest_f32;
    const NEXT_SLOT: Slots<f32> = dpm_state_next_slot_f32;
    const SPARSE_BYTES: SparseSize = dpm_sparse_bytes_f32;
    const SPARSE_CHECKPOINT_LEN: SparseSize = dpm_sparse_checkpoint_len_f32;
    const SPARSE_INIT: SparseInit<f32> = dpm_sparse_init_f32;
    const SPARSE_SLOTS: SparseSlots<f32> = dpm_sparse_slots_f32;
    const SPARSE_SLOT: SparseSlot<f32> = dpm_sparse_slot_f32;
    const SPARSE_VIEW: SparseView<f32> = dpm_sparse_view_f32;
    const SPARSE_SAVE: SparseSave<f32> = dpm_sparse_save_f32;
    const SPARSE_LOAD: SparseLoad<f32> = dpm_sparse_load_f32;
    const SPARSE_NEXT_SLOT: SparseNextSlot<f32> = dpm_sparse_next_slot_f32;
    const SPARSE_LOAD_NEWEST: SparseLoadNewest<f32> = dpm_sparse_load_newest_f32;
}

impl Prec for f64 {
    const STATE_INIT: StateInit<f64> = dpm_state_init_f64;
    const LOG_SUM_EXP: LogSumExp<f64> = dpm_log_sum_exp_f64;
    const BIMODAL: Stored<f64, DpmParamsF64> = dpm_bimodal_f64;
    const SOGCLR: Stored<f64, DpmSogClrParamsF64> = dpm_sogclr_bimodal_f64;
    const INFONCE: StoredInfoNce<f64> = dpm_infonce_bimodal_f64;
    const TILED: Tiled<f64, DpmParamsF64> = dpm_bimodal_tiled_f64;
    const SOGCLR_TILED: Tiled<f64, DpmSogClrParamsF64> = dpm_sogclr_bimodal_tiled_f64;
    const INFONCE_TILED: TiledInfoNce<f64> = dpm_infonce_bimodal_tiled_f64;
    const FROM_FEATURES: FromFeatures<f64> = dpm_bimodal_from_features_f64;
    const CHECKPOINT_LEN: CheckpointLen = dpm_checkpoint_len_f64;
    const SAVE: Save<f64> = dpm_state_save_f64;
    const LOAD: Load<f64> = dpm_state_load_f64;
    const LOAD_NEWEST: Slots<f64> = dpm_state_load_newest_f64;
    const NEXT_SLOT: Slots<f64> = dpm_state_next_slot_f64;
    const SPARSE_BYTES: SparseSize = dpm_sparse_bytes_f64;
    const SPARSE_CHECKPOINT_LEN: SparseSize = dpm_sparse_checkpoint_len_f64;
    const SPARSE_INIT: SparseInit<f64> = dpm_sparse_init_f64;
    const SPARSE_SLOTS: SparseSlots<f64> = dpm_sparse_slots_f64;
    const SPARSE_SLOT: SparseSlot<f64> = dpm_sparse_slot_f64;
    const SPARSE_VIEW: SparseView<f64> = dpm_sparse_view_f64;
    const SPARSE_SAVE: SparseSave<f64> = dpm_sparse_save_f64;
    const SPARSE_LOAD: SparseLoad<f64> = dpm_sparse_load_f64;
    const SPARSE_NEXT_SLOT: SparseNextSlot<f64> = dpm_sparse_next_slot_f64;
    const SPARSE_LOAD_NEWEST: SparseLoadNewest<f64> = dpm_sparse_load_newest_f64;
}

/// `v` in `T` (every constant of these tests is exact in `f32`).
pub fn t<T: Prec>(v: f32) -> T {
    <T as From<f32>>::from(v)
}
