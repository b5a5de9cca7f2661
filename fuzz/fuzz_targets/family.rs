//! The energy-based family on arbitrary inputs: finite in means finite out
//! (or a refusal), outputs untouched on error, and the structural facts
//! of each loss (gradients of a softmax sum to 0, pair losses >= 0).
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::family::{PairLoss, gibbs_nll, pair_loss, sampled_softmax, softmax_cross_entropy};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    kind: u8,
    a: f32,
    b: f32,
    margin: f32,
    beta: f32,
    target: u8,
    values: Vec<f32>,
    q: Vec<f32>,
}

fn all_finite(v: &[f32]) -> bool {
    v.iter().all(|x| x.is_finite())
}

fuzz_target!(|inp: Input| {
    // Pair losses.
    let loss = match inp.kind % 4 {
        0 => PairLoss::Simple { margin: inp.margin },
        1 => PairLoss::Hinge { margin: inp.margin },
        2 => PairLoss::Log,
        _ => PairLoss::SquareSquare { margin: inp.margin },
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
    match gibbs_nll(x, inp.beta, target, &mut grad) {
        Ok(l) => {
            assert!(l.is_finite() && all_finite(&grad), "gibbs {l} {grad:?}");
            let sum: f32 = grad.iter().sum();
            assert!(
                sum.abs() <= 1e-4 * k as f32,
                "gibbs gradient sums to {sum}: x {x:?} beta {} target {target} grad {grad:?} loss {l}",
                inp.beta
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
});
