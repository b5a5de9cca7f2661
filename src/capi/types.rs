//! The `#[repr(C)]` argument structs: one generic struct per concept
//! (`DpmStateOf<T>`, ...), named in C by its `F32` and `F64` aliases
//! (cbindgen emits each alias as a `typedef` of the instantiated struct),
//! and converted to the Rust types by one generic impl each.

use crate::{DpmParams, Error, FirstVisit, Offset, Real, SogClrParams, ZetaStep};

/// `DpmParamsF32::offset` (and `F64`): `log_off` uses `xi` ([`Offset::Xi`]).
pub const DPM_OFFSET_XI: u32 = 0;
/// `DpmParamsF32::offset` (and `F64`): `log_off` uses the positive's zeta
/// ([`Offset::Vanilla`]; `xi` is ignored).
pub const DPM_OFFSET_VANILLA: u32 = 1;
/// `DpmParamsF32::first_visit` (and `F64`): [`FirstVisit::Batch`].
pub const DPM_FIRST_VISIT_BATCH: u32 = 0;
/// `DpmParamsF32::first_visit` (and `F64`): [`FirstVisit::ZeroHistory`].
pub const DPM_FIRST_VISIT_ZERO_HISTORY: u32 = 1;
/// `dpm_bimodal_tiled_f32`'s `features`: raw rows, L2-normalised by the
/// step ([`Features::Raw`](crate::embed::Features::Raw)).
pub const DPM_FEATURES_RAW: u32 = 0;
/// `dpm_bimodal_tiled_f32`'s `features`: unit rows, used as given
/// ([`Features::Normalized`](crate::embed::Features::Normalized)).
pub const DPM_FEATURES_NORMALIZED: u32 = 1;

/// The state of one population of `n` samples: five caller-owned arrays
/// of `n` elements each (the library never keeps these pointers after a
/// call returns; see [`StateView`](crate::StateView) for the meaning),
/// in `float` ([`DpmStateF32`]) or `double` ([`DpmStateF64`]).
/// Arrays of one state must not overlap each other, nor those of another
/// state passed to the same call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DpmStateOf<T> {
    /// `u = ln s` of each anchor (`T[n]`, aligned for `T`).
    pub log_s: *mut T,
    /// 1 if `log_s[id]` is set, 0 if never visited (`uint8_t[n]`).
    pub s_flags: *mut u8,
    /// The learnable `zeta` of each candidate (`T[n]`).
    pub zeta: *mut T,
    /// The moving average `z` of the zeta gradient (`T[n]`).
    pub z: *mut T,
    /// 1 if `z[id]` is set, 0 if never visited (`uint8_t[n]`).
    pub z_flags: *mut u8,
    /// The population size `n` (at least 2).
    pub n: usize,
}

/// A population's state in `float` (C: `DpmStateF32`; see [`DpmStateOf`]).
#[doc = include_str!("doc/DpmStateF32.md")]
pub type DpmStateF32 = DpmStateOf<f32>;
/// A population's state in `double` (C: `DpmStateF64`; see
/// [`DpmStateOf`]): `log_s`, `zeta` and `z` are `double[n]`, 8-byte
/// aligned.
pub type DpmStateF64 = DpmStateOf<f64>;

/// Parameters of one direction (see [`DpmParams`]), in `T`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmParamsOf<T> {
    /// Temperature, `> 0`.
    pub tau: T,
    /// Moving-average rate, in `(0, 1]`.
    pub gamma: T,
    /// `DPM_OFFSET_XI` or `DPM_OFFSET_VANILLA`.
    pub offset: u32,
    /// The candidates' bound `xi` (used with `DPM_OFFSET_XI`).
    pub xi: T,
    /// 1: update `z` and `zeta` with `theta`, `eta`; 0: leave them.
    pub has_zeta_step: u32,
    /// Momentum of `z`, in `(0, 1]` (used if `has_zeta_step`).
    pub theta: T,
    /// Step size of `zeta`, `>= 0` (used if `has_zeta_step`).
    pub eta: T,
    /// `DPM_FIRST_VISIT_BATCH` or `DPM_FIRST_VISIT_ZERO_HISTORY`.
    pub first_visit: u32,
}

/// One direction's parameters in `float` (C: `DpmParamsF32`; see
/// [`DpmParamsOf`]).
#[doc = include_str!("doc/DpmParamsF32.md")]
pub type DpmParamsF32 = DpmParamsOf<f32>;
/// One direction's parameters in `double` (C: `DpmParamsF64`; see
/// [`DpmParamsOf`]).
pub type DpmParamsF64 = DpmParamsOf<f64>;

/// Parameters of one direction of a SogCLR step (see
/// [`SogClrParams`](crate::SogClrParams)), in `T`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmSogClrParamsOf<T> {
    /// Temperature, `> 0`.
    pub tau: T,
    /// Moving-average rate, in `(0, 1]`.
    pub gamma: T,
    /// `DPM_FIRST_VISIT_BATCH` or `DPM_FIRST_VISIT_ZERO_HISTORY`.
    pub first_visit: u32,
}

/// SogCLR parameters in `float` (C: `DpmSogClrParamsF32`).
pub type DpmSogClrParamsF32 = DpmSogClrParamsOf<f32>;
/// SogCLR parameters in `double` (C: `DpmSogClrParamsF64`).
pub type DpmSogClrParamsF64 = DpmSogClrParamsOf<f64>;

/// The losses of a bimodal step (see [`Losses`](crate::Losses)), in `T`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DpmLossesOf<T> {
    /// Sum of both directions.
    pub total: T,
    /// Image-to-text direction.
    pub image_to_text: T,
    /// Text-to-image direction.
    pub text_to_image: T,
}

/// The losses in `float` (C: `DpmLossesF32`).
pub type DpmLossesF32 = DpmLossesOf<f32>;
/// The losses in `double` (C: `DpmLossesF64`).
pub type DpmLossesF64 = DpmLossesOf<f64>;

/// A C parameter struct of one direction and its Rust twin.
pub(super) trait CParams: Copy {
    /// The Rust parameters.
    type Rust;
    /// The Rust parameters; range checks of the numbers are the step's.
    fn to_rust(self) -> Result<Self::Rust, Error>;
}

impl<T: Real> From<crate::Losses<T>> for DpmLossesOf<T> {
    fn from(l: crate::Losses<T>) -> Self {
        DpmLossesOf {
            total: l.total,
            image_to_text: l.image_to_text,
            text_to_image: l.text_to_image,
        }
    }
}

impl<T: Real> CParams for DpmSogClrParamsOf<T> {
    type Rust = SogClrParams<T>;
    fn to_rust(self) -> Result<SogClrParams<T>, Error> {
        Ok(SogClrParams {
            tau: self.tau,
            gamma: self.gamma,
            first_visit: first_visit(self.first_visit)?,
        })
    }
}

/// `DPM_FIRST_VISIT_*` as the Rust rule.
fn first_visit(v: u32) -> Result<FirstVisit, Error> {
    match v {
        DPM_FIRST_VISIT_BATCH => Ok(FirstVisit::Batch),
        DPM_FIRST_VISIT_ZERO_HISTORY => Ok(FirstVisit::ZeroHistory),
        _ => Err(Error::InvalidParameter {
            what: "first_visit",
        }),
    }
}

impl<T: Real> CParams for DpmParamsOf<T> {
    type Rust = DpmParams<T>;
    fn to_rust(self) -> Result<DpmParams<T>, Error> {
        let offset = match self.offset {
            DPM_OFFSET_XI => Offset::Xi(self.xi),
            DPM_OFFSET_VANILLA => Offset::Vanilla,
            _ => return Err(Error::InvalidParameter { what: "offset" }),
        };
        let zeta_step = match self.has_zeta_step {
            0 => None,
            1 => Some(ZetaStep {
                theta: self.theta,
                eta: self.eta,
            }),
            _ => {
                return Err(Error::InvalidParameter {
                    what: "has_zeta_step",
                });
            }
        };
        let first_visit = first_visit(self.first_visit)?;
        Ok(DpmParams {
            tau: self.tau,
            gamma: self.gamma,
            offset,
            zeta_step,
            first_visit,
        })
    }
}
