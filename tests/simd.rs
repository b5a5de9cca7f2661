//! The SIMD bimodal step (the public functions) against the scalar
//! reference (`dpm_core::scalar`) and both against a float64 evaluation of
//! SPEC section 2 from the same (widened) inputs, with SPEC section 7's
//! condition-aware bound without its `|max|` term (so stricter): weights
//! `8 eps (1 + |a| + |log_den|)` relative
//! (plus the smallest normal, below which values are subnormal), the same
//! form for `u`, `h` and the loss with their own arguments.
//!
//! Seeded random cases: realistic cosine scores, tau in {0.01, 0.07, 1},
//! B in {2, 3, 9, 17, 64} (not multiples of the 8 lanes, and one that is),
//! random visited / unvisited state, Xi and Vanilla offsets, f32 and f64;
//! the three score families of the benches (unrelated pairs, aligned ones).
//! Every run also checks SPEC section 7's rule that no output and no state
//! value is subnormal.
//!
//! The SIMD step runs on the best instruction set of the machine; CI runs
//! this suite again with `DPM_CORE_ISA=baseline` and `avx2`.

#[path = "support/outs.rs"]
mod outs;
#[path = "support/random.rs"]
mod random;

use dpm_core::{BimodalOut, DpmParams, FirstVisit, Offset, Real, StateView, ZetaStep};
use outs::Outs;
use random::{Rng, cosine_scores, distinct_ids, family_scores};

/// One population: dense f64 copies of what the crate's state holds.
#[derive(Clone)]
struct Pop {
    u: Vec<Option<f64>>,
    zeta: Vec<f64>,
    z: Vec<Option<f64>>,
}

fn logaddexp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// One direction of SPEC section 2 in f64: weights `w[anchor][cand]`, new
/// `u`, loss, `h` per candidate, and the bound of each.
struct Dir {
    w: Vec<f64>,
    w_bound: Vec<f64>,
    u: Vec<f64>,
    u_bound: Vec<f64>,
    loss: f64,
    loss_bound: f64,
    h: Vec<f64>,
    h_bound: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn reference(
    b: usize,
    n: usize,
    s: &dyn Fn(usize, usize) -> f64,
    zeta: &[f64],
    u_old: &[Option<f64>],
    p: &DpmParams<f64>,
    eps: f64,
    tiny: f64,
) -> Dir {
    let rnd = |x: f64| 8.0 * eps * (1.0 + x);
    let (tau, g) = (p.tau, p.gamma);
    let m = (b - 1) as f64;
    let nf = n as f64;
    let mut d = Dir {
        w: vec![0.0; b * b],
        w_bound: vec![0.0; b * b],
        u: vec![0.0; b],
        u_bound: vec![0.0; b],
        loss: 0.0,
        loss_bound: 0.0,
        h: vec![0.0; b],
        h_bound: vec![0.0; b],
    };
    let mut acc = vec![0.0; b];
    let mut acc_err = vec![0.0; b];
    for i in 0..b {
        let a: Vec<f64> = (0..b)
            .map(|c| (s(i, c) - s(i, i) - zeta[c]) / tau)
            .collect();
        let mx = (0..b)
            .filter(|&c| c != i)
            .map(|c| a[c])
            .fold(f64::NEG_INFINITY, f64::max);
        let l = mx
            + (0..b)
                .filter(|&c| c != i)
                .map(|c| (a[c] - mx).exp())
                .sum::<f64>()
                .ln();
        let u = match u_old[i] {
            Some(uo) => logaddexp((1.0 - g).ln() + uo, g.ln() + l),
            None => l,
        };
        d.u[i] = u;
        d.u_bound[i] = rnd(l.abs() + u.abs()) + u_old[i].map_or(0.0, |uo| rnd(uo.abs() + l.abs()));
        let base = (m / (nf - 1.0)).ln();
        let log_off = match p.offset {
            Offset::Xi(xi) => base - xi / tau,
            Offset::Vanilla => base - zeta[i] / tau,
        };
        let log_den = logaddexp(log_off, u);
        let mut row_loss = 0.0;
        for c in (0..b).filter(|&c| c != i) {
            let w = (a[c] - log_den).exp();
            let err = w * rnd(a[c].abs() + log_den.abs()) + tiny;
            d.w[i * b + c] = w;
            d.w_bound[i * b + c] = err;
            let dd = s(i, c) - s(i, i);
            row_loss += w * dd;
            d.loss_bound += (err * dd.abs() + rnd(0.0) * (w * dd).abs()) / b as f64;
        }
        d.loss += row_loss / b as f64;
        let zp = zeta[i] / tau;
        let log_dt = logaddexp(-(nf - 1.0).ln() - zp, u - m.ln());
        for c in 0..b {
            let t = if c == i { -zp - log_dt } else { a[c] - log_dt };
            let term = t.exp();
            acc[c] += term;
            acc_err[c] += term * rnd(t.abs() + log_dt.abs()) + tiny;
        }
    }
    d.loss_bound += rnd(0.0) * d.loss.abs();
    let f = nf / (nf - 1.0) / b as f64;
    for c in 0..b {
        d.h[c] = 1.0 - f * acc[c];
        d.h_bound[c] = f * acc_err[c] + rnd(0.0) * (1.0 + f * acc[c]);
    }
    d
}

/// Outputs of one run of the crate, widened to f64.
struct Got {
    loss: [f64; 2],
    ds: Vec<f64>,
    w_image: Vec<f64>,
    w_text: Vec<f64>,
    h_image: Vec<f64>,
    h_text: Vec<f64>,
    u_image: Vec<f64>,
    u_text: Vec<f64>,
}

type Step<T> = fn(
    &[T],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, T>,
    &mut StateView<'_, T>,
    dpm_core::Directions<DpmParams<T>>,
    BimodalOut<'_, T>,
    &mut [T],
) -> Result<dpm_core::Losses<T>, dpm_core::Error>;

struct Case {
    b: usize,
    n: usize,
    s: Vec<f64>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    images: Pop,
    texts: Pop,
    params: dpm_core::Directions<DpmParams<f64>>,
}

fn to_t<T: Real>(p: DpmParams<f64>) -> DpmParams<T> {
    DpmParams {
        tau: T::from_f64(p.tau),
        gamma: T::from_f64(p.gamma),
        offset: match p.offset {
            Offset::Xi(x) => Offset::Xi(T::from_f64(x)),
            Offset::Vanilla => Offset::Vanilla,
        },
        zeta_step: p.zeta_step.map(|z| ZetaStep {
            theta: T::from_f64(z.theta),
            eta: T::from_f64(z.eta),
        }),
        first_visit: p.first_visit,
    }
}

fn run<T: Real>(c: &Case, step: Step<T>) -> Got {
    let b = c.b;
    let s: Vec<T> = c.s.iter().map(|&v| T::from_f64(v)).collect();
    let pop = |p: &Pop| {
        let log_s: Vec<T> = p.u.iter().map(|u| T::from_f64(u.unwrap_or(0.0))).collect();
        let s_flags: Vec<u8> = p.u.iter().map(|u| u8::from(u.is_some())).collect();
        let zeta: Vec<T> = p.zeta.iter().map(|&z| T::from_f64(z)).collect();
        let z: Vec<T> = p.z.iter().map(|z| T::from_f64(z.unwrap_or(0.0))).collect();
        let z_flags: Vec<u8> = p.z.iter().map(|z| u8::from(z.is_some())).collect();
        (log_s, s_flags, zeta, z, z_flags)
    };
    let (mut i1, mut i2, mut i3, mut i4, mut i5) = pop(&c.images);
    let (mut t1, mut t2, mut t3, mut t4, mut t5) = pop(&c.texts);
    let mut vi = StateView::new(&mut i1, &mut i2, &mut i3, &mut i4, &mut i5).unwrap();
    let mut vt = StateView::new(&mut t1, &mut t2, &mut t3, &mut t4, &mut t5).unwrap();
    let mut o = Outs::<T>::new(b);
    let (out, scratch) = o.all();
    let params = dpm_core::Directions {
        image: to_t(c.params.image),
        text: to_t(c.params.text),
    };
    let loss = step(
        &s,
        b,
        &c.image_ids,
        &c.text_ids,
        &mut vi,
        &mut vt,
        params,
        out,
        scratch,
    )
    .unwrap();
    let wide = |v: &[T]| v.iter().map(|&x| x.to_f64()).collect::<Vec<_>>();
    // SPEC section 7: no output and no state value is subnormal.
    let normal = |what: &str, v: &[T]| {
        if let Some(k) = v
            .iter()
            .position(|x| *x != T::ZERO && x.abs() < T::MIN_POSITIVE)
        {
            panic!("B={b}: {what}[{k}] = {:e} is subnormal", v[k].to_f64());
        }
    };
    for (what, v) in [("ds", &o.ds), ("w_image", &o.wi), ("w_text", &o.wt)] {
        normal(what, v);
    }
    normal("h_image", &o.hi);
    normal("h_text", &o.ht);
    let loss_v = [loss.total, loss.image_to_text, loss.text_to_image];
    normal("loss", &loss_v);
    for (what, v) in [
        ("image log_s", &i1),
        ("image zeta", &i3),
        ("image z", &i4),
        ("text log_s", &t1),
        ("text zeta", &t3),
        ("text z", &t4),
    ] {
        normal(what, v);
    }
    let mut vi = StateView::new(&mut i1, &mut i2, &mut i3, &mut i4, &mut i5).unwrap();
    let mut vt = StateView::new(&mut t1, &mut t2, &mut t3, &mut t4, &mut t5).unwrap();
    let (vi, vt) = (&mut vi, &mut vt);
    let u = |v: &StateView<'_, T>, ids: &[usize]| {
        ids.iter()
            .map(|&id| v.log_s(id).unwrap().unwrap().to_f64())
            .collect()
    };
    Got {
        loss: [loss.image_to_text.to_f64(), loss.text_to_image.to_f64()],
        u_image: u(vi, &c.image_ids),
        u_text: u(vt, &c.text_ids),
        ds: wide(&o.ds),
        w_image: wide(&o.wi),
        w_text: wide(&o.wt),
        h_image: wide(&o.hi),
        h_text: wide(&o.ht),
    }
}

fn random_case(rng: &mut Rng, b: usize, tau: f64, vanilla: bool) -> Case {
    let n = 40 + 3 * b;
    let s = cosine_scores(rng, b, 16);
    let pop = |rng: &mut Rng| Pop {
        u: (0..n)
            .map(|_| (rng.uniform() < 0.5).then(|| (1.0 / tau) * 0.3 * rng.normal()))
            .collect(),
        zeta: (0..n).map(|_| -0.05 + 0.02 * rng.normal()).collect(),
        z: (0..n)
            .map(|_| (rng.uniform() < 0.5).then(|| rng.normal()))
            .collect(),
    };
    let images = pop(rng);
    let texts = pop(rng);
    let xi = |p: &Pop| p.zeta.iter().fold(0.0_f64, |m, &z| m.max(z));
    let p = |xi: f64| DpmParams {
        tau,
        gamma: 0.8,
        offset: if vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(xi)
        },
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 1e-3,
        }),
        first_visit: FirstVisit::Batch,
    };
    Case {
        b,
        n,
        image_ids: distinct_ids(rng, b, n),
        text_ids: distinct_ids(rng, b, n),
        params: dpm_core::Directions {
            image: p(xi(&texts)),
            text: p(xi(&images)),
        },
        s,
        images,
        texts,
    }
}

/// Checks one run against the f64 reference; returns the worst error /
/// bound.
fn check<T: Real>(c: &Case, got: &Got, what: &str) -> f64 {
    let b = c.b;
    let eps = T::EPSILON.to_f64();
    let tiny = T::MIN_POSITIVE.to_f64();
    // Inputs as the crate saw them (rounded to T), widened.
    let r = |v: f64| T::from_f64(v).to_f64();
    let s: Vec<f64> = c.s.iter().map(|&v| r(v)).collect();
    let pick = |p: &Pop, ids: &[usize]| -> (Vec<f64>, Vec<Option<f64>>) {
        ids.iter()
            .map(|&id| (r(p.zeta[id]), p.u[id].map(r)))
            .unzip()
    };
    let (zt, _) = pick(&c.texts, &c.text_ids);
    let (zi, _) = pick(&c.images, &c.image_ids);
    let (_, ui) = pick(&c.images, &c.image_ids);
    let (_, ut) = pick(&c.texts, &c.text_ids);
    let p = |k: usize| {
        let q = to_t::<T>(if k == 0 {
            c.params.image
        } else {
            c.params.text
        });
        DpmParams {
            tau: q.tau.to_f64(),
            gamma: q.gamma.to_f64(),
            offset: match q.offset {
                Offset::Xi(x) => Offset::Xi(x.to_f64()),
                Offset::Vanilla => Offset::Vanilla,
            },
            zeta_step: None,
            first_visit: q.first_visit,
        }
    };
    let rows = |i: usize, j: usize| s[i * b + j];
    let cols = |j: usize, i: usize| s[i * b + j];
    let d0 = reference(b, c.n, &rows, &zt, &ui, &p(0), eps, tiny);
    let d1 = reference(b, c.n, &cols, &zi, &ut, &p(1), eps, tiny);
    let mut worst = 0.0_f64;
    let mut cmp = |name: &str, k: usize, g: f64, want: f64, bound: f64| {
        assert!(g.is_finite(), "{what} {name}[{k}] = {g}");
        let err = (g - want).abs();
        let ratio = if err == 0.0 { 0.0 } else { err / bound };
        assert!(
            ratio <= 1.0,
            "{what} B={b} tau={} {name}[{k}]: got {g:e}, want {want:e}, bound {bound:e}",
            c.params.image.tau
        );
        worst = worst.max(ratio);
    };
    for i in 0..b {
        for j in 0..b {
            let k = i * b + j;
            cmp("w_image", k, got.w_image[k], d0.w[k], d0.w_bound[k]);
            let kt = j * b + i; // text anchor j, image candidate i
            cmp("w_text", k, got.w_text[k], d1.w[kt], d1.w_bound[kt]);
            let (g, gb) = if i == j {
                let sum0: f64 = (0..b).map(|c| d0.w[i * b + c]).sum();
                let sum1: f64 = (0..b).map(|c| d1.w[i * b + c]).sum();
                let e0: f64 = (0..b).map(|c| d0.w_bound[i * b + c]).sum();
                let e1: f64 = (0..b).map(|c| d1.w_bound[i * b + c]).sum();
                (
                    -(sum0 + sum1) / b as f64,
                    (e0 + e1) / b as f64 + 8.0 * eps * (sum0 + sum1) / b as f64,
                )
            } else {
                let g = (d0.w[k] + d1.w[kt]) / b as f64;
                (
                    g,
                    (d0.w_bound[k] + d1.w_bound[kt]) / b as f64 + 8.0 * eps * g,
                )
            };
            // Each direction's part of dS is 0 below the smallest normal
            // number (SPEC section 7): the floor applies to each part.
            cmp("ds", k, got.ds[k], g, gb + 2.0 * tiny);
        }
        cmp("u_image", i, got.u_image[i], d0.u[i], d0.u_bound[i]);
        cmp("u_text", i, got.u_text[i], d1.u[i], d1.u_bound[i]);
        cmp("h_text", i, got.h_text[i], d0.h[i], d0.h_bound[i]);
        cmp("h_image", i, got.h_image[i], d1.h[i], d1.h_bound[i]);
    }
    cmp("loss_i2t", 0, got.loss[0], d0.loss, d0.loss_bound + tiny);
    cmp("loss_t2i", 0, got.loss[1], d1.loss, d1.loss_bound + tiny);
    worst
}

fn sweep<T: Real>(seed: u64) {
    let mut rng = Rng::new(seed);
    let mut worst = [0.0_f64; 2];
    for &b in &[2_usize, 3, 9, 17, 64] {
        for &tau in &[0.01, 0.07, 1.0] {
            for vanilla in [false, true] {
                let c = random_case(&mut rng, b, tau, vanilla);
                let simd = run::<T>(&c, dpm_core::dpm_bimodal);
                let scalar = run::<T>(&c, dpm_core::scalar::dpm_bimodal);
                worst[0] = worst[0].max(check::<T>(&c, &simd, "simd"));
                worst[1] = worst[1].max(check::<T>(&c, &scalar, "scalar"));
            }
        }
    }
    println!(
        "{}: worst error / bound: simd {:.3}, scalar {:.3}",
        core::any::type_name::<T>(),
        worst[0],
        worst[1]
    );
}

#[test]
fn simd_and_scalar_within_the_bound_f32() {
    sweep::<f32>(0x0513_df32);
}

#[test]
fn simd_and_scalar_within_the_bound_f64() {
    sweep::<f64>(0x0513_df64);
}

/// The score families of the benches (`family_scores`, d = 128): unrelated
/// pairs (sigma 100) and aligned ones (sigma 1.0 and 0.3), whose positives
/// stand out so far at tau = 0.01 that most exps fall below the smallest
/// normal number and become 0. SIMD and scalar within the bound, nothing
/// subnormal; B = 131 spans lanes, row blocks and a tail.
#[test]
fn score_families_within_the_bound() {
    let mut rng = Rng::new(0xfa41);
    let mut worst = [0.0_f64; 3];
    for sigma in [100.0, 1.0, 0.3] {
        for b in [64, 131] {
            let mut c = random_case(&mut rng, b, 0.01, false);
            c.s = family_scores(&mut rng, b, 128, sigma)
                .into_iter()
                .map(f64::from)
                .collect();
            let simd = run::<f32>(&c, dpm_core::dpm_bimodal);
            worst[0] = worst[0].max(check::<f32>(&c, &simd, "simd f32"));
            // The floor is exercised: on aligned scores many weights are
            // below the smallest normal number, so exactly 0.
            let zero = simd.w_image.iter().filter(|&&w| w == 0.0).count();
            let frac = zero as f64 / (b * b) as f64;
            println!(
                "sigma {sigma}, B = {b}: {:.1}% of the f32 weights are 0",
                100.0 * frac
            );
            if sigma < 10.0 {
                assert!(
                    frac > 0.01,
                    "sigma {sigma}: only {frac} of the weights are 0"
                );
            }
            let scalar = run::<f32>(&c, dpm_core::scalar::dpm_bimodal);
            worst[1] = worst[1].max(check::<f32>(&c, &scalar, "scalar f32"));
            worst[2] = worst[2].max(check::<f64>(
                &c,
                &run::<f64>(&c, dpm_core::dpm_bimodal),
                "simd f64",
            ));
        }
    }
    println!(
        "score families: worst error / bound: simd f32 {:.3}, scalar f32 {:.3}, simd f64 {:.3}",
        worst[0], worst[1], worst[2]
    );
}

/// Batches of many chunks of rows (the SIMD column sums add a chunk of 32
/// rows at a time): SPEC section 7's bound does not grow with `B`, so the
/// compensated sums must not lose `B eps` to rounding.
#[test]
fn large_batches_within_the_bound() {
    let mut rng = Rng::new(0x1a7e_b16b);
    for &b in &[1000_usize, 1024] {
        let c = random_case(&mut rng, b, 0.07, false);
        let worst = check::<f32>(&c, &run::<f32>(&c, dpm_core::dpm_bimodal), "simd");
        println!("B = {b}: worst error / bound {worst:.3}");
    }
}

/// InfoNCE through both engines agrees closely (the golden tests cover its
/// absolute accuracy).
#[test]
fn infonce_engines_agree() {
    let mut rng = Rng::new(99);
    for &b in &[2_usize, 3, 9, 17, 64] {
        let s: Vec<f32> = cosine_scores(&mut rng, b, 16)
            .into_iter()
            .map(|v| v as f32)
            .collect();
        let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
        let mut res = Vec::new();
        for simd in [true, false] {
            let mut ds = vec![0.0_f32; b * b];
            let f = if simd {
                dpm_core::infonce_bimodal
            } else {
                dpm_core::scalar::infonce_bimodal
            };
            let l = f(&s, b, 0.07, BimodalOut::new(&mut ds), &mut scratch).unwrap();
            res.push((l.total, ds));
        }
        let tol = 64.0 * f32::EPSILON;
        assert!(
            (res[0].0 - res[1].0).abs() <= tol * (1.0 + res[1].0.abs()),
            "B={b}"
        );
        for (x, y) in res[0].1.iter().zip(&res[1].1) {
            assert!(
                (x - y).abs() <= tol * (1e-6 + y.abs()) * 1e3,
                "B={b}: {x} vs {y}"
            );
        }
    }
}

/// The kernels' fallback paths: a history far lighter than the batch with
/// a tiny gamma and a large xi, so that `max - log_den > 5` (weights
/// computed directly) and `max - log_dt > 64` (zeta-gradient terms computed
/// directly).
#[test]
fn fallback_paths_within_the_bound() {
    let mut rng = Rng::new(7);
    for &b in &[3_usize, 9, 17, 64, 100] {
        for &tau in &[0.01, 1.0] {
            let mut c = random_case(&mut rng, b, tau, false);
            for p in [&mut c.params.image, &mut c.params.text] {
                p.gamma = 1e-30;
                p.offset = Offset::Xi(1.0);
            }
            for pop in [&mut c.images, &mut c.texts] {
                for u in pop.u.iter_mut() {
                    *u = Some(-40.0 / tau);
                }
            }
            let simd = run::<f32>(&c, dpm_core::dpm_bimodal);
            check::<f32>(&c, &simd, "simd f32 fallback");
            let simd = run::<f64>(&c, dpm_core::dpm_bimodal);
            check::<f64>(&c, &simd, "simd f64 fallback");
        }
    }
}

/// The instruction set the SIMD step ran on: CI runs this suite under
/// `DPM_CORE_ISA=baseline` and `avx2`, and the cap must take effect.
#[test]
fn runs_on_the_instruction_set_asked_for() {
    let isa = dpm_core::__bench::isa();
    println!("SIMD step on {isa}");
    match std::env::var("DPM_CORE_ISA").as_deref() {
        Ok("baseline") => assert_eq!(isa, "baseline"),
        Ok("avx2") => assert!(isa == "avx2+fma" || isa == "baseline", "{isa}"),
        _ => {}
    }
}
