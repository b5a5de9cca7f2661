//! The two directions by name (`Directions { image, text }`, SPEC section
//! 3) on every engine that takes them: serial, scalar, par, from
//! features, tiled, scalar tiled, par tiled. With two directions whose
//! tau, gamma, xi, zeta step and first-visit rule all differ, each engine
//! must equal two one-direction steps (SPEC section 2): `params.image`
//! with the images anchoring on `S` (texts as candidates), `params.text`
//! with the texts anchoring on `S^T` (images as candidates); swapping the
//! modalities swaps the results; SogCLR's engines agree. A mix-up of the
//! two directions anywhere fails here (the last test shows the reference
//! catches a swap).
#![cfg(feature = "std")]

use dpm_core::embed::{
    FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled,
    sogclr_bimodal_tiled,
};
use dpm_core::{
    BimodalOut, Directions, DpmParams, FirstVisit, Layout, Losses, Offset, Scratch, SogClrParams,
    State, StateView, StepOut, ZetaStep, dpm_step, scalar, scratch_len,
};

const N: usize = 128;
type St = State<f64, N>;

fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
}

/// Unit rows of dimension d.
fn unit_rows(seed: &mut u64, b: usize, d: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..b * d).map(|_| lcg(seed)).collect();
    for i in 0..b {
        let n: f64 = v[i * d..(i + 1) * d]
            .iter()
            .map(|a| a * a)
            .sum::<f64>()
            .sqrt();
        for a in &mut v[i * d..(i + 1) * d] {
            *a /= n;
        }
    }
    v
}

fn gram(x: &[f64], y: &[f64], b: usize, d: usize) -> Vec<f64> {
    let mut s = vec![0.0; b * b];
    for i in 0..b {
        for j in 0..b {
            s[i * b + j] = (0..d).map(|k| x[i * d + k] * y[j * d + k]).sum();
        }
    }
    s
}

fn transpose(s: &[f64], b: usize) -> Vec<f64> {
    let mut t = vec![0.0; b * b];
    for i in 0..b {
        for j in 0..b {
            t[j * b + i] = s[i * b + j];
        }
    }
    t
}

/// A population with distinct zeta everywhere and some ids visited.
fn pop(seed: &mut u64, zeta0: f64) -> St {
    let mut st = St::new(zeta0);
    let mut v = st.view();
    for id in 0..N {
        v.set_zeta(id, 0.2 * lcg(seed)).unwrap();
        if id % 3 == 0 {
            v.set_log_s(id, Some(0.5 * lcg(seed))).unwrap();
            v.set_z(id, Some(0.3 * lcg(seed))).unwrap();
        }
    }
    st
}

fn dump(st: &mut St) -> Vec<f64> {
    let v = st.view();
    let mut out = Vec::new();
    for id in 0..N {
        out.push(v.log_s(id).unwrap().unwrap_or(f64::NAN));
        out.push(v.zeta(id).unwrap());
        out.push(v.z(id).unwrap().unwrap_or(f64::NAN));
    }
    out
}

fn asym() -> Directions<DpmParams<f64>> {
    Directions {
        image: DpmParams {
            tau: 0.07,
            gamma: 0.8,
            offset: Offset::Xi(0.3),
            zeta_step: Some(ZetaStep {
                theta: 0.9,
                eta: 0.05,
            }),
            first_visit: FirstVisit::Batch,
        },
        text: DpmParams {
            tau: 0.2,
            gamma: 0.5,
            offset: Offset::Xi(-0.1),
            zeta_step: Some(ZetaStep {
                theta: 0.6,
                eta: 0.002,
            }),
            first_visit: FirstVisit::ZeroHistory,
        },
    }
}

fn swap<P>(p: Directions<P>) -> Directions<P> {
    Directions {
        image: p.text,
        text: p.image,
    }
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        let ok = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()));
        assert!(ok, "{what}[{k}]: {x} vs {y}");
    }
}

struct Res {
    loss: Losses<f64>,
    ds: Option<Vec<f64>>,
    dx: Option<Vec<f64>>,
    dy: Option<Vec<f64>>,
    images: Vec<f64>,
    texts: Vec<f64>,
}

#[derive(Clone, Copy, Debug)]
enum Eng {
    Serial,
    Scalar,
    Par,
    FromFeatures,
    Tiled,
    ScalarTiled,
    ParTiled,
}

const ENGINES: [Eng; 7] = [
    Eng::Serial,
    Eng::Scalar,
    Eng::Par,
    Eng::FromFeatures,
    Eng::Tiled,
    Eng::ScalarTiled,
    Eng::ParTiled,
];

struct Case {
    b: usize,
    d: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    images: St,
    texts: St,
}

fn case(seed: u64, b: usize, d: usize) -> Case {
    let mut seed = seed;
    let x = unit_rows(&mut seed, b, d);
    let y = unit_rows(&mut seed, b, d);
    Case {
        b,
        d,
        x,
        y,
        image_ids: (0..b).map(|i| (i * 5 + 1) % N).collect(),
        text_ids: (0..b).map(|i| (i * 7 + 3) % N).collect(),
        images: pop(&mut seed, -0.05),
        texts: pop(&mut seed, -0.05),
    }
}

fn run(c: &Case, eng: Eng, params: Directions<DpmParams<f64>>) -> Res {
    let (b, d) = (c.b, c.d);
    let (mut images, mut texts) = (c.images.clone(), c.texts.clone());
    let s = gram(&c.x, &c.y, b, d);
    let mut ds = vec![0.0; b * b];
    let (mut dx, mut dy) = (vec![0.0; b * d], vec![0.0; b * d]);
    let big = [
        dpm_core::par::scratch_len(Scratch::Bimodal { b }),
        dpm_core::par::scratch_len(Scratch::Tiled { b, d }),
        scratch_len(Scratch::Features { b, d }),
        scratch_len(Scratch::Tiled { b, d }),
        scalar::scratch_len(Scratch::Tiled { b, d }),
    ]
    .into_iter()
    .max()
    .unwrap();
    let mut sc = vec![0.0; big];
    let (ii, ti) = (&c.image_ids[..], &c.text_ids[..]);
    let (iv, tv) = (&mut images.view(), &mut texts.view());
    type Stored = fn(
        &[f64],
        usize,
        &[usize],
        &[usize],
        &mut StateView<'_, f64>,
        &mut StateView<'_, f64>,
        Directions<DpmParams<f64>>,
        BimodalOut<'_, f64>,
        &mut [f64],
    ) -> Result<Losses<f64>, dpm_core::Error>;
    type Tiled = fn(
        &[f64],
        &[f64],
        usize,
        usize,
        Features,
        &[usize],
        &[usize],
        &mut StateView<'_, f64>,
        &mut StateView<'_, f64>,
        Directions<DpmParams<f64>>,
        TiledOut<'_, f64>,
        &mut [f64],
    ) -> Result<Losses<f64>, dpm_core::Error>;
    let stored: Option<Stored> = match eng {
        Eng::Serial => Some(dpm_core::dpm_bimodal),
        Eng::Scalar => Some(scalar::dpm_bimodal),
        Eng::Par => Some(dpm_core::par::dpm_bimodal),
        _ => None,
    };
    let tiled: Option<Tiled> = match eng {
        Eng::Tiled => Some(dpm_bimodal_tiled),
        Eng::ScalarTiled => Some(scalar::dpm_bimodal_tiled),
        Eng::ParTiled => Some(dpm_core::par::dpm_bimodal_tiled),
        _ => None,
    };
    let norm = Features::Normalized;
    let (loss, has_ds, has_dx) = match (stored, tiled) {
        (Some(f), _) => (
            f(
                &s,
                b,
                ii,
                ti,
                iv,
                tv,
                params,
                BimodalOut::new(&mut ds),
                &mut sc,
            ),
            true,
            false,
        ),
        (None, Some(f)) => {
            let out = TiledOut::new(&mut dx, &mut dy);
            (
                f(&c.x, &c.y, b, d, norm, ii, ti, iv, tv, params, out, &mut sc),
                false,
                true,
            )
        }
        (None, None) => {
            let mut sout = vec![0.0; b * b];
            let out = FeatureOut::new(&mut sout, &mut ds, &mut dx, &mut dy);
            let f = dpm_bimodal_from_features;
            (
                f(&c.x, &c.y, b, d, norm, ii, ti, iv, tv, params, out, &mut sc),
                true,
                true,
            )
        }
    };
    let loss = loss.unwrap_or_else(|e| panic!("{eng:?}: {e:?}"));
    Res {
        loss,
        ds: has_ds.then_some(ds),
        dx: has_dx.then_some(dx),
        dy: has_dx.then_some(dy),
        images: dump(&mut images),
        texts: dump(&mut texts),
    }
}

/// Reference: the two directions as one-direction `dpm_step`s, images
/// anchoring with `params.image` (texts as candidates), texts anchoring
/// with `params.text` on S^T (images as candidates).
fn reference(c: &Case, params: Directions<DpmParams<f64>>) -> Res {
    let b = c.b;
    let (mut images, mut texts) = (c.images.clone(), c.texts.clone());
    let s = gram(&c.x, &c.y, b, c.d);
    let st = transpose(&s, b);
    let mut sc = vec![0.0; scratch_len(Scratch::Step { rows: b, cols: b })];
    let (mut ds1, mut ds2) = (vec![0.0; b * b], vec![0.0; b * b]);
    // Both directions read zeta as before the call: run both on copies of the
    // states taken before either, then merge.
    let (mut im2, mut tx2) = (c.images.clone(), c.texts.clone());
    let l1 = {
        let mut iv = images.view();
        let mut tv = texts.view();
        let (ia, _) = iv.split();
        let (_, tc) = tv.split();
        dpm_step(
            Layout::Diagonal,
            &s,
            b,
            b,
            &c.image_ids,
            &c.text_ids,
            ia,
            tc,
            params.image,
            StepOut::new(&mut ds1),
            &mut sc,
        )
        .unwrap()
    };
    let l2 = {
        let mut iv = im2.view();
        let mut tv = tx2.view();
        let (_, ic) = iv.split();
        let (ta, _) = tv.split();
        dpm_step(
            Layout::Diagonal,
            &st,
            b,
            b,
            &c.text_ids,
            &c.image_ids,
            ta,
            ic,
            params.text,
            StepOut::new(&mut ds2),
            &mut sc,
        )
        .unwrap()
    };
    // images: u from run 1 (images anchored), zeta/z from run 2 (images candidates).
    let (a_i, b_i) = (dump(&mut images), dump(&mut im2));
    let (a_t, b_t) = (dump(&mut texts), dump(&mut tx2));
    let merge = |u_src: &[f64], c_src: &[f64]| -> Vec<f64> {
        (0..3 * N)
            .map(|k| if k % 3 == 0 { u_src[k] } else { c_src[k] })
            .collect()
    };
    let ds2t = transpose(&ds2, b);
    let ds: Vec<f64> = ds1.iter().zip(&ds2t).map(|(a, b)| a + b).collect();
    Res {
        loss: Losses {
            total: l1 + l2,
            image_to_text: l1,
            text_to_image: l2,
        },
        ds: Some(ds),
        dx: None,
        dy: None,
        images: merge(&a_i, &b_i),
        texts: merge(&b_t, &a_t),
    }
}

fn compare(a: &Res, b: &Res, what: &str) {
    close(
        &[a.loss.total, a.loss.image_to_text, a.loss.text_to_image],
        &[b.loss.total, b.loss.image_to_text, b.loss.text_to_image],
        &format!("{what} losses"),
    );
    if let (Some(x), Some(y)) = (&a.ds, &b.ds) {
        close(x, y, &format!("{what} ds"));
    }
    if let (Some(x), Some(y)) = (&a.dx, &b.dx) {
        close(x, y, &format!("{what} dx"));
    }
    if let (Some(x), Some(y)) = (&a.dy, &b.dy) {
        close(x, y, &format!("{what} dy"));
    }
    close(&a.images, &b.images, &format!("{what} images state"));
    close(&a.texts, &b.texts, &format!("{what} texts state"));
}

/// Every engine, with asymmetric directions, agrees with the documented
/// per-direction formula (dpm_step on S and S^T).
#[test]
fn asymmetric_directions_all_engines_match_reference() {
    for (seed, b, d) in [(1, 5, 4), (2, 37, 3), (3, 2, 2), (4, 70, 5)] {
        let c = case(seed, b, d);
        let p = asym();
        let want = reference(&c, p);
        for eng in ENGINES {
            let got = run(&c, eng, p);
            compare(&got, &want, &format!("b={b} {eng:?}"));
        }
    }
}

/// Swapping the modalities (X <-> Y, ids, states, params) swaps the
/// results, on every engine.
#[test]
fn asymmetric_directions_swap_symmetry() {
    let c = case(11, 9, 4);
    let sw = Case {
        b: c.b,
        d: c.d,
        x: c.y.clone(),
        y: c.x.clone(),
        image_ids: c.text_ids.clone(),
        text_ids: c.image_ids.clone(),
        images: c.texts.clone(),
        texts: c.images.clone(),
    };
    for eng in ENGINES {
        let a = run(&c, eng, asym());
        let s = run(&sw, eng, swap(asym()));
        close(
            &[a.loss.image_to_text, a.loss.text_to_image],
            &[s.loss.text_to_image, s.loss.image_to_text],
            &format!("{eng:?} losses"),
        );
        if let (Some(x), Some(y)) = (&a.ds, &s.ds) {
            close(x, &transpose(y, c.b), &format!("{eng:?} ds"));
        }
        if let (Some(x), Some(y)) = (&a.dx, &s.dy) {
            close(x, y, &format!("{eng:?} dx"));
        }
        close(&a.images, &s.texts, &format!("{eng:?} images"));
        close(&a.texts, &s.images, &format!("{eng:?} texts"));
    }
}

/// SogCLR with asymmetric directions: all engines agree with each other.
#[test]
fn sogclr_asymmetric_engines_agree() {
    let c = case(5, 11, 3);
    let p = Directions {
        image: SogClrParams {
            tau: 0.05,
            gamma: 0.9,
            first_visit: FirstVisit::Batch,
        },
        text: SogClrParams {
            tau: 0.3,
            gamma: 0.4,
            first_visit: FirstVisit::ZeroHistory,
        },
    };
    let (b, d) = (c.b, c.d);
    let s = gram(&c.x, &c.y, b, d);
    let mut results = Vec::new();
    for k in 0..6 {
        let (mut images, mut texts) = (c.images.clone(), c.texts.clone());
        let (iv, tv) = (&mut images.view(), &mut texts.view());
        let mut sc = vec![
            0.0;
            dpm_core::par::scratch_len(Scratch::Tiled { b, d })
                .max(dpm_core::par::scratch_len(Scratch::Bimodal { b }))
        ];
        let mut ds = vec![0.0; b * b];
        let (mut dx, mut dy) = (vec![0.0; b * d], vec![0.0; b * d]);
        let (ii, ti) = (&c.image_ids[..], &c.text_ids[..]);
        let l = match k {
            0 => dpm_core::sogclr_bimodal(
                &s,
                b,
                ii,
                ti,
                iv,
                tv,
                p,
                BimodalOut::new(&mut ds),
                &mut sc,
            ),
            1 => {
                scalar::sogclr_bimodal(&s, b, ii, ti, iv, tv, p, BimodalOut::new(&mut ds), &mut sc)
            }
            2 => dpm_core::par::sogclr_bimodal(
                &s,
                b,
                ii,
                ti,
                iv,
                tv,
                p,
                BimodalOut::new(&mut ds),
                &mut sc,
            ),
            3 => sogclr_bimodal_tiled(
                &c.x,
                &c.y,
                b,
                d,
                Features::Normalized,
                ii,
                ti,
                iv,
                tv,
                p,
                TiledOut::new(&mut dx, &mut dy),
                &mut sc,
            ),
            4 => scalar::sogclr_bimodal_tiled(
                &c.x,
                &c.y,
                b,
                d,
                Features::Normalized,
                ii,
                ti,
                iv,
                tv,
                p,
                TiledOut::new(&mut dx, &mut dy),
                &mut sc,
            ),
            _ => dpm_core::par::sogclr_bimodal_tiled(
                &c.x,
                &c.y,
                b,
                d,
                Features::Normalized,
                ii,
                ti,
                iv,
                tv,
                p,
                TiledOut::new(&mut dx, &mut dy),
                &mut sc,
            ),
        }
        .unwrap();
        results.push((l, dump(&mut images), dump(&mut texts)));
    }
    for (k, r) in results.iter().enumerate() {
        close(
            &[r.0.image_to_text, r.0.text_to_image],
            &[results[0].0.image_to_text, results[0].0.text_to_image],
            &format!("sogclr {k} loss"),
        );
        close(&r.1, &results[0].1, &format!("sogclr {k} images"));
        close(&r.2, &results[0].2, &format!("sogclr {k} texts"));
    }
}

#[test]
#[should_panic]
fn sanity_reference_detects_swapped_params() {
    let c = case(1, 5, 4);
    let want = reference(&c, asym());
    compare(&run(&c, Eng::Serial, swap(asym())), &want, "swapped");
}
