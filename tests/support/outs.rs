//! Every output buffer of a bimodal step, and its scratch, for tests that
//! ask for all of them.
#![allow(dead_code)]

use dpm_core::{BimodalOut, Real};

/// `dS`, both weights, both `h` and the scratch of a bimodal step of `b`.
pub struct Outs<T> {
    pub ds: Vec<T>,
    pub wi: Vec<T>,
    pub wt: Vec<T>,
    pub hi: Vec<T>,
    pub ht: Vec<T>,
    pub scratch: Vec<T>,
}

impl<T: Real> Outs<T> {
    pub fn new(b: usize) -> Self {
        Self::filled(b, T::ZERO)
    }

    /// Every output filled with `fill` (to see what a step wrote), the
    /// scratch with 0.
    pub fn filled(b: usize, fill: T) -> Self {
        let v = |len: usize| vec![fill; len];
        Outs {
            ds: v(b * b),
            wi: v(b * b),
            wt: v(b * b),
            hi: v(b),
            ht: v(b),
            scratch: vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })],
        }
    }

    /// Every output asked for, and the scratch.
    pub fn all(&mut self) -> (BimodalOut<'_, T>, &mut [T]) {
        (
            BimodalOut {
                ds: &mut self.ds,
                weights_image: Some(&mut self.wi),
                weights_text: Some(&mut self.wt),
                h_image: Some(&mut self.hi),
                h_text: Some(&mut self.ht),
            },
            &mut self.scratch,
        )
    }
}
