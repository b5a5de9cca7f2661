//! The tiled scenario: one step of `embed::dpm_bimodal_tiled` at B = 256,
//! d = 64 on a population of 1,024 (issue 15, item 4). Its inputs are
//! drawn on the device from the same stream (`inputs.rs`), so only the
//! expected values are stored, at a stride.
//!
//! The bounds cannot come from `bound.rs` here: its central differences
//! cost two f64 steps per input, 2 x 32,768 of them at this size. They
//! come from `tests/support/reference.rs` instead, the crate's own
//! independent f64 evaluation with SPEC section 7's bounds, given the
//! error of the f32 scores (`(d + 2) eps sum_k |x_k y_k|` per dot product)
//! as the difference between its two score matrices; `dX = dS Y` and
//! `dY = dS^T X` then add the error of `dS` times `|Y|` and a sum of `B`
//! terms, as tests/golden.rs bounds them.

#[path = "../../../tests/support/dense.rs"]
mod dense;
#[path = "../../../tests/support/reference.rs"]
mod reference;

use crate::inputs::Rng;
use crate::model::{Pop, StepIn, eval, layout};
use dense::DenseState;
use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled};
use dpm_core::{DpmParams, FirstVisit, Offset, ZetaStep, scalar};
use reference::{Bimodal, Kind, eval_bimodal};

pub const B: usize = 256;
pub const D: usize = 64;
pub const N: usize = 1024;
pub const SEED: u64 = 3;
/// Features are uniform in [-1/8, 1/8) (rows of norm about 0.58: scores
/// like cosines); texts are aligned with their images.
pub const SCALE: f32 = 0.125;
/// `dX`, `dY` are stored at every 31st index (529 of 16,384 each).
pub const STRIDE: usize = 31;
/// `[tau, gamma, xi, theta, eta]` of the image-to-text direction (its
/// `xi` and `eta` are the texts': the candidates' population) and of the
/// text-to-image one. The reference bounds take one `tau`, `gamma` and
/// `theta`; `xi` and `eta` differ, so that a direction given the other's
/// would show. Offset `Xi(xi)`, first visit `Batch`.
pub const PARAMS: [[f32; 5]; 2] = [
    [0.05, 0.8, 0.125, 0.9, 0.05],
    [0.05, 0.8, -0.0625, 0.9, 0.02],
];

fn params<T: dpm_core::Real>() -> dpm_core::Directions<DpmParams<T>> {
    let w = |v: f32| T::from_f64(f64::from(v));
    // PARAMS[0]: images anchor; [1]: texts anchor.
    let [image, text] = PARAMS.map(|p| DpmParams {
        tau: w(p[0]),
        gamma: w(p[1]),
        offset: Offset::Xi(w(p[2])),
        zeta_step: Some(ZetaStep {
            theta: w(p[3]),
            eta: w(p[4]),
        }),
        first_visit: FirstVisit::Batch,
    });
    dpm_core::Directions { image, text }
}

/// The expected values: `(name, stride, values, bounds)` per output group.
pub struct Expected {
    pub groups: Vec<(&'static str, usize, Vec<f64>, Vec<f64>)>,
    /// Largest `|f32 - f64| / bound` of the host's f32 tiled step, over
    /// every value (not only the stored ones).
    pub host_worst: f64,
}

pub fn expected() -> Expected {
    let mut rng = Rng(SEED);
    let (mut perm, mut image_ids, mut text_ids) = (vec![0; N], vec![0; B], vec![0; B]);
    let (mut x, mut y) = (vec![0.0_f32; B * D], vec![0.0_f32; B * D]);
    let (mut zeta_i, mut zeta_t) = (vec![0.0_f32; N], vec![0.0_f32; N]);
    rng.tiled(
        &mut perm,
        &mut image_ids,
        &mut text_ids,
        &mut x,
        &mut y,
        SCALE,
        &mut zeta_i,
        &mut zeta_t,
    );
    let ids = (image_ids.as_slice(), text_ids.as_slice());
    let widen = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<_>>();
    let (xw, yw) = (widen(&x), widen(&y));
    let pop = |zeta: &[f32]| {
        let mut p = Pop::<f32>::new(N, 0.0);
        p.zeta.copy_from_slice(zeta);
        p
    };
    let wide_pop = |zeta: &[f32]| {
        let mut p = Pop::<f64>::new(N, 0.0);
        p.zeta = widen(zeta);
        p
    };

    // The f64 values: the crate's stored (not tiled) step.
    let inp = StepIn::<f64> {
        features: Features::Normalized,
        x: xw.clone(),
        y: yw.clone(),
        params: params(),
        image: wide_pop(&zeta_i),
        text: wide_pop(&zeta_t),
    };
    let (value, _, _) = eval(&inp, B, D, ids);
    let lay = layout(B, D);
    let group = |name: &str| {
        let &(_, at, len) = lay.iter().find(|l| l.0 == name).expect("a layout group");
        &value[at..at + len]
    };

    // The bounds: the reference evaluation, with the f32 scores' error.
    let eps = f64::from(f32::EPSILON);
    let tiny = f64::from(f32::MIN_POSITIVE);
    let mut sim = vec![0.0; B * B];
    let mut ours_sim = vec![0.0; B * B];
    for i in 0..B {
        for j in 0..B {
            let (xi, yj) = (&xw[i * D..][..D], &yw[j * D..][..D]);
            sim[i * B + j] = xi.iter().zip(yj).map(|(a, b)| a * b).sum();
            let mag: f64 = xi.iter().zip(yj).map(|(a, b)| (a * b).abs()).sum();
            ours_sim[i * B + j] = sim[i * B + j] + (D as f64 + 2.0) * eps * mag;
        }
    }
    let fresh = DenseState {
        log_s_I: vec![None; N],
        log_s_T: vec![None; N],
        z_I: vec![None; N],
        z_T: vec![None; N],
        zeta_I: widen(&zeta_i),
        zeta_T: widen(&zeta_t),
        // Direction 0 (image anchors) reads the texts' xi, 1 the images'.
        xi_I: f64::from(PARAMS[1][2]),
        xi_T: f64::from(PARAMS[0][2]),
    };
    let [tau, gamma, _, theta, _] = PARAMS[0].map(f64::from);
    // The texts' zeta moves with direction 0's eta, the images' with 1's.
    let (eta_i, eta_t) = (f64::from(PARAMS[1][4]), f64::from(PARAMS[0][4]));
    let ev = eval_bimodal(&Bimodal {
        b: B,
        n: N,
        tau,
        gamma,
        kind: Kind::Dpm {
            vanilla: false,
            zeta_step: Some((theta, eta_i, eta_t)),
        },
        sim: &sim,
        ours_sim: &ours_sim,
        image_ids: ids.0,
        text_ids: ids.1,
        golden: Some(&fresh),
        ours: Some(&fresh),
        eps,
        tiny,
    });
    // The reference and the crate compute the same quantities.
    let agree = |what: &str, a: &[f64], b: &[f64]| {
        for (k, (a, b)) in a.iter().zip(b).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "{what}[{k}]: {a} vs {b}"
            );
        }
    };
    agree("loss", &group("loss")[..1], &[ev.loss]);
    agree("image_log_s", group("image_log_s"), &ev.u_image);
    agree("text_log_s", group("text_log_s"), &ev.u_text);
    // First visits: z is the zeta gradient h.
    agree("image_z", group("image_z"), &ev.h_image);
    agree("text_z", group("text_z"), &ev.h_text);

    let ds = group("ds");
    let feature_bound = |other: &[f64], transposed: bool| -> Vec<f64> {
        let mut out = vec![0.0; B * D];
        for r in 0..B {
            for j in 0..B {
                let at = if transposed { j * B + r } else { r * B + j };
                let (g, g_err) = (ds[at].abs(), ev.grad_err[at]);
                for k in 0..D {
                    let v = other[j * D + k].abs();
                    out[r * D + k] += g_err * v + (B as f64 + 8.0) * eps * g * v;
                }
            }
        }
        out.iter().map(|e| e + tiny).collect()
    };
    let loss = group("loss");
    let groups = vec![
        ("loss", 1, vec![loss[0]], vec![ev.loss_err + tiny]),
        (
            "dx",
            STRIDE,
            group("dx").to_vec(),
            feature_bound(&yw, false),
        ),
        ("dy", STRIDE, group("dy").to_vec(), feature_bound(&xw, true)),
        (
            "image_log_s",
            1,
            group("image_log_s").to_vec(),
            ev.u_image_err.clone(),
        ),
        (
            "image_z",
            1,
            group("image_z").to_vec(),
            ev.z_image_err.clone(),
        ),
        (
            "image_zeta",
            1,
            group("image_zeta").to_vec(),
            ev.zeta_image_err.clone(),
        ),
        (
            "text_log_s",
            1,
            group("text_log_s").to_vec(),
            ev.u_text_err.clone(),
        ),
        ("text_z", 1, group("text_z").to_vec(), ev.z_text_err.clone()),
        (
            "text_zeta",
            1,
            group("text_zeta").to_vec(),
            ev.zeta_text_err.clone(),
        ),
    ];

    // Host cross-check, every value against its bound: the crate's f32
    // tiled step on the same inputs, with SIMD lanes and on the scalar
    // engine (the code a target without lanes, as the Cortex-M4F, runs).
    let mut host_worst = 0.0_f64;
    for lanes in [true, false] {
        let (mut image, mut text) = (pop(&zeta_i), pop(&zeta_t));
        let (mut dx, mut dy) = (vec![0.0_f32; B * D], vec![0.0_f32; B * D]);
        let mut scratch = vec![
            0.0_f32;
            dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: B, d: D }).max(
                scalar::scratch_len(dpm_core::Scratch::Tiled { b: B, d: D })
            )
        ];
        let step = if lanes {
            dpm_bimodal_tiled::<f32>
        } else {
            scalar::dpm_bimodal_tiled::<f32>
        };
        let l = step(
            &x,
            &y,
            B,
            D,
            Features::Normalized,
            ids.0,
            ids.1,
            &mut image.view(),
            &mut text.view(),
            params(),
            TiledOut::new(&mut dx, &mut dy),
            &mut scratch,
        )
        .expect("the tiled scenario's inputs are valid");
        let state = |pop: &mut Pop<f32>, ids: &[usize], what: usize| -> Vec<f32> {
            let v = pop.view();
            ids.iter()
                .map(|&id| match what {
                    0 => v.log_s(id).unwrap().expect("visited"),
                    1 => v.z(id).unwrap().expect("visited"),
                    _ => v.zeta(id).unwrap(),
                })
                .collect()
        };
        let got: Vec<Vec<f32>> = vec![
            vec![l.total],
            dx,
            dy,
            state(&mut image, ids.0, 0),
            state(&mut image, ids.0, 1),
            state(&mut image, ids.0, 2),
            state(&mut text, ids.1, 0),
            state(&mut text, ids.1, 1),
            state(&mut text, ids.1, 2),
        ];
        for ((name, _, v, e), g) in groups.iter().zip(&got) {
            for (k, ((v, e), g)) in v.iter().zip(e).zip(g).enumerate() {
                let r = (f64::from(*g) - v).abs() / e;
                if r > 0.5 && std::env::var_os("GEN_DEBUG").is_some() {
                    eprintln!(
                        "T256 lanes {lanes} {name}[{k}]: f64 {v:e} f32 {g:e} bound {e:e} ratio {r:.2}"
                    );
                }
                host_worst = host_worst.max(if r.is_nan() { f64::INFINITY } else { r });
            }
        }
    }
    Expected { groups, host_worst }
}
