//! The energy-based family on arbitrary inputs over the whole finite
//! domain (any f32 for energies, logits, weights, beta, margins and
//! probabilities; batches of up to 64 samples): finite in means finite
//! out (or a refusal), outputs untouched on error, and the structural
//! facts of each loss (gradients of a softmax sum to 0, pair losses >= 0).
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::family::{
    Linear, LinearGrad, PairLoss, expectation_gradient, gibbs_nll, pair_loss, sampled_softmax,
    softmax_cross_entropy, softmax_cross_entropy_linear_batch,
};
use dpm_core_fuzz::{Scalar, all_finite, cyclic};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    kind: u8,
    a: f32,
    b: f32,
    margin: Scalar,
    beta: Scalar,
    target: u8,
    values: Vec<f32>,
    q: Vec<f32>,
    /// Linear batch: samples, classes, inputs; class of each sample.
    samples: u8,
    classes: u8,
    inputs: u8,
    labels: Vec<u8>,
    /// Expectation gradient: candidates, parameters, data index.
    params: u8,
    data: u8,
}

fuzz_target!(|inp: Input| {
    // Pair losses.
    let margin = inp.margin.get();
    let loss = match inp.kind % 4 {
        0 => PairLoss::Simple { margin },
        1 => PairLoss::Hinge { margin },
        2 => PairLoss::Log,
        _ => PairLoss::SquareSquare { margin },
    };
    if let Ok(o) = pair_loss(loss, inp.a, inp.b) {
        assert!(
            o.loss.is_finite() && o.d_positive.is_finite() && o.d_negative.is_finite(),
            "{o:?}"
        );
        assert!(o.loss >= 0.0, "pair loss below 0: {o:?}");
    }

    let x = &inp.values[..inp.values.len().min(64)];
    let k = x.len();
    let target = usize::from(inp.target) % k.max(1);
    let sentinel = -7.0_f32;

    // Gibbs NLL and softmax cross-entropy: grad = onehot - p or p - onehot.
    let mut grad = vec![sentinel; k];
    let beta = inp.beta.get();
    match gibbs_nll(x, beta, target, &mut grad) {
        Ok(l) => {
            assert!(l.is_finite() && all_finite(&grad), "gibbs {l} {grad:?}");
            let sum: f32 = grad.iter().sum();
            assert!(
                sum.abs() <= 1e-4 * k as f32,
                "gibbs gradient sums to {sum}: x {x:?} beta {beta} target {target} grad {grad:?} loss {l}",
            );
        }
        Err(_) => assert!(grad.iter().all(|&g| g == sentinel), "gibbs error wrote"),
    }
    let mut dz = vec![sentinel; k];
    match softmax_cross_entropy(x, target, &mut dz) {
        Ok(l) => {
            assert!(
                l.is_finite() && l >= 0.0 && all_finite(&dz),
                "ce {l} {dz:?}"
            );
            assert!(dz.iter().enumerate().all(|(i, &g)| if i == target {
                g <= 0.0
            } else {
                g >= 0.0
            }));
        }
        Err(_) => assert!(dz.iter().all(|&g| g == sentinel), "ce error wrote"),
    }

    // Sampled softmax: invalid q is refused, valid input gives finite out.
    let m = k.min(inp.q.len());
    let mut dn = vec![sentinel; m];
    match sampled_softmax(inp.a, &x[..m], &inp.q[..m], &mut dn) {
        Ok(o) => {
            assert!(
                inp.q[..m].iter().all(|&q| q > 0.0 && q.is_finite()),
                "accepted an invalid q"
            );
            assert!(
                o.loss.is_finite() && o.d_positive.is_finite() && all_finite(&dn),
                "{o:?}"
            );
            assert!(o.loss >= 0.0 && dn.iter().all(|&g| g >= 0.0));
        }
        Err(_) => assert!(
            dn.iter().all(|&g| g == sentinel),
            "sampled softmax error wrote"
        ),
    }

    linear_batch(&inp);
    expectation(&inp);
});

/// The mean softmax cross-entropy of up to 64 samples through a linear
/// layer (its sum of per-sample losses overflowed from 33 samples).
fn linear_batch(inp: &Input) {
    let (n, k, d) = (
        1 + usize::from(inp.samples % 64),
        1 + usize::from(inp.classes % 8),
        1 + usize::from(inp.inputs % 8),
    );
    let weight: Vec<f32> = (0..k * d).map(|j| cyclic(&inp.values, j)).collect();
    let bias: Vec<f32> = (0..k).map(|j| cyclic(&inp.q, j)).collect();
    let x: Vec<f32> = (0..n * d).map(|j| cyclic(&inp.values, j + 7)).collect();
    let labels: Vec<usize> = (0..n)
        .map(|j| inp.labels.get(j).map_or(0, |&c| usize::from(c) % (k + 1)))
        .collect();
    let layer = Linear {
        weight: &weight,
        bias: &bias,
        classes: k,
        inputs: d,
    };
    let (mut dw, mut db) = (vec![-7.0_f32; k * d], vec![-7.0_f32; k]);
    let mut scratch = vec![0.0_f32; k];
    let grad = LinearGrad {
        weight: &mut dw,
        bias: &mut db,
    };
    match softmax_cross_entropy_linear_batch(layer, &x, &labels, grad, &mut scratch) {
        Ok(l) => assert!(
            l.is_finite() && l >= 0.0 && all_finite(&dw) && all_finite(&db),
            "linear batch {l}"
        ),
        Err(_) => assert!(
            dw.iter().chain(&db).all(|&g| g == -7.0),
            "linear batch error wrote"
        ),
    }
}

/// The expectation form over up to 64 candidates: `p` is refused unless
/// it is a probability vector within the (K-independent) tolerance.
fn expectation(inp: &Input) {
    let k = inp.q.len().min(64);
    let params = 1 + usize::from(inp.params % 4);
    let p = &inp.q[..k];
    let de: Vec<f32> = (0..k * params).map(|j| cyclic(&inp.values, j)).collect();
    let mut out = vec![-7.0_f32; params];
    let data = usize::from(inp.data);
    match expectation_gradient(p, &de, k, params, data, &mut out) {
        Ok(()) => {
            let sum: f64 = p.iter().map(|&v| f64::from(v)).sum();
            assert!(
                (sum - 1.0).abs() <= 1e-3 && p.iter().all(|&v| (0.0..=1.0).contains(&v)),
                "accepted p summing to {sum}"
            );
            assert!(all_finite(&out), "expectation {out:?}");
        }
        Err(_) => assert!(out.iter().all(|&g| g == -7.0), "expectation error wrote"),
    }
}
