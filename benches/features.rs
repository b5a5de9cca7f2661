//! The bimodal DPM step from features, forward and backward:
//! `cargo bench --bench features` (add `RUSTFLAGS="-C target-cpu=native"`
//! for a native build).
//!
//! `dpm_from_features_f32/{materialized,tiled,gemm_baseline}/<family>/BxD`:
//! the same step (both directions, state, h, zeta update; tau = 0.01,
//! n = 1 000 000) from normalised features `X`, `Y` (`B x d`) to `dX`,
//! `dY`:
//!
//! - `materialized`: `embed::dpm_bimodal_from_features` (S and dS stored).
//! - `tiled`: `embed::dpm_bimodal_tiled` (O(B + d) scratch).
//! - `gemm_baseline`: the same work from library parts, as a user would
//!   assemble it: `matrixmultiply::sgemm` for `S = X Y^T`, the crate's
//!   step from `S` (`dpm_bimodal`), and `sgemm` twice for `dX = dS Y`,
//!   `dY = dS^T X`.
//!
//! `products_f32/{scores_forward,sgemm_forward,scores_backward,sgemm_backward}/BxD`:
//! the GEMM-like work alone, the crate's register-blocked products
//! (`embed::scores_forward`, `embed::scores_backward`) against
//! `matrixmultiply::sgemm` on the same data (aligned features, and the
//! `dS` of one step on them), in multiply-adds per second.
//!
//! Features are `family_features` of `tests/support/random.rs`:
//! `y = normalize(x + sigma u)`, sigma = 1.0 (`aligned_1.0`: positives that
//! stand out, as in training) at every size, and sigma = 100
//! (`unrelated`) at B = 1024, d = 128. B in {256, 1024, 4096}, d in
//! {64, 128, 512}; throughput in score entries (B^2).

use std::{hint::black_box, time::Duration};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dpm_core::embed::{
    FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled, scores_backward,
    scores_forward,
};
use dpm_core::{BimodalOut, dpm_bimodal};

mod common;
use common::{Batch, Pop, SEED, random, restore, timing};

/// `C = A B^T` for row-major `A` (`m x k`), `B` (`n x k`): `sgemm` with
/// `B`'s strides swapped.
fn gemm_abt(a: &[f32], b: &[f32], m: usize, n: usize, k: usize, c: &mut [f32]) {
    // SAFETY: the slices hold m x k, n x k and m x n elements with the
    // strides given (checked by the asserts); nothing else aliases `c`.
    assert!(a.len() >= m * k && b.len() >= n * k && c.len() >= m * n);
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            1,
            k as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `C = G B` (`transpose`: `G^T B`) for row-major `G` (`n x n`), `B`
/// (`n x k`).
fn gemm_gb(g: &[f32], b: &[f32], n: usize, k: usize, transpose: bool, c: &mut [f32]) {
    let (rs, cs) = if transpose {
        (1, n as isize)
    } else {
        (n as isize, 1)
    };
    // SAFETY: as in `gemm_abt`, with G read through its transpose's
    // strides when asked; all within the n x n elements asserted.
    assert!(g.len() >= n * n && b.len() >= n * k && c.len() >= n * k);
    unsafe {
        matrixmultiply::sgemm(
            n,
            n,
            k,
            1.0,
            g.as_ptr(),
            rs,
            cs,
            b.as_ptr(),
            k as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            k as isize,
            1,
        );
    }
}

fn dpm_from_features_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("dpm_from_features_f32");
    let mut rng = random::Rng::new(SEED ^ 11);
    let (mut images, mut texts) = (Pop::new(&mut rng), Pop::new(&mut rng));
    let mut cases = vec![("unrelated", 100.0, 1024, 128)];
    for b in [256, 1024, 4096] {
        for d in [64, 128, 512] {
            cases.push(("aligned_1.0", 1.0, b, d));
        }
    }
    for (family, sigma, b, d) in cases {
        let (x, y) = random::family_features(&mut rng, b, d, sigma);
        let (x, y): (Vec<f32>, Vec<f32>) = (
            x.into_iter().map(|v| v as f32).collect(),
            y.into_iter().map(|v| v as f32).collect(),
        );
        let mut batch = Batch::with_scores(&mut rng, vec![0.0; b * b], b, &mut images, &mut texts);
        let (mut iv, mut tv) = (images.view(), texts.view());
        let (mut s, mut dx, mut dy) = (vec![0.0_f32; b * b], vec![0.0; b * d], vec![0.0; b * d]);
        group.throughput(Throughput::Elements((b * b) as u64));
        let (samples, secs) = timing(b);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        let id = |name: &str| BenchmarkId::new(name, format!("{family}/{b}x{d}"));

        let mut scratch =
            vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
        group.bench_function(id("materialized"), |bench| {
            bench.iter(|| {
                restore(&mut iv, &batch.saved.0);
                restore(&mut tv, &batch.saved.1);
                let BimodalOut {
                    ds,
                    h_image,
                    h_text,
                    ..
                } = batch.outs.get();
                let out = FeatureOut {
                    h_image,
                    h_text,
                    ..FeatureOut::new(&mut s, ds, &mut dx, &mut dy)
                };
                dpm_bimodal_from_features(
                    black_box(&x),
                    &y,
                    b,
                    d,
                    Features::Normalized,
                    &batch.image_ids,
                    &batch.text_ids,
                    &mut iv,
                    &mut tv,
                    batch.params,
                    out,
                    &mut scratch,
                )
                .unwrap()
            });
        });

        let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
        group.bench_function(id("tiled"), |bench| {
            bench.iter(|| {
                restore(&mut iv, &batch.saved.0);
                restore(&mut tv, &batch.saved.1);
                let BimodalOut {
                    h_image, h_text, ..
                } = batch.outs.get();
                let out = TiledOut {
                    h_image,
                    h_text,
                    ..TiledOut::new(&mut dx, &mut dy)
                };
                dpm_bimodal_tiled(
                    black_box(&x),
                    &y,
                    b,
                    d,
                    Features::Normalized,
                    &batch.image_ids,
                    &batch.text_ids,
                    &mut iv,
                    &mut tv,
                    batch.params,
                    out,
                    &mut scratch,
                )
                .unwrap()
            });
        });

        let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
        group.bench_function(id("gemm_baseline"), |bench| {
            bench.iter(|| {
                restore(&mut iv, &batch.saved.0);
                restore(&mut tv, &batch.saved.1);
                gemm_abt(black_box(&x), &y, b, b, d, &mut s);
                let out = batch.outs.get();
                let loss = dpm_bimodal(
                    &s,
                    batch.image_ids.len(),
                    &batch.image_ids,
                    &batch.text_ids,
                    &mut iv,
                    &mut tv,
                    batch.params,
                    out,
                    &mut scratch,
                )
                .unwrap();
                gemm_gb(&batch.outs.ds, &y, b, d, false, &mut dx);
                gemm_gb(&batch.outs.ds, &x, b, d, true, &mut dy);
                loss
            });
        });
    }
    group.finish();
}

fn products_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("products_f32");
    let mut rng = random::Rng::new(SEED ^ 13);
    let (mut images, mut texts) = (Pop::new(&mut rng), Pop::new(&mut rng));
    for (b, d) in [(1024, 64), (1024, 128), (1024, 512)] {
        let (x, y) = random::family_features(&mut rng, b, d, 1.0);
        let (x, y): (Vec<f32>, Vec<f32>) = (
            x.into_iter().map(|v| v as f32).collect(),
            y.into_iter().map(|v| v as f32).collect(),
        );
        // A real dS: the step's, on these features' scores.
        let mut s = vec![0.0_f32; b * b];
        gemm_abt(&x, &y, b, b, d, &mut s);
        let mut batch = Batch::with_scores(&mut rng, s.clone(), b, &mut images, &mut texts);
        let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
        let (mut iv, mut tv) = (images.view(), texts.view());
        let out = batch.outs.get();
        dpm_bimodal(
            &s,
            batch.image_ids.len(),
            &batch.image_ids,
            &batch.text_ids,
            &mut iv,
            &mut tv,
            batch.params,
            out,
            &mut scratch,
        )
        .unwrap();
        let ds = batch.outs.ds.clone();
        let (mut dx, mut dy) = (vec![0.0_f32; b * d], vec![0.0; b * d]);
        group.throughput(Throughput::Elements((b * b * d) as u64));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(4));
        let id = |name: &str| BenchmarkId::new(name, format!("{b}x{d}"));
        group.bench_function(id("scores_forward"), |bench| {
            bench.iter(|| scores_forward(black_box(&x), &y, b, b, d, &mut s).unwrap());
        });
        group.bench_function(id("sgemm_forward"), |bench| {
            bench.iter(|| gemm_abt(black_box(&x), &y, b, b, d, &mut s));
        });
        group.throughput(Throughput::Elements((2 * b * b * d) as u64));
        group.bench_function(id("scores_backward"), |bench| {
            bench.iter(|| {
                scores_backward(black_box(&ds), &x, &y, b, b, d, &mut dx, &mut dy).unwrap()
            });
        });
        group.bench_function(id("sgemm_backward"), |bench| {
            bench.iter(|| {
                gemm_gb(black_box(&ds), &y, b, d, false, &mut dx);
                gemm_gb(&ds, &x, b, d, true, &mut dy);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, dpm_from_features_f32, products_f32);
criterion_main!(benches);
