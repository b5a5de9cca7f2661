//! Shared pieces of the fuzz targets: populations from fuzz input, and the
//! invariants every step must keep.

use arbitrary::Arbitrary;
use dpm_core::{DpmParams, Offset, Real, StateView, ZetaStep};

/// One population's state in vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct Pop<T> {
    pub log_s: Vec<T>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<T>,
    pub z: Vec<T>,
    pub z_flags: Vec<u8>,
}

impl<T: Real> Pop<T> {
    /// `n` ids whose values are taken cyclically from `values` (any f32,
    /// NaN included: the steps must refuse what they read and ignore the
    /// rest) and whose visited flags come from `seen`.
    pub fn from_fuzz(n: usize, values: &[f32], seen: &[bool], salt: usize) -> Self {
        let v = |k: usize| {
            T::from_f64(f64::from(if values.is_empty() {
                0.0
            } else {
                values[k % values.len()]
            }))
        };
        let f = |k: usize| u8::from(seen.get(k).copied().unwrap_or(false));
        Pop {
            log_s: (0..n).map(|k| v(3 * k + salt)).collect(),
            s_flags: (0..n).map(|k| f(2 * k + salt)).collect(),
            zeta: (0..n).map(|k| v(3 * k + 1 + salt)).collect(),
            z: (0..n).map(|k| v(3 * k + 2 + salt)).collect(),
            z_flags: (0..n).map(|k| f(2 * k + 1 + salt)).collect(),
        }
    }

    /// The same population in another precision (exact when widening).
    pub fn cast<U: Real>(&self) -> Pop<U> {
        let c = |v: &[T]| v.iter().map(|&x| U::from_f64(x.to_f64())).collect();
        Pop {
            log_s: c(&self.log_s),
            s_flags: self.s_flags.clone(),
            zeta: c(&self.zeta),
            z: c(&self.z),
            z_flags: self.z_flags.clone(),
        }
    }

    pub fn view(&mut self) -> Option<StateView<'_, T>> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .ok()
    }

    /// Every bit, for "nothing was written" checks.
    pub fn bits(&self) -> Vec<u64> {
        let f = |v: &[T]| v.iter().map(|&x| x.to_f64().to_bits()).collect::<Vec<_>>();
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

    /// The ids a batch side touched hold finite state afterwards (ids out
    /// of range are ignored: only a stateless loss accepts them). For a
    /// DPM step with a zeta update, which reads and writes every part.
    pub fn assert_finite_at(&self, ids: &[usize]) {
        self.assert_after(self, ids, Parts::ALL);
    }

    /// After an accepted step: at the batch's ids, the parts the loss
    /// reads or writes hold finite values; every part it neither reads
    /// nor writes is bit-identical to `before` (a NaN left there by the
    /// caller is the caller's: SogCLR never reads zeta, InfoNCE no state).
    pub fn assert_after(&self, before: &Self, ids: &[usize], parts: Parts) {
        let same = |a: &[T], b: &[T]| {
            a.iter()
                .zip(b)
                .all(|(&x, &y)| x.to_f64().to_bits() == y.to_f64().to_bits())
        };
        if !parts.log_s {
            assert!(
                same(&self.log_s, &before.log_s) && self.s_flags == before.s_flags,
                "log_s written"
            );
        }
        if !parts.zeta {
            assert!(same(&self.zeta, &before.zeta), "zeta written");
        }
        if !parts.z {
            assert!(
                same(&self.z, &before.z) && self.z_flags == before.z_flags,
                "z written"
            );
        }
        for &k in ids.iter().filter(|&&k| k < self.log_s.len()) {
            let ok = |v: T, f: u8| f == 0 || v.is_finite();
            assert!(
                !parts.log_s || ok(self.log_s[k], self.s_flags[k]),
                "log_s[{k}] = {:?}",
                self.log_s[k]
            );
            assert!(
                !parts.z || ok(self.z[k], self.z_flags[k]),
                "z[{k}] = {:?}",
                self.z[k]
            );
            assert!(
                !parts.zeta || self.zeta[k].is_finite(),
                "zeta[{k}] = {:?}",
                self.zeta[k]
            );
        }
    }
}

/// Which parts of the state a loss reads or writes.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    pub log_s: bool,
    pub zeta: bool,
    pub z: bool,
}

impl Parts {
    /// DPM with a zeta update.
    pub const ALL: Parts = Parts {
        log_s: true,
        zeta: true,
        z: true,
    };
    /// SogCLR: `u` only.
    pub const LOG_S: Parts = Parts {
        log_s: true,
        zeta: false,
        z: false,
    };
    /// InfoNCE: no state.
    pub const NONE: Parts = Parts {
        log_s: false,
        zeta: false,
        z: false,
    };

    /// DPM: `u` and zeta always (zeta weighs the negatives), `z` only
    /// with a zeta update.
    pub fn dpm(zeta_step: bool) -> Parts {
        Parts {
            log_s: true,
            zeta: true,
            z: zeta_step,
        }
    }
}

/// A scalar parameter: any f32 bit pattern (every finite value the API
/// accepts or must refuse, NaN and infinities included), or, so that the
/// fuzzer also spends time where training runs, a value in a friendly
/// range: `10^(x / 64)` for `x` in `[-256, 256]` (`[1e-4, 1e4]`), or a
/// fraction `k / 65535` in `[0, 1]`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Scalar {
    Bits(u32),
    Log(i16),
    Unit(u16),
}

impl Scalar {
    pub fn get(self) -> f32 {
        match self {
            Scalar::Bits(b) => f32::from_bits(b),
            Scalar::Log(x) => 10f32.powf(f32::from(x.clamp(-256, 256)) / 64.0),
            Scalar::Unit(k) => f32::from(k) / 65535.0,
        }
    }
}

/// `values[k % len]`, or 0 for no values.
pub fn cyclic(values: &[f32], k: usize) -> f32 {
    if values.is_empty() {
        0.0
    } else {
        values[k % values.len()]
    }
}

/// A batch size: up to 64 normally, and 65 to 256 for one input in eight
/// (`wide % 8 == 0`): the class whose per-row sums overflowed only past
/// 64 or 131 rows. Rare, because such an input costs 20 times a small
/// one.
pub fn batch(b: u8, wide: u8) -> usize {
    if is_wide(wide) {
        65 + usize::from(b) % 192
    } else {
        usize::from(b % 65)
    }
}

/// The wide class of [`batch`].
pub fn is_wide(wide: u8) -> bool {
    wide.is_multiple_of(8)
}

/// Every value finite.
pub fn all_finite<T: Real>(v: &[T]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Every weight in [0, 1/gamma], and each anchor's weights (rows of `w`,
/// or columns when `by_column`) summing to at most 1/gamma.
pub fn assert_weights(w: &[f32], b: usize, gamma: f32, by_column: bool) {
    // SPEC section 7 exactly, not up to rounding: judged in f64.
    let cap = 1.0 / f64::from(gamma);
    assert!(
        w.iter().all(|&v| v >= 0.0 && f64::from(v) <= cap),
        "weight outside [0, 1/gamma]: {w:?}"
    );
    for a in 0..b {
        let sum: f64 = (0..b)
            .map(|k| {
                f64::from(if by_column {
                    w[k * b + a]
                } else {
                    w[a * b + k]
                })
            })
            .sum();
        assert!(
            sum <= cap,
            "anchor {a}: weights sum to {sum} > 1/gamma = {cap}"
        );
    }
}

/// `|w32 - w64| <= w64 (exp(8 eps32 cond) - 1) + floor`: SPEC section 7's
/// bound with the row's condition `cond = 1 + |a| + |max| + |log_den|` bounded by
/// the caller, plus an absolute floor for values that underflow in f32.
pub fn assert_close_f32(w32: &[f32], w64: &[f64], cond: &[f64], what: &str) {
    let eps = f64::from(f32::EPSILON);
    for (k, (&a, &b)) in w32.iter().zip(w64).enumerate() {
        // An infinite condition number promises nothing.
        let rel = (8.0 * eps * cond[k]).exp_m1();
        let bound = if rel.is_finite() {
            b.abs() * rel + 1e-37
        } else {
            f64::INFINITY
        };
        let err = (f64::from(a) - b).abs();
        assert!(
            err <= bound,
            "{what}[{k}]: f32 {a:e} vs f64 {b:e}: |err| {err:e} > {bound:e}"
        );
    }
}

/// Two f32 results, each within SPEC section 7's bound (condition
/// `cond`) of the same exact value, so within twice the bound of each
/// other. Judged against the larger of the two, not against either one:
/// the exact value can lie anywhere the bound allows. (Judged against the
/// scalar engine's 0, the SIMD engine's 1.8e-35 failed, where the exact
/// weight was 1.6e-37 and the condition 3.5e8 promised no digit.)
pub fn assert_close_pair(a: &[f32], b: &[f32], cond: &[f64], what: &str) {
    let eps = f64::from(f32::EPSILON);
    for (k, (&x, &y)) in a.iter().zip(b).enumerate() {
        let (x, y) = (f64::from(x), f64::from(y));
        let rel = (16.0 * eps * cond[k]).exp_m1();
        let bound = if rel.is_finite() {
            x.abs().max(y.abs()) * rel + 2e-37
        } else {
            f64::INFINITY
        };
        let err = (x - y).abs();
        assert!(
            err <= bound,
            "{what}[{k}]: {x:e} vs {y:e}: |err| {err:e} > {bound:e}"
        );
    }
}

/// The same parameters in f64 (exact: widening rounds nothing).
pub fn widen(p: DpmParams<f32>) -> DpmParams<f64> {
    DpmParams {
        tau: f64::from(p.tau),
        gamma: f64::from(p.gamma),
        offset: match p.offset {
            Offset::Xi(x) => Offset::Xi(f64::from(x)),
            Offset::Vanilla => Offset::Vanilla,
        },
        zeta_step: p.zeta_step.map(|z| ZetaStep {
            theta: f64::from(z.theta),
            eta: f64::from(z.eta),
        }),
        first_visit: p.first_visit,
    }
}

/// SPEC section 7's condition of an anchor's outputs, `cond = 1 + |a| +
/// |max| + |log_den|`, bounded from the inputs: the anchor's largest `|a|`, its
/// history `|u|` (0 on a first visit), and what every anchor of the batch
/// shares (`n` ids, `gamma`, `m` candidates, `|xi|`, the batch's largest
/// `|zeta|`, `tau`).
pub struct Condition {
    shared: f64,
}

impl Condition {
    pub fn new(n: usize, gamma: f64, m: usize, xi: f64, zmax: f64, tau: f64) -> Self {
        Condition {
            shared: (n as f64).ln() + gamma.ln().abs() + (m as f64).ln() + (xi + zmax) / tau,
        }
    }

    pub fn of(&self, a_max: f64, u: f64) -> f64 {
        2.0 + 2.0 * a_max + u + self.shared
    }
}
