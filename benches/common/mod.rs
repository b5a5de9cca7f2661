//! What the benches share: populations of a million ids over owned
//! vectors, one batch with its saved state (restored before each timed
//! step, so that every iteration is the same realistic step), and the
//! timing loop over step functions.
#![allow(dead_code)]

use std::{hint::black_box, time::Duration};

use criterion::{BenchmarkId, Criterion, Throughput};
use dpm_core::{BimodalOut, Directions, DpmParams, FirstVisit, Offset, StateView, ZetaStep};

#[path = "../../tests/support/random.rs"]
pub mod random;
use random::{Rng, distinct_ids};

pub const SEED: u64 = 0x5eed_d9b0;
pub const N: usize = 1_000_000;
pub const TAU: f32 = 0.01;

/// One population's state over owned vectors.
pub struct Pop {
    log_s: Vec<f32>,
    s_flags: Vec<u8>,
    zeta: Vec<f32>,
    z: Vec<f32>,
    z_flags: Vec<u8>,
}

/// One id's state.
pub struct Saved {
    id: usize,
    u: Option<f32>,
    zeta: f32,
    z: Option<f32>,
}

/// Puts back saved state through the view (O(B), unlike building a view,
/// which checks all n flags).
pub fn restore(view: &mut StateView<'_, f32>, saved: &[Saved]) {
    for s in saved {
        view.set_log_s(s.id, s.u).unwrap();
        view.set_zeta(s.id, s.zeta).unwrap();
        view.set_z(s.id, s.z).unwrap();
    }
}

impl Pop {
    pub fn new(rng: &mut Rng) -> Self {
        // Half the ids visited, with plausible values.
        let mut p = Pop {
            log_s: vec![0.0; N],
            s_flags: vec![0; N],
            zeta: (0..N).map(|_| -0.05 + 0.01 * rng.normal() as f32).collect(),
            z: vec![0.0; N],
            z_flags: vec![0; N],
        };
        for id in 0..N {
            if rng.uniform() < 0.5 {
                p.log_s[id] = (10.0 + 5.0 * rng.normal()) as f32;
                p.s_flags[id] = 1;
                p.z[id] = (0.1 * rng.normal()) as f32;
                p.z_flags[id] = 1;
            }
        }
        p
    }

    /// Every id never visited, every `zeta = zeta_init` (a fresh start).
    pub fn fresh(zeta_init: f32) -> Self {
        Pop {
            log_s: vec![0.0; N],
            s_flags: vec![0; N],
            zeta: vec![zeta_init; N],
            z: vec![0.0; N],
            z_flags: vec![0; N],
        }
    }

    /// The state of `ids`, to restore before each timed step so that every
    /// iteration is the same realistic step (repeating one batch would
    /// drive zeta away from xi).
    pub fn save(&self, ids: &[usize]) -> Vec<Saved> {
        ids.iter()
            .map(|&id| Saved {
                id,
                u: (self.s_flags[id] == 1).then_some(self.log_s[id]),
                zeta: self.zeta[id],
                z: (self.z_flags[id] == 1).then_some(self.z[id]),
            })
            .collect()
    }

    pub fn view(&mut self) -> StateView<'_, f32> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .unwrap()
    }
}

pub type Step = fn(
    &[f32],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, f32>,
    &mut StateView<'_, f32>,
    Directions<DpmParams<f32>>,
    BimodalOut<'_, f32>,
    &mut [f32],
) -> Result<dpm_core::Losses<f32>, dpm_core::Error>;

/// One batch of `b` pairs over two populations: scores, ids, outputs and
/// the ids' state to restore before each timed step.
pub struct Batch {
    pub s: Vec<f32>,
    pub image_ids: Vec<usize>,
    pub text_ids: Vec<usize>,
    pub outs: Outs,
    pub saved: (Vec<Saved>, Vec<Saved>),
    pub params: Directions<DpmParams<f32>>,
}

/// A batch's output vectors.
pub struct Outs {
    pub ds: Vec<f32>,
    pub h_image: Vec<f32>,
    pub h_text: Vec<f32>,
}

impl Outs {
    /// The outputs: `dS` and both directions' `h`.
    pub fn get(&mut self) -> BimodalOut<'_, f32> {
        BimodalOut {
            ds: &mut self.ds,
            weights_image: None,
            weights_text: None,
            h_image: Some(&mut self.h_image),
            h_text: Some(&mut self.h_text),
        }
    }
}

impl Batch {
    /// A batch over `images` and `texts` with the scores `s` (`b x b`).
    pub fn with_scores(
        rng: &mut Rng,
        s: Vec<f32>,
        b: usize,
        images: &mut Pop,
        texts: &mut Pop,
    ) -> Self {
        let p = |xi: f32, eta: f32| DpmParams {
            tau: TAU,
            gamma: 0.8,
            offset: Offset::Xi(xi),
            zeta_step: Some(ZetaStep { theta: 0.9, eta }),
            first_visit: FirstVisit::Batch,
        };
        // Images anchor against the texts' xi and step size, and the reverse.
        let params = Directions {
            image: p(texts.view().refresh_xi(0.0), 5e-6),
            text: p(images.view().refresh_xi(0.0), 5e-7),
        };
        let image_ids = distinct_ids(rng, b, N);
        let text_ids = distinct_ids(rng, b, N);
        let saved = (images.save(&image_ids), texts.save(&text_ids));
        Batch {
            s,
            image_ids,
            text_ids,
            outs: Outs {
                ds: vec![0.0; b * b],
                h_image: vec![0.0; b],
                h_text: vec![0.0; b],
            },
            saved,
            params,
        }
    }
}

/// Criterion's sample count and seconds for a step of `b` pairs.
pub fn timing(b: usize) -> (usize, u64) {
    match b {
        4096 => (10, 4),
        1024 => (15, 3),
        _ => (30, 2),
    }
}

/// Benchmarks `kernels` on the DPM step at each of `sizes`, in `group`.
pub fn bench_steps(
    c: &mut Criterion,
    group: &str,
    sizes: &[usize],
    kernels: &[(&str, Step, usize)],
) {
    bench_scores(c, group, sizes, kernels, |rng, b| {
        random::cosine_scores(rng, b, 64)
            .into_iter()
            .map(|v| v as f32)
            .collect()
    });
}

/// [`bench_steps`] on the scores `scores(rng, b)` makes.
pub fn bench_scores(
    c: &mut Criterion,
    group: &str,
    sizes: &[usize],
    kernels: &[(&str, Step, usize)],
    scores: impl Fn(&mut Rng, usize) -> Vec<f32>,
) {
    let mut group = c.benchmark_group(group);
    let mut rng = Rng::new(SEED);
    let (mut images, mut texts) = (Pop::new(&mut rng), Pop::new(&mut rng));
    for &b in sizes {
        let s = scores(&mut rng, b);
        let mut batch = Batch::with_scores(&mut rng, s, b, &mut images, &mut texts);
        let (mut image_view, mut text_view) = (images.view(), texts.view());
        group.throughput(Throughput::Elements((b * b) as u64));
        let (samples, secs) = timing(b);
        group
            .sample_size(samples)
            .measurement_time(Duration::from_secs(secs));
        for &(name, step, scratch_len) in kernels {
            let mut scratch = vec![0.0_f32; scratch_len * b];
            group.bench_with_input(BenchmarkId::new(name, b), &b, |bench, _| {
                bench.iter(|| {
                    restore(&mut image_view, &batch.saved.0);
                    restore(&mut text_view, &batch.saved.1);
                    step(
                        black_box(&batch.s),
                        batch.image_ids.len(),
                        &batch.image_ids,
                        &batch.text_ids,
                        &mut image_view,
                        &mut text_view,
                        batch.params,
                        batch.outs.get(),
                        &mut scratch,
                    )
                    .unwrap()
                });
            });
        }
    }
    group.finish();
}
