//! Throughput of the bimodal DPM step and its kernels, SIMD against the
//! scalar reference: `cargo bench --bench dpm` (add
//! `RUSTFLAGS="-C target-cpu=native"` for AVX2/FMA lanes).
//!
//! - `dpm_bimodal_f32/{scalar,simd}/B`: the full step (both directions, dS,
//!   state, h, zeta update), tau = 0.01, n = 1 000 000, realistic cosine
//!   scores, fixed seed; throughput in score entries (B * B).
//! - `dpm_bimodal_f32_rayon/{simd_serial,rayon_1thread,rayon}/B` (with
//!   `--features std`): the same step, serial against `dpm_core::par` on a
//!   pool of one thread and on rayon's global pool (one thread per core),
//!   B in {1024, 4096}.
//! - `dpm_bimodal_f32_pair/{serial,run_batch}/B` (with `--features std`):
//!   two independent steps one after the other, and as a `par::run_batch`
//!   on two workers: the ceiling of two cores for a step of that size.
//! - `memory_f32/{serial,rayon}` (with `--features std`): the roofline
//!   of those steps at B = 4096, `y = 1.0001 x + y` over two 64 MiB arrays
//!   (the size of S and dS), on one thread and on rayon's pool; throughput
//!   in bytes read and written (3 x 64 MiB).
//! - `fma_f32/{serial,rayon}` (with `--features std`): two jobs of pure
//!   register arithmetic (8 independent FMA chains, no memory traffic), one
//!   after the other and on two rayon workers: what two cores of the
//!   machine give when nothing at all is shared.
//! - `lse_row_f32/{ours,libm}/len`: log-sum-exp of one row.
//! - `exp_f32/{ours,wide,libm}`: elementwise exp of 1M values in [-20, 0].

use std::{hint::black_box, time::Duration};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
#[cfg(feature = "std")]
use dpm_core::{BimodalOut, DpmParams, StateView};

mod common;
#[cfg(feature = "std")]
use common::{Batch, Pop, restore, timing};
use common::{SEED, bench_steps, random::Rng};

/// Scratch elements per pair of the serial step (`32 b`).
const SERIAL_SCRATCH: usize = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 1 });

fn dpm_bimodal_f32(c: &mut Criterion) {
    bench_steps(
        c,
        "dpm_bimodal_f32",
        &[64, 256, 1024, 4096],
        &[
            ("scalar", dpm_core::scalar::dpm_bimodal, SERIAL_SCRATCH),
            ("simd", dpm_core::dpm_bimodal, SERIAL_SCRATCH),
        ],
    );
}

/// The serial SIMD step against `dpm_core::par` on rayon's global pool.
#[cfg(feature = "std")]
fn dpm_bimodal_f32_rayon(c: &mut Criterion) {
    // 158 b from b = 128 on (`par::scratch_len`).
    assert_eq!(
        dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: 1024 }),
        158 * 1024
    );
    bench_steps(
        c,
        "dpm_bimodal_f32_rayon",
        &[1024, 4096],
        &[
            ("simd_serial", dpm_core::dpm_bimodal, SERIAL_SCRATCH),
            ("rayon_1thread", par_one_thread, 158),
            ("rayon", dpm_core::par::dpm_bimodal, 158),
        ],
    );
}

/// Two independent steps of `b` pairs, each with its own scores, outputs,
/// scratch and populations: one after the other on this thread
/// (`serial`), and as a `par::run_batch` of two problems, one per worker.
/// Work that shares nothing but the machine (memory bandwidth, the L3)
/// goes no faster on two cores than `run_batch` does here: their ratio is
/// the ceiling of any parallel step of that size on this machine.
#[cfg(feature = "std")]
fn dpm_bimodal_f32_pair(c: &mut Criterion) {
    use dpm_core::par::{Problem, run_batch};
    let mut group = c.benchmark_group("dpm_bimodal_f32_pair");
    let mut rng = Rng::new(SEED ^ 3);
    let mut pops: Vec<(Pop, Pop)> = (0..2)
        .map(|_| (Pop::new(&mut rng), Pop::new(&mut rng)))
        .collect();
    for b in [1024, 4096] {
        let mut batches: Vec<Batch> = pops
            .iter_mut()
            .map(|(images, texts)| {
                let s = common::random::cosine_scores(&mut rng, b, 64);
                let s = s.into_iter().map(|v| v as f32).collect();
                Batch::with_scores(&mut rng, s, b, images, texts)
            })
            .collect();
        let mut views: Vec<_> = pops.iter_mut().map(|(i, t)| (i.view(), t.view())).collect();
        let mut scratch = vec![vec![0.0_f32; SERIAL_SCRATCH * b]; 2];
        group.throughput(Throughput::Elements((2 * b * b) as u64));
        let (samples, secs) = timing(b);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(2 * secs));
        for name in ["serial", "run_batch"] {
            group.bench_with_input(BenchmarkId::new(name, b), &b, |bench, _| {
                bench.iter(|| {
                    let mut problems: Vec<Problem<'_, '_, f32>> = batches
                        .iter_mut()
                        .zip(&mut views)
                        .zip(&mut scratch)
                        .map(|((batch, (image, text)), scratch)| {
                            restore(image, &batch.saved.0);
                            restore(text, &batch.saved.1);
                            Problem::Dpm {
                                scores: black_box(&batch.s),
                                b: batch.image_ids.len(),
                                image_ids: &batch.image_ids,
                                text_ids: &batch.text_ids,
                                image,
                                text,
                                params: batch.params,
                                out: batch.outs.get(),
                                scratch,
                            }
                        })
                        .collect();
                    if name == "serial" {
                        for p in &mut problems {
                            p.run().unwrap();
                        }
                    } else {
                        let mut results = [Ok(dpm_core::Losses::default()); 2];
                        run_batch(&mut problems, &mut results).unwrap();
                        black_box(results.map(Result::unwrap));
                    }
                });
            });
        }
    }
    group.finish();
}

/// `par::dpm_bimodal` on a pool of one thread: what the parallel schedule
/// costs before any second core helps.
#[cfg(feature = "std")]
#[allow(clippy::too_many_arguments)]
fn par_one_thread(
    s: &[f32],
    b: usize,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, f32>,
    text: &mut StateView<'_, f32>,
    params: dpm_core::Directions<DpmParams<f32>>,
    out: BimodalOut<'_, f32>,
    scratch: &mut [f32],
) -> Result<dpm_core::Losses<f32>, dpm_core::Error> {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool of one thread")
    });
    pool.install(|| {
        dpm_core::par::dpm_bimodal(s, b, image_ids, text_ids, image, text, params, out, scratch)
    })
}

/// Memory bandwidth on one thread and on rayon's pool, over arrays the
/// size of S and dS at B = 4096: the step there reads S three times and
/// writes dS twice (a write also reads the line) and reads it once, 7 x 64
/// MiB, more than the 32 MiB L3 holds.
#[cfg(feature = "std")]
fn memory_f32(c: &mut Criterion) {
    use rayon::prelude::*;
    let len = 4096 * 4096;
    let x: Vec<f32> = (0..len).map(|k| (k % 1000) as f32).collect();
    let mut y = vec![0.0_f32; len];
    let mut group = c.benchmark_group("memory_f32");
    group.throughput(Throughput::Bytes((3 * len * 4) as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    let triad = |x: &[f32], y: &mut [f32]| {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += 1.0001 * x;
        }
    };
    group.bench_function("serial", |b| {
        b.iter(|| triad(black_box(&x), black_box(&mut y)));
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            // One chunk per 64 KiB: rayon splits them across its workers.
            black_box(&mut y)
                .par_chunks_mut(1 << 14)
                .zip(black_box(&x).par_chunks(1 << 14))
                .for_each(|(y, x)| triad(x, y));
        });
    });
    group.finish();
}

/// 8 independent chains of `x = 0.999 x + 1e-6`, `steps` long: arithmetic
/// in registers only (one FMA per element with `target-cpu=native`).
#[cfg(feature = "std")]
fn fma_chains(steps: u64) -> f32 {
    let mut acc = [0.0_f32; 8];
    let (a, b) = (black_box(0.999_f32), black_box(1e-6_f32));
    for _ in 0..steps {
        for x in &mut acc {
            *x = x.mul_add(a, b);
        }
    }
    acc.iter().sum()
}

#[cfg(feature = "std")]
fn fma_f32(c: &mut Criterion) {
    let steps = 20_000_000;
    let mut group = c.benchmark_group("fma_f32");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("serial", |b| {
        b.iter(|| fma_chains(black_box(steps)) + fma_chains(black_box(steps)));
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let (x, y) = rayon::join(
                || fma_chains(black_box(steps)),
                || fma_chains(black_box(steps)),
            );
            x + y
        });
    });
    group.finish();
}

fn lse_row_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("lse_row_f32");
    let mut rng = Rng::new(SEED ^ 1);
    for len in [256_usize, 4096] {
        let row: Vec<f32> = (0..len)
            .map(|_| (rng.normal() * 0.1 / 0.01) as f32)
            .collect();
        group.throughput(Throughput::Elements(len as u64));
        group
            .sample_size(50)
            .measurement_time(Duration::from_secs(2));
        group.bench_with_input(BenchmarkId::new("ours", len), &row, |b, r| {
            b.iter(|| dpm_core::lse::log_sum_exp(black_box(r)).unwrap());
        });
        group.bench_with_input(BenchmarkId::new("libm", len), &row, |b, r| {
            b.iter(|| dpm_core::scalar::log_sum_exp(black_box(r)).unwrap());
        });
    }
    group.finish();
}

fn exp_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("exp_f32");
    let mut rng = Rng::new(SEED ^ 2);
    let len = 1 << 20;
    let x: Vec<f32> = (0..len).map(|_| (-20.0 * rng.uniform()) as f32).collect();
    let mut y = x.clone();
    group.throughput(Throughput::Elements(len as u64));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("ours", |b| {
        b.iter(|| {
            y.copy_from_slice(&x);
            dpm_core::__bench::exp_in_place(black_box(&mut y));
        });
    });
    group.bench_function("wide", |b| {
        b.iter(|| {
            y.copy_from_slice(&x);
            for c in black_box(&mut y).chunks_exact_mut(8) {
                let v = wide::f32x8::new(c.try_into().unwrap()).exp();
                c.copy_from_slice(&v.to_array());
            }
        });
    });
    group.bench_function("libm", |b| {
        b.iter(|| {
            y.copy_from_slice(&x);
            for v in black_box(&mut y).iter_mut() {
                *v = libm::expf(*v);
            }
        });
    });
    group.finish();
}

#[cfg(feature = "std")]
criterion_group!(
    benches,
    dpm_bimodal_f32,
    dpm_bimodal_f32_rayon,
    dpm_bimodal_f32_pair,
    memory_f32,
    fma_f32,
    lse_row_f32,
    exp_f32
);
#[cfg(not(feature = "std"))]
criterion_group!(benches, dpm_bimodal_f32, lse_row_f32, exp_f32);
criterion_main!(benches);
