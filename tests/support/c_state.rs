//! The C ABI's state arrays and parameters for the C ABI tests.
#![allow(dead_code)] // each test crate uses its own part

use dpm_core::capi::*;

/// The five arrays of a population.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrays {
    pub log_s: Vec<f32>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<f32>,
    pub z: Vec<f32>,
    pub z_flags: Vec<u8>,
}

impl Arrays {
    /// Five arrays of `n` elements, initialised by `dpm_state_init_f32`
    /// (zeta -0.05) over arbitrary contents.
    pub fn new(n: usize) -> Self {
        let mut a = Arrays {
            log_s: vec![1.5; n],
            s_flags: vec![7; n],
            zeta: vec![3.0; n],
            z: vec![2.0; n],
            z_flags: vec![9; n],
        };
        let st = a.c();
        // SAFETY: five live arrays of n elements.
        assert_eq!(
            unsafe { dpm_state_init_f32(&st, -0.05) },
            if n < 2 {
                DPM_ERR_POPULATION_TOO_SMALL
            } else {
                DPM_OK
            }
        );
        a
    }
    /// The C struct over these arrays.
    pub fn c(&mut self) -> DpmStateF32 {
        DpmStateF32 {
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
