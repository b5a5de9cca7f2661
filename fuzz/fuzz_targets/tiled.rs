//! The tiled steps from features (`embed::{dpm,sogclr,infonce}_bimodal_tiled`)
//! against the stored steps, on arbitrary inputs over the whole finite
//! domain (any f32 feature, parameter and state value; B up to 64, and
//! 160 with the parallel twin; d up to 32; raw and normalised), in f32
//! and in f64:
//!
//! - DPM refuses exactly what `dpm_bimodal_from_features` refuses, with
//!   the same error (and `d = 0` with normalised features, which it
//!   documents); every refusal writes no output and no state;
//! - accepted, every output is finite and normal (or 0), and `dx`, `dy`,
//!   `h` and the state agree with the stored chain on the same engine:
//!   bit for bit on the scalar engine (the scalar tiles of
//!   `dpm_core::scalar` against the scalar step) and on the SIMD engine
//!   up to one chunk of rows (24; the loss too); beyond that the SIMD
//!   step's online first pass rescales column sums, and every value is
//!   within `max(1024, 64 cond) eps` (`Tol`: SPEC section 7's bound is
//!   condition-aware) of its vector's largest magnitude (`dx`, `dy`) or
//!   of `1 + |value|` (`h`, `u`, `zeta`, `z`), plus `4 MIN_POSITIVE`
//!   (SPEC section 7): `S` from the normalised rows, flushed,
//!   `scalar::dpm_bimodal`, `scores_backward`, the normalisation's
//!   backward, flushed (where the chain's own building blocks accept the
//!   step's values), and likewise for the SogCLR and InfoNCE twins
//!   against `scalar::{sogclr,infonce}_bimodal`; the loss is within a few
//!   rounding errors of it;
//! - on the SIMD engine, when `par` is drawn, the parallel twins
//!   (`par::*_tiled`, rayon's global pool) give the serial step's result
//!   bit for bit, or its error with nothing written.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::embed::{
    FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled, l2_normalize,
    l2_normalize_backward, scores_backward, scores_forward,
};
use dpm_core::embed::{infonce_bimodal_tiled, sogclr_bimodal_tiled};
use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Losses, Offset, Real, SogClrParams, ZetaStep, scalar,
};
use dpm_core_fuzz::{Parts, Pop, Scalar, all_finite, cyclic, widen};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    d: u8,
    n: u8,
    raw: bool,
    f64: bool,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi: Scalar,
    vanilla: bool,
    zeta_step: bool,
    /// 0: DPM, 1: SogCLR, 2: InfoNCE (modulo 3).
    loss: u8,
    /// The SIMD passes on panels (`embed`), else the scalar engine's
    /// tiles (`scalar`).
    simd: bool,
    /// With `simd`, the parallel twin as well (`par`).
    par: bool,
    /// Features and state values, reused cyclically.
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
}

const SENTINEL: f64 = -7.0;

/// Which step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Dpm,
    SogClr,
    InfoNce,
}

/// One problem in `T`.
struct Case<T> {
    kind: Kind,
    simd: bool,
    par: bool,
    x: Vec<T>,
    y: Vec<T>,
    b: usize,
    d: usize,
    features: Features,
    ids: (Vec<usize>, Vec<usize>),
    pops: [Pop<T>; 2],
    p: dpm_core::Directions<DpmParams<T>>,
}

/// What the tiled step gave, accepted.
struct Got<T> {
    dx: Vec<T>,
    dy: Vec<T>,
    h: [Vec<T>; 2],
    pops: [Pop<T>; 2],
    losses: Losses<T>,
}

fuzz_target!(|inp: Input| {
    // B up to 160 for the parallel twin (and the serial step it is held
    // to): past the first panel of 96 rows.
    let rows = if inp.simd && inp.par { 161 } else { 65 };
    let (b, d) = (usize::from(inp.b) % rows, usize::from(inp.d % 33));
    let n = usize::from(inp.n);
    let id = |k: usize| inp.ids.get(k).map_or(k, |&v| usize::from(v));
    let p = DpmParams {
        tau: inp.tau.get(),
        gamma: inp.gamma.get(),
        offset: if inp.vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(inp.xi.get())
        },
        zeta_step: inp.zeta_step.then_some(ZetaStep {
            theta: inp.theta.get(),
            eta: inp.eta.get(),
        }),
        first_visit: FirstVisit::Batch,
    };
    let kind = [Kind::Dpm, Kind::SogClr, Kind::InfoNce][usize::from(inp.loss % 3)];
    let case = Case {
        kind,
        simd: inp.simd,
        par: inp.par,
        x: (0..b * d).map(|k| cyclic(&inp.values, k)).collect(),
        y: (0..b * d).map(|k| cyclic(&inp.values, 3 * k + 1)).collect(),
        b,
        d,
        features: if inp.raw {
            Features::Raw
        } else {
            Features::Normalized
        },
        ids: (
            (0..b).map(id).collect(),
            (0..b).map(|k| id(k + b)).collect(),
        ),
        pops: [
            Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 1),
            Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 2),
        ],
        p: dpm_core::Directions::both(p),
    };
    if inp.f64 {
        let wide = |v: &[f32]| v.iter().map(|&e| f64::from(e)).collect();
        run(Case {
            x: wide(&case.x),
            y: wide(&case.y),
            pops: [case.pops[0].cast(), case.pops[1].cast()],
            p: dpm_core::Directions {
                image: widen(case.p.image),
                text: widen(case.p.text),
            },
            ids: case.ids,
            b,
            d,
            features: case.features,
            kind,
            simd: case.simd,
            par: case.par,
        });
    } else {
        run(case);
    }
});

fn run<T: Real>(case: Case<T>) {
    // A population the view refuses (n = 0) is no step at all.
    if case.pops.iter().any(|p| p.clone().view().is_none()) {
        return;
    }
    let got = tiled(&case, false);
    if case.simd && case.par {
        let twin = tiled(&case, true);
        let key = |r: &Result<Got<T>, Error>| {
            r.as_ref()
                .map(|g| {
                    let l = [
                        g.losses.total,
                        g.losses.image_to_text,
                        g.losses.text_to_image,
                    ];
                    let v = [&g.dx[..], &g.dy, &g.h[0], &g.h[1], &l];
                    let bits: Vec<u64> = v
                        .iter()
                        .flat_map(|v| v.iter().map(|&e| e.to_f64().to_bits()))
                        .collect();
                    (bits, g.pops[0].bits(), g.pops[1].bits())
                })
                .map_err(Clone::clone)
        };
        assert!(
            key(&twin) == key(&got),
            "the parallel step differs from the serial one"
        );
    }
    let want = match case.kind {
        // Refused (the parameters' own errors first, then "d"); that
        // nothing was written is checked in `tiled`.
        Kind::Dpm if case.d == 0 && case.features == Features::Normalized => {
            assert!(got.is_err(), "d = 0 accepted");
            return;
        }
        Kind::Dpm => stored(&case),
        // No stored twin from features: the tiled twin is judged by its
        // own invariants and, accepted, against the chain below.
        _ => got.as_ref().map(|_| ()).map_err(Clone::clone),
    };
    match (got, want) {
        (Err(e), Err(w)) => assert_eq!(e, w, "refused otherwise than the stored step"),
        (Err(e), Ok(())) => panic!("refused {e:?}; the stored step accepted"),
        (Ok(_), Err(w)) => panic!("accepted; the stored step refused {w:?}"),
        (Ok(got), Ok(())) => {
            let (b, d) = (case.b, case.d);
            assert!(got.losses.total.is_finite(), "loss {:?}", got.losses.total);
            for (what, v) in [
                ("dx", &got.dx),
                ("dy", &got.dy),
                ("h", &got.h[0]),
                ("h", &got.h[1]),
            ] {
                assert!(all_finite(v), "{what} not finite");
                assert!(
                    v.iter()
                        .all(|e| *e == T::ZERO || e.abs() >= T::MIN_POSITIVE),
                    "{what} subnormal"
                );
            }
            let parts = match case.kind {
                Kind::Dpm => Parts::dpm(case.p.image.zeta_step.is_some()),
                Kind::SogClr => Parts::LOG_S,
                Kind::InfoNce => Parts::NONE,
            };
            got.pops[0].assert_after(&case.pops[0], &case.ids.0, parts);
            got.pops[1].assert_after(&case.pops[1], &case.ids.1, parts);
            if let Some(chain) = chain(&case) {
                let bits = |v: &[T]| v.iter().map(|&e| e.to_f64().to_bits()).collect::<Vec<_>>();
                // One chunk of the online first pass: no rescale.
                let exact = !case.simd || b <= 24;
                if exact {
                    assert_eq!(bits(&got.dx), bits(&chain.dx), "dx differs (b {b}, d {d})");
                    assert_eq!(bits(&got.dy), bits(&chain.dy), "dy differs");
                    for k in 0..2 {
                        assert_eq!(bits(&got.h[k]), bits(&chain.h[k]), "h[{k}] differs");
                        assert_eq!(
                            got.pops[k].bits(),
                            chain.pops[k].bits(),
                            "state {k} differs"
                        );
                    }
                } else {
                    let tol = Tol::of(&case, chain.max_abs_s);
                    tol.close(&got.dx, &chain.dx, "dx", true);
                    tol.close(&got.dy, &chain.dy, "dy", true);
                    for k in 0..2 {
                        tol.close(&got.h[k], &chain.h[k], "h", false);
                        let (g, w) = (&got.pops[k], &chain.pops[k]);
                        tol.close(&g.log_s, &w.log_s, "u", false);
                        tol.close(&g.zeta, &w.zeta, "zeta", false);
                        tol.close(&g.z, &w.z, "z", false);
                        assert_eq!(g.s_flags, w.s_flags, "u flags differ");
                        assert_eq!(g.z_flags, w.z_flags, "z flags differ");
                    }
                }
                // The same terms in another order: each direction within
                // b^2 eps of the largest sum of magnitudes (a row's
                // weights sum to at most 1/gamma, |S - S_pos| <= 2 max|S|;
                // InfoNCE's row loss is a log-sum-exp, in [0, ln b +
                // 2 max|S| / tau]: ln b where every score is alike, as
                // with scores near 0, whatever tau).
                let (g, w) = (got.losses, chain.losses);
                #[allow(clippy::cast_precision_loss)]
                let (bb, ln_b) = ((b * b) as f64, (b as f64).ln());
                let scale = match case.kind {
                    Kind::InfoNce => 2.0 * chain.max_abs_s / case.p.image.tau.to_f64() + ln_b,
                    _ => 2.0 * chain.max_abs_s / case.p.image.gamma.to_f64(),
                };
                let tol = 4.0 * bb * T::EPSILON.to_f64() * scale + 4.0 * T::MIN_POSITIVE.to_f64();
                if case.simd && exact {
                    // The same passes on the same S: the same bits.
                    assert_eq!(bits(&[g.total]), bits(&[w.total]), "loss differs");
                }
                for (g, w) in [
                    (g.image_to_text, w.image_to_text),
                    (g.text_to_image, w.text_to_image),
                ] {
                    let (g, w) = (g.to_f64(), w.to_f64());
                    assert!((g - w).abs() <= tol, "loss {g:e} vs {w:e} (tol {tol:e})");
                }
            }
        }
    }
}

/// How far the SIMD tiled step may be from the stored chain past one
/// chunk of rows, in units of `eps` (SPEC section 7's accuracy bound is
/// condition-aware: a weight is `exp(t)` with `t` formed from `a =
/// (S - zeta - offset) / tau`, the anchor's maximum and `log_den`, each
/// rounded; the online pass rescales by `exp` of differences of maxima of
/// that size): `max(1024, 64 cond)` with `cond = 1 + (2 max|S| + max|zeta|
/// + |xi|) / tau + max|u| + ln b` over the batch. At tau = 1e-4 and |S|
/// near 1 (a campaign's third stop, f64: `dy` 5e-12 apart relative, where
/// the weights alone may be 8 eps 3e4 = 5e-11 apart) the fixed 1024 eps
/// was tighter than the contract.
struct Tol {
    eps_units: f64,
}

impl Tol {
    fn of<T: Real>(case: &Case<T>, max_abs_s: f64) -> Self {
        let mut zeta = 0.0_f64;
        let mut u = 0.0_f64;
        for (pop, ids) in case.pops.iter().zip([&case.ids.0, &case.ids.1]) {
            for &id in ids.iter().filter(|&&id| id < pop.zeta.len()) {
                let (z, l) = (pop.zeta[id].to_f64(), pop.log_s[id].to_f64());
                if z.is_finite() {
                    zeta = zeta.max(z.abs());
                }
                if l.is_finite() {
                    u = u.max(l.abs());
                }
            }
        }
        let xi = match case.p.image.offset {
            Offset::Xi(x) => x.to_f64().abs(),
            Offset::Vanilla => 0.0,
        };
        #[allow(clippy::cast_precision_loss)]
        let ln_b = (case.b.max(1) as f64).ln();
        let tau = case.p.image.tau.to_f64();
        let cond = 1.0 + (2.0 * max_abs_s + zeta + xi) / tau + u + ln_b;
        Tol {
            eps_units: (64.0 * cond).max(1024.0),
        }
    }

    /// `got` within the bound of `want` (the module doc): of the largest
    /// `|want|` where `scaled`, else of `1 + |want|`, plus `4
    /// MIN_POSITIVE`. The same bits pass as they are: a state slot no
    /// step touched keeps whatever the population held, NaN included
    /// (`Pop::assert_after` checks that every slot the step wrote is
    /// finite).
    fn close<T: Real>(&self, got: &[T], want: &[T], what: &str, scaled: bool) {
        let eps = self.eps_units * T::EPSILON.to_f64();
        let floor = 4.0 * T::MIN_POSITIVE.to_f64();
        let top = want
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |m, &v| m.max(v.to_f64().abs()));
        for (k, (&a, &e)) in got.iter().zip(want).enumerate() {
            let (a, e) = (a.to_f64(), e.to_f64());
            if a.to_bits() == e.to_bits() {
                continue;
            }
            let bound = eps * if scaled { top } else { 1.0 + e.abs() } + floor;
            assert!((a - e).abs() <= bound, "{what}[{k}]: {a:e} vs {e:e}");
        }
    }
}

/// The tiled step (`par`: its parallel twin); on `Err`, asserts that
/// nothing but scratch was written.
fn tiled<T: Real>(case: &Case<T>, par: bool) -> Result<Got<T>, Error> {
    let (b, d) = (case.b, case.d);
    let s = T::from_f64(SENTINEL);
    let (mut dx, mut dy) = (vec![s; b * d], vec![s; b * d]);
    let (mut hi, mut ht) = (vec![s; b], vec![s; b]);
    let len = if par {
        dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b, d })
    } else if case.simd {
        dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })
    } else {
        scalar::scratch_len(dpm_core::Scratch::Tiled { b, d })
    };
    let mut scratch = vec![T::ZERO; len];
    let mut pops = case.pops.clone();
    let [pi, pt] = &mut pops;
    let (Some(mut iv), Some(mut tv)) = (pi.view(), pt.view()) else {
        unreachable!("checked in run");
    };
    let out = TiledOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..TiledOut::new(&mut dx, &mut dy)
    };
    let (x, y, f, ids) = (&case.x, &case.y, case.features, &case.ids);
    let sc = &mut scratch;
    let (i, t, p, tau) = (&ids.0, &ids.1, case.p, case.p.image.tau);
    let r = match (case.simd, case.kind) {
        (true, Kind::Dpm) if par => {
            dpm_core::par::dpm_bimodal_tiled(x, y, b, d, f, i, t, &mut iv, &mut tv, p, out, sc)
        }
        (true, Kind::SogClr) if par => dpm_core::par::sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            f,
            i,
            t,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(sogclr(case)),
            out,
            sc,
        ),
        (true, Kind::InfoNce) if par => {
            dpm_core::par::infonce_bimodal_tiled(x, y, b, d, f, tau, out, sc)
        }
        (true, Kind::Dpm) => dpm_bimodal_tiled(x, y, b, d, f, i, t, &mut iv, &mut tv, p, out, sc),
        (true, Kind::SogClr) => sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            f,
            i,
            t,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(sogclr(case)),
            out,
            sc,
        ),
        (true, Kind::InfoNce) => infonce_bimodal_tiled(x, y, b, d, f, tau, out, sc),
        (false, Kind::Dpm) => {
            scalar::dpm_bimodal_tiled(x, y, b, d, f, i, t, &mut iv, &mut tv, p, out, sc)
        }
        (false, Kind::SogClr) => scalar::sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            f,
            i,
            t,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(sogclr(case)),
            out,
            sc,
        ),
        (false, Kind::InfoNce) => scalar::infonce_bimodal_tiled(x, y, b, d, f, tau, out, sc),
    };
    match r {
        Ok(losses) => Ok(Got {
            dx,
            dy,
            h: [hi, ht],
            pops,
            losses,
        }),
        Err(e) => {
            assert!(
                dx.iter().chain(&dy).chain(&hi).chain(&ht).all(|&v| v == s),
                "an error wrote an output"
            );
            let same = pops
                .iter()
                .zip(&case.pops)
                .all(|(a, b)| a.bits() == b.bits());
            assert!(same, "an error wrote state");
            Err(e)
        }
    }
}

/// Whether the stored step from features accepts the case (the SIMD
/// engine; its refusals are the ones the tiled step must give).
fn stored<T: Real>(case: &Case<T>) -> Result<(), Error> {
    let (b, d) = (case.b, case.d);
    let mut pops = case.pops.clone();
    let [pi, pt] = &mut pops;
    let (Some(mut iv), Some(mut tv)) = (pi.view(), pt.view()) else {
        unreachable!("checked in run");
    };
    let (mut s, mut ds) = (vec![T::ZERO; b * b], vec![T::ZERO; b * b]);
    let (mut dx, mut dy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
    let (mut hi, mut ht) = (vec![T::ZERO; b], vec![T::ZERO; b]);
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let out = FeatureOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy)
    };
    dpm_bimodal_from_features(
        &case.x,
        &case.y,
        b,
        d,
        case.features,
        &case.ids.0,
        &case.ids.1,
        &mut iv,
        &mut tv,
        case.p,
        out,
        &mut scratch,
    )
    .map(|_| ())
}

/// What the stored chain on the scalar engine gives.
struct Chain<T> {
    dx: Vec<T>,
    dy: Vec<T>,
    h: [Vec<T>; 2],
    pops: [Pop<T>; 2],
    losses: Losses<T>,
    max_abs_s: f64,
}

/// The stored chain from public building blocks, or `None` where one of
/// them refuses a value the fused step handles (their checks are each
/// their own, looser or tighter).
fn chain<T: Real>(case: &Case<T>) -> Option<Chain<T>> {
    let (b, d) = (case.b, case.d);
    let unit = |v: &[T]| match case.features {
        Features::Raw => {
            let (mut u, mut n) = (vec![T::ZERO; b * d], vec![T::ZERO; b]);
            l2_normalize(v, b, d, &mut u, &mut n).ok()?;
            Some(u)
        }
        Features::Normalized => Some(v.to_vec()),
    };
    let (xn, yn) = (unit(&case.x)?, unit(&case.y)?);
    let mut s = vec![T::ZERO; b * b];
    scores_forward(&xn, &yn, b, b, d, &mut s).ok()?;
    if !case.simd {
        // The scalar engine's products: plain loops, a rounded product
        // then a rounded sum (the SIMD ones fuse where the CPU can).
        for i in 0..b {
            for j in 0..b {
                let mut acc = T::ZERO;
                for k in 0..d {
                    acc += xn[i * d + k] * yn[j * d + k];
                }
                s[i * b + j] = acc;
            }
        }
    }
    let flush = |v: T| {
        if v.abs() < T::MIN_POSITIVE {
            T::ZERO
        } else {
            v
        }
    };
    s.iter_mut().for_each(|v| *v = flush(*v));
    let max_abs_s = s.iter().fold(0.0_f64, |m, &v| m.max(v.to_f64().abs()));
    // h as the tiled step's buffers start: the twins leave it untouched.
    let sentinel = T::from_f64(SENTINEL);
    let (mut ds, mut hi, mut ht) = (vec![T::ZERO; b * b], vec![sentinel; b], vec![sentinel; b]);
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let mut pops = case.pops.clone();
    let [pi, pt] = &mut pops;
    let (mut iv, mut tv) = (pi.view()?, pt.view()?);
    let out = BimodalOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..BimodalOut::new(&mut ds)
    };
    let ids = &case.ids;
    let (i, t, sc) = (&ids.0, &ids.1, &mut scratch);
    let losses = match (case.simd, case.kind) {
        (true, Kind::Dpm) => {
            dpm_core::dpm_bimodal(&s, i.len(), i, t, &mut iv, &mut tv, case.p, out, sc)
        }
        (true, Kind::SogClr) => dpm_core::sogclr_bimodal(
            &s,
            i.len(),
            i,
            t,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(sogclr(case)),
            out,
            sc,
        ),
        (true, Kind::InfoNce) => dpm_core::infonce_bimodal(&s, b, case.p.image.tau, out, sc),
        (false, Kind::Dpm) => {
            scalar::dpm_bimodal(&s, i.len(), i, t, &mut iv, &mut tv, case.p, out, sc)
        }
        (false, Kind::SogClr) => scalar::sogclr_bimodal(
            &s,
            i.len(),
            i,
            t,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(sogclr(case)),
            out,
            sc,
        ),
        (false, Kind::InfoNce) => scalar::infonce_bimodal(&s, b, case.p.image.tau, out, sc),
    }
    .ok()?;
    let (mut gx, mut gy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
    scores_backward(&ds, &xn, &yn, b, b, d, &mut gx, &mut gy).ok()?;
    if !case.simd {
        gx.fill(T::ZERO);
        gy.fill(T::ZERO);
        for i in 0..b {
            for j in 0..b {
                for k in 0..d {
                    gx[i * d + k] += ds[i * b + j] * yn[j * d + k];
                    gy[j * d + k] += ds[i * b + j] * xn[i * d + k];
                }
            }
        }
    }
    let (mut dx, mut dy) = (gx.clone(), gy.clone());
    if case.features == Features::Raw {
        l2_normalize_backward(&case.x, &gx, b, d, &mut dx).ok()?;
        l2_normalize_backward(&case.y, &gy, b, d, &mut dy).ok()?;
    }
    dx.iter_mut().for_each(|v| *v = flush(*v));
    dy.iter_mut().for_each(|v| *v = flush(*v));
    Some(Chain {
        dx,
        dy,
        h: [hi, ht],
        pops,
        losses,
        max_abs_s,
    })
}

/// The SogCLR parameters of a case (its DPM parameters' tau and gamma).
fn sogclr<T: Real>(case: &Case<T>) -> SogClrParams<T> {
    SogClrParams {
        tau: case.p.image.tau,
        gamma: case.p.image.gamma,
        first_visit: FirstVisit::Batch,
    }
}
