//! The tiled step from features (`embed::dpm_bimodal_tiled`, SPEC
//! sections 2, 3 and 6) against the materialised chain it replaces:
//! `S = X Y^T` stored, the scalar engine's step, `dX = dS Y`,
//! `dY = dS^T X` and the normalisation backward. Bit-identical where the
//! docs promise it (the scalar engine's gradients, `h` and state), the
//! SIMD engine's within a few roundings (SPEC section 7: its first pass
//! rescales the column sums online), the losses within a few rounding
//! errors, the same refusals, and scratch that grows like `B + d`.

// Index loops mirror the formulas; the refusal cases read best as tuples.
#![allow(
    clippy::needless_range_loop,
    clippy::type_complexity,
    clippy::too_many_arguments
)]

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use dpm_core::embed::{
    FeatureOut, Features, TILE, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled,
    infonce_bimodal_tiled, l2_normalize, l2_normalize_backward, scores_backward, scores_forward,
    sogclr_bimodal_tiled,
};
use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Losses, Offset, Real, Scratch, SogClrParams,
    ZetaStep, scalar,
};
use pop::Pop;
use rng::Rng;

/// Both directions' parameters, each with its own tau, gamma and zeta step.
fn params<T: Real>(tau: f64) -> dpm_core::Directions<DpmParams<T>> {
    let p = |tau: f64, gamma: f64, xi: f64| DpmParams {
        tau: T::from_f64(tau),
        gamma: T::from_f64(gamma),
        offset: Offset::Xi(T::from_f64(xi)),
        zeta_step: Some(ZetaStep {
            theta: T::from_f64(0.9),
            eta: T::from_f64(0.05),
        }),
        first_visit: FirstVisit::Batch,
    };
    dpm_core::Directions {
        image: p(tau, 0.8, 0.1),
        text: p(1.5 * tau, 0.6, -0.2),
    }
}

/// Features `b x d`: `y = x + sigma u` entrywise (aligned pairs for a
/// small `sigma`), entries of `x`, `u` uniform in [-1, 1], scaled by
/// `scale` (raw rows of any length).
fn features<T: Real>(
    rng: &mut Rng,
    b: usize,
    d: usize,
    sigma: f64,
    scale: f64,
) -> (Vec<T>, Vec<T>) {
    let x: Vec<f64> = (0..b * d).map(|_| rng.range(-1.0, 1.0)).collect();
    let y: Vec<f64> = x.iter().map(|v| v + sigma * rng.range(-1.0, 1.0)).collect();
    let f = |v: Vec<f64>| v.into_iter().map(|e| T::from_f64(e * scale)).collect();
    (f(x), f(y))
}

/// What a step gives: gradients, h of both populations, both states, losses.
struct Got<T> {
    dx: Vec<T>,
    dy: Vec<T>,
    h: [Vec<T>; 2],
    pops: [Pop<T>; 2],
    losses: Losses<T>,
}

type Ids = (Vec<usize>, Vec<usize>);

/// Which engine: the scalar reference (`dpm_core::scalar`, tiles of
/// `S`) or the SIMD passes (`dpm_core::embed`, panels of `S`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum On {
    Scalar,
    Simd,
}

/// Which step, with its parameters.
#[derive(Clone, Copy, Debug)]
enum Step<T> {
    Dpm(dpm_core::Directions<DpmParams<T>>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

fn tiled<T: Real>(
    on: On,
    x: &[T],
    y: &[T],
    (b, d): (usize, usize),
    kind: Features,
    ids: &Ids,
    mut pops: [Pop<T>; 2],
    step: Step<T>,
) -> Result<Got<T>, Error> {
    let (mut dx, mut dy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
    let (mut hi, mut ht) = (vec![T::ZERO; b], vec![T::ZERO; b]);
    let len = match on {
        On::Scalar => scalar::scratch_len(dpm_core::Scratch::Tiled { b, d }),
        On::Simd => dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d }),
    };
    let mut scratch = vec![T::ZERO; len];
    let [pi, pt] = &mut pops;
    let out = TiledOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..TiledOut::new(&mut dx, &mut dy)
    };
    let (iv, tv, sc) = (&mut pi.view(), &mut pt.view(), &mut scratch);
    let (i, t) = (&ids.0, &ids.1);
    let losses = match (on, step) {
        (On::Simd, Step::Dpm(p)) => dpm_bimodal_tiled(x, y, b, d, kind, i, t, iv, tv, p, out, sc),
        (On::Simd, Step::SogClr(p)) => sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            kind,
            i,
            t,
            iv,
            tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (On::Simd, Step::InfoNce(tau)) => infonce_bimodal_tiled(x, y, b, d, kind, tau, out, sc),
        (On::Scalar, Step::Dpm(p)) => {
            scalar::dpm_bimodal_tiled(x, y, b, d, kind, i, t, iv, tv, p, out, sc)
        }
        (On::Scalar, Step::SogClr(p)) => scalar::sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            kind,
            i,
            t,
            iv,
            tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (On::Scalar, Step::InfoNce(tau)) => {
            scalar::infonce_bimodal_tiled(x, y, b, d, kind, tau, out, sc)
        }
    }?;
    Ok(Got {
        dx,
        dy,
        h: [hi, ht],
        pops,
        losses,
    })
}

/// The materialised chain from the public building blocks, on the
/// scalar engine: normalise, `S` (flushed below the smallest normal
/// number, as the steps from features do), the step, the backward
/// products, the normalisation's backward, the flush.
fn chain<T: Real>(
    on: On,
    x: &[T],
    y: &[T],
    (b, d): (usize, usize),
    kind: Features,
    ids: &Ids,
    mut pops: [Pop<T>; 2],
    step: Step<T>,
) -> Got<T> {
    let unit = |v: &[T]| match kind {
        Features::Raw => {
            let (mut u, mut n) = (vec![T::ZERO; b * d], vec![T::ZERO; b]);
            l2_normalize(v, b, d, &mut u, &mut n).unwrap();
            u
        }
        Features::Normalized => v.to_vec(),
    };
    let (xn, yn) = (unit(x), unit(y));
    let mut s = vec![T::ZERO; b * b];
    match on {
        On::Simd => scores_forward(&xn, &yn, b, b, d, &mut s).unwrap(),
        On::Scalar => plain_scores(&xn, &yn, (b, d), &mut s),
    }
    let flush = |v: T| {
        if v.abs() < T::MIN_POSITIVE {
            T::ZERO
        } else {
            v
        }
    };
    s.iter_mut().for_each(|v| *v = flush(*v));
    let (mut ds, mut hi, mut ht) = (vec![T::ZERO; b * b], vec![T::ZERO; b], vec![T::ZERO; b]);
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let [pi, pt] = &mut pops;
    let out = BimodalOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..BimodalOut::new(&mut ds)
    };
    let (iv, tv, sc) = (&mut pi.view(), &mut pt.view(), &mut scratch);
    let losses = match step {
        Step::Dpm(p) => match on {
            On::Scalar => scalar::dpm_bimodal(&s, ids.0.len(), &ids.0, &ids.1, iv, tv, p, out, sc),
            On::Simd => dpm_core::dpm_bimodal(&s, ids.0.len(), &ids.0, &ids.1, iv, tv, p, out, sc),
        },
        Step::SogClr(p) => match on {
            On::Scalar => scalar::sogclr_bimodal(
                &s,
                ids.0.len(),
                &ids.0,
                &ids.1,
                iv,
                tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
            On::Simd => dpm_core::sogclr_bimodal(
                &s,
                ids.0.len(),
                &ids.0,
                &ids.1,
                iv,
                tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
        },
        Step::InfoNce(tau) => match on {
            On::Scalar => scalar::infonce_bimodal(&s, b, tau, out, sc),
            On::Simd => dpm_core::infonce_bimodal(&s, b, tau, out, sc),
        },
    }
    .unwrap();
    let (mut gx, mut gy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
    match on {
        On::Simd => scores_backward(&ds, &xn, &yn, b, b, d, &mut gx, &mut gy).unwrap(),
        On::Scalar => plain_backward(&ds, &xn, &yn, (b, d), (&mut gx, &mut gy)),
    }
    let (mut dx, mut dy) = (gx.clone(), gy.clone());
    if kind == Features::Raw {
        l2_normalize_backward(x, &gx, b, d, &mut dx).unwrap();
        l2_normalize_backward(y, &gy, b, d, &mut dy).unwrap();
    }
    dx.iter_mut().for_each(|v| *v = flush(*v));
    dy.iter_mut().for_each(|v| *v = flush(*v));
    Got {
        dx,
        dy,
        h: [hi, ht],
        pops,
        losses,
    }
}

/// `S = X Y^T` as the scalar engine computes it: each score's terms in
/// index order, a rounded product then a rounded sum (no fused step).
fn plain_scores<T: Real>(x: &[T], y: &[T], (b, d): (usize, usize), s: &mut [T]) {
    for i in 0..b {
        for j in 0..b {
            let mut acc = T::ZERO;
            for k in 0..d {
                acc += x[i * d + k] * y[j * d + k];
            }
            s[i * b + j] = acc;
        }
    }
}

/// `dX = G Y`, `dY = G^T X` as the scalar engine computes them: each
/// element's terms in row order, a rounded product then a rounded sum.
fn plain_backward<T: Real>(
    g: &[T],
    x: &[T],
    y: &[T],
    (b, d): (usize, usize),
    (dx, dy): (&mut [T], &mut [T]),
) {
    for i in 0..b {
        for j in 0..b {
            for k in 0..d {
                dx[i * d + k] += g[i * b + j] * y[j * d + k];
                dy[j * d + k] += g[i * b + j] * x[i * d + k];
            }
        }
    }
}

fn bits<T: Real>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| x.to_f64().to_bits()).collect()
}

/// Rows per chunk of the SIMD tiled step's online first pass
/// (`src/kernel/online.rs`): up to one chunk no column sum is rescaled.
const CHUNK: usize = 24;

/// `dx`, `dy`, `h` and the state of `got` against `want`: bit for bit on
/// the scalar engine and for one chunk of rows; else (SPEC section 7,
/// the SIMD step's online column sums: a few roundings per rescale)
/// every value within `64 eps` of the largest of its vector (`dx`,
/// `dy`: sums of signed terms) or of `1 + |value|` (`h`, `u`, `zeta`,
/// `z`), and the state's flags equal.
fn agree<T: Real>(on: On, b: usize, got: &Got<T>, want: &Got<T>, case: &str) {
    if on == On::Scalar || b <= CHUNK {
        assert_eq!(bits(&got.dx), bits(&want.dx), "dx: {case}");
        assert_eq!(bits(&got.dy), bits(&want.dy), "dy: {case}");
        for k in 0..2 {
            assert_eq!(bits(&got.h[k]), bits(&want.h[k]), "h[{k}]: {case}");
            assert_eq!(got.pops[k].bits(), want.pops[k].bits(), "state {k}: {case}");
        }
        return;
    }
    let tol = 64.0 * T::EPSILON.to_f64();
    let close = |g: &[T], w: &[T], what: &str, scaled: bool| {
        let top = w.iter().fold(0.0_f64, |m, &v| m.max(Real::to_f64(v).abs()));
        for (k, (&a, &e)) in g.iter().zip(w).enumerate() {
            let (a, e) = (Real::to_f64(a), Real::to_f64(e));
            let bound = tol * if scaled { top } else { 1.0 + e.abs() };
            assert!(
                (a - e).abs() <= bound,
                "{what}[{k}]: {a:e} vs {e:e}: {case}"
            );
        }
    };
    close(&got.dx, &want.dx, "dx", true);
    close(&got.dy, &want.dy, "dy", true);
    for k in 0..2 {
        close(&got.h[k], &want.h[k], "h", false);
        let (g, w) = (&got.pops[k], &want.pops[k]);
        close(&g.log_s, &w.log_s, "u", false);
        close(&g.zeta, &w.zeta, "zeta", false);
        close(&g.z, &w.z, "z", false);
        assert_eq!(g.s_flags, w.s_flags, "u flags: {case}");
        assert_eq!(g.z_flags, w.z_flags, "z flags: {case}");
    }
}

/// Random ids and states: about half visited, zeta spread.
fn setup<T: Real>(rng: &mut Rng, b: usize) -> (Ids, [Pop<T>; 2]) {
    let n = 2 * b + 3;
    let ids = (rng.distinct(b, n), rng.distinct(b, n));
    (ids, [Pop::random(rng, n), Pop::random(rng, n)])
}

fn same_as_the_chain<T: Real>(on: On, seed: u64) {
    let mut rng = Rng::new(seed);
    let eps = T::EPSILON.to_f64();
    for (b, d) in [
        (2, 1),
        (3, 5),
        (TILE, 8),
        (TILE + 1, 3),
        (2 * TILE + 7, 16),
        (40, 1),
        // Past the SIMD engine's first panel of 96 rows.
        (101, 4),
    ] {
        for kind in [Features::Raw, Features::Normalized] {
            if kind == Features::Raw && d == 0 {
                continue;
            }
            for (sigma, tau) in [(100.0, 0.1), (1.0, 0.02), (0.3, 0.01)] {
                let (x, y) = features::<T>(&mut rng, b, d, sigma, 3.0);
                let (x, y) = match kind {
                    Features::Raw => (x, y),
                    // Rows of unit length, as normalised features are.
                    Features::Normalized => {
                        let mut u = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
                        let mut n = vec![T::ZERO; b];
                        if d > 0 {
                            l2_normalize(&x, b, d, &mut u.0, &mut n).unwrap();
                            l2_normalize(&y, b, d, &mut u.1, &mut n).unwrap();
                        }
                        u
                    }
                };
                let (ids, pops) = setup::<T>(&mut rng, b);
                let p = params::<T>(tau);
                let want = chain(on, &x, &y, (b, d), kind, &ids, pops.clone(), Step::Dpm(p));
                let got = tiled(on, &x, &y, (b, d), kind, &ids, pops, Step::Dpm(p)).unwrap();
                let case = format!("{on:?}, b {b}, d {d}, {kind:?}, sigma {sigma}, tau {tau}");
                agree(on, b, &got, &want, &case);
                // The same terms, summed in another order: each direction's
                // loss within b^2 eps of the largest it could be (weights
                // of a row sum to at most 1 / gamma, gaps at most 2 max|S|).
                let (gl, wl) = (got.losses, want.losses);
                for (g, w) in [
                    (gl.image_to_text, wl.image_to_text),
                    (gl.text_to_image, wl.text_to_image),
                ] {
                    let (g, w) = (g.to_f64(), w.to_f64());
                    #[allow(clippy::cast_precision_loss)]
                    let tol = 4.0 * (b * b) as f64 * eps * 2.0 / 0.6;
                    assert!((g - w).abs() <= tol, "loss {g:e} vs {w:e}: {case}");
                }
            }
        }
    }
}

#[test]
fn tiled_matches_the_stored_chain_in_f64() {
    same_as_the_chain::<f64>(On::Scalar, 1);
    same_as_the_chain::<f64>(On::Simd, 11);
}

#[test]
fn tiled_matches_the_stored_chain_in_f32() {
    same_as_the_chain::<f32>(On::Scalar, 2);
    same_as_the_chain::<f32>(On::Simd, 12);
}

/// Scores that grow down the batch (features given as normalised but
/// longer row after row, up to 2^6): each chunk of the SIMD step's first
/// pass raises the largest `|S|` and the columns' maxima, so the loss
/// sums so far are rescaled to a new `sigma` and the column sums to new
/// maxima. Still within [`agree`]'s bound of the stored chain, the loss
/// within its bound scaled by the largest gap.
fn growing_scores<T: Real>(seed: u64) {
    let mut rng = Rng::new(seed);
    let (b, d) = (4 * CHUNK + 5, 8);
    let (x, y) = features::<f64>(&mut rng, b, d, 1.0, 1.0);
    let unit = |v: &[f64]| {
        let n = v.iter().map(|e| e * e).sum::<f64>().sqrt();
        v.iter().map(|e| e / n).collect::<Vec<_>>()
    };
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..b {
        #[allow(clippy::cast_precision_loss)]
        let g = 2.0_f64.powf(i as f64 / 16.0);
        xs.extend(
            unit(&x[i * d..(i + 1) * d])
                .iter()
                .map(|&e| T::from_f64(e * g)),
        );
        ys.extend(unit(&y[i * d..(i + 1) * d]).iter().map(|&e| T::from_f64(e)));
    }
    let (ids, pops) = setup::<T>(&mut rng, b);
    let p = params::<T>(0.5);
    let kind = Features::Normalized;
    let want = chain(
        On::Simd,
        &xs,
        &ys,
        (b, d),
        kind,
        &ids,
        pops.clone(),
        Step::Dpm(p),
    );
    let got = tiled(On::Simd, &xs, &ys, (b, d), kind, &ids, pops, Step::Dpm(p)).unwrap();
    agree(On::Simd, b, &got, &want, "growing scores");
    let (g, w) = (got.losses, want.losses);
    for (g, w) in [
        (g.image_to_text, w.image_to_text),
        (g.text_to_image, w.text_to_image),
    ] {
        let (g, w) = (g.to_f64(), w.to_f64());
        #[allow(clippy::cast_precision_loss)]
        let tol = 4.0 * (b * b) as f64 * T::EPSILON.to_f64() * 2.0 * 64.0 / 0.6;
        assert!((g - w).abs() <= tol, "loss {g:e} vs {w:e}");
    }
}

#[test]
fn tiled_rescales_when_later_rows_score_higher() {
    growing_scores::<f64>(21);
    growing_scores::<f32>(22);
}

/// Against the SIMD step from features (another engine, another order of
/// sums): close, on aligned and unrelated pairs.
#[test]
fn tiled_is_close_to_the_simd_step_from_features() {
    let mut rng = Rng::new(3);
    let (b, d) = (70, 24);
    for (sigma, tau) in [(100.0, 0.1), (1.0, 0.01), (0.3, 0.01)] {
        let (x, y) = features::<f32>(&mut rng, b, d, sigma, 2.0);
        let (ids, pops) = setup::<f32>(&mut rng, b);
        let p = params::<f32>(tau);
        let got = tiled(
            On::Simd,
            &x,
            &y,
            (b, d),
            Features::Raw,
            &ids,
            pops.clone(),
            Step::Dpm(p),
        )
        .unwrap();
        let mut pops = pops;
        let (mut s, mut ds, mut dx, mut dy) = (
            vec![0.0; b * b],
            vec![0.0; b * b],
            vec![0.0; b * d],
            vec![0.0; b * d],
        );
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
        let [pi, pt] = &mut pops;
        let want = dpm_bimodal_from_features(
            &x,
            &y,
            b,
            d,
            Features::Raw,
            &ids.0,
            &ids.1,
            &mut pi.view(),
            &mut pt.view(),
            p,
            FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy),
            &mut scratch,
        )
        .unwrap();
        for (g, w) in [(&got.dx, &dx), (&got.dy, &dy)] {
            let scale = w.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
            for (a, e) in g.iter().zip(w.iter()) {
                assert!(
                    (a - e).abs() <= 1e-4 * scale,
                    "sigma {sigma}: {a:e} vs {e:e}"
                );
            }
        }
        let (g, w) = (got.losses.total, want.total);
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "sigma {sigma}: {g} vs {w}"
        );
        for k in 0..2 {
            for (a, e) in got.pops[k].log_s.iter().zip(&pops[k].log_s) {
                assert!((a - e).abs() <= 1e-4 * (1.0 + e.abs()), "u: {a} vs {e}");
            }
        }
    }
}

/// Every refusal of the step from features, with the same error, and
/// nothing written but scratch; and the tiled step's own length checks.
#[test]
fn tiled_refuses_what_the_stored_step_refuses_and_writes_nothing() {
    let (b, d) = (4, 3);
    let mut rng = Rng::new(4);
    let (x, y) = features::<f64>(&mut rng, b, d, 1.0, 1.0);
    let (ids, pops) = setup::<f64>(&mut rng, b);
    let p = params::<f64>(0.1);
    let mut zero_row = x.clone();
    zero_row[d..2 * d].fill(0.0);
    let mut nan = y.clone();
    nan[5] = f64::NAN;
    let mut huge = x.clone();
    huge[0] = f64::MAX / 2.0;
    let mut tiny = x.clone();
    tiny[..d].fill(1e-306);
    let mut bad_tau = p;
    bad_tau.text.tau = 0.0;
    let mut tiny_tau = p;
    tiny_tau.image.tau = 1e-300;
    let n = pops[0].zeta.len();
    let mut dup = ids.clone();
    dup.0[3] = dup.0[0];
    let mut far = ids.clone();
    far.1[2] = n;
    let mut bad_state = pops.clone();
    bad_state[1].zeta[ids.1[1]] = f64::INFINITY;
    // Ids not `b` long (the stored step takes its batch size from
    // `image_ids`: it must check them against `b` first, as the tiled one).
    let mut one_image = ids.clone();
    one_image.0.truncate(1);
    let mut long_text = ids.clone();
    long_text.1.push(n - 1);
    // Subnormal scores, flushed to 0, refused with a tiny tau.
    let sub = vec![1e-160_f64; b * d];
    let cases: Vec<(
        &str,
        &[f64],
        &[f64],
        Features,
        &Ids,
        [Pop<f64>; 2],
        dpm_core::Directions<DpmParams<f64>>,
    )> = vec![
        (
            "zero row",
            &zero_row,
            &y,
            Features::Raw,
            &ids,
            pops.clone(),
            p,
        ),
        ("nan", &x, &nan, Features::Raw, &ids, pops.clone(), p),
        ("huge", &huge, &y, Features::Raw, &ids, pops.clone(), p),
        (
            "huge normalised",
            &huge,
            &y,
            Features::Normalized,
            &ids,
            pops.clone(),
            p,
        ),
        (
            "tiny raw row",
            &tiny,
            &y,
            Features::Raw,
            &ids,
            pops.clone(),
            p,
        ),
        ("tau", &x, &y, Features::Raw, &ids, pops.clone(), bad_tau),
        (
            "flushed, tiny tau",
            &sub,
            &sub,
            Features::Normalized,
            &ids,
            pops.clone(),
            tiny_tau,
        ),
        ("duplicate", &x, &y, Features::Raw, &dup, pops.clone(), p),
        ("out of range", &x, &y, Features::Raw, &far, pops.clone(), p),
        ("state", &x, &y, Features::Raw, &ids, bad_state, p),
        (
            "one image id",
            &x,
            &y,
            Features::Raw,
            &one_image,
            pops.clone(),
            p,
        ),
        (
            "long text ids",
            &x,
            &y,
            Features::Raw,
            &long_text,
            pops.clone(),
            p,
        ),
    ];
    for (name, x, y, kind, ids, pops, p) in cases {
        let before: Vec<Vec<u64>> = pops.iter().map(Pop::bits).collect();
        // The stored step's answer.
        let mut stored = pops.clone();
        let (mut s, mut ds, mut dx, mut dy) = (
            vec![7.0; b * b],
            vec![7.0; b * b],
            vec![7.0; b * d],
            vec![7.0; b * d],
        );
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
        let [pi, pt] = &mut stored;
        let want = dpm_bimodal_from_features(
            x,
            y,
            b,
            d,
            kind,
            &ids.0,
            &ids.1,
            &mut pi.view(),
            &mut pt.view(),
            p,
            FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy),
            &mut scratch,
        )
        .expect_err(name);
        // The tiled step's, with outputs that must stay 7.
        let mut pops = pops;
        let (mut dx, mut dy, mut h) = (vec![7.0; b * d], vec![7.0; b * d], vec![7.0; b]);
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
        let [pi, pt] = &mut pops;
        let out = TiledOut {
            h_text: Some(&mut h),
            ..TiledOut::new(&mut dx, &mut dy)
        };
        let got = dpm_bimodal_tiled(
            x,
            y,
            b,
            d,
            kind,
            &ids.0,
            &ids.1,
            &mut pi.view(),
            &mut pt.view(),
            p,
            out,
            &mut scratch,
        );
        assert_eq!(got, Err(want), "{name}");
        assert!(
            dx.iter().chain(&dy).chain(&h).all(|&v| v == 7.0),
            "{name}: written"
        );
        let after: Vec<Vec<u64>> = pops.iter().map(Pop::bits).collect();
        assert_eq!(after, before, "{name}: state moved");
    }
}

/// Lengths the tiled step checks itself: each refused with its name.
#[test]
fn tiled_checks_every_length() {
    let (b, d) = (3, 2);
    let x = vec![0.5_f32; b * d];
    let mut rng = Rng::new(5);
    let (ids, mut pops) = setup::<f32>(&mut rng, b);
    let p = params::<f32>(0.1);
    let need = dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d });
    let cases: [(&str, usize, usize, usize, usize, usize, Error); 6] = [
        (
            "scratch",
            b * d,
            b,
            b,
            b,
            need - 1,
            Error::LengthMismatch {
                what: "scratch",
                expected: need,
                found: need - 1,
            },
        ),
        (
            "dx",
            b * d - 1,
            b,
            b,
            b,
            need,
            Error::LengthMismatch {
                what: "dx",
                expected: b * d,
                found: b * d - 1,
            },
        ),
        (
            "h_text",
            b * d,
            b - 1,
            b,
            b,
            need,
            Error::LengthMismatch {
                what: "h_text",
                expected: b,
                found: b - 1,
            },
        ),
        (
            "image_ids",
            b * d,
            b,
            b - 1,
            b,
            need,
            Error::LengthMismatch {
                what: "image_ids",
                expected: b,
                found: b - 1,
            },
        ),
        (
            "text_ids",
            b * d,
            b,
            b,
            b + 1,
            need,
            Error::LengthMismatch {
                what: "text_ids",
                expected: b,
                found: b + 1,
            },
        ),
        (
            "b < 2",
            b * d,
            b,
            b,
            b,
            need,
            Error::BatchTooSmall { len: 1 },
        ),
    ];
    for (name, dx_len, h_len, ni, nt, scratch_len, want) in cases {
        let bb = if name == "b < 2" { 1 } else { b };
        let (mut dx, mut dy, mut h) = (vec![7.0; dx_len], vec![7.0; b * d], vec![7.0; h_len]);
        let mut scratch = vec![0.0; scratch_len];
        let [pi, pt] = &mut pops;
        let out = TiledOut {
            h_text: Some(&mut h),
            ..TiledOut::new(&mut dx, &mut dy)
        };
        let got = dpm_bimodal_tiled(
            &x,
            &x,
            bb,
            d,
            Features::Raw,
            &ids.0[..ni.min(b)]
                .iter()
                .copied()
                .chain(ids.0.iter().copied())
                .take(ni)
                .collect::<Vec<_>>(),
            &ids.1.iter().copied().cycle().take(nt).collect::<Vec<_>>(),
            &mut pi.view(),
            &mut pt.view(),
            p,
            out,
            &mut scratch,
        );
        assert_eq!(got, Err(want), "{name}");
        assert!(
            dx.iter().chain(&dy).chain(&h).all(|&v| v == 7.0),
            "{name}: written"
        );
    }
}

/// The scratch formulas, no `b^2` term, saturating: the scalar engine's
/// `23 b + 2 TILE d`; on SIMD targets the stored step's workspace (`32
/// b`), two panels of `96 x b` and the normalised features (`2 b d`).
#[test]
fn tiled_scratch_grows_like_b_plus_d() {
    let lanes = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 1 }) == 32;
    for (len, per_b, per_d, per_bd) in [
        (
            (|b, d| scalar::scratch_len(Scratch::Tiled { b, d })) as fn(usize, usize) -> usize,
            23,
            2 * TILE,
            0,
        ),
        (
            |b, d| dpm_core::scratch_len(Scratch::Tiled { b, d }),
            if lanes { 224 } else { 23 },
            if lanes { 0 } else { 2 * TILE },
            if lanes { 2 } else { 0 },
        ),
    ] {
        for (b, d) in [
            (2_usize, 0_usize),
            (64, 3),
            (4096, 128),
            (1 << 20, 64),
            (33, 5),
        ] {
            // With lanes, `Y^T` packed in stripes of 32 columns.
            let packed = if per_bd > 0 {
                b.div_ceil(32) * 32 * d
            } else {
                0
            };
            assert_eq!(
                len(b, d),
                per_b * b + per_d * d + per_bd * b * d + packed,
                "b {b}, d {d}"
            );
        }
        assert_eq!(len(usize::MAX, 1), usize::MAX);
        assert_eq!(len(1, usize::MAX), usize::MAX);
        // Against the stored step: 18.0 M elements at b = 4096, d = 128
        // (2.49 M here).
        assert!(
            dpm_core::scratch_len(dpm_core::Scratch::Features { b: 4096, d: 128 })
                > 7 * len(4096, 128)
        );
    }
    assert_eq!(
        scalar::scratch_len(dpm_core::Scratch::Tiled { b: 4096, d: 128 }),
        102_400
    );
}

/// SogCLR's and InfoNCE's tiled twins against their stored chains: `dx`,
/// `dy` and the state as [`agree`] says, `h` left untouched, and
/// InfoNCE's loss bit-identical where the rest is (its terms are per
/// anchor, summed in anchor order both ways).
fn twins_same_as_the_chain<T: Real>(on: On, seed: u64) {
    let mut rng = Rng::new(seed);
    let tau = T::from_f64(0.05);
    let sogclr = Step::SogClr(SogClrParams {
        tau,
        gamma: T::from_f64(0.7),
        first_visit: FirstVisit::ZeroHistory,
    });
    for (b, d) in [(2, 3), (TILE + 1, 5), (2 * TILE + 7, 8)] {
        for step in [sogclr, Step::InfoNce(tau)] {
            let (x, y) = features::<T>(&mut rng, b, d, 1.0, 2.0);
            let (ids, pops) = setup::<T>(&mut rng, b);
            let want = chain(on, &x, &y, (b, d), Features::Raw, &ids, pops.clone(), step);
            let got = tiled(on, &x, &y, (b, d), Features::Raw, &ids, pops, step).unwrap();
            let case = format!("{on:?}, {step:?}, b {b}, d {d}");
            for k in 0..2 {
                assert!(got.h[k].iter().all(|&v| v == T::ZERO), "h written: {case}");
            }
            agree(on, b, &got, &want, &case);
            let (g, w) = (got.losses.total.to_f64(), want.losses.total.to_f64());
            if let (Step::InfoNce(_), true) = (step, on == On::Scalar || b <= CHUNK) {
                assert_eq!(g.to_bits(), w.to_bits(), "loss: {case}");
            } else {
                #[allow(clippy::cast_precision_loss)]
                let tol = 4.0 * (b * b) as f64 * T::EPSILON.to_f64() * 2.0 / 0.7;
                assert!((g - w).abs() <= tol, "loss {g:e} vs {w:e}: {case}");
            }
        }
    }
}

#[test]
fn sogclr_and_infonce_twins_match_their_stored_chains() {
    for on in [On::Scalar, On::Simd] {
        twins_same_as_the_chain::<f64>(on, 6);
        twins_same_as_the_chain::<f32>(on, 7);
    }
}

/// Found by an adversarial review of the tiled steps: InfoNCE's `dS`
/// carries `1 / tau`, which the gradient checks left out (they bounded
/// `dS` by `2 / gamma` with gamma = 1), so a tiny tau with tiny raw rows
/// or lopsided features returned `Ok` with infinite or NaN `dx`, `dy`.
/// Now refused, as the stored chain's own checks refuse them.
#[test]
fn infonce_tiled_refuses_gradients_that_would_overflow() {
    fn run<T: Real>(
        x: &[f64],
        y: &[f64],
        d: usize,
        kind: Features,
        tau: f64,
    ) -> Result<Losses<T>, Error> {
        let (x, y): (Vec<T>, Vec<T>) = (
            x.iter().map(|&v| T::from_f64(v)).collect(),
            y.iter().map(|&v| T::from_f64(v)).collect(),
        );
        let b = x.len() / d;
        let (mut dx, mut dy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
        let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
        let out = TiledOut::new(&mut dx, &mut dy);
        let r = infonce_bimodal_tiled(&x, &y, b, d, kind, T::from_f64(tau), out, &mut scratch);
        if r.is_ok() {
            assert!(
                dx.iter().chain(&dy).all(|v| v.is_finite()),
                "Ok with non-finite dx, dy"
            );
        }
        r
    }
    let raw = ([1e-20, 2e-20, -1e-20, 3e-20], [2e-20, 1e-20, 1e-20, -3e-20]);
    let out = |r: Result<Losses<f32>, Error>| r.err();
    assert_eq!(
        out(run::<f32>(
            &[1e-37, -1e-37],
            &[1e3, 2e3],
            1,
            Features::Normalized,
            2e-38
        )),
        Some(Error::OutOfRange { what: "dx" })
    );
    assert_eq!(
        out(run::<f32>(&raw.0, &raw.1, 2, Features::Raw, 1e-30)),
        Some(Error::OutOfRange { what: "dv" })
    );
    let scaled = |v: [f64; 4]| v.map(|e| e * 1e-180);
    let r = run::<f64>(&scaled(raw.0), &scaled(raw.1), 2, Features::Raw, 1e-300);
    assert_eq!(r.err(), Some(Error::OutOfRange { what: "dv" }));
    let r = run::<f64>(
        &[1e-307, -1e-307],
        &[1e3, 2e3],
        1,
        Features::Normalized,
        3e-308,
    );
    assert_eq!(r.err(), Some(Error::OutOfRange { what: "dx" }));
    // Friendly values still pass.
    assert!(
        run::<f32>(
            &raw.0.map(|v| v * 1e20),
            &raw.1.map(|v| v * 1e20),
            2,
            Features::Raw,
            0.05
        )
        .is_ok()
    );
}

/// Found by the same review: with several faults, the tiled step named
/// its own length check (h) where the stored step names the features;
/// the checks now run in the stored step's order. And `d = 0` with
/// normalised features is refused: every score would be 0 and the passes
/// would visit `b^2` entries reading no data (20 s at b = 20,000).
#[test]
fn tiled_names_the_fault_the_stored_step_names_and_refuses_d_zero() {
    let (b, d) = (2, 2);
    let mut rng = Rng::new(9);
    let (mut x, y) = features::<f64>(&mut rng, b, d, 1.0, 1.0);
    x[0] = f64::NAN;
    let (ids, pops) = setup::<f64>(&mut rng, b);
    let p = params::<f64>(0.1);
    let run = |x: &[f64], y: &[f64], d: usize, kind: Features, h_len: usize| {
        let mut pops = pops.clone();
        let [pi, pt] = &mut pops;
        let (mut dx, mut dy, mut h) = (vec![0.0; b * d], vec![0.0; b * d], vec![0.0; h_len]);
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
        let out = TiledOut {
            h_text: Some(&mut h),
            ..TiledOut::new(&mut dx, &mut dy)
        };
        dpm_bimodal_tiled(
            x,
            y,
            b,
            d,
            kind,
            &ids.0,
            &ids.1,
            &mut pi.view(),
            &mut pt.view(),
            p,
            out,
            &mut scratch,
        )
    };
    assert_eq!(
        run(&x, &y, d, Features::Raw, 3).err(),
        Some(Error::NonFinite {
            what: "x",
            index: 0
        })
    );
    assert_eq!(
        run(&[], &[], 0, Features::Normalized, b).err(),
        Some(Error::InvalidParameter { what: "d" })
    );
    assert_eq!(
        run(&[], &[], 0, Features::Raw, b).err(),
        Some(Error::ZeroNorm { what: "x", row: 0 })
    );
    // At a size where visiting b^2 entries would take long, at once.
    let big = 1 << 20;
    let mut scratch =
        vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: big, d: 0 })];
    let r = dpm_core::embed::infonce_bimodal_tiled(
        &[],
        &[],
        big,
        0,
        Features::Normalized,
        1.0,
        TiledOut::new(&mut [], &mut []),
        &mut scratch,
    );
    assert_eq!(r.err(), Some(Error::InvalidParameter { what: "d" }));
}
