//! Profiling driver: repeated SIMD steps at one B (not a benchmark).
use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, StateView, ZetaStep};
#[path = "../tests/support/random.rs"]
mod random;
use random::*;
fn main() {
    let b: usize = std::env::args().nth(1).map_or(1024, |a| a.parse().unwrap());
    let iters: usize = std::env::args().nth(2).map_or(50, |a| a.parse().unwrap());
    let scalar = std::env::args().nth(3).is_some();
    let n = 1_000_000;
    let mut rng = Rng::new(7);
    let s: Vec<f32> = cosine_scores(&mut rng, b, 64)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let ids_i = distinct_ids(&mut rng, b, n);
    let ids_t = distinct_ids(&mut rng, b, n);
    let (mut a1, mut a2, mut a3, mut a4, mut a5) = (
        vec![0f32; n],
        vec![0u8; n],
        vec![-0.05f32; n],
        vec![0f32; n],
        vec![0u8; n],
    );
    let (mut b1, mut b2, mut b3, mut b4, mut b5) = (
        vec![0f32; n],
        vec![0u8; n],
        vec![-0.05f32; n],
        vec![0f32; n],
        vec![0u8; n],
    );
    let mut ds = vec![0f32; b * b];
    let mut hi = vec![0f32; b];
    let mut ht = vec![0f32; b];
    let mut scratch = vec![0f32; dpm_core::bimodal_scratch_len(b)];
    let mut vi = StateView::new(&mut a1, &mut a2, &mut a3, &mut a4, &mut a5).unwrap();
    let mut vt = StateView::new(&mut b1, &mut b2, &mut b3, &mut b4, &mut b5).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..iters {
        for (v, ids) in [(&mut vi, &ids_i), (&mut vt, &ids_t)] {
            for &id in ids.iter() {
                v.set_zeta(id, -0.05).unwrap();
                v.set_z(id, None).unwrap();
                v.set_log_s(id, None).unwrap();
            }
        }
        let p = |eta| DpmParams {
            tau: 0.01f32,
            gamma: 0.8,
            offset: Offset::Xi(0.0),
            zeta_step: Some(ZetaStep { theta: 0.9, eta }),
            first_visit: FirstVisit::Batch,
        };
        let f = if scalar {
            dpm_core::scalar::dpm_bimodal
        } else {
            dpm_core::dpm_bimodal
        };
        let out = BimodalOut {
            ds: &mut ds,
            weights_image: None,
            weights_text: None,
            h_image: Some(&mut hi),
            h_text: Some(&mut ht),
        };
        f(
            &s,
            &ids_i,
            &ids_t,
            &mut vi,
            &mut vt,
            [p(5e-6), p(5e-7)],
            out,
            &mut scratch,
        )
        .unwrap();
    }
    let dt = t.elapsed().as_secs_f64() / iters as f64;
    println!(
        "B {b}: {:.3} ms per step, {:.3} ns per entry",
        dt * 1e3,
        dt * 1e9 / (b * b) as f64
    );
}
