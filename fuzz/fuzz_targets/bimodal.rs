//! The DPM bimodal step on arbitrary inputs: finite in means finite out,
//! weights within [0, 1/gamma] per anchor, nothing written on error, and
//! the f32 step within SPEC section 7's bound of the f64 step on the same
//! inputs, and the SIMD step (the public function) within the bound of the
//! scalar reference (`dpm_core::scalar`): same errors, close outputs.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, Real, ZetaStep, dpm_bimodal};
use dpm_core_fuzz::{Condition, Pop, assert_close_f32, assert_weights, tau_from, widen};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    n: u8,
    log_tau: i16,
    gamma: f32,
    theta: f32,
    eta: f32,
    xi: f32,
    vanilla: bool,
    zeta_step: bool,
    zero_history: bool,
    /// Scores and state values, reused cyclically.
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
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
    p: DpmParams<T>,
    scalar: bool,
) -> (Result<T, dpm_core::Error>, Out<T>) {
    let b = ids.0.len();
    let fill = T::from_f64(-7.0);
    let mut o = Out {
        ds: vec![fill; b * b],
        wi: vec![fill; b * b],
        wt: vec![fill; b * b],
    };
    let mut scratch = vec![T::ZERO; dpm_core::bimodal_scratch_len(b)];
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
    let step = if scalar {
        dpm_core::scalar::dpm_bimodal::<T>
    } else {
        dpm_bimodal::<T>
    };
    let r = step(
        s,
        ids.0,
        ids.1,
        &mut image,
        &mut text,
        [p, p],
        out,
        &mut scratch,
    )
    .map(|l| l.total);
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
    let b = usize::from(inp.b % 65);
    let n = usize::from(inp.n);
    let pick = |k: usize| {
        if inp.values.is_empty() {
            0.0
        } else {
            inp.values[k % inp.values.len()]
        }
    };
    let s32: Vec<f32> = (0..b * b).map(pick).collect();
    let id = |k: usize| inp.ids.get(k).map_or(k, |&v| usize::from(v));
    let image_ids: Vec<usize> = (0..b).map(id).collect();
    let text_ids: Vec<usize> = (0..b).map(|k| id(k + b)).collect();
    let mut p32 = [
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 1),
        Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 2),
    ];
    let mut p64 = [p32[0].cast::<f64>(), p32[1].cast::<f64>()];
    let mut p32_scalar = [p32[0].clone(), p32[1].clone()];
    let params = |tau: f32| DpmParams {
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
        first_visit: if inp.zero_history {
            FirstVisit::ZeroHistory
        } else {
            FirstVisit::Batch
        },
    };
    let p = params(tau_from(inp.log_tau));
    let wide = widen(p);
    let ids = (&image_ids[..], &text_ids[..]);
    let (r32, o32) = run(&inp, &s32, ids, &mut p32, p, false);
    let (r32s, o32s) = run(&inp, &s32, ids, &mut p32_scalar, p, true);
    assert_eq!(
        r32.as_ref().err(),
        r32s.as_ref().err(),
        "SIMD and scalar disagree on refusing"
    );
    let Ok(loss) = r32 else { return };
    assert!(loss.is_finite(), "loss {loss}");
    assert!(o32.ds.iter().all(|v| v.is_finite()), "dS not finite");
    assert_weights(&o32.wi, b, p.gamma, false);
    assert_weights(&o32.wt, b, p.gamma, true);
    p32[0].assert_finite_at(&image_ids);
    p32[1].assert_finite_at(&text_ids);

    // The same inputs in f64 (widening is exact): accepted too, and close.
    let before64 = [p64[0].clone(), p64[1].clone()];
    let s64: Vec<f64> = s32.iter().map(|&v| f64::from(v)).collect();
    let (r64, o64) = run(&inp, &s64, ids, &mut p64, wide, false);
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
    let xi = if inp.vanilla {
        0.0
    } else {
        f64::from(inp.xi).abs()
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
    let worst = ci.iter().chain(&ct).fold(0.0_f64, |m, &c| m.max(c));
    assert_close_f32(&o32.ds, &o64.ds, &vec![worst; b * b], "dS");
    // SIMD against the scalar reference: each is within the bound of the
    // exact value, so they are within twice the bound of each other.
    let to64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    let twice = |c: &[f64]| c.iter().map(|&x| 2.0 * x).collect::<Vec<_>>();
    assert_close_f32(
        &o32.wi,
        &to64(&o32s.wi),
        &twice(&ci),
        "SIMD vs scalar weights_image",
    );
    assert_close_f32(
        &o32.wt,
        &to64(&o32s.wt),
        &twice(&ct),
        "SIMD vs scalar weights_text",
    );
    assert_close_f32(
        &o32.ds,
        &to64(&o32s.ds),
        &vec![2.0 * worst; b * b],
        "SIMD vs scalar dS",
    );
});
