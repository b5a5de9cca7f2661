use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, StateView, ZetaStep};
#[path = "../tests/support/random.rs"]
mod random;
use random::*;
fn main() {
    let n: usize = std::env::args().nth(1).map_or(1000, |a| a.parse().unwrap());
    let b = 64;
    let mut rng = Rng::new(7);
    let s: Vec<f32> = cosine_scores(&mut rng, b, 64)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let ids_i = distinct_ids(&mut rng, b, n);
    let ids_t = distinct_ids(&mut rng, b, n);
    for simd in [false, true] {
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
        for step in 0..20000 {
            let mut vi = StateView::new(&mut a1, &mut a2, &mut a3, &mut a4, &mut a5).unwrap();
            let mut vt = StateView::new(&mut b1, &mut b2, &mut b3, &mut b4, &mut b5).unwrap();
            let p = |eta| DpmParams {
                tau: 0.01f32,
                gamma: 0.8,
                offset: Offset::Xi(0.0),
                zeta_step: Some(ZetaStep { theta: 0.9, eta }),
                first_visit: FirstVisit::Batch,
            };
            let f = if simd {
                dpm_core::dpm_bimodal
            } else {
                dpm_core::scalar::dpm_bimodal
            };
            let out = BimodalOut {
                ds: &mut ds,
                weights_image: None,
                weights_text: None,
                h_image: Some(&mut hi),
                h_text: Some(&mut ht),
            };
            let r = f(
                &s,
                &ids_i,
                &ids_t,
                &mut vi,
                &mut vt,
                [p(5e-6), p(5e-7)],
                out,
                &mut scratch,
            );
            if step % 500 == 0 || r.is_err() {
                println!(
                    "simd {simd} step {step}: {:?} h_t[0] {} h_i[0] {} zeta_t {} zeta_i {}",
                    r.map(|l| l.total),
                    ht[0],
                    hi[0],
                    b3[ids_t[0]],
                    a3[ids_i[0]]
                );
            }
            if r.is_err() {
                break;
            }
        }
    }
}
