//! The contract over the whole finite domain (SPEC section 7): each defect
//! an adversarial review found, replayed through every engine and both
//! precisions. Each test here failed before its fix.
//!
//! - a subnormal `tau` (or one whose reciprocal is subnormal) was
//!   accepted, and the SIMD kernels multiplied by `1 / tau = inf`;
//! - each row's loss passed the magnitude guard, but the sum of `B` rows
//!   overflowed before the division by `B`;
//! - the state constructors took a NaN `zeta_init`.
//!
//! Sizes, schedules, layout helpers and the family's sums are in
//! `tests/sizes.rs`.
#![allow(clippy::float_cmp)]

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Layout, Losses, Offset, Real, SogClrParams, State,
    StepOut, ZetaStep,
};
use pop::Pop;

/// The bimodal engines: the public (SIMD) functions, the scalar
/// reference, and the rayon step.
#[derive(Clone, Copy, Debug)]
enum Engine {
    Simd,
    Scalar,
    #[cfg(feature = "std")]
    Par,
}

const ENGINES: &[Engine] = &[
    Engine::Simd,
    Engine::Scalar,
    #[cfg(feature = "std")]
    Engine::Par,
];

#[derive(Clone, Copy, Debug)]
enum Loss<T> {
    Dpm(DpmParams<T>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

impl<T: Real> Loss<T> {
    /// The three losses at temperature `tau`, `gamma = 1`, zeta steps on.
    fn all(tau: T) -> [Loss<T>; 3] {
        [
            Loss::Dpm(DpmParams {
                tau,
                gamma: T::ONE,
                offset: Offset::Xi(T::ZERO),
                zeta_step: Some(ZetaStep {
                    theta: T::from_f64(0.5),
                    eta: T::from_f64(1e-3),
                }),
                first_visit: FirstVisit::Batch,
            }),
            Loss::SogClr(SogClrParams {
                tau,
                gamma: T::ONE,
                first_visit: FirstVisit::Batch,
            }),
            Loss::InfoNce(tau),
        ]
    }
}

/// What a bimodal call left behind.
struct Run<T> {
    result: Result<Losses<T>, Error>,
    ds: Vec<T>,
    h: Vec<T>,
    state_before: Vec<u64>,
    state_after: Vec<u64>,
}

const SENTINEL: f64 = -7.0;

/// One bimodal step of `loss` on `engine`, ids `0..b`, fresh populations
/// of `n`, outputs pre-filled with a sentinel.
fn bimodal<T: Real>(engine: Engine, loss: Loss<T>, s: &[T], b: usize) -> Run<T> {
    let n = b.max(2);
    let (mut images, mut texts) = (Pop::<T>::new(n, 0.0), Pop::<T>::new(n, 0.0));
    let state_before = [images.bits(), texts.bits()].concat();
    let ids: Vec<usize> = (0..b).collect();
    let fill = T::from_f64(SENTINEL);
    let (mut ds, mut h) = (vec![fill; b * b], vec![fill; b]);
    #[cfg(feature = "std")]
    let len = dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b });
    #[cfg(not(feature = "std"))]
    let len = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b });
    let mut scratch = vec![T::ZERO; len];
    let (mut iv, mut tv) = (images.view(), texts.view());
    let out = BimodalOut {
        h_text: Some(&mut h),
        ..BimodalOut::new(&mut ds)
    };
    let sc = &mut scratch[..];
    let result = match (engine, loss) {
        (Engine::Simd, Loss::Dpm(p)) => dpm_core::dpm_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (Engine::Simd, Loss::SogClr(p)) => dpm_core::sogclr_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (Engine::Simd, Loss::InfoNce(tau)) => dpm_core::infonce_bimodal(s, b, tau, out, sc),
        (Engine::Scalar, Loss::Dpm(p)) => dpm_core::scalar::dpm_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (Engine::Scalar, Loss::SogClr(p)) => dpm_core::scalar::sogclr_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        (Engine::Scalar, Loss::InfoNce(tau)) => {
            dpm_core::scalar::infonce_bimodal(s, b, tau, out, sc)
        }
        #[cfg(feature = "std")]
        (Engine::Par, Loss::Dpm(p)) => dpm_core::par::dpm_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        #[cfg(feature = "std")]
        (Engine::Par, Loss::SogClr(p)) => dpm_core::par::sogclr_bimodal(
            s,
            ids.len(),
            &ids,
            &ids,
            &mut iv,
            &mut tv,
            dpm_core::Directions::both(p),
            out,
            sc,
        ),
        #[cfg(feature = "std")]
        (Engine::Par, Loss::InfoNce(tau)) => dpm_core::par::infonce_bimodal(s, b, tau, out, sc),
    };
    Run {
        result,
        ds,
        h,
        state_before,
        state_after: [images.bits(), texts.bits()].concat(),
    }
}

/// One direction over `Layout::Diagonal` (`dpm_step`, `sogclr_step`,
/// `infonce_step`): the result, `dS`, and whether the state was touched.
fn one_direction<T: Real>(loss: Loss<T>, s: &[T], b: usize) -> (Result<T, Error>, Vec<T>, bool) {
    let mut pop = Pop::<T>::new(b.max(2), 0.0);
    let before = pop.bits();
    let ids: Vec<usize> = (0..b).collect();
    let mut ds = vec![T::from_f64(SENTINEL); b * b];
    let mut scratch =
        vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: b, cols: b })];
    let mut view = pop.view();
    let (anchors, candidates) = view.split();
    let out = StepOut::new(&mut ds);
    let sc = &mut scratch[..];
    let l = Layout::Diagonal;
    let r = match loss {
        Loss::Dpm(p) => dpm_core::dpm_step(
            l,
            s,
            ids.len(),
            ids.len(),
            &ids,
            &ids,
            anchors,
            candidates,
            p,
            out,
            sc,
        ),
        Loss::SogClr(p) => dpm_core::sogclr_step(l, s, ids.len(), b, &ids, anchors, p, out, sc),
        Loss::InfoNce(tau) => dpm_core::infonce_step(l, s, b, b, tau, out, sc),
    };
    (r, ds, pop.bits() != before)
}

/// Temperatures that are finite and positive but not computable: a
/// subnormal `tau` has an infinite reciprocal (the SIMD kernels multiply
/// by it), one above `1 / MIN_POSITIVE` a subnormal reciprocal.
fn uncomputable_taus<T: Real>() -> Vec<T> {
    let min = T::MIN_POSITIVE.to_f64();
    [
        min / 2.0,
        min / 1024.0,
        min * (1.0 - 1e-7),
        2.0 / min,
        T::MAX.to_f64(),
    ]
    .into_iter()
    .map(T::from_f64)
    .filter(|t| *t > T::ZERO && t.is_finite())
    .collect()
}

fn refuses_uncomputable_tau<T: Real>() {
    let taus = uncomputable_taus::<T>();
    assert_eq!(taus.len(), 5, "every probe is representable");
    // The review's case: all-zero scores and state, so that no magnitude
    // guard fires; ds came back [NaN, 0, NaN, -0] and zeta NaN.
    let s = vec![T::ZERO; 4];
    let want = Err(Error::InvalidParameter { what: "tau" });
    for &tau in &taus {
        for loss in Loss::all(tau) {
            for &engine in ENGINES {
                let r = bimodal(engine, loss, &s, 2);
                let ctx = format!("{engine:?} {loss:?}");
                assert_eq!(r.result.map(|l| l.total), want, "{ctx}");
                assert!(r.ds.iter().chain(&r.h).all(|&v| v.to_f64() == SENTINEL));
                assert_eq!(r.state_before, r.state_after, "{ctx}: state written");
            }
            let (r, ds, touched) = one_direction(loss, &s, 2);
            assert_eq!(r, want, "one direction, {loss:?}");
            assert!(!touched && ds.iter().all(|&v| v.to_f64() == SENTINEL));
        }
    }
    // The bounds themselves are computable: MIN_POSITIVE and its
    // reciprocal are accepted, and every output is finite.
    for tau in [T::MIN_POSITIVE, T::ONE / T::MIN_POSITIVE] {
        for loss in Loss::all(tau) {
            for &engine in ENGINES {
                let r = bimodal(engine, loss, &s, 2);
                let l = r
                    .result
                    .unwrap_or_else(|e| panic!("{engine:?} {loss:?}: {e}"));
                assert!(l.total.is_finite() && r.ds.iter().all(|v| v.is_finite()));
            }
        }
    }
}

#[test]
fn subnormal_tau_or_reciprocal_is_refused_f32() {
    refuses_uncomputable_tau::<f32>();
}

#[test]
fn subnormal_tau_or_reciprocal_is_refused_f64() {
    refuses_uncomputable_tau::<f64>();
}

/// The other rates must be normal too: a subnormal `gamma`, `theta` or
/// `eta` only makes subnormal (or, through `1 / gamma`, infinite)
/// intermediates.
#[test]
fn subnormal_rates_are_refused() {
    let tiny = f32::MIN_POSITIVE / 4.0;
    let base = DpmParams {
        tau: 0.1_f32,
        gamma: 0.5,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.5,
            eta: 1e-3,
        }),
        first_visit: FirstVisit::Batch,
    };
    let step = |theta, eta| Some(ZetaStep { theta, eta });
    let cases = [
        (
            DpmParams {
                gamma: tiny,
                ..base
            },
            "gamma",
        ),
        (
            DpmParams {
                zeta_step: step(tiny, 1e-3),
                ..base
            },
            "theta",
        ),
        (
            DpmParams {
                zeta_step: step(0.5, tiny),
                ..base
            },
            "eta",
        ),
    ];
    let s = [0.5_f32, 0.1, 0.2, 0.6];
    for (p, what) in cases {
        for &engine in ENGINES {
            let r = bimodal(engine, Loss::Dpm(p), &s, 2);
            assert_eq!(r.result, Err(Error::InvalidParameter { what }));
            assert_eq!(r.state_before, r.state_after);
        }
    }
    // eta = 0 is no step at all, and stays allowed.
    let p = DpmParams {
        zeta_step: step(0.5, 0.0),
        ..base
    };
    assert!(bimodal(Engine::Simd, Loss::Dpm(p), &s, 2).result.is_ok());
}

/// `S[i][i] = -x`, `S[i][i+1 mod B] = x`, 0 elsewhere: every row's loss
/// is near its bound `2 x / gamma`, and `B` of them overflow when summed.
fn sum_overflow_scores<T: Real>(b: usize, x: f64) -> Vec<T> {
    (0..b * b)
        .map(|k| {
            let (i, j) = (k / b, k % b);
            T::from_f64(if i == j {
                -x
            } else if j == (i + 1) % b {
                x
            } else {
                0.0
            })
        })
        .collect()
}

/// The losses of every engine on a batch whose rows pass the guards but
/// whose row sum overflowed, against the same step in f64 on scaled-down
/// inputs: the weights depend on `S / tau` only, so DPM's and SogCLR's
/// losses are homogeneous (`loss(c S, c tau) = c loss(S, tau)`) and
/// InfoNCE's (in units of `S / tau`) invariant.
fn loss_sums_do_not_overflow<T: Real>(x: f64) {
    // tau = 0.5 at x = 1.3e36 in f32: |a| = 2x/tau and 4x/gamma both just
    // inside MAX / 64.
    let tau = x / 2.6e36;
    let b = 200;
    let s = sum_overflow_scores::<T>(b, x);
    let small: Vec<f64> = sum_overflow_scores::<f64>(b, 1.0);
    let c = x; // the scale from `small` to `s`
    for (loss, small_loss) in Loss::all(T::from_f64(tau))
        .into_iter()
        .zip(Loss::all(tau / c))
    {
        let degree = if matches!(loss, Loss::InfoNce(_)) {
            1.0
        } else {
            c
        };
        let want = bimodal(Engine::Scalar, small_loss, &small, b)
            .result
            .expect("the small case")
            .total
            * degree;
        for &engine in ENGINES {
            let r = bimodal(engine, loss, &s, b);
            let got = r
                .result
                .unwrap_or_else(|e| panic!("{engine:?} {loss:?}: {e}"));
            let ctx = format!("{engine:?} {loss:?}");
            assert!(got.total.is_finite(), "{ctx}: total {}", got.total);
            let rel = (got.total.to_f64() - want).abs() / want.abs();
            assert!(rel < 1e-4, "{ctx}: {} vs {want} (rel {rel:e})", got.total);
            assert!(r.ds.iter().chain(&r.h).all(|v| v.is_finite()), "{ctx}");
        }
        let (r, ds, _) = one_direction(loss, &s, b);
        let got = r.unwrap_or_else(|e| panic!("one direction {loss:?}: {e}"));
        assert!(
            got.is_finite() && ds.iter().all(|v| v.is_finite()),
            "{loss:?}: {got}"
        );
    }
}

#[test]
fn loss_sums_of_huge_rows_stay_finite_f32() {
    loss_sums_do_not_overflow::<f32>(1.3e36);
}

#[test]
fn loss_sums_of_huge_rows_stay_finite_f64() {
    loss_sums_do_not_overflow::<f64>(7.0e305);
}

/// The review's InfoNCE case exactly: one direction, B = 100, tau = 0.5
/// (it returned `Ok(NaN)`).
#[test]
fn infonce_step_of_the_review_is_finite() {
    let s = sum_overflow_scores::<f32>(100, 1.3e36);
    let (r, ds, _) = one_direction(Loss::InfoNce(0.5), &s, 100);
    let loss = r.expect("accepted");
    // Each row: logsumexp(S/tau) - S_ii/tau = (x + x)/tau, no rounding
    // beyond f32's: the mean is 5.2e36.
    assert!((f64::from(loss) / 5.2e36 - 1.0).abs() < 1e-5, "{loss}");
    assert!(ds.iter().all(|v| v.is_finite()));
}

/// `State::new` is a `const fn` and takes any `zeta_init`; a non-finite
/// one is refused by the first step that reads it and by `save`, with
/// nothing written. `reset` (not const) refuses it at once.
#[test]
fn nan_or_infinite_zeta_init_is_refused() {
    let want = Err(Error::InvalidParameter { what: "zeta_init" });
    let p = DpmParams {
        tau: 0.1_f32,
        gamma: 0.9,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.5,
            eta: 0.1,
        }),
        first_visit: FirstVisit::Batch,
    };
    for z in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let (mut images, mut texts) = (State::<f32, 4>::new(z), State::<f32, 4>::new(-0.05));
        let (mut ds, mut scratch) = (
            [7.0_f32; 4],
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })],
        );
        let r = dpm_core::dpm_bimodal(
            &[1.0, 0.0, 0.0, 1.0],
            2,
            &[0, 1],
            &[0, 1],
            &mut images.view(),
            &mut texts.view(),
            dpm_core::Directions::both(p),
            dpm_core::BimodalOut::new(&mut ds),
            &mut scratch,
        );
        assert!(
            matches!(r, Err(Error::NonFinite { what: "zeta", .. })),
            "{r:?}"
        );
        assert_eq!(ds, [7.0; 4], "a refused step wrote dS");
        assert_eq!(
            texts.view().log_s(0),
            Ok(None),
            "a refused step wrote the state"
        );
        let mut buf = vec![0_u8; dpm_core::checkpoint_len::<f32>(4)];
        let saved = images.view().save(&mut buf);
        assert!(
            matches!(saved, Err(Error::NonFinite { what: "zeta", .. })),
            "{saved:?}"
        );
    }
    let mut st = State::<f64, 4>::new(-0.05);
    let mut view = st.view();
    view.set_zeta(2, 1.5).unwrap();
    view.set_log_s(1, Some(0.25)).unwrap();
    assert_eq!(view.reset(f64::NAN), want);
    assert_eq!(view.zeta(2), Ok(1.5), "a refused reset wrote zeta");
    assert_eq!(view.log_s(1), Ok(Some(0.25)), "a refused reset wrote flags");
}

/// `dpm_bimodal_from_features` checks the parameters before it writes
/// anything: a subnormal tau wrote NaN into the state through the step.
#[test]
fn from_features_refuses_subnormal_tau() {
    use dpm_core::embed::{FeatureOut, Features, dpm_bimodal_from_features};
    let (b, d) = (2, 3);
    let x = [1.0_f32, 0.0, 0.0, 0.0, 1.0, 0.0];
    let p = DpmParams {
        tau: 1e-40_f32,
        gamma: 0.9,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.5,
            eta: 0.1,
        }),
        first_visit: FirstVisit::Batch,
    };
    for features in [Features::Raw, Features::Normalized] {
        let (mut images, mut texts) = (Pop::<f32>::new(4, 0.0), Pop::<f32>::new(4, 0.0));
        let before = [images.bits(), texts.bits()].concat();
        let (mut s, mut ds) = ([-7.0_f32; 4], [-7.0_f32; 4]);
        let (mut dx, mut dy) = ([-7.0_f32; 6], [-7.0_f32; 6]);
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
        let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
        let r = dpm_bimodal_from_features(
            &x,
            &x,
            b,
            d,
            features,
            &[0, 1],
            &[0, 1],
            &mut images.view(),
            &mut texts.view(),
            dpm_core::Directions::both(p),
            out,
            &mut scratch,
        );
        assert_eq!(r.map(|_| ()), Err(Error::InvalidParameter { what: "tau" }));
        let all = s.iter().chain(&ds).chain(&dx).chain(&dy);
        assert!(all.copied().all(|v| v == -7.0), "an output was written");
        assert_eq!([images.bits(), texts.bits()].concat(), before);
    }
}
