//! Profiling driver: repeated bimodal steps at one B on the scores of a
//! family (not a benchmark; criterion's are in `benches/`). Prints the
//! median and the fastest step.
//!
//! `cargo run --release --example prof -- [B] [iters] [sigma] [scalar]`:
//! sigma of the score family (`tests/support/random.rs`, d = 128; 100 for
//! unrelated pairs, 1.0 or 0.3 for aligned ones), `scalar` for the
//! reference kernel.
use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, StateView, ZetaStep};
#[path = "../tests/support/random.rs"]
mod random;
use random::*;
fn main() {
    let arg = |k: usize| std::env::args().nth(k);
    let b: usize = arg(1).map_or(1024, |a| a.parse().unwrap());
    let iters: usize = arg(2).map_or(50, |a| a.parse().unwrap());
    let sigma: f64 = arg(3).map_or(1.0, |a| a.parse().unwrap());
    let scalar = arg(4).is_some();
    let n = 1_000_000;
    let mut rng = Rng::new(7);
    let s = family_scores(&mut rng, b, 128, sigma);
    let ids_i = distinct_ids(&mut rng, b, n);
    let ids_t = distinct_ids(&mut rng, b, n);
    let pop = || {
        (
            vec![0f32; n],
            vec![0u8; n],
            vec![-0.05f32; n],
            vec![0f32; n],
            vec![0u8; n],
        )
    };
    let (mut a1, mut a2, mut a3, mut a4, mut a5) = pop();
    let (mut b1, mut b2, mut b3, mut b4, mut b5) = pop();
    let mut ds = vec![0f32; b * b];
    let mut hi = vec![0f32; b];
    let mut ht = vec![0f32; b];
    let mut scratch = vec![0f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let mut vi = StateView::new(&mut a1, &mut a2, &mut a3, &mut a4, &mut a5).unwrap();
    let mut vt = StateView::new(&mut b1, &mut b2, &mut b3, &mut b4, &mut b5).unwrap();
    let mut times = Vec::with_capacity(iters);
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
        let t = std::time::Instant::now();
        f(
            &s,
            ids_i.len(),
            &ids_i,
            &ids_t,
            &mut vi,
            &mut vt,
            dpm_core::Directions {
                image: p(5e-6),
                text: p(5e-7),
            },
            out,
            &mut scratch,
        )
        .unwrap();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let per = |t: f64| t * 1e9 / (b * b) as f64;
    let (med, min) = (times[times.len() / 2], times[0]);
    println!(
        "B {b} sigma {sigma}: median {:.3} ms ({:.3} ns per entry), fastest {:.3} ms ({:.3} ns)",
        med * 1e3,
        per(med),
        min * 1e3,
        per(min)
    );
}
