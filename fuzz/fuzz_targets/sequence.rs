//! Several bimodal steps through one state: ids recur across steps, xi is
//! refreshed between them, parameters range over the whole finite domain,
//! and every step keeps the invariants (finite, weights within 1/gamma,
//! nothing written on error).
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, ZetaStep, dpm_bimodal};
use dpm_core_fuzz::{Pop, Scalar, all_finite, assert_weights, cyclic};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Step {
    ids: Vec<u8>,
    scores: Vec<f32>,
    refresh_xi: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    n: u8,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi_init: Scalar,
    vanilla: bool,
    steps: Vec<Step>,
}

fuzz_target!(|inp: Input| {
    let b = 2 + usize::from(inp.b % 8);
    let n = 2 + usize::from(inp.n % 40);
    let mut pops = [
        Pop::<f32>::from_fuzz(n, &[-0.05], &[], 0),
        Pop::<f32>::from_fuzz(n, &[-0.05], &[], 0),
    ];
    let xi_init = inp.xi_init.get();
    let gamma = inp.gamma.get();
    let (mut xi_i, mut xi_t) = (xi_init, xi_init);
    for st in inp.steps.iter().take(6) {
        if st.refresh_xi {
            xi_i = pops[0].view().unwrap().refresh_xi(xi_init);
            xi_t = pops[1].view().unwrap().refresh_xi(xi_init);
        }
        let id = |k: usize| st.ids.get(k).map_or(k, |&v| usize::from(v) % n);
        let (ii, ti): (Vec<usize>, Vec<usize>) = (
            (0..b).map(id).collect(),
            (0..b).map(|k| id(k + b)).collect(),
        );
        let s: Vec<f32> = (0..b * b).map(|k| cyclic(&st.scores, k)).collect();
        let dir = |xi: f32| DpmParams {
            tau: inp.tau.get(),
            gamma,
            offset: if inp.vanilla {
                Offset::Vanilla
            } else {
                Offset::Xi(xi)
            },
            zeta_step: Some(ZetaStep {
                theta: inp.theta.get(),
                eta: inp.eta.get(),
            }),
            first_visit: FirstVisit::Batch,
        };
        let before: Vec<u64> = pops.iter().flat_map(Pop::bits).collect();
        let (mut ds, mut wi, mut wt) = (
            vec![-7.0_f32; b * b],
            vec![-7.0_f32; b * b],
            vec![-7.0_f32; b * b],
        );
        let mut scratch = vec![0.0_f32; dpm_core::bimodal_scratch_len(b)];
        let [x, y] = &mut pops;
        let (mut image, mut text) = (x.view().unwrap(), y.view().unwrap());
        let out = BimodalOut {
            weights_image: Some(&mut wi),
            weights_text: Some(&mut wt),
            ..BimodalOut::new(&mut ds)
        };
        match dpm_bimodal(
            &s,
            &ii,
            &ti,
            &mut image,
            &mut text,
            [dir(xi_t), dir(xi_i)],
            out,
            &mut scratch,
        ) {
            Err(_) => {
                assert!(
                    ds.iter().chain(&wi).chain(&wt).all(|&v| v == -7.0),
                    "an error wrote an output"
                );
                assert_eq!(
                    pops.iter().flat_map(Pop::bits).collect::<Vec<_>>(),
                    before,
                    "an error wrote state"
                );
            }
            Ok(l) => {
                assert!(l.total.is_finite() && all_finite(&ds));
                assert_weights(&wi, b, gamma, false);
                assert_weights(&wt, b, gamma, true);
                pops[0].assert_finite_at(&ii);
                pops[1].assert_finite_at(&ti);
            }
        }
    }
});
