//! Comparison of computed values with the expected ones.

use crate::scenario::E;
use cortex_m_semihosting::hprintln;
use dpm_core::StateView;

/// What the checks found so far.
#[derive(Default)]
pub struct Tally {
    pub checked: usize,
    pub failed: usize,
    /// Largest `|got - expected| / bound` (infinite for NaN).
    pub worst: f64,
    pub worst_at: &'static str,
}

impl Tally {
    /// Checks `got[k * stride]` against `expected[k]`.
    pub fn values(&mut self, what: &'static str, got: &[f32], stride: usize, expected: &[E]) {
        if expected.len() != got.len().div_ceil(stride) {
            hprintln!(
                "{what}: {} expected values for {} outputs",
                expected.len(),
                got.len()
            );
            self.failed += 1;
            return;
        }
        for (k, &e) in expected.iter().enumerate() {
            self.one(what, k * stride, Some(got[k * stride]), e);
        }
    }

    /// Checks one value (`None`: the state says "never visited").
    pub fn one(&mut self, what: &'static str, index: usize, got: Option<f32>, (e, bound): E) {
        self.checked += 1;
        let err = got.map_or(f64::NAN, |g| (f64::from(g) - e).abs());
        let ok = err <= bound; // false for NaN
        let ratio = match (ok, bound > 0.0) {
            (true, true) => err / bound,
            (true, false) => 0.0,
            (false, _) => f64::INFINITY.min(err / bound), // NaN: infinity
        };
        if ratio > self.worst {
            self.worst = ratio;
            self.worst_at = what;
        }
        if !ok {
            self.failed += 1;
            if self.failed <= 10 {
                hprintln!("MISMATCH {what}[{index}]: got {got:?}, expected {e:e} +- {bound:e}");
            }
        }
    }

    /// Checks the state of every id of `ids` in `view` (its `log_s`, `z`
    /// and `zeta`) against the expected values, in the order of `ids`.
    pub fn state(
        &mut self,
        view: &StateView<'_, f32>,
        ids: &[usize],
        (log_s, z, zeta): (&[E], &[E], &[E]),
    ) {
        for (k, &id) in ids.iter().enumerate() {
            self.one("log_s", id, view.log_s(id).ok().flatten(), log_s[k]);
            self.one("z", id, view.z(id).ok().flatten(), z[k]);
            self.one("zeta", id, view.zeta(id).ok(), zeta[k]);
        }
    }
}
