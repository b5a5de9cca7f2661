//! Inputs at the edges of SPEC section 7's range: finite out, and the
//! weights keep their structure (row sums at most 1/gamma) even where
//! |a| is so large that `max + ln(m)` rounds to `max`.

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, ZetaStep, dpm_bimodal};
use pop::Pop;

/// Both populations, every id visited with `u = log_s` (or none).
fn pops(n: usize, log_s: Option<f32>, zeta: f32) -> [Pop<f32>; 2] {
    let one = || {
        let mut p = Pop::new(n, f64::from(zeta));
        if let Some(u) = log_s {
            p.log_s.fill(u);
            p.s_flags.fill(1);
        }
        p
    };
    [one(), one()]
}

/// `weights_text` is `[i][j]` with the anchor in column `j`: its transpose
/// has one anchor per row.
fn transpose(w: &[f32], b: usize) -> Vec<f32> {
    (0..b * b).map(|k| w[(k % b) * b + k / b]).collect()
}

/// Runs one bimodal f32 step; returns (weights_image, weights_text, ds, loss).
fn step(
    s: &[f32],
    b: usize,
    pops: &mut [Pop<f32>; 2],
    p: DpmParams<f32>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, f32) {
    let ids: Vec<usize> = (0..b).collect();
    let [x, y] = pops;
    let (mut image, mut text) = (x.view(), y.view());
    let (mut ds, mut wi, mut wt) = (vec![0.0; b * b], vec![0.0; b * b], vec![0.0; b * b]);
    let mut scratch = vec![0.0; dpm_core::bimodal_scratch_len(b)];
    let out = BimodalOut {
        weights_image: Some(&mut wi),
        weights_text: Some(&mut wt),
        ..BimodalOut::new(&mut ds)
    };
    let loss = dpm_bimodal(
        s,
        &ids,
        &ids,
        &mut image,
        &mut text,
        [p, p],
        out,
        &mut scratch,
    )
    .unwrap();
    (wi, wt, ds, loss.total)
}

fn check_rows(w: &[f32], b: usize, gamma: f32, ctx: &str) {
    for row in w.chunks(b) {
        let sum: f32 = row.iter().sum();
        assert!(
            row.iter()
                .all(|&v| (0.0..=1.0 / gamma * (1.0 + 1e-5)).contains(&v)),
            "{ctx}: {row:?}"
        );
        assert!(
            sum <= 1.0 / gamma * (1.0 + 1e-5),
            "{ctx}: row sum {sum} > 1/gamma: {row:?}"
        );
    }
}

/// Found by the fuzzer: score gaps of 1e31 at tau = 1. Computed in absolute
/// terms, every t = a - log_den rounded to 0 and every weight to 1 (row sum
/// 14 with gamma = 0.12); held relative to the row max, each weight is
/// 1 / (14 gamma) as the formula says.
#[test]
fn huge_score_gaps_keep_the_small_log_terms() {
    let b = 15;
    let gamma = 0.12;
    // Positives at 0, every negative at 1e31: a = 1e31 for each negative.
    let s: Vec<f32> = (0..b * b)
        .map(|k| if k % (b + 1) == 0 { 0.0 } else { 1e31 })
        .collect();
    let p = DpmParams {
        tau: 1.0,
        gamma,
        offset: Offset::Xi(0.0),
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    };
    // Visited with a history (mass e^0) negligible next to the batch's.
    let mut pops = pops(b, Some(0.0), 0.0);
    let (wi, wt, ds, loss) = step(&s, b, &mut pops, p);
    check_rows(&wi, b, gamma, "image");
    check_rows(&transpose(&wt, b), b, gamma, "text");
    let want = 1.0 / (14.0 * gamma);
    for (k, &w) in wi.iter().enumerate() {
        let expect = if k % (b + 1) == 0 { 0.0 } else { want };
        assert!(
            (w - expect).abs() <= 1e-5 * want,
            "w[{k}] = {w}, want {expect}"
        );
    }
    assert!(ds.iter().all(|v| v.is_finite()) && loss.is_finite());
}

/// SPEC section 7's f32 range: |S| up to 1e4, tau down to 1e-4 (|a| up to
/// 2e8, far beyond 1/eps), zeta down to -1e3, xi from those zeta.
#[test]
fn spec_range_extremes_stay_finite_and_bounded() {
    let b = 8;
    for (tau, zeta, smax) in [
        (1e-4_f32, -1e3_f32, 1e4_f32),
        (1e4, -1e3, 1e4),
        (1e-4, 0.0, 1.0),
        (1e-4, -1e3, 1e-3),
    ] {
        let s: Vec<f32> = (0..b * b)
            .map(|k| smax * (((k * 37) % 19) as f32 / 9.0 - 1.0))
            .collect();
        for gamma in [1.0_f32, 0.8, 1e-3] {
            for (vanilla, history) in [
                (false, None),
                (true, Some(-5.0e3_f32)),
                (false, Some(3.0e7)),
            ] {
                let p = DpmParams {
                    tau,
                    gamma,
                    offset: if vanilla {
                        Offset::Vanilla
                    } else {
                        Offset::Xi(zeta)
                    },
                    zeta_step: Some(ZetaStep {
                        theta: 0.5,
                        eta: 1e-3,
                    }),
                    first_visit: FirstVisit::Batch,
                };
                let mut pops = pops(2 * b, history, zeta);
                for _ in 0..3 {
                    let (wi, wt, ds, loss) = step(&s, b, &mut pops, p);
                    let ctx = format!(
                        "tau {tau} zeta {zeta} smax {smax} gamma {gamma} vanilla {vanilla} history {history:?}"
                    );
                    check_rows(&wi, b, gamma, &ctx);
                    check_rows(&transpose(&wt, b), b, gamma, &ctx);
                    assert!(
                        loss.is_finite() && ds.iter().all(|v| v.is_finite()),
                        "tau {tau} gamma {gamma}"
                    );
                    for pop in &pops {
                        assert!(
                            pop.log_s
                                .iter()
                                .chain(&pop.zeta)
                                .chain(&pop.z)
                                .all(|v| v.is_finite())
                        );
                    }
                }
            }
        }
    }
}
