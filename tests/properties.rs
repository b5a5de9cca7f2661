//! Seeded, reproducible properties of the kernels and the step (SPEC
//! sections 2, 4 and 7).
#![allow(clippy::float_cmp)] // bit-identity is the point of several checks

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use pop::Pop;

use dpm_core::{
    BimodalOut, DpmParams, FirstVisit, Losses, Offset, SogClrParams, ZetaStep, dpm_bimodal,
    lse::{log_add_exp, log_sum_exp},
    sogclr_bimodal,
};
use rng::Rng;

const EPS: f64 = f64::EPSILON;

#[test]
fn lse_shift_invariance_and_lower_bound() {
    let mut rng = Rng::new(21);
    for _ in 0..2000 {
        let len = 1 + rng.below(40);
        let scale = [1e-3, 1.0, 30.0, 1e4][rng.below(4)];
        let x: Vec<f64> = (0..len).map(|_| rng.range(-scale, scale)).collect();
        let c = rng.range(-1e3, 1e3);
        let shifted: Vec<f64> = x.iter().map(|v| v + c).collect();
        let (l, ls) = (log_sum_exp(&x).unwrap(), log_sum_exp(&shifted).unwrap());
        let max = x.iter().copied().fold(f64::MIN, f64::max);
        // The inputs x + c are themselves rounded: |c| eps each.
        let bound = 8.0 * EPS * (1.0 + max.abs() + c.abs()) + 2.0 * EPS * c.abs();
        assert!(
            (ls - (l + c)).abs() <= bound,
            "LSE(x + c) = LSE(x) + c: {ls} vs {}",
            l + c
        );
        assert!(l >= max, "LSE >= max");
        assert!(
            l <= max + (len as f64).ln() + 8.0 * EPS * (1.0 + max.abs()),
            "LSE <= max + ln n"
        );
        // log_add_exp is the two-term case.
        if len >= 2 {
            let two = log_sum_exp(&x[..2]).unwrap();
            assert!((two - log_add_exp(x[0], x[1])).abs() <= 8.0 * EPS * (1.0 + max.abs()));
        }
    }
}

struct Run {
    losses: Losses<f64>,
    ds: Vec<f64>,
    wi: Vec<f64>,
}

fn run_dpm(
    s: &[f64],
    b: usize,
    ids: (&[usize], &[usize]),
    pops: (&mut Pop<f64>, &mut Pop<f64>),
    p: dpm_core::Directions<DpmParams<f64>>,
) -> Run {
    let (mut ds, mut wi) = (vec![0.0; b * b], vec![0.0; b * b]);
    let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let out = BimodalOut {
        weights_image: Some(&mut wi),
        ..BimodalOut::new(&mut ds)
    };
    let losses = dpm_bimodal(
        s,
        ids.0.len(),
        ids.0,
        ids.1,
        &mut pops.0.view(),
        &mut pops.1.view(),
        p,
        out,
        &mut scratch,
    )
    .unwrap();
    Run { losses, ds, wi }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: {got} vs {want}"
    );
}

fn params(rng: &mut Rng) -> DpmParams<f64> {
    DpmParams {
        tau: [0.01, 0.07, 1.0][rng.below(3)],
        gamma: rng.range(0.1, 1.0),
        offset: if rng.unit() < 0.5 {
            Offset::Vanilla
        } else {
            Offset::Xi(rng.range(-0.2, 0.3))
        },
        zeta_step: Some(ZetaStep {
            theta: rng.range(0.1, 1.0),
            eta: rng.range(0.0, 0.1),
        }),
        first_visit: FirstVisit::Batch,
    }
}

/// Permuting the pairs of a batch (rows and columns of S alike, ids
/// alike) permutes the outputs and leaves the state exactly where it would
/// be; only summation order changes, so values agree to a few eps.
#[test]
fn step_is_invariant_under_permuting_the_batch() {
    let mut rng = Rng::new(31);
    for trial in 0..40 {
        let b = 2 + rng.below(12);
        let n = b + rng.below(30);
        let s = rng.scores(b, b, |r| r);
        let (ii, ti) = (rng.distinct(b, n), rng.distinct(b, n));
        let p = params(&mut rng);
        let (mut img, mut txt) = (
            Pop::<f64>::random(&mut rng, n),
            Pop::<f64>::random(&mut rng, n),
        );
        let (mut img2, mut txt2) = (img.clone(), txt.clone());
        let a = run_dpm(
            &s,
            b,
            (&ii, &ti),
            (&mut img, &mut txt),
            dpm_core::Directions::both(p),
        );

        let mut perm: Vec<usize> = (0..b).collect();
        for k in (1..b).rev() {
            perm.swap(k, rng.below(k + 1));
        }
        let ps: Vec<f64> = (0..b * b)
            .map(|k| s[perm[k / b] * b + perm[k % b]])
            .collect();
        let pii: Vec<usize> = perm.iter().map(|&k| ii[k]).collect();
        let pti: Vec<usize> = perm.iter().map(|&k| ti[k]).collect();
        let c = run_dpm(
            &ps,
            b,
            (&pii, &pti),
            (&mut img2, &mut txt2),
            dpm_core::Directions::both(p),
        );

        let tol = 64.0 * EPS * (1.0 + 2.0 / p.tau);
        close(c.losses.total, a.losses.total, tol, "loss");
        for k in 0..b * b {
            let orig = perm[k / b] * b + perm[k % b];
            close(c.ds[k], a.ds[orig], tol, "dS");
            close(c.wi[k], a.wi[orig], tol, "weights");
        }
        for (x, y) in [(&img, &img2), (&txt, &txt2)] {
            assert_eq!(x.s_flags, y.s_flags, "trial {trial}: visited flags");
            assert_eq!(x.z_flags, y.z_flags, "trial {trial}: z flags");
            for id in 0..n {
                close(y.log_s[id], x.log_s[id], tol, "log_s");
                close(y.zeta[id], x.zeta[id], tol, "zeta");
                close(y.z[id], x.z[id], tol, "z");
            }
        }
    }
}

/// With gamma = 1 the new u is the batch's L whatever the history was:
/// the same bits as a first visit.
#[test]
fn gamma_one_drops_history() {
    let mut rng = Rng::new(41);
    for _ in 0..20 {
        let b = 2 + rng.below(10);
        let n = 3 * b;
        let s = rng.scores(b, b, |r| r);
        let ids = rng.distinct(b, n);
        let p = DpmParams {
            gamma: 1.0,
            zeta_step: None,
            ..params(&mut rng)
        };
        let (mut seen, mut txt) = (
            Pop::<f64>::random(&mut rng, n),
            Pop::<f64>::random(&mut rng, n),
        );
        let mut fresh = seen.clone();
        for &id in &ids {
            seen.s_flags[id] = 1;
            seen.log_s[id] = rng.range(-50.0, 50.0);
            fresh.s_flags[id] = 0;
        }
        let mut txt2 = txt.clone();
        let a = run_dpm(
            &s,
            b,
            (&ids, &ids),
            (&mut seen, &mut txt),
            dpm_core::Directions::both(p),
        );
        let c = run_dpm(
            &s,
            b,
            (&ids, &ids),
            (&mut fresh, &mut txt2),
            dpm_core::Directions::both(p),
        );
        for &id in &ids {
            assert_eq!(seen.log_s[id].to_bits(), fresh.log_s[id].to_bits());
        }
        assert_eq!(
            a.losses.image_to_text.to_bits(),
            c.losses.image_to_text.to_bits()
        );
    }
}

/// SogCLR is the DPM step with zeta = 0 and no offset: pushing the offset
/// below every batch mass (a huge xi) makes the two agree to rounding.
#[test]
fn sogclr_is_dpm_without_zeta_and_offset() {
    let mut rng = Rng::new(51);
    for _ in 0..20 {
        let b = 2 + rng.below(10);
        let n = 3 * b;
        let s = rng.scores(b, b, |r| r);
        let ids = rng.distinct(b, n);
        let tau = [0.05, 0.1, 1.0][rng.below(3)];
        let gamma = rng.range(0.2, 1.0);
        let (mut i1, mut t1) = (
            Pop::<f64>::random(&mut rng, n),
            Pop::<f64>::random(&mut rng, n),
        );
        for pop in [&mut i1, &mut t1] {
            pop.zeta.fill(0.0); // zeta = 0
        }
        let (mut i2, mut t2) = (i1.clone(), t1.clone());
        // exp(-xi/tau) is below e^-700: nothing next to a batch's mass.
        let p = DpmParams {
            tau,
            gamma,
            offset: Offset::Xi(700.0 * tau + 100.0),
            zeta_step: None,
            first_visit: FirstVisit::Batch,
        };
        let a = run_dpm(
            &s,
            b,
            (&ids, &ids),
            (&mut i1, &mut t1),
            dpm_core::Directions::both(p),
        );
        let q = SogClrParams {
            tau,
            gamma,
            first_visit: FirstVisit::Batch,
        };
        let (mut ds, mut wi) = (vec![0.0; b * b], vec![0.0; b * b]);
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
        let out = BimodalOut {
            weights_image: Some(&mut wi),
            ..BimodalOut::new(&mut ds)
        };
        let l = sogclr_bimodal(
            &s,
            ids.len(),
            &ids,
            &ids,
            &mut i2.view(),
            &mut t2.view(),
            dpm_core::Directions::both(q),
            out,
            &mut scratch,
        )
        .unwrap();
        let tol = 16.0 * EPS * (1.0 + 2.0 / tau);
        close(l.total, a.losses.total, tol, "loss");
        for k in 0..b * b {
            close(ds[k], a.ds[k], tol, "dS");
            close(wi[k], a.wi[k], tol, "weights");
        }
        assert_eq!(i1.log_s, i2.log_s, "u: the same computation");
    }
}
