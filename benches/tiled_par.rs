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
use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled};
use dpm_core::{Error, Losses, StateView, par};

mod common;
use common::{Batch, Pop, SEED, random, restore, timing};

/// One step's data: features, batch (ids, params, saved state, `h`),
/// gradients and scratch (its populations live beside it, their views
/// made once: a view checks all of a population's flags).
struct One {
    x: Vec<f32>,
    y: Vec<f32>,
    b: usize,
    d: usize,
    batch: Batch,
    dx: Vec<f32>,
    dy: Vec<f32>,
    scratch: Vec<f32>,
}

impl One {
    fn new(rng: &mut random::Rng, b: usize, d: usize, (images, texts): &mut (Pop, Pop)) -> Self {
        let (x, y) = random::family_features(rng, b, d, 1.0);
        let f = |v: Vec<f64>| v.into_iter().map(|e| e as f32).collect();
        let batch = Batch::with_scores(rng, Vec::new(), b, images, texts);
        One {
            x: f(x),
            y: f(y),
            b,
            d,
            batch,
            dx: vec![0.0; b * d],
            dy: vec![0.0; b * d],
            scratch: vec![
                0.0;
                par::scratch_len(dpm_core::Scratch::Tiled { b, d })
                    .max(dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d }))
            ],
        }
    }

    /// The step (`parallel`: `par::dpm_bimodal_tiled` on the current
    /// pool) on the populations `views`, from the saved state.
    fn step(&mut self, views: &mut Views<'_>, parallel: bool) -> Result<Losses<f32>, Error> {
        let (b, d) = (self.b, self.d);
        let (iv, tv) = views;
        let batch = &mut self.batch;
        restore(iv, &batch.saved.0);
        restore(tv, &batch.saved.1);
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
            iv,
            tv,
            batch.params,
            out,
            &mut self.scratch,
        )
    }
}

type Views<'a> = (StateView<'a, f32>, StateView<'a, f32>);

fn dpm_tiled_par_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("dpm_tiled_par_f32");
    let mut rng = random::Rng::new(SEED ^ 13);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool of one thread");
    let d = 128;
    for b in [1024, 4096] {
        let mut pops = [(); 2].map(|()| (Pop::new(&mut rng), Pop::new(&mut rng)));
        let mut p = One::new(&mut rng, b, d, &mut pops[0]);
        let mut q = One::new(&mut rng, b, d, &mut pops[1]);
        let [(pi, pt), (qi, qt)] = &mut pops;
        let (mut pv, mut qv) = ((pi.view(), pt.view()), (qi.view(), qt.view()));
        group.throughput(Throughput::Elements((b * b) as u64));
        let (samples, secs) = timing(b);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        let id = |name: &str| BenchmarkId::new(name, format!("{b}x{d}"));
        group.bench_function(id("serial"), |bench| {
            bench.iter(|| p.step(&mut pv, false).unwrap());
        });
        group.bench_function(id("rayon"), |bench| {
            bench.iter(|| p.step(&mut pv, true).unwrap());
        });
        group.bench_function(id("rayon_1thread"), |bench| {
            bench.iter(|| one_thread.install(|| p.step(&mut pv, true).unwrap()));
        });
        group.bench_function(id("pair_serial"), |bench| {
            bench.iter(|| {
                (
                    p.step(&mut pv, false).unwrap(),
                    q.step(&mut qv, false).unwrap(),
                )
            });
        });
        group.bench_function(id("pair_join"), |bench| {
            bench.iter(|| {
                rayon::join(
                    || p.step(&mut pv, false).unwrap(),
                    || q.step(&mut qv, false).unwrap(),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, dpm_tiled_par_f32);
criterion_main!(benches);
