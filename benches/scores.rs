//! The bimodal DPM step on the scores training produces:
//! `cargo bench --bench scores` (add `RUSTFLAGS="-C target-cpu=native"`
//! to compare with a native build).
//!
//! - `dpm_bimodal_f32_scores/{unrelated,aligned_1.0,aligned_0.3}/B`: the
//!   full step (both directions, dS, state, h, zeta update; tau = 0.01,
//!   n = 1 000 000) on `S = X Y^T` of d = 128 unit vectors with
//!   `y = normalize(x + sigma u)` (`tests/support/random.rs`,
//!   `family_scores`): sigma = 100 (unrelated pairs), 1.0 and 0.3
//!   (positives that stand out, as after some training; most of a row's
//!   exponentials then fall below the smallest normal f32). B in
//!   {1024, 4096}; throughput in score entries.
//! - `dpm_bimodal_f32_scores/two_view/2B`: one direction (`dpm_step`,
//!   `Layout::TwoView`, the SimCLR-style unimodal path) on the `2B x 2B`
//!   scores of both views stacked, sigma = 1.0, B in {512, 2048}.

use std::{hint::black_box, time::Duration};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dpm_core::{DpmParams, FirstVisit, Layout, Offset, StepOut, ZetaStep};

mod common;
use common::{N, Pop, SEED, TAU, bench_scores, random, restore, timing};

/// d of the feature vectors.
const DIM: usize = 128;

/// Scratch elements per pair of the serial step.
const SCRATCH: usize = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 1 });

fn dpm_bimodal_f32_scores(c: &mut Criterion) {
    for (name, sigma) in [
        ("unrelated", 100.0),
        ("aligned_1.0", 1.0),
        ("aligned_0.3", 0.3),
    ] {
        bench_scores(
            c,
            "dpm_bimodal_f32_scores",
            &[1024, 4096],
            &[(name, dpm_core::dpm_bimodal, SCRATCH)],
            |rng, b| random::family_scores(rng, b, DIM, sigma),
        );
    }
    two_view(c);
}

/// `dpm_step` over `Layout::TwoView`: rows and columns are both views of
/// B samples stacked, `S = Z Z^T`.
fn two_view(c: &mut Criterion) {
    let mut group = c.benchmark_group("dpm_bimodal_f32_scores");
    let mut rng = random::Rng::new(SEED ^ 7);
    let mut pop = Pop::new(&mut rng);
    for b in [512, 2048] {
        let r = 2 * b;
        let (x, y) = random::family_features(&mut rng, b, DIM, 1.0);
        let z: Vec<f64> = x.into_iter().chain(y).collect();
        let s: Vec<f32> = (0..r * r)
            .map(|k| {
                let (i, j) = (k / r, k % r);
                (0..DIM)
                    .map(|t| z[i * DIM + t] * z[j * DIM + t])
                    .sum::<f64>() as f32
            })
            .collect();
        let ids = random::distinct_ids(&mut rng, r, N);
        let saved = pop.save(&ids);
        let xi = pop.view().refresh_xi(0.0);
        let p = DpmParams {
            tau: TAU,
            gamma: 0.8,
            offset: Offset::Xi(xi),
            zeta_step: Some(ZetaStep {
                theta: 0.9,
                eta: 5e-6,
            }),
            first_visit: FirstVisit::Batch,
        };
        let (mut ds, mut h) = (vec![0.0_f32; r * r], vec![0.0_f32; r]);
        let mut scratch =
            vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: r, cols: r })];
        let mut view = pop.view();
        group.throughput(Throughput::Elements((r * r) as u64));
        let (samples, secs) = timing(r);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        group.bench_with_input(BenchmarkId::new("two_view", r), &r, |bench, _| {
            bench.iter(|| {
                restore(&mut view, &saved);
                let (anchors, candidates) = view.split();
                let out = StepOut {
                    h: Some(&mut h),
                    ..StepOut::new(&mut ds)
                };
                dpm_core::dpm_step(
                    Layout::TwoView,
                    black_box(&s),
                    ids.len(),
                    ids.len(),
                    &ids,
                    &ids,
                    anchors,
                    candidates,
                    p,
                    out,
                    &mut scratch,
                )
                .unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, dpm_bimodal_f32_scores);
criterion_main!(benches);
