//! The steps from features in tiles through the C ABI: the Rust tiled
//! steps bit for bit (DPM, SogCLR, InfoNCE; raw and unit rows), and every
//! refusal a status code with nothing written (SPEC section 7).
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

#[path = "support/c_prec.rs"]
mod c_prec;
#[path = "support/c_state.rs"]
mod c_state;
use c_state::{Arrays, params};
use dpm_core::capi::*;
use dpm_core::{DpmParams, FirstVisit, Offset, State, ZetaStep};

const N: usize = 10;

/// Raw features of `b` images and `b` texts, `d` wide (no zero row).
fn raw(b: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..b * d)
        .map(|k| ((k * 7 % 11) as f32 - 5.0) * 0.2)
        .collect();
    let y = (0..b * d)
        .map(|k| ((k * 5 % 13) as f32 - 6.0) * 0.15)
        .collect();
    (x, y)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The tiled step from C is the Rust tiled step, bit for bit (raw and
/// normalised features, the two directions' parameters apart), and maps
/// its refusals to status codes with nothing written.
#[test]
fn tiled_step_same_results_as_the_rust_api() {
    use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled};
    let (b, d) = (5_usize, 3_usize);
    let (x, y) = raw(b, d);
    let (ii, ti) = ([1_usize, 4, 0, 7, 9], [3_usize, 2, 8, 6, 5]);
    let p0 = params();
    let p1 = DpmParamsF32 {
        tau: 0.2,
        gamma: 0.7,
        offset: DPM_OFFSET_VANILLA,
        eta: 0.05,
        ..p0
    };
    let rust_p = |p: DpmParamsF32| DpmParams {
        tau: p.tau,
        gamma: p.gamma,
        offset: if p.offset == DPM_OFFSET_XI {
            Offset::Xi(p.xi)
        } else {
            Offset::Vanilla
        },
        zeta_step: Some(ZetaStep {
            theta: p.theta,
            eta: p.eta,
        }),
        first_visit: FirstVisit::Batch,
    };
    for (flag, features) in [
        (DPM_FEATURES_RAW, Features::Raw),
        (DPM_FEATURES_NORMALIZED, Features::Normalized),
    ] {
        let xs: Vec<f32> = if flag == DPM_FEATURES_RAW {
            x.clone()
        } else {
            // Unit rows for the normalised case.
            x.chunks(d)
                .flat_map(|r| {
                    let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
                    r.iter().map(move |v| v / n).collect::<Vec<_>>()
                })
                .collect()
        };
        let ys: Vec<f32> = if flag == DPM_FEATURES_RAW {
            y.clone()
        } else {
            y.chunks(d)
                .flat_map(|r| {
                    let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
                    r.iter().map(move |v| v / n).collect::<Vec<_>>()
                })
                .collect()
        };
        // The Rust step.
        let (mut ri, mut rt) = (State::<f32, N>::new(-0.05), State::<f32, N>::new(-0.05));
        let (mut rdx, mut rdy) = (vec![0.0_f32; b * d], vec![0.0_f32; b * d]);
        let mut sc = vec![0.0_f32; dpm_tiled_scratch_len(b, d)];
        let params = dpm_core::Directions {
            image: rust_p(p0),
            text: rust_p(p1),
        };
        let want = dpm_bimodal_tiled(
            &xs,
            &ys,
            b,
            d,
            features,
            &ii,
            &ti,
            &mut ri.view(),
            &mut rt.view(),
            params,
            TiledOut::new(&mut rdx, &mut rdy),
            &mut sc,
        )
        .unwrap();
        // The C step on arrays initialised by the C ABI.
        let (mut ci, mut ct) = (Arrays::<f32>::new(N), Arrays::<f32>::new(N));
        let (mut dx, mut dy) = (vec![9.0_f32; b * d], vec![9.0_f32; b * d]);
        let mut losses = DpmLossesF32::default();
        let (si, st) = (ci.c(), ct.c());
        // SAFETY: live arrays of the lengths given.
        let rc = unsafe {
            dpm_bimodal_tiled_f32(
                xs.as_ptr(),
                b * d,
                ys.as_ptr(),
                b * d,
                b,
                d,
                flag,
                ii.as_ptr(),
                b,
                ti.as_ptr(),
                b,
                &si,
                &st,
                &p0,
                &p1,
                dx.as_mut_ptr(),
                b * d,
                dy.as_mut_ptr(),
                b * d,
                sc.as_mut_ptr(),
                sc.len(),
                &mut losses,
            )
        };
        assert_eq!(rc, DPM_OK);
        assert_eq!(bits(&dx), bits(&rdx), "dx");
        assert_eq!(bits(&dy), bits(&rdy), "dy");
        assert_eq!(
            [losses.total, losses.image_to_text, losses.text_to_image].map(f32::to_bits),
            [want.total, want.image_to_text, want.text_to_image].map(f32::to_bits)
        );
        for id in 0..N {
            let v = ri.view();
            assert_eq!(
                v.log_s(id).unwrap(),
                (ci.s_flags[id] == 1).then_some(ci.log_s[id])
            );
            assert_eq!(
                v.zeta(id).unwrap().to_bits(),
                ci.zeta[id].to_bits(),
                "zeta {id}"
            );
            let tv = rt.view();
            assert_eq!(tv.z(id).unwrap(), (ct.z_flags[id] == 1).then_some(ct.z[id]));
        }
        // Refusals: a zero row of raw features, an unknown `features`.
        let mut bad = xs.clone();
        bad[d..2 * d].fill(0.0);
        for (xv, fl, code) in [
            (&bad, DPM_FEATURES_RAW, DPM_ERR_ZERO_NORM),
            (&xs, 5, DPM_ERR_INVALID_PARAMETER),
        ] {
            let before = (ci.clone(), ct.clone(), dx.clone(), dy.clone(), losses);
            let (si, st) = (ci.c(), ct.c());
            // SAFETY: as above.
            let rc = unsafe {
                dpm_bimodal_tiled_f32(
                    xv.as_ptr(),
                    b * d,
                    ys.as_ptr(),
                    b * d,
                    b,
                    d,
                    fl,
                    ii.as_ptr(),
                    b,
                    ti.as_ptr(),
                    b,
                    &si,
                    &st,
                    &p0,
                    &p1,
                    dx.as_mut_ptr(),
                    b * d,
                    dy.as_mut_ptr(),
                    b * d,
                    sc.as_mut_ptr(),
                    sc.len(),
                    &mut losses,
                )
            };
            if fl == DPM_FEATURES_RAW || flag == DPM_FEATURES_RAW {
                assert_eq!(rc, code, "features {fl}");
            } else {
                assert_ne!(rc, DPM_OK);
            }
            assert_eq!(
                (ci.clone(), ct.clone(), dx.clone(), dy.clone(), losses),
                before
            );
        }
    }
}

/// SogCLR and InfoNCE from features in tiles, from C, are the Rust tiled
/// steps bit for bit (SogCLR over two steps, with the directions'
/// parameters apart), and refuse a bad `first_visit`, a misaligned
/// feature pointer, a NaN `tau` and an unknown `features` with nothing
/// written.
#[test]
fn sogclr_and_infonce_tiled_same_results_as_the_rust_api() {
    use dpm_core::SogClrParams;
    use dpm_core::embed::{Features, TiledOut, infonce_bimodal_tiled, sogclr_bimodal_tiled};
    let (b, d) = (5_usize, 3_usize);
    let (x, y) = raw(b, d);
    let (ii, ti) = ([1_usize, 4, 0, 7, 9], [3_usize, 2, 8, 6, 5]);
    let q = [
        DpmSogClrParamsF32 {
            tau: 0.1,
            gamma: 0.9,
            first_visit: DPM_FIRST_VISIT_BATCH,
        },
        DpmSogClrParamsF32 {
            tau: 0.3,
            gamma: 0.6,
            first_visit: DPM_FIRST_VISIT_ZERO_HISTORY,
        },
    ];
    let to_rust = |p: DpmSogClrParamsF32| SogClrParams {
        tau: p.tau,
        gamma: p.gamma,
        first_visit: if p.first_visit == DPM_FIRST_VISIT_BATCH {
            FirstVisit::Batch
        } else {
            FirstVisit::ZeroHistory
        },
    };
    let mut sc = vec![0.0_f32; dpm_tiled_scratch_len(b, d)];
    // The Rust step, twice (the second sees the first's state).
    let (mut ri, mut rt) = (State::<f32, N>::new(-0.05), State::<f32, N>::new(-0.05));
    let (mut rdx, mut rdy) = (vec![0.0_f32; b * d], vec![0.0_f32; b * d]);
    let mut want = None;
    for _ in 0..2 {
        let params = dpm_core::Directions {
            image: to_rust(q[0]),
            text: to_rust(q[1]),
        };
        want = Some(
            sogclr_bimodal_tiled(
                &x,
                &y,
                b,
                d,
                Features::Raw,
                &ii,
                &ti,
                &mut ri.view(),
                &mut rt.view(),
                params,
                TiledOut::new(&mut rdx, &mut rdy),
                &mut sc,
            )
            .unwrap(),
        );
    }
    let want = want.unwrap();
    // The C step, twice.
    let (mut ci, mut ct) = (Arrays::<f32>::new(N), Arrays::<f32>::new(N));
    let (mut dx, mut dy) = (vec![9.0_f32; b * d], vec![9.0_f32; b * d]);
    let mut losses = DpmLossesF32::default();
    let (si, st) = (ci.c(), ct.c());
    let sog = |x: *const f32,
               q: &[DpmSogClrParamsF32; 2],
               dx: &mut [f32],
               dy: &mut [f32],
               sc: &mut [f32],
               l: &mut DpmLossesF32| {
        // SAFETY: live arrays of the lengths given (`x` may point one
        // byte into a float: misaligned, refused before it is read).
        unsafe {
            dpm_sogclr_bimodal_tiled_f32(
                x,
                b * d,
                y.as_ptr(),
                b * d,
                b,
                d,
                DPM_FEATURES_RAW,
                ii.as_ptr(),
                b,
                ti.as_ptr(),
                b,
                &si,
                &st,
                &q[0],
                &q[1],
                dx.as_mut_ptr(),
                dx.len(),
                dy.as_mut_ptr(),
                dy.len(),
                sc.as_mut_ptr(),
                sc.len(),
                l,
            )
        }
    };
    for _ in 0..2 {
        assert_eq!(
            sog(x.as_ptr(), &q, &mut dx, &mut dy, &mut sc, &mut losses),
            DPM_OK
        );
    }
    assert_eq!((bits(&dx), bits(&dy)), (bits(&rdx), bits(&rdy)));
    assert_eq!(
        [losses.total, losses.image_to_text, losses.text_to_image].map(f32::to_bits),
        [want.total, want.image_to_text, want.text_to_image].map(f32::to_bits)
    );
    for id in 0..N {
        let (iv, tv) = (ri.view(), rt.view());
        assert_eq!(
            iv.log_s(id).unwrap(),
            (ci.s_flags[id] == 1).then_some(ci.log_s[id])
        );
        assert_eq!(
            tv.log_s(id).unwrap(),
            (ct.s_flags[id] == 1).then_some(ct.log_s[id])
        );
    }
    // Refusals: nothing written.
    let before = (ci.clone(), ct.clone(), dx.clone(), dy.clone(), losses);
    let mut bad = q;
    bad[1].first_visit = 2;
    assert_eq!(
        sog(x.as_ptr(), &bad, &mut dx, &mut dy, &mut sc, &mut losses),
        DPM_ERR_INVALID_PARAMETER
    );
    // One byte into the features: misaligned for a float.
    let skewed = x.as_ptr().cast::<u8>().wrapping_add(1).cast::<f32>();
    assert_eq!(
        sog(skewed, &q, &mut dx, &mut dy, &mut sc, &mut losses),
        DPM_ERR_BAD_POINTER
    );
    assert_eq!(
        (ci.clone(), ct.clone(), dx.clone(), dy.clone(), losses),
        before
    );

    // InfoNCE, on unit rows.
    let unit = |v: &[f32]| -> Vec<f32> {
        v.chunks(d)
            .flat_map(|r| {
                let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
                r.iter().map(move |v| v / n).collect::<Vec<_>>()
            })
            .collect()
    };
    let (xu, yu) = (unit(&x), unit(&y));
    let want = infonce_bimodal_tiled(
        &xu,
        &yu,
        b,
        d,
        Features::Normalized,
        0.07,
        TiledOut::new(&mut rdx, &mut rdy),
        &mut sc,
    )
    .unwrap();
    let nce = |tau: f32,
               features: u32,
               dx: &mut [f32],
               dy: &mut [f32],
               sc: &mut [f32],
               l: &mut DpmLossesF32| {
        // SAFETY: live arrays of the lengths given.
        unsafe {
            dpm_infonce_bimodal_tiled_f32(
                xu.as_ptr(),
                b * d,
                yu.as_ptr(),
                b * d,
                b,
                d,
                features,
                tau,
                dx.as_mut_ptr(),
                dx.len(),
                dy.as_mut_ptr(),
                dy.len(),
                sc.as_mut_ptr(),
                sc.len(),
                l,
            )
        }
    };
    assert_eq!(
        nce(
            0.07,
            DPM_FEATURES_NORMALIZED,
            &mut dx,
            &mut dy,
            &mut sc,
            &mut losses
        ),
        DPM_OK
    );
    assert_eq!((bits(&dx), bits(&dy)), (bits(&rdx), bits(&rdy)));
    assert_eq!(losses.total.to_bits(), want.total.to_bits());
    let before = (dx.clone(), dy.clone(), losses);
    for (tau, features) in [(f32::NAN, DPM_FEATURES_NORMALIZED), (0.07, 9)] {
        assert_eq!(
            nce(tau, features, &mut dx, &mut dy, &mut sc, &mut losses),
            DPM_ERR_INVALID_PARAMETER
        );
    }
    // A short dx: refused with nothing written.
    let (mut short, mut dy2) = (vec![0.0_f32; b * d - 1], dy.clone());
    assert_eq!(
        nce(
            0.07,
            DPM_FEATURES_NORMALIZED,
            &mut short,
            &mut dy2,
            &mut sc,
            &mut losses
        ),
        DPM_ERR_LENGTH_MISMATCH
    );
    assert_eq!(dy2, dy);
    assert_eq!((dx.clone(), dy.clone(), losses), before);
}
