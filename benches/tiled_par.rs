//! The tiled step from features on many cores: `cargo bench --features
//! std --bench tiled_par`.
//!
//! `dpm_tiled_par_f32/<name>/BxD`, the step of `benches/features.rs`
//! (DPM both ways with state, `h` and zeta steps, tau = 0.01, n =
//! 1 000 000, aligned features, sigma = 1.0) at B in {1024, 4096}, d = 128:
//!
//! - `serial`: `embed::dpm_bimodal_tiled`;
//! - `rayon`: `par::dpm_bimodal_tiled` on rayon's global pool;
//! - `rayon_1thread`: the same on a pool of one thread (what the parallel
//!   schedule costs);
//! - `pair_serial`, `pair_join`: two independent serial steps (own
//!   features, outputs, scratch and populations) one after the other, and
//!   on two workers (`rayon::join`). No split of one step goes faster on
//!   two cores than `pair_join` does against `pair_serial`: their ratio is
//!   the ceiling of this machine.
//!
//! Throughput in score entries (B^2) per step.

use std::{hint::black_box, time::Duration};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled, tiled_scratch_len};
use dpm_core::{Error, Losses, par};

mod common;
use common::{Batch, Pop, SEED, random, restore, timing};

/// One step's data: features, batch (ids, params, saved state, `h`), its
/// populations, gradients and scratch.
struct One {
    x: Vec<f32>,
    y: Vec<f32>,
    b: usize,
    d: usize,
    batch: Batch,
    pops: (Pop, Pop),
    dx: Vec<f32>,
    dy: Vec<f32>,
    scratch: Vec<f32>,
}

impl One {
    fn new(rng: &mut random::Rng, b: usize, d: usize) -> Self {
        let (x, y) = random::family_features(rng, b, d, 1.0);
        let f = |v: Vec<f64>| v.into_iter().map(|e| e as f32).collect();
        let (mut images, mut texts) = (Pop::new(rng), Pop::new(rng));
        let batch = Batch::with_scores(rng, Vec::new(), b, &mut images, &mut texts);
        One {
            x: f(x),
            y: f(y),
            b,
            d,
            batch,
            pops: (images, texts),
            dx: vec![0.0; b * d],
            dy: vec![0.0; b * d],
            scratch: vec![0.0; par::tiled_scratch_len(b, d).max(tiled_scratch_len(b, d))],
        }
    }

    /// The step (`parallel`: `par::dpm_bimodal_tiled` on the current
    /// pool), from the saved state.
    fn step(&mut self, parallel: bool) -> Result<Losses<f32>, Error> {
        let (b, d) = (self.b, self.d);
        let (mut iv, mut tv) = (self.pops.0.view(), self.pops.1.view());
        let batch = &mut self.batch;
        restore(&mut iv, &batch.saved.0);
        restore(&mut tv, &batch.saved.1);
        let out = TiledOut {
            h_image: Some(&mut batch.outs.h_image),
            h_text: Some(&mut batch.outs.h_text),
            ..TiledOut::new(&mut self.dx, &mut self.dy)
        };
        let f = if parallel {
            par::dpm_bimodal_tiled
        } else {
            dpm_bimodal_tiled
        };
        f(
            black_box(&self.x),
            &self.y,
            b,
            d,
            Features::Normalized,
            &batch.image_ids,
            &batch.text_ids,
            &mut iv,
            &mut tv,
            batch.params,
            out,
            &mut self.scratch,
        )
    }
}

fn dpm_tiled_par_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("dpm_tiled_par_f32");
    let mut rng = random::Rng::new(SEED ^ 13);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool of one thread");
    let d = 128;
    for b in [1024, 4096] {
        let (mut p, mut q) = (One::new(&mut rng, b, d), One::new(&mut rng, b, d));
        group.throughput(Throughput::Elements((b * b) as u64));
        let (samples, secs) = timing(b);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        let id = |name: &str| BenchmarkId::new(name, format!("{b}x{d}"));
        group.bench_function(id("serial"), |bench| {
            bench.iter(|| p.step(false).unwrap());
        });
        group.bench_function(id("rayon"), |bench| {
            bench.iter(|| p.step(true).unwrap());
        });
        group.bench_function(id("rayon_1thread"), |bench| {
            bench.iter(|| one_thread.install(|| p.step(true).unwrap()));
        });
        group.bench_function(id("pair_serial"), |bench| {
            bench.iter(|| (p.step(false).unwrap(), q.step(false).unwrap()));
        });
        group.bench_function(id("pair_join"), |bench| {
            bench.iter(|| rayon::join(|| p.step(false).unwrap(), || q.step(false).unwrap()));
        });
    }
    group.finish();
}

criterion_group!(benches, dpm_tiled_par_f32);
criterion_main!(benches);
