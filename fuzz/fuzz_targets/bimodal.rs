//! The bimodal steps (DPM, SogCLR, InfoNCE) on arbitrary inputs over the
//! whole finite domain (any f32 for tau, gamma, theta, eta, xi, scores and
//! state; B up to 256): finite in means finite out, weights within
//! [0, 1/gamma] per anchor, nothing written on error, the SIMD step
//! refusing exactly what the scalar reference refuses, and, for DPM with
//! B <= 64, the f32 step within SPEC section 7's bound of the f64 step on
//! the same inputs and of the scalar reference (`dpm_core::scalar`).
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{
    BimodalOut, Directions, DpmParams, FirstVisit, Offset, Real, SogClrParams, ZetaStep,
};
use dpm_core_fuzz::{
    Condition, Parts, Pop, Scalar, all_finite, assert_close_f32, assert_close_pair, assert_weights,
    batch, cyclic, widen,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    wide: u8,
    n: u8,
    /// 0: DPM, 1: SogCLR, 2: InfoNCE (others: DPM).
    algo: u8,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi: Scalar,
    vanilla: bool,
    zeta_step: bool,
    zero_history: bool,
    /// Scores and state values, reused cyclically.
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
    /// The `b` given to the step: 0 the ids' length; 1 one more, 2 one
    /// less, 3 `usize::MAX` (every other value refused, nothing written).
    lie: u8,
}

/// The loss of a run.
#[derive(Clone, Copy)]
enum Loss<T> {
    Dpm(DpmParams<T>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

struct Out<T> {
    ds: Vec<T>,
    wi: Vec<T>,
    wt: Vec<T>,
}

fn run<T: Real>(
    inp: &Input,
    s: &[T],
    ids: (&[usize], &[usize]),
    pops: &mut [Pop<T>; 2],
    loss: Loss<T>,
    scalar: bool,
) -> (Result<T, dpm_core::Error>, Out<T>) {
    let b = ids.0.len();
    let fill = T::from_f64(-7.0);
    let mut o = Out {
        ds: vec![fill; b * b],
        wi: vec![fill; b * b],
        wt: vec![fill; b * b],
    };
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let before: Vec<u64> = pops.iter().flat_map(Pop::bits).collect();
    let [x, y] = pops;
    let (Some(mut image), Some(mut text)) = (x.view(), y.view()) else {
        assert!(inp.n < 2, "a valid population was refused");
        return (Err(dpm_core::Error::PopulationTooSmall { len: 0 }), o);
    };
    let out = BimodalOut {
        weights_image: Some(&mut o.wi),
        weights_text: Some(&mut o.wt),
        ..BimodalOut::new(&mut o.ds)
    };
    let (ii, ti, sc) = (ids.0, ids.1, &mut scratch[..]);
    let (iv, tv) = (&mut image, &mut text);
    let bb = match inp.lie % 4 {
        1 => b + 1,
        2 => b.wrapping_sub(1),
        3 => usize::MAX,
        _ => b,
    };
    let r = match (loss, scalar) {
        (Loss::Dpm(p), false) => {
            dpm_core::dpm_bimodal(s, bb, ii, ti, iv, tv, Directions::both(p), out, sc)
        }
        (Loss::Dpm(p), true) => {
            dpm_core::scalar::dpm_bimodal(s, bb, ii, ti, iv, tv, Directions::both(p), out, sc)
        }
        (Loss::SogClr(p), false) => {
            dpm_core::sogclr_bimodal(s, bb, ii, ti, iv, tv, Directions::both(p), out, sc)
        }
        (Loss::SogClr(p), true) => {
            dpm_core::scalar::sogclr_bimodal(s, bb, ii, ti, iv, tv, Directions::both(p), out, sc)
        }
        (Loss::InfoNce(tau), false) => dpm_core::infonce_bimodal(s, bb, tau, out, sc),
        (Loss::InfoNce(tau), true) => dpm_core::scalar::infonce_bimodal(s, bb, tau, out, sc),
    }
    .map(|l| l.total);
    assert!(
        bb == b || r.is_err(),
        "a b other than the ids' length was accepted"
    );
    if r.is_err() {
        assert!(
            o.ds.iter().chain(&o.wi).chain(&o.wt).all(|&v| v == fill),
            "an error wrote an output"
        );
        assert_eq!(
            pops.iter().flat_map(Pop::bits).collect::<Vec<_>>(),
            before,
            "an error wrote state"
        );
    }
    (r, o)
}

fuzz_target!(|inp: Input| {
    let b = batch(inp.b, inp.wide);
    let n = usize::from(inp.n);
    let s32: Vec<f32> = (0..b * b).map(|k| cyclic(&inp.values, k)).collect();
    let id = |k: usize| inp.ids.get(k).map_or(k, |&v| usize::from(v));
    let image_ids: Vec<usize> = (0..b).map(id).collect();
    let text_ids: Vec<usize> = (0..b).map(|k| id(k + b)).collect();
    let mut p32 = [
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 1),
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 2),
    ];
    let mut p64 = [p32[0].cast::<f64>(), p32[1].cast::<f64>()];
    let mut p32_scalar = [p32[0].clone(), p32[1].clone()];
    let before32 = [p32[0].clone(), p32[1].clone()];
    let first_visit = if inp.zero_history {
        FirstVisit::ZeroHistory
    } else {
        FirstVisit::Batch
    };
    let (tau, gamma) = (inp.tau.get(), inp.gamma.get());
    let p = DpmParams {
        tau,
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
        first_visit,
    };
    let (loss, cap) = match inp.algo {
        1 => (
            Loss::SogClr(SogClrParams {
                tau,
                gamma,
                first_visit,
            }),
            gamma,
        ),
        2 => (Loss::InfoNce(tau), 1.0),
        _ => (Loss::Dpm(p), gamma),
    };
    let parts = match loss {
        Loss::Dpm(p) => Parts::dpm(p.zeta_step.is_some()),
        Loss::SogClr(_) => Parts::LOG_S,
        Loss::InfoNce(_) => Parts::NONE,
    };
    let ids = (&image_ids[..], &text_ids[..]);
    let (r32, o32) = run(&inp, &s32, ids, &mut p32, loss, false);
    // The wide class is there for the sums: the SIMD step only. Up to 64,
    // the scalar twin too, and (DPM) the comparisons with f64.
    let twin = (b <= 64).then(|| run(&inp, &s32, ids, &mut p32_scalar, loss, true));
    if let Some((r32s, _)) = &twin {
        assert_eq!(
            r32.as_ref().err(),
            r32s.as_ref().err(),
            "SIMD and scalar disagree on refusing"
        );
    }
    let Ok(total) = r32 else { return };
    assert!(total.is_finite(), "loss {total}");
    assert!(all_finite(&o32.ds), "dS not finite");
    assert_weights(&o32.wi, b, cap, false);
    assert_weights(&o32.wt, b, cap, true);
    p32[0].assert_after(&before32[0], &image_ids, parts);
    p32[1].assert_after(&before32[1], &text_ids, parts);
    let Some((_, o32s)) = twin else { return };
    assert!(all_finite(&o32s.ds), "scalar dS not finite");
    assert_weights(&o32s.wi, b, cap, false);
    assert_weights(&o32s.wt, b, cap, true);
    p32_scalar[0].assert_after(&before32[0], &image_ids, parts);
    p32_scalar[1].assert_after(&before32[1], &text_ids, parts);
    if !matches!(loss, Loss::Dpm(_)) {
        return;
    }
    let wide = widen(p);

    // The same inputs in f64 (widening is exact): accepted too, and close.
    let before64 = [p64[0].clone(), p64[1].clone()];
    let s64: Vec<f64> = s32.iter().map(|&v| f64::from(v)).collect();
    let (r64, o64) = run(&inp, &s64, ids, &mut p64, Loss::Dpm(wide), false);
    assert!(r64.is_ok(), "f64 refused what f32 accepted: {r64:?}");
    let tau = wide.tau;
    let a_max = |anchor: usize, transposed: bool| -> f64 {
        (0..b)
            .map(|c| {
                let (i, j) = if transposed { (c, anchor) } else { (anchor, c) };
                let zeta = if transposed {
                    before64[0].zeta[image_ids[c]]
                } else {
                    before64[1].zeta[text_ids[c]]
                };
                ((s64[i * b + j] - s64[anchor * b + anchor] - zeta) / tau).abs()
            })
            .fold(0.0, f64::max)
    };
    // Only what the step reads: the batch's zeta, and xi in Xi mode.
    let batch_zeta = image_ids
        .iter()
        .map(|&k| before64[0].zeta[k])
        .chain(text_ids.iter().map(|&k| before64[1].zeta[k]));
    let zmax = batch_zeta.fold(0.0_f64, |m, v| m.max(v.abs()));
    let xi = match wide.offset {
        Offset::Xi(x) => x.abs(),
        Offset::Vanilla => 0.0,
    };
    let condition = Condition::new(n, wide.gamma, b, xi, zmax, tau);
    let cond = |anchor: usize, transposed: bool| {
        let (pop, id) = if transposed {
            (&before64[1], text_ids[anchor])
        } else {
            (&before64[0], image_ids[anchor])
        };
        let u = if pop.s_flags[id] == 1 {
            pop.log_s[id].abs()
        } else {
            0.0
        };
        condition.of(a_max(anchor, transposed), u)
    };
    // Once per anchor (a_max is O(B)); per entry it made the harness O(B^3).
    let row_cond: Vec<f64> = (0..b).map(|a| cond(a, false)).collect();
    let col_cond: Vec<f64> = (0..b).map(|a| cond(a, true)).collect();
    let ci: Vec<f64> = (0..b * b).map(|k| row_cond[k / b]).collect();
    let ct: Vec<f64> = (0..b * b).map(|k| col_cond[k % b]).collect();
    assert_close_f32(&o32.wi, &o64.wi, &ci, "weights_image");
    assert_close_f32(&o32.wt, &o64.wt, &ct, "weights_text");
    assert_close_f32(&o32s.wi, &o64.wi, &ci, "scalar weights_image");
    assert_close_f32(&o32s.wt, &o64.wt, &ct, "scalar weights_text");
    let worst = ci.iter().chain(&ct).fold(0.0_f64, |m, &c| m.max(c));
    assert_close_f32(&o32.ds, &o64.ds, &vec![worst; b * b], "dS");
    // SIMD against the scalar reference: each is within the bound of the
    // exact value, so they are within twice the bound of each other.
    assert_close_pair(&o32.wi, &o32s.wi, &ci, "SIMD vs scalar weights_image");
    assert_close_pair(&o32.wt, &o32s.wt, &ct, "SIMD vs scalar weights_text");
    assert_close_pair(&o32.ds, &o32s.ds, &vec![worst; b * b], "SIMD vs scalar dS");
});
