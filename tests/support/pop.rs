//! One population's state in plain vectors, for tests (needs `mod rng`
//! beside it for `Pop::random`).
#![allow(dead_code)]

use super::rng::Rng;
use dpm_core::{Real, StateView};

#[derive(Clone, Debug, PartialEq)]
pub struct Pop<T> {
    pub log_s: Vec<T>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<T>,
    pub z: Vec<T>,
    pub z_flags: Vec<u8>,
}

impl<T: Real> Pop<T> {
    /// Nothing visited, every zeta `zeta_init`.
    pub fn new(n: usize, zeta_init: f64) -> Self {
        Pop {
            log_s: vec![T::ZERO; n],
            s_flags: vec![0; n],
            zeta: vec![T::from_f64(zeta_init); n],
            z: vec![T::ZERO; n],
            z_flags: vec![0; n],
        }
    }

    /// About half the ids visited (u in [-3, 3], z in [-1, 1]), zeta
    /// spread around -0.05.
    pub fn random(rng: &mut Rng, n: usize) -> Self {
        let mut v = |lo: f64, hi: f64| T::from_f64(rng.range(lo, hi));
        let log_s = (0..n).map(|_| v(-3.0, 3.0)).collect();
        let zeta = (0..n).map(|_| v(-0.25, 0.15)).collect();
        let z = (0..n).map(|_| v(-1.0, 1.0)).collect();
        let mut flag = || u8::from(rng.unit() < 0.5);
        let s_flags = (0..n).map(|_| flag()).collect();
        let z_flags = (0..n).map(|_| flag()).collect();
        Pop {
            log_s,
            s_flags,
            zeta,
            z,
            z_flags,
        }
    }

    pub fn view(&mut self) -> StateView<'_, T> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .expect("a valid population")
    }

    /// Every bit of the state.
    pub fn bits(&self) -> Vec<u64> {
        // NaN as one pattern: widening a NaN may change its sign and payload
        // (Miri picks them at random), and a write would replace it anyway.
        #[allow(clippy::eq_op)]
        let f = |v: &[T]| {
            v.iter()
                .map(|&x| {
                    if x != x {
                        u64::MAX
                    } else {
                        x.to_f64().to_bits()
                    }
                })
                .collect::<Vec<_>>()
        };
        let mut all = f(&self.log_s);
        all.extend(f(&self.zeta));
        all.extend(f(&self.z));
        all.extend(
            self.s_flags
                .iter()
                .chain(&self.z_flags)
                .map(|&x| u64::from(x)),
        );
        all
    }
}
