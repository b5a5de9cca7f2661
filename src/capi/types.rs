//! The `#[repr(C)]` argument structs.

use crate::{DpmParams, Error, FirstVisit, Offset, SogClrParams, ZetaStep};

/// `DpmParamsF32::offset`: `log_off` uses `xi` ([`Offset::Xi`]).
pub const DPM_OFFSET_XI: u32 = 0;
/// `DpmParamsF32::offset`: `log_off` uses the positive's zeta
/// ([`Offset::Vanilla`]; `xi` is ignored).
pub const DPM_OFFSET_VANILLA: u32 = 1;
/// `DpmParamsF32::first_visit`: [`FirstVisit::Batch`].
pub const DPM_FIRST_VISIT_BATCH: u32 = 0;
/// `DpmParamsF32::first_visit`: [`FirstVisit::ZeroHistory`].
pub const DPM_FIRST_VISIT_ZERO_HISTORY: u32 = 1;
/// `dpm_bimodal_tiled_f32`'s `features`: raw rows, L2-normalised by the
/// step ([`Features::Raw`](crate::embed::Features::Raw)).
pub const DPM_FEATURES_RAW: u32 = 0;
/// `dpm_bimodal_tiled_f32`'s `features`: unit rows, used as given
/// ([`Features::Normalized`](crate::embed::Features::Normalized)).
pub const DPM_FEATURES_NORMALIZED: u32 = 1;

/// The state of one population of `n` samples: five caller-owned arrays
/// of `n` elements each (the library never keeps these pointers after a
/// call returns; see [`StateView`](crate::StateView) for the meaning).
/// Arrays of one state must not overlap each other, nor those of another
/// state passed to the same call.
#[doc = include_str!("doc/DpmStateF32.md")]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DpmStateF32 {
    /// `u = ln s` of each anchor (`float[n]`, 4-byte aligned).
    pub log_s: *mut f32,
    /// 1 if `log_s[id]` is set, 0 if never visited (`uint8_t[n]`).
    pub s_flags: *mut u8,
    /// The learnable `zeta` of each candidate (`float[n]`).
    pub zeta: *mut f32,
    /// The moving average `z` of the zeta gradient (`float[n]`).
    pub z: *mut f32,
    /// 1 if `z[id]` is set, 0 if never visited (`uint8_t[n]`).
    pub z_flags: *mut u8,
    /// The population size `n` (at least 2).
    pub n: usize,
}

/// Parameters of one direction (see [`DpmParams`]).
#[doc = include_str!("doc/DpmParamsF32.md")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmParamsF32 {
    /// Temperature, `> 0`.
    pub tau: f32,
    /// Moving-average rate, in `(0, 1]`.
    pub gamma: f32,
    /// `DPM_OFFSET_XI` or `DPM_OFFSET_VANILLA`.
    pub offset: u32,
    /// The candidates' bound `xi` (used with `DPM_OFFSET_XI`).
    pub xi: f32,
    /// 1: update `z` and `zeta` with `theta`, `eta`; 0: leave them.
    pub has_zeta_step: u32,
    /// Momentum of `z`, in `(0, 1]` (used if `has_zeta_step`).
    pub theta: f32,
    /// Step size of `zeta`, `>= 0` (used if `has_zeta_step`).
    pub eta: f32,
    /// `DPM_FIRST_VISIT_BATCH` or `DPM_FIRST_VISIT_ZERO_HISTORY`.
    pub first_visit: u32,
}

/// Parameters of one direction of a SogCLR step (see
/// [`SogClrParams`](crate::SogClrParams)).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmSogClrParamsF32 {
    /// Temperature, `> 0`.
    pub tau: f32,
    /// Moving-average rate, in `(0, 1]`.
    pub gamma: f32,
    /// `DPM_FIRST_VISIT_BATCH` or `DPM_FIRST_VISIT_ZERO_HISTORY`.
    pub first_visit: u32,
}

/// A C parameter struct of one direction and its Rust twin.
pub(super) trait CParams: Copy {
    /// The Rust parameters.
    type Rust;
    /// The Rust parameters; range checks of the numbers are the step's.
    fn to_rust(self) -> Result<Self::Rust, Error>;
}

impl From<crate::Losses<f32>> for DpmLossesF32 {
    fn from(l: crate::Losses<f32>) -> Self {
        DpmLossesF32 {
            total: l.total,
            image_to_text: l.image_to_text,
            text_to_image: l.text_to_image,
        }
    }
}

impl CParams for DpmSogClrParamsF32 {
    type Rust = SogClrParams<f32>;
    fn to_rust(self) -> Result<SogClrParams<f32>, Error> {
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

/// The losses of a bimodal step (see [`Losses`](crate::Losses)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DpmLossesF32 {
    /// Sum of both directions.
    pub total: f32,
    /// Image-to-text direction.
    pub image_to_text: f32,
    /// Text-to-image direction.
    pub text_to_image: f32,
}

impl CParams for DpmParamsF32 {
    type Rust = DpmParams<f32>;
    fn to_rust(self) -> Result<DpmParams<f32>, Error> {
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
