//! The per-value error bound: a first-order, componentwise forward error
//! bound in the form of SPEC section 7.
//!
//! SPEC 7 bounds a weight by `8 eps (1 + |a| + |log_den|)` relative: the
//! `|a|`, `|log_den|` terms are what a relative rounding of the arguments
//! costs. For a whole pipeline (normalise, `S = X Y^T`, the step, `dX`,
//! `dY`, the state update) the same idea is the componentwise condition
//! number: if every input `p` (feature, state value read, parameter) is
//! perturbed by a relative `eps`, output `v` moves by at most
//! `eps * sum_p |dv/dp| |p|`. So for each output
//!
//! ```text
//! bound(v) = K eps32 (|v| + sum_p |dv/dp| |p|)       fresh rounding of this step
//!          + sum_{p in state} |dv/dp| bound(p)        error carried in by the state
//! ```
//!
//! with `K = 8` as in SPEC 7 and `bound(p)` the bound of the state value as
//! the previous step left it (0 before the first step: the initial state is
//! exact). Perturbing `tau` yields the `|a|` term and perturbing `xi`,
//! `zeta` the `|log_den|` term of SPEC 7. The derivatives are central
//! differences of the f64 path (relative step `2^-20`: truncation and
//! rounding both far below the `eps32` scale).
//!
//! One term escapes the derivatives: the zeta gradient
//! `h[j] = 1 - (n/(n-1)) (1/B) sum_i exp(a[i][j] - log_dt[i])` (SPEC 2)
//! is computed from `a` and `log_dt` whose large parts (`zeta/tau`, the row
//! maximum) cancel mathematically, so they have no derivative, but they
//! round. Each term then has the SPEC 7 relative error
//! `8 eps (1 + |a| + |log_dt|)`, and the terms sum to `1 - h`, so `h`
//! gets the extra `K eps32 (1 + |h|) (1 + A)`, with `A` the largest
//! `max_j |a[i][j]| + |log_dt[i]|` of the direction; `z` gets `theta` times
//! that (all of it on a first visit) and `zeta` `eta` times `z`'s.

use crate::model::{Pop, StepIn, eval, layout};
use dpm_core::Offset;

pub const K: f64 = 8.0;
pub const EPS32: f64 = f32::EPSILON as f64;
const H: f64 = 1.0 / (1u64 << 20) as f64;

/// The error bounds carried by the state arrays of both populations.
#[derive(Clone, Debug)]
pub struct StateBounds {
    pub log_s: [Vec<f64>; 2],
    pub z: [Vec<f64>; 2],
    pub zeta: [Vec<f64>; 2],
}

impl StateBounds {
    pub fn zero(n: usize) -> Self {
        let z = || [vec![0.0; n], vec![0.0; n]];
        StateBounds {
            log_s: z(),
            z: z(),
            zeta: z(),
        }
    }
}

#[derive(Clone, Copy)]
enum Input {
    X(usize),
    Y(usize),
    Param(usize, usize),
    LogS(usize, usize),
    Z(usize, usize),
    Zeta(usize, usize),
}

fn pop(inp: &mut StepIn<f64>, side: usize) -> &mut Pop<f64> {
    if side == 0 {
        &mut inp.image
    } else {
        &mut inp.text
    }
}

fn slot(inp: &mut StepIn<f64>, k: Input) -> &mut f64 {
    match k {
        Input::X(i) => &mut inp.x[i],
        Input::Y(i) => &mut inp.y[i],
        Input::Param(dir, w) => {
            let p = if dir == 0 {
                &mut inp.params.image
            } else {
                &mut inp.params.text
            };
            let step = p.zeta_step.as_mut().expect("zeta step");
            match (w, &mut p.offset) {
                (0, _) => &mut p.tau,
                (1, _) => &mut p.gamma,
                (2, _) => &mut step.theta,
                (3, _) => &mut step.eta,
                (_, Offset::Xi(xi)) => xi,
                _ => unreachable!("vanilla has no xi"),
            }
        }
        Input::LogS(s, id) => &mut pop(inp, s).log_s[id],
        Input::Z(s, id) => &mut pop(inp, s).z[id],
        Input::Zeta(s, id) => &mut pop(inp, s).zeta[id],
    }
}

/// Every input the step reads that can carry a rounding error.
fn inputs(inp: &StepIn<f64>, ids: &[usize]) -> Vec<Input> {
    let mut v: Vec<Input> = (0..inp.x.len()).map(Input::X).collect();
    v.extend((0..inp.y.len()).map(Input::Y));
    for (dir, p) in [inp.params.image, inp.params.text].iter().enumerate() {
        let n = if matches!(p.offset, Offset::Xi(_)) {
            5
        } else {
            4
        };
        v.extend((0..n).map(|w| Input::Param(dir, w)));
    }
    for side in 0..2 {
        let p = if side == 0 { &inp.image } else { &inp.text };
        for &id in ids {
            if p.s_flags[id] != 0 {
                v.push(Input::LogS(side, id));
            }
            if p.z_flags[id] != 0 {
                v.push(Input::Z(side, id));
            }
            v.push(Input::Zeta(side, id));
        }
    }
    v
}

/// The bound of every output of [`eval`] on `inp` (`value` its f64
/// result), given the bounds the incoming state carries.
pub fn bounds(
    inp: &StepIn<f64>,
    b: usize,
    d: usize,
    ids: &[usize],
    value: &[f64],
    sb: &StateBounds,
) -> Vec<f64> {
    let m = value.len();
    let mut cond: Vec<f64> = value.iter().map(|v| v.abs()).collect();
    let mut carried = vec![0.0; m];
    for k in inputs(inp, ids) {
        let mut probe = inp.clone();
        let p = *slot(&mut probe, k);
        if p == 0.0 {
            continue;
        }
        let carried_in = match k {
            Input::LogS(s, id) => sb.log_s[s][id],
            Input::Z(s, id) => sb.z[s][id],
            Input::Zeta(s, id) => sb.zeta[s][id],
            _ => 0.0,
        };
        *slot(&mut probe, k) = p * (1.0 + H);
        let plus = eval(&probe, b, d, (ids, ids)).0;
        *slot(&mut probe, k) = p * (1.0 - H);
        let minus = eval(&probe, b, d, (ids, ids)).0;
        for o in 0..m {
            let t = (plus[o] - minus[o]).abs() / (2.0 * H); // |dv/dp| |p|
            cond[o] += t;
            carried[o] += t / p.abs() * carried_in;
        }
    }
    let mut bound: Vec<f64> = cond
        .iter()
        .zip(&carried)
        .map(|(c, e)| K * EPS32 * c + e)
        .collect();
    h_terms(inp, b, ids, value, &mut bound);
    bound
}

fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// Adds the rounding of the cancelling parts of `h` (module docs) to the
/// bounds of `h`, `z` and `zeta` of both sides' candidates.
fn h_terms(inp: &StepIn<f64>, b: usize, ids: &[usize], value: &[f64], bound: &mut [f64]) {
    let lay = layout(b, inp.x.len() / b);
    let at = |name: &str| lay.iter().find(|l| l.0 == name).map(|l| l.1).unwrap();
    let s = |i: usize, j: usize| value[at("scores") + i * b + j];
    let n1 = (inp.image.zeta.len() - 1) as f64;
    // dir 0: image anchors (rows), text candidates; dir 1: the reverse.
    for (dir, cand, anchor) in [(0, "text", "image"), (1, "image", "text")] {
        let p = if dir == 0 {
            &inp.params.image
        } else {
            &inp.params.text
        };
        let step = p.zeta_step.expect("zeta step");
        let pop = if dir == 0 { &inp.text } else { &inp.image };
        let zeta = |k: usize| pop.zeta[ids[k]];
        let score = |r: usize, c: usize| if dir == 0 { s(r, c) } else { s(c, r) };
        let mut big_a = 0.0_f64;
        for r in 0..b {
            let u = value[at(&format!("{anchor}_log_s")) + r];
            let log_dt = log_add_exp(-n1.ln() - zeta(r) / p.tau, u - ((b - 1) as f64).ln());
            let a = (0..b)
                .map(|c| ((score(r, c) - score(r, r) - zeta(c)) / p.tau).abs())
                .fold(0.0, f64::max);
            big_a = big_a.max(a + log_dt.abs());
        }
        for c in 0..b {
            let h = value[at(&format!("h_{cand}")) + c];
            let extra = K * EPS32 * (1.0 + h.abs()) * (1.0 + big_a);
            let into_z = if pop.z_flags[ids[c]] != 0 {
                step.theta
            } else {
                1.0
            };
            bound[at(&format!("h_{cand}")) + c] += extra;
            bound[at(&format!("{cand}_z")) + c] += into_z * extra;
            bound[at(&format!("{cand}_zeta")) + c] += step.eta * into_z * extra;
        }
    }
}
