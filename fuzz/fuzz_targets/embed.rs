//! The way back to embeddings on arbitrary inputs over the whole finite
//! domain (any f32 feature, parameter and state value; B up to 64, d up
//! to 32): `dpm_bimodal_from_features` on raw and normalised features,
//! and the kernels it is made of. Finite in means finite out (or a
//! refusal), and from features no subnormal out; weights within
//! [0, 1/gamma], nothing written on error.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::embed::{
    FeatureOut, Features, axpy, axpy_wide, dot, dot_wide, dpm_bimodal_from_features, l2_normalize,
    l2_normalize_backward, scores_backward, scores_forward,
};
use dpm_core::{DpmParams, FirstVisit, Offset, ZetaStep};
use dpm_core_fuzz::{Parts, Pop, Scalar, all_finite, assert_weights, cyclic};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    d: u8,
    n: u8,
    raw: bool,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi: Scalar,
    vanilla: bool,
    zeta_step: bool,
    alpha: Scalar,
    /// Features and state values, reused cyclically.
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
}

const SENTINEL: f32 = -7.0;

fuzz_target!(|inp: Input| {
    let (b, d) = (usize::from(inp.b % 65), usize::from(inp.d % 33));
    let n = usize::from(inp.n);
    let x: Vec<f32> = (0..b * d).map(|k| cyclic(&inp.values, k)).collect();
    let y: Vec<f32> = (0..b * d).map(|k| cyclic(&inp.values, 3 * k + 1)).collect();
    from_features(&inp, &x, &y, b, d, n);
    kernels(&inp, &x, &y, b, d);
});

fn from_features(inp: &Input, x: &[f32], y: &[f32], b: usize, d: usize, n: usize) {
    let id = |k: usize| inp.ids.get(k).map_or(k, |&v| usize::from(v));
    let image_ids: Vec<usize> = (0..b).map(id).collect();
    let text_ids: Vec<usize> = (0..b).map(|k| id(k + b)).collect();
    let mut pops = [
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 1),
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 2),
    ];
    let before: Vec<u64> = pops.iter().flat_map(Pop::bits).collect();
    let before_pops = pops.clone();
    let gamma = inp.gamma.get();
    let p = DpmParams {
        tau: inp.tau.get(),
        gamma,
        offset: if inp.vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(inp.xi.get())
        },
        zeta_step: inp.zeta_step.then_some(ZetaStep {
            theta: inp.theta.get(),
            eta: inp.eta.get(),
        }),
        first_visit: FirstVisit::Batch,
    };
    let features = if inp.raw {
        Features::Raw
    } else {
        Features::Normalized
    };
    let (mut s, mut ds, mut wi, mut wt) = (
        vec![SENTINEL; b * b],
        vec![SENTINEL; b * b],
        vec![SENTINEL; b * b],
        vec![SENTINEL; b * b],
    );
    let (mut dx, mut dy) = (vec![SENTINEL; b * d], vec![SENTINEL; b * d]);
    let (mut hi, mut ht) = (vec![SENTINEL; b], vec![SENTINEL; b]);
    let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let [pi, pt] = &mut pops;
    let (Some(mut iv), Some(mut tv)) = (pi.view(), pt.view()) else {
        return;
    };
    let out = FeatureOut {
        weights_image: Some(&mut wi),
        weights_text: Some(&mut wt),
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy)
    };
    let r = dpm_bimodal_from_features(
        x,
        y,
        b,
        d,
        features,
        &image_ids,
        &text_ids,
        &mut iv,
        &mut tv,
        dpm_core::Directions::both(p),
        out,
        &mut scratch,
    );
    match r {
        Ok(l) => {
            assert!(l.total.is_finite(), "loss {l:?}");
            let outs = [("S", &s), ("dS", &ds), ("dx", &dx), ("dy", &dy)];
            let outs = outs
                .into_iter()
                .chain([("h", &hi), ("h", &ht), ("w", &wi), ("w", &wt)]);
            for (what, v) in outs {
                assert!(all_finite(v), "{what} not finite");
                // SPEC section 7: no output holds a subnormal.
                assert!(!v.iter().any(|e| e.is_subnormal()), "{what} subnormal");
            }
            assert_weights(&wi, b, gamma, false);
            assert_weights(&wt, b, gamma, true);
            let parts = Parts::dpm(inp.zeta_step);
            pops[0].assert_after(&before_pops[0], &image_ids, parts);
            pops[1].assert_after(&before_pops[1], &text_ids, parts);
        }
        Err(_) => {
            let outs = [&s, &ds, &wi, &wt, &dx, &dy, &hi, &ht];
            assert!(
                outs.iter().all(|v| v.iter().all(|&e| e == SENTINEL)),
                "an error wrote an output"
            );
            let after: Vec<u64> = pops.iter().flat_map(Pop::bits).collect();
            assert_eq!(after, before, "an error wrote state");
        }
    }
}

/// `Ok` means every written value is finite; `Err` that nothing was.
fn check<E: core::fmt::Debug>(what: &str, r: Result<(), E>, outs: &[&[f32]]) {
    match r {
        Ok(()) => assert!(outs.iter().all(|v| all_finite(v)), "{what} not finite"),
        Err(_) => assert!(
            outs.iter().all(|v| v.iter().all(|&e| e == SENTINEL)),
            "{what}: an error wrote"
        ),
    }
}

fn kernels(inp: &Input, x: &[f32], y: &[f32], b: usize, d: usize) {
    let mut s = vec![SENTINEL; b * b];
    check("S", scores_forward(x, y, b, b, d, &mut s), &[&s]);
    let g: Vec<f32> = (0..b * b).map(|k| cyclic(&inp.values, 5 * k + 2)).collect();
    let (mut dx, mut dy) = (vec![SENTINEL; b * d], vec![SENTINEL; b * d]);
    let r = scores_backward(&g, x, y, b, b, d, &mut dx, &mut dy);
    check("dX, dY", r, &[&dx, &dy]);
    let (mut xn, mut norms) = (vec![SENTINEL; b * d], vec![SENTINEL; b]);
    check(
        "normalize",
        l2_normalize(x, b, d, &mut xn, &mut norms),
        &[&xn, &norms],
    );
    let mut dv = vec![SENTINEL; b * d];
    let r = l2_normalize_backward(x, y, b, d, &mut dv);
    check("normalize backward", r, &[&dv]);
    for f in [dot::<f32>, dot_wide::<f32>] {
        if let Ok(v) = f(x, y) {
            assert!(v.is_finite(), "dot {v}");
        }
    }
    for f in [axpy::<f32>, axpy_wide::<f32>] {
        let mut z = vec![SENTINEL; b * d];
        let r = f(inp.alpha.get(), x, &mut z);
        check("axpy", r, &[&z]);
    }
}
