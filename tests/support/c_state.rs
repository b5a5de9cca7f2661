//! The C ABI's state arrays and parameters for the C ABI tests (a test
//! crate that includes this also includes `c_prec.rs` as `c_prec`).
#![allow(dead_code)] // each test crate uses its own part

use super::c_prec::{Prec, t};
use dpm_core::capi::*;

/// The five arrays of a population, in `f32` unless said.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrays<T = f32> {
    pub log_s: Vec<T>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<T>,
    pub z: Vec<T>,
    pub z_flags: Vec<u8>,
}

impl<T: Prec> Arrays<T> {
    /// Five arrays of `n` elements, initialised by the precision's
    /// `dpm_state_init_*` (zeta -0.05) over arbitrary contents.
    pub fn new(n: usize) -> Self {
        let mut a = Arrays {
            log_s: vec![t(1.5); n],
            s_flags: vec![7; n],
            zeta: vec![t(3.0); n],
            z: vec![t(2.0); n],
            z_flags: vec![9; n],
        };
        let st = a.c();
        // SAFETY: five live arrays of n elements.
        assert_eq!(
            unsafe { T::STATE_INIT(&st, t(-0.05)) },
            if n < 2 {
                DPM_ERR_POPULATION_TOO_SMALL
            } else {
                DPM_OK
            }
        );
        a
    }
    /// The C struct over these arrays.
    pub fn c(&mut self) -> DpmStateOf<T> {
        DpmStateOf {
            log_s: self.log_s.as_mut_ptr(),
            s_flags: self.s_flags.as_mut_ptr(),
            zeta: self.zeta.as_mut_ptr(),
            z: self.z.as_mut_ptr(),
            z_flags: self.z_flags.as_mut_ptr(),
            n: self.log_s.len(),
        }
    }
}

/// One direction's DPM parameters, the zeta step on.
pub fn params() -> DpmParamsF32 {
    DpmParamsF32 {
        tau: 0.1,
        gamma: 0.9,
        offset: DPM_OFFSET_XI,
        xi: 0.0,
        has_zeta_step: 1,
        theta: 0.9,
        eta: 1e-2,
        first_visit: DPM_FIRST_VISIT_BATCH,
    }
}
