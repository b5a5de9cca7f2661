//! The DPM bimodal step on arbitrary inputs: finite in means finite out,
//! weights within `[0, 1/gamma]`, and on error nothing is written.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, StateView, ZetaStep, dpm_bimodal};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    n: u8,
    /// tau = 10^(log_tau / 64): about [1e-4, 1e4] for |log_tau| <= 255.
    log_tau: i16,
    gamma: f32,
    theta: f32,
    eta: f32,
    xi: f32,
    vanilla: bool,
    zeta_step: bool,
    /// Scores, state values and ids; reused cyclically.
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
}

fn pick(v: &[f32], k: usize, scale: f32) -> f32 {
    if v.is_empty() {
        0.0
    } else {
        v[k % v.len()] * scale
    }
}

fuzz_target!(|inp: Input| {
    let b = usize::from(inp.b % 17);
    let n = usize::from(inp.n).max(1);
    let tau = 10f32.powf(f32::from(inp.log_tau.clamp(-256, 256)) / 64.0);
    let s: Vec<f32> = (0..b * b).map(|k| pick(&inp.values, k, 1.0)).collect();
    let id = |k: usize| inp.ids.get(k).map_or(k, |&v| usize::from(v));
    let image_ids: Vec<usize> = (0..b).map(id).collect();
    let text_ids: Vec<usize> = (0..b).map(|k| id(k + b)).collect();
    let mut pops: Vec<(Vec<f32>, Vec<u8>, Vec<f32>, Vec<f32>, Vec<u8>)> = (0..2)
        .map(|p| {
            let seen = |k: usize| u8::from(inp.visited.get(k + p * n).copied().unwrap_or(false));
            (
                (0..n).map(|k| pick(&inp.values, 3 * k + 1, 1.0)).collect(),
                (0..n).map(seen).collect(),
                (0..n).map(|k| pick(&inp.values, 3 * k + 2, 1.0)).collect(),
                (0..n).map(|k| pick(&inp.values, 3 * k, 1.0)).collect(),
                (0..n).map(|k| seen(k + 1)).collect(),
            )
        })
        .collect();
    let p = DpmParams {
        tau,
        gamma: inp.gamma,
        offset: if inp.vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(inp.xi)
        },
        zeta_step: inp.zeta_step.then_some(ZetaStep {
            theta: inp.theta,
            eta: inp.eta,
        }),
        first_visit: FirstVisit::Batch,
    };
    let (mut ds, mut wi, mut wt) = (
        vec![-7.0_f32; b * b],
        vec![-7.0_f32; b * b],
        vec![-7.0_f32; b * b],
    );
    let mut scratch = vec![0.0_f32; dpm_core::bimodal_scratch_len(b)];
    let snapshot = |pops: &[(Vec<f32>, Vec<u8>, Vec<f32>, Vec<f32>, Vec<u8>)],
                    outs: [&Vec<f32>; 3]| {
        let mut bits: Vec<u32> = outs
            .iter()
            .flat_map(|v| v.iter().map(|x| x.to_bits()))
            .collect();
        for p in pops {
            bits.extend(p.0.iter().chain(&p.2).chain(&p.3).map(|x| x.to_bits()));
            bits.extend(p.1.iter().chain(&p.4).map(|&f| u32::from(f)));
        }
        bits
    };
    let before = snapshot(&pops, [&ds, &wi, &wt]);
    let (first, second) = pops.split_at_mut(1);
    let (a, c) = (&mut first[0], &mut second[0]);
    let (Ok(mut image), Ok(mut text)) = (
        StateView::new(&mut a.0, &mut a.1, &mut a.2, &mut a.3, &mut a.4),
        StateView::new(&mut c.0, &mut c.1, &mut c.2, &mut c.3, &mut c.4),
    ) else {
        assert!(n < 2, "a valid population was refused");
        return;
    };
    let out = BimodalOut {
        weights_image: Some(&mut wi),
        weights_text: Some(&mut wt),
        ..BimodalOut::new(&mut ds)
    };
    let result = dpm_bimodal(
        &s,
        &image_ids,
        &text_ids,
        &mut image,
        &mut text,
        [p, p],
        out,
        &mut scratch,
    );
    match result {
        Err(_) => assert_eq!(
            snapshot(&pops, [&ds, &wi, &wt]),
            before,
            "an error wrote something"
        ),
        Ok(loss) => {
            assert!(loss.total.is_finite(), "loss {loss:?}");
            assert!(ds.iter().all(|v| v.is_finite()), "dS not finite");
            let cap = 1.0 / p.gamma * (1.0 + 1e-4);
            for w in [&wi, &wt] {
                assert!(
                    w.iter().all(|&v| (0.0..=cap).contains(&v)),
                    "weight outside [0, 1/gamma]"
                );
            }
            for row in wi.chunks(b) {
                let sum = row.iter().sum::<f32>();
                assert!(sum <= cap * (1.0 + 1e-5), "row sum above 1/gamma");
            }
            // The ids a side's batch touched hold finite state (others may
            // hold anything: they are neither read nor written).
            for (p, ids) in pops.iter().zip([&image_ids, &text_ids]) {
                for &k in ids {
                    let finite = |v: f32, f: u8| f == 0 || v.is_finite();
                    assert!(
                        finite(p.0[k], p.1[k]) && finite(p.3[k], p.4[k]) && p.2[k].is_finite(),
                        "state not finite"
                    );
                }
            }
        }
    }
});
