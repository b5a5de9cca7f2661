//! The `double` twins of the C ABI against the Rust API in `f64` (SPEC
//! section 7): every `_f64` function gives the Rust function's results
//! bit for bit (the same generic code path), maps at least one error to
//! its status code with nothing written, and refuses the other
//! precision's checkpoints. Each check is generic over the precision
//! (`tests/support/c_prec.rs`) and runs for `f32` too, so that the
//! harness itself is checked against the `_f32` functions.
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use dpm_core::capi::*;
use dpm_core::embed::{FeatureOut, Features, TiledOut};
use dpm_core::{
    BimodalOut, Directions, DpmParams, FirstVisit, Losses, Offset, SogClrParams, State, StateView,
    ZetaStep, checkpoint_len, lse,
};
use std::fmt::Debug;
use std::ptr::{null, null_mut};

#[path = "support/c_prec.rs"]
mod c_prec;
#[path = "support/c_state.rs"]
mod c_state;
use c_prec::{Prec, t};
use c_state::Arrays;

const N: usize = 10;
const B: usize = 4;
const D: usize = 3;
const IMAGE_IDS: [usize; B] = [1, 4, 7, 2];
const TEXT_IDS: [usize; B] = [3, 0, 8, 5];

/// The exact value of every element (Debug prints the shortest string
/// that reads back to the same bits; `-0.0` included).
fn exact<T: Debug>(v: &[T]) -> String {
    format!("{v:?}")
}

/// The checkpoint of a population's C arrays (every value and flag,
/// bit for bit).
fn saved_c<T: Prec>(a: &mut Arrays<T>, seq: u64) -> Vec<u8> {
    let mut buf = vec![0_u8; T::CHECKPOINT_LEN(N)];
    // SAFETY: live arrays and a buffer of the length given.
    let rc = unsafe { T::SAVE(&a.c(), seq, buf.as_mut_ptr(), buf.len()) };
    assert_eq!(rc, DPM_OK);
    buf
}

/// The checkpoint of a Rust state, as [`saved_c`].
fn saved<T: Prec>(s: &mut State<T, N>, seq: u64) -> Vec<u8> {
    let mut buf = vec![0_u8; checkpoint_len::<T>(N)];
    s.view().save_seq(seq, &mut buf).unwrap();
    buf
}

/// Both directions' parameters, as C structs and as the Rust values.
fn dpm_params<T: Prec>() -> ([DpmParamsOf<T>; 2], Directions<DpmParams<T>>) {
    let c = DpmParamsOf {
        tau: t(0.1),
        gamma: t(0.9),
        offset: DPM_OFFSET_XI,
        xi: t(0.25),
        has_zeta_step: 1,
        theta: t(0.9),
        eta: t(1e-2),
        first_visit: DPM_FIRST_VISIT_BATCH,
    };
    let c1 = DpmParamsOf {
        tau: t(0.2),
        gamma: t(0.7),
        offset: DPM_OFFSET_VANILLA,
        eta: t(0.05),
        first_visit: DPM_FIRST_VISIT_ZERO_HISTORY,
        ..c
    };
    let rust = |tau, gamma, offset, eta, first_visit| DpmParams {
        tau: t(tau),
        gamma: t(gamma),
        offset,
        zeta_step: Some(ZetaStep {
            theta: t(0.9),
            eta: t(eta),
        }),
        first_visit,
    };
    let image = rust(0.1, 0.9, Offset::Xi(t(0.25)), 1e-2, FirstVisit::Batch);
    let text = rust(0.2, 0.7, Offset::Vanilla, 0.05, FirstVisit::ZeroHistory);
    ([c, c1], Directions { image, text })
}

fn sogclr_params<T: Prec>() -> ([DpmSogClrParamsOf<T>; 2], Directions<SogClrParams<T>>) {
    let c = [
        DpmSogClrParamsOf {
            tau: t(0.1),
            gamma: t(0.9),
            first_visit: DPM_FIRST_VISIT_BATCH,
        },
        DpmSogClrParamsOf {
            tau: t(0.3),
            gamma: t(0.6),
            first_visit: DPM_FIRST_VISIT_ZERO_HISTORY,
        },
    ];
    let r = |p: DpmSogClrParamsOf<T>, first_visit| SogClrParams {
        tau: p.tau,
        gamma: p.gamma,
        first_visit,
    };
    let image = r(c[0], FirstVisit::Batch);
    let text = r(c[1], FirstVisit::ZeroHistory);
    (c, Directions { image, text })
}

/// A C step's losses and both C states against the Rust step's, bit for
/// bit.
fn same_as_rust<T: Prec>(
    ctx: &str,
    c: (&mut Arrays<T>, &mut Arrays<T>),
    r: (&mut State<T, N>, &mut State<T, N>),
    l: DpmLossesOf<T>,
    rl: Losses<T>,
) {
    let rl = DpmLossesOf {
        total: rl.total,
        image_to_text: rl.image_to_text,
        text_to_image: rl.text_to_image,
    };
    assert_eq!(format!("{l:?}"), format!("{rl:?}"), "{ctx}: losses");
    assert_eq!(saved_c(c.0, 1), saved(r.0, 1), "{ctx}: image state");
    assert_eq!(saved_c(c.1, 1), saved(r.1, 1), "{ctx}: text state");
}

/// Scores with the pairs on the diagonal.
fn scores<T: Prec>() -> Vec<T> {
    (0..B * B)
        .map(|k| {
            t(if k % (B + 1) == 0 {
                0.9
            } else {
                0.1 * (k % 3) as f32 - 0.05
            })
        })
        .collect()
}

/// Raw features: rows of `B x D`, not unit.
fn features<T: Prec>(shift: usize) -> Vec<T> {
    (0..B * D)
        .map(|k| t(0.3 + ((k + shift) % 5) as f32 * 0.4 - (k % 2) as f32))
        .collect()
}

/// What one C step wrote and what its Rust twin wrote: the losses, and
/// each output array as its exact values, named.
type Stepped<T> = (
    DpmLossesOf<T>,
    Losses<T>,
    Vec<(&'static str, String, String)>,
);

/// Runs `step` (the C step and its Rust twin, on the C states given and
/// the views of the Rust states) for each of `families` (0 DPM, 1 SogCLR,
/// 2 InfoNCE), two steps each on the same two pairs of states, and checks
/// that every output, the losses and both states are the same, bit for
/// bit.
fn six_steps<T: Prec>(
    what: &str,
    families: std::ops::Range<u8>,
    mut step: impl FnMut(u8, [DpmStateOf<T>; 2], [&mut StateView<'_, T>; 2]) -> Stepped<T>,
) {
    let (mut ci, mut ct) = (Arrays::<T>::new(N), Arrays::<T>::new(N));
    let (mut ri, mut rt) = (State::<T, N>::new(t(-0.05)), State::<T, N>::new(t(-0.05)));
    for family in families {
        for k in 0..2 {
            let ctx = format!("{what} family {family}, step {k}");
            let (l, rl, outs) = step(family, [ci.c(), ct.c()], [&mut ri.view(), &mut rt.view()]);
            for (name, c, r) in outs {
                assert_eq!(c, r, "{ctx}: {name}");
            }
            same_as_rust(&ctx, (&mut ci, &mut ct), (&mut ri, &mut rt), l, rl);
        }
    }
    // The steps moved the states: the comparisons compared something.
    assert_ne!((ci, ct), (Arrays::<T>::new(N), Arrays::<T>::new(N)));
}

/// DPM, SogCLR and InfoNCE from `S`: `dS`, both weight matrices, the
/// losses and the states as the Rust steps give them.
fn stored_steps<T: Prec>() {
    let s = scores::<T>();
    let ((p, rp), (q, rq)) = (dpm_params::<T>(), sogclr_params::<T>());
    let len = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B });
    assert_eq!(len, dpm_bimodal_scratch_len(B));
    let zero = || vec![T::ZERO; B * B];
    six_steps::<T>("stored", 0..3, |family, [img, txt], [iv, tv]| {
        let (mut ds, mut wi, mut wt, mut sc) = (zero(), zero(), zero(), vec![T::ZERO; len]);
        let mut l = DpmLossesOf::<T>::default();
        let (sp, ii, ti) = (s.as_ptr(), IMAGE_IDS.as_ptr(), TEXT_IDS.as_ptr());
        let (dp, wip, wtp, scp) = (
            ds.as_mut_ptr(),
            wi.as_mut_ptr(),
            wt.as_mut_ptr(),
            sc.as_mut_ptr(),
        );
        let (bb, lp) = (B * B, &mut l);
        // SAFETY: every pointer is a live Vec of the length given.
        let rc = unsafe {
            match family {
                0 => T::BIMODAL(
                    sp, bb, ii, B, ti, B, &img, &txt, &p[0], &p[1], dp, bb, wip, bb, wtp, bb, scp,
                    len, lp,
                ),
                1 => T::SOGCLR(
                    sp, bb, ii, B, ti, B, &img, &txt, &q[0], &q[1], dp, bb, wip, bb, wtp, bb, scp,
                    len, lp,
                ),
                _ => T::INFONCE(sp, bb, B, t(0.1), dp, bb, wip, bb, wtp, bb, scp, len, lp),
            }
        };
        assert_eq!(rc, DPM_OK, "family {family}");
        let (mut rds, mut rwi, mut rwt, mut rsc) = (zero(), zero(), zero(), vec![T::ZERO; len]);
        let out = BimodalOut {
            weights_image: Some(&mut rwi),
            weights_text: Some(&mut rwt),
            ..BimodalOut::new(&mut rds)
        };
        let (ids_i, ids_t) = (&IMAGE_IDS[..], &TEXT_IDS[..]);
        let rl = match family {
            0 => dpm_core::dpm_bimodal(&s, B, ids_i, ids_t, iv, tv, rp, out, &mut rsc),
            1 => dpm_core::sogclr_bimodal(&s, B, ids_i, ids_t, iv, tv, rq, out, &mut rsc),
            _ => dpm_core::infonce_bimodal(&s, B, t(0.1), out, &mut rsc),
        }
        .unwrap();
        let outs = vec![
            ("dS", exact(&ds), exact(&rds)),
            ("image weights", exact(&wi), exact(&rwi)),
            ("text weights", exact(&wt), exact(&rwt)),
        ];
        (l, rl, outs)
    });
}

#[test]
fn stored_steps_same_results_as_the_rust_api() {
    stored_steps::<f64>();
    stored_steps::<f32>();
}

/// The tiled DPM, SogCLR and InfoNCE steps from raw features: `dx`,
/// `dy`, the losses and the states as the Rust tiled steps give them.
fn tiled_steps<T: Prec>() {
    let (x, y) = (features::<T>(0), features::<T>(2));
    let ((p, rp), (q, rq)) = (dpm_params::<T>(), sogclr_params::<T>());
    let len = dpm_tiled_scratch_len(B, D);
    assert_eq!(
        len,
        dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: B, d: D })
    );
    let raw = DPM_FEATURES_RAW;
    let zero = || vec![T::ZERO; B * D];
    six_steps::<T>("tiled", 0..3, |family, [img, txt], [iv, tv]| {
        let (mut dx, mut dy, mut sc) = (zero(), zero(), vec![T::ZERO; len]);
        let mut l = DpmLossesOf::<T>::default();
        let (xp, yp, ii, ti) = (
            x.as_ptr(),
            y.as_ptr(),
            IMAGE_IDS.as_ptr(),
            TEXT_IDS.as_ptr(),
        );
        let (dxp, dyp, scp, bd, lp) = (
            dx.as_mut_ptr(),
            dy.as_mut_ptr(),
            sc.as_mut_ptr(),
            B * D,
            &mut l,
        );
        let tau = t(0.1);
        // SAFETY: every pointer is a live Vec of the length given.
        let rc = unsafe {
            match family {
                0 => T::TILED(
                    xp, bd, yp, bd, B, D, raw, ii, B, ti, B, &img, &txt, &p[0], &p[1], dxp, bd,
                    dyp, bd, scp, len, lp,
                ),
                1 => T::SOGCLR_TILED(
                    xp, bd, yp, bd, B, D, raw, ii, B, ti, B, &img, &txt, &q[0], &q[1], dxp, bd,
                    dyp, bd, scp, len, lp,
                ),
                _ => T::INFONCE_TILED(
                    xp, bd, yp, bd, B, D, raw, tau, dxp, bd, dyp, bd, scp, len, lp,
                ),
            }
        };
        assert_eq!(rc, DPM_OK, "family {family}");
        let (mut rdx, mut rdy, mut rsc) = (zero(), zero(), vec![T::ZERO; len]);
        let out = TiledOut::new(&mut rdx, &mut rdy);
        let (ids_i, ids_t, f) = (&IMAGE_IDS[..], &TEXT_IDS[..], Features::Raw);
        let rl = match family {
            0 => dpm_core::embed::dpm_bimodal_tiled(
                &x, &y, B, D, f, ids_i, ids_t, iv, tv, rp, out, &mut rsc,
            ),
            1 => dpm_core::embed::sogclr_bimodal_tiled(
                &x, &y, B, D, f, ids_i, ids_t, iv, tv, rq, out, &mut rsc,
            ),
            _ => dpm_core::embed::infonce_bimodal_tiled(&x, &y, B, D, f, tau, out, &mut rsc),
        }
        .unwrap();
        let outs = vec![
            ("dx", exact(&dx), exact(&rdx)),
            ("dy", exact(&dy), exact(&rdy)),
        ];
        (l, rl, outs)
    });
}

#[test]
fn tiled_steps_same_results_as_the_rust_api() {
    tiled_steps::<f64>();
    tiled_steps::<f32>();
}

/// The stored DPM step from raw features: `S`, `dS`, both weight
/// matrices, `dx`, `dy`, the losses and the states as the Rust
/// `dpm_bimodal_from_features` gives them.
fn from_features_steps<T: Prec>() {
    let (x, y) = (features::<T>(0), features::<T>(2));
    let (p, rp) = dpm_params::<T>();
    let len = dpm_from_features_scratch_len(B, D);
    assert_eq!(
        len,
        dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })
    );
    let (bb, bd) = (B * B, B * D);
    let outs = || [bb, bb, bb, bb, bd, bd].map(|n| vec![T::ZERO; n]);
    six_steps::<T>("from features", 0..1, |_, [img, txt], [iv, tv]| {
        let [mut s, mut ds, mut wi, mut wt, mut dx, mut dy] = outs();
        let (mut sc, mut l) = (vec![T::ZERO; len], DpmLossesOf::<T>::default());
        let (xp, yp, ii, ti) = (
            x.as_ptr(),
            y.as_ptr(),
            IMAGE_IDS.as_ptr(),
            TEXT_IDS.as_ptr(),
        );
        let (sp, dsp, wip, wtp) = (
            s.as_mut_ptr(),
            ds.as_mut_ptr(),
            wi.as_mut_ptr(),
            wt.as_mut_ptr(),
        );
        let (dxp, dyp, scp, lp) = (dx.as_mut_ptr(), dy.as_mut_ptr(), sc.as_mut_ptr(), &mut l);
        // SAFETY: every pointer is a live Vec of the length given.
        let rc = unsafe {
            T::FROM_FEATURES(
                xp,
                bd,
                yp,
                bd,
                B,
                D,
                DPM_FEATURES_RAW,
                ii,
                B,
                ti,
                B,
                &img,
                &txt,
                &p[0],
                &p[1],
                sp,
                bb,
                dsp,
                bb,
                wip,
                bb,
                wtp,
                bb,
                dxp,
                bd,
                dyp,
                bd,
                scp,
                len,
                lp,
            )
        };
        assert_eq!(rc, DPM_OK);
        let [mut rs, mut rds, mut rwi, mut rwt, mut rdx, mut rdy] = outs();
        let out = FeatureOut {
            weights_image: Some(&mut rwi),
            weights_text: Some(&mut rwt),
            ..FeatureOut::new(&mut rs, &mut rds, &mut rdx, &mut rdy)
        };
        let (ids_i, ids_t, f) = (&IMAGE_IDS[..], &TEXT_IDS[..], Features::Raw);
        let mut rsc = vec![T::ZERO; len];
        let rl = dpm_core::embed::dpm_bimodal_from_features(
            &x, &y, B, D, f, ids_i, ids_t, iv, tv, rp, out, &mut rsc,
        )
        .unwrap();
        let outs = vec![
            ("S", exact(&s), exact(&rs)),
            ("dS", exact(&ds), exact(&rds)),
            ("image weights", exact(&wi), exact(&rwi)),
            ("text weights", exact(&wt), exact(&rwt)),
            ("dx", exact(&dx), exact(&rdx)),
            ("dy", exact(&dy), exact(&rdy)),
        ];
        (l, rl, outs)
    });
}

#[test]
fn from_features_step_same_results_as_the_rust_api() {
    from_features_steps::<f64>();
    from_features_steps::<f32>();
}

/// Log-sum-exp, state init and the checkpoint functions against the Rust
/// API: the same values, bytes, slots and sequence numbers.
fn small_functions<T: Prec>() {
    let x: Vec<T> = [700.0_f32, 699.5, -3.0, 0.25].map(t).to_vec();
    let mut out = t::<T>(9.0);
    // SAFETY: x is live, out one element.
    assert_eq!(
        unsafe { T::LOG_SUM_EXP(x.as_ptr(), x.len(), &mut out) },
        DPM_OK
    );
    assert_eq!(
        format!("{out:?}"),
        format!("{:?}", lse::log_sum_exp(&x).unwrap())
    );
    // State init: the Rust state's checkpoint.
    let mut c = Arrays::<T>::new(N);
    let mut r = State::<T, N>::new(t(-0.05));
    assert_eq!(saved_c(&mut c, 3), saved(&mut r, 3));
    // A state with history, saved by the Rust API, loaded through C.
    let ((_, rp), ids) = (dpm_params::<T>(), [0_usize, 5, 9, 2]);
    let mut other = State::<T, N>::new(t(-0.05));
    let mut sc = vec![T::ZERO; dpm_bimodal_scratch_len(B)];
    let mut ds = vec![T::ZERO; B * B];
    let (iv, tv) = (&mut r.view(), &mut other.view());
    let out = BimodalOut::new(&mut ds);
    dpm_core::dpm_bimodal(&scores::<T>(), B, &ids, &ids, iv, tv, rp, out, &mut sc).unwrap();
    assert_eq!(T::CHECKPOINT_LEN(N), checkpoint_len::<T>(N));
    let (old, new) = (saved(&mut r, 6), saved(&mut r, 7));
    let mut seq = 0_u64;
    // SAFETY: live arrays and buffers of the lengths given.
    assert_eq!(
        unsafe { T::LOAD(&c.c(), new.as_ptr(), new.len(), &mut seq) },
        DPM_OK
    );
    assert_eq!((saved_c(&mut c, 7), seq), (new.clone(), 7));
    // The A/B slots: the Rust answers.
    let mut torn = new.clone();
    torn[new.len() / 2] ^= 1;
    let (mut slot, mut seq) = (9_u32, 0_u64);
    for [a, b] in
        [[&old, &new], [&new, &old], [&old, &torn], [&torn, &torn]].map(|p| p.map(|v| v.as_slice()))
    {
        let rust_next = r.view().next_checkpoint_slot([a, b]);
        // SAFETY: as above.
        let rc = unsafe {
            T::NEXT_SLOT(
                &c.c(),
                a.as_ptr(),
                a.len(),
                b.as_ptr(),
                b.len(),
                &mut slot,
                &mut seq,
            )
        };
        assert_eq!((rc, slot as usize, seq), (DPM_OK, rust_next.0, rust_next.1));
        let mut fresh = Arrays::<T>::new(N);
        let rust_newest = State::<T, N>::new(t(-0.05)).view().load_newest([a, b]);
        // SAFETY: as above.
        let rc = unsafe {
            T::LOAD_NEWEST(
                &fresh.c(),
                a.as_ptr(),
                a.len(),
                b.as_ptr(),
                b.len(),
                &mut slot,
                &mut seq,
            )
        };
        match rust_newest {
            Ok((k, s)) => assert_eq!((rc, slot as usize, seq), (DPM_OK, k, s)),
            Err(e) => assert_eq!(
                (rc, status_code(&e)),
                (DPM_ERR_BAD_CHECKPOINT, DPM_ERR_BAD_CHECKPOINT)
            ),
        }
    }
}

#[test]
fn small_functions_same_results_as_the_rust_api() {
    small_functions::<f64>();
    small_functions::<f32>();
}

/// Expects `rc == code` and `arrays` unchanged by the call.
fn refused<T: Prec>(what: &str, rc: i32, code: i32, before: &[Arrays<T>], after: &[Arrays<T>]) {
    assert_eq!(rc, code, "{what}");
    assert_eq!(before, after, "{what}: a refused call wrote the state");
}

/// One error per function, mapped to its status code, with no output,
/// no state and no loss written.
fn one_error_each<T: Prec>() {
    let s = scores::<T>();
    let ((p, _), (mut q, _)) = (dpm_params::<T>(), sogclr_params::<T>());
    let mut pops = [Arrays::<T>::new(N), Arrays::<T>::new(N)];
    let before = pops.clone();
    let (img, txt) = (pops[0].c(), pops[1].c());
    let seven = t::<T>(-7.0);
    let (mut ds, mut sc) = (
        vec![seven; B * B],
        vec![T::ZERO; dpm_bimodal_scratch_len(B)],
    );
    let mut l = DpmLossesOf {
        total: seven,
        image_to_text: seven,
        text_to_image: seven,
    };
    let untouched = l;
    let dup = [1_usize, 4, 1, 2];
    let (bb, len, nl) = (B * B, sc.len(), null_mut());
    let (dp, scp, sp) = (ds.as_mut_ptr(), sc.as_mut_ptr(), s.as_ptr());
    q[1].first_visit = 7;
    // SAFETY: every pointer is a live Vec of the length given.
    let rcs = unsafe {
        [
            (
                "duplicate id",
                T::BIMODAL(
                    sp,
                    bb,
                    dup.as_ptr(),
                    B,
                    TEXT_IDS.as_ptr(),
                    B,
                    &img,
                    &txt,
                    &p[0],
                    &p[1],
                    dp,
                    bb,
                    nl,
                    0,
                    nl,
                    0,
                    scp,
                    len,
                    &mut l,
                ),
                DPM_ERR_DUPLICATE_ID,
            ),
            (
                "sogclr first_visit 7",
                T::SOGCLR(
                    sp,
                    bb,
                    IMAGE_IDS.as_ptr(),
                    B,
                    TEXT_IDS.as_ptr(),
                    B,
                    &img,
                    &txt,
                    &q[0],
                    &q[1],
                    dp,
                    bb,
                    nl,
                    0,
                    nl,
                    0,
                    scp,
                    len,
                    &mut l,
                ),
                DPM_ERR_INVALID_PARAMETER,
            ),
            (
                "infonce tau < 0",
                T::INFONCE(sp, bb, B, t(-1.0), dp, bb, nl, 0, nl, 0, scp, len, &mut l),
                DPM_ERR_INVALID_PARAMETER,
            ),
        ]
    };
    for (what, rc, code) in rcs {
        refused(what, rc, code, &before, &pops);
        assert_eq!(exact(&ds), exact(&[seven; B * B]), "{what}: dS written");
        assert_eq!(l, untouched, "{what}: losses written");
    }
    // Tiled: unknown features, an id out of range, a short x.
    let (x, y) = (features::<T>(0), features::<T>(1));
    let (mut dx, mut dy) = (vec![seven; B * D], vec![seven; B * D]);
    let mut tsc = vec![T::ZERO; dpm_tiled_scratch_len(B, D)];
    let (bd, tl) = (B * D, tsc.len());
    let (xp, yp, dxp, dyp, tscp) = (
        x.as_ptr(),
        y.as_ptr(),
        dx.as_mut_ptr(),
        dy.as_mut_ptr(),
        tsc.as_mut_ptr(),
    );
    let far = [1_usize, 4, N, 2];
    let raw = DPM_FEATURES_RAW;
    q[1].first_visit = DPM_FIRST_VISIT_BATCH;
    // SAFETY: as above.
    let rcs = unsafe {
        [
            (
                "tiled features 7",
                T::TILED(
                    xp,
                    bd,
                    yp,
                    bd,
                    B,
                    D,
                    7,
                    IMAGE_IDS.as_ptr(),
                    B,
                    TEXT_IDS.as_ptr(),
                    B,
                    &img,
                    &txt,
                    &p[0],
                    &p[1],
                    dxp,
                    bd,
                    dyp,
                    bd,
                    tscp,
                    tl,
                    &mut l,
                ),
                DPM_ERR_INVALID_PARAMETER,
            ),
            (
                "tiled sogclr id n",
                T::SOGCLR_TILED(
                    xp,
                    bd,
                    yp,
                    bd,
                    B,
                    D,
                    raw,
                    IMAGE_IDS.as_ptr(),
                    B,
                    far.as_ptr(),
                    B,
                    &img,
                    &txt,
                    &q[0],
                    &q[1],
                    dxp,
                    bd,
                    dyp,
                    bd,
                    tscp,
                    tl,
                    &mut l,
                ),
                DPM_ERR_ID_OUT_OF_RANGE,
            ),
            (
                "tiled infonce short x",
                T::INFONCE_TILED(
                    xp,
                    bd - 1,
                    yp,
                    bd,
                    B,
                    D,
                    raw,
                    t(0.1),
                    dxp,
                    bd,
                    dyp,
                    bd,
                    tscp,
                    tl,
                    &mut l,
                ),
                DPM_ERR_LENGTH_MISMATCH,
            ),
        ]
    };
    // From features: a text id out of range (checked after S is formed
    // in scratch: still nothing written).
    let (mut s2, mut fsc) = (
        vec![seven; bb],
        vec![T::ZERO; dpm_from_features_scratch_len(B, D)],
    );
    // SAFETY: as above.
    let rc = unsafe {
        T::FROM_FEATURES(
            xp,
            bd,
            yp,
            bd,
            B,
            D,
            raw,
            IMAGE_IDS.as_ptr(),
            B,
            far.as_ptr(),
            B,
            &img,
            &txt,
            &p[0],
            &p[1],
            s2.as_mut_ptr(),
            bb,
            dp,
            bb,
            nl,
            0,
            nl,
            0,
            dxp,
            bd,
            dyp,
            bd,
            fsc.as_mut_ptr(),
            fsc.len(),
            &mut l,
        )
    };
    let rcs = rcs
        .into_iter()
        .chain([("from features id n", rc, DPM_ERR_ID_OUT_OF_RANGE)]);
    for (what, rc, code) in rcs {
        refused(what, rc, code, &before, &pops);
        assert_eq!(
            (exact(&dx), exact(&dy)),
            (exact(&[seven; B * D]), exact(&[seven; B * D])),
            "{what}: outputs written"
        );
        assert_eq!(
            (exact(&s2), exact(&ds)),
            (exact(&[seven; B * B]), exact(&[seven; B * B])),
            "{what}: S or dS written"
        );
        assert_eq!(l, untouched, "{what}: losses written");
    }
    // State init, log-sum-exp.
    // SAFETY: live arrays; one output element.
    unsafe {
        refused(
            "init NaN",
            T::STATE_INIT(&img, T::nan()),
            DPM_ERR_INVALID_PARAMETER,
            &before,
            &pops,
        );
        let (bad, mut out) = ([T::ONE, T::nan()], seven);
        assert_eq!(
            T::LOG_SUM_EXP(bad.as_ptr(), 2, &mut out),
            DPM_ERR_NON_FINITE
        );
        assert_eq!(out, seven, "log-sum-exp NaN: out written");
    }
    // Checkpoints: a short buffer, a corrupted one, two empty slots, n = 1.
    let ck = T::CHECKPOINT_LEN(N);
    assert_eq!(T::CHECKPOINT_LEN(usize::MAX), usize::MAX);
    let mut buf = vec![0x5a_u8; ck];
    let good = saved_c(&mut pops[0], 4);
    let mut bad = good.clone();
    bad[ck - 1] ^= 0x10;
    let (mut seq, mut slot) = (77_u64, 77_u32);
    let mut small = Arrays::<T>::new(N);
    let one = DpmStateOf { n: 1, ..small.c() };
    // SAFETY: live arrays and buffers of the lengths given (or refused).
    unsafe {
        refused(
            "save short",
            T::SAVE(&img, 1, buf.as_mut_ptr(), ck - 1),
            DPM_ERR_LENGTH_MISMATCH,
            &before,
            &pops,
        );
        assert!(buf.iter().all(|&b| b == 0x5a), "save short: buffer written");
        refused(
            "load corrupted",
            T::LOAD(&img, bad.as_ptr(), ck, &mut seq),
            DPM_ERR_BAD_CHECKPOINT,
            &before,
            &pops,
        );
        let rc = T::LOAD_NEWEST(&img, bad.as_ptr(), ck, null(), 0, &mut slot, &mut seq);
        refused(
            "load newest, no valid slot",
            rc,
            DPM_ERR_BAD_CHECKPOINT,
            &before,
            &pops,
        );
        let rc = T::NEXT_SLOT(&one, good.as_ptr(), ck, null(), 0, &mut slot, &mut seq);
        refused(
            "next slot n = 1",
            rc,
            DPM_ERR_POPULATION_TOO_SMALL,
            &before,
            &pops,
        );
    }
    assert_eq!(
        (seq, slot),
        (77, 77),
        "a refused checkpoint call wrote its outputs"
    );
}

#[test]
fn one_error_per_function() {
    one_error_each::<f64>();
    one_error_each::<f32>();
}

/// A checkpoint records its precision: each precision's loads refuse the
/// other's, and write nothing.
#[test]
fn checkpoints_of_the_other_precision_are_refused() {
    let (mut a32, mut a64) = (Arrays::<f32>::new(N), Arrays::<f64>::new(N));
    let (c32, c64) = (saved_c(&mut a32, 1), saved_c(&mut a64, 1));
    let (b32, b64) = (a32.clone(), a64.clone());
    let (mut seq, mut slot) = (77_u64, 77_u32);
    // SAFETY: live arrays and buffers of the lengths given.
    unsafe {
        let (s32, s64) = (a32.c(), a64.c());
        assert_eq!(
            dpm_state_load_f64(&s64, c32.as_ptr(), c32.len(), &mut seq),
            DPM_ERR_BAD_CHECKPOINT
        );
        assert_eq!(
            dpm_state_load_f32(&s32, c64.as_ptr(), c64.len(), &mut seq),
            DPM_ERR_BAD_CHECKPOINT
        );
        let rc = dpm_state_load_newest_f64(
            &s64,
            c32.as_ptr(),
            c32.len(),
            c32.as_ptr(),
            c32.len(),
            &mut slot,
            &mut seq,
        );
        assert_eq!(rc, DPM_ERR_BAD_CHECKPOINT);
        // The f32 checkpoint is no checkpoint of this state: slot A, seq 1.
        let rc = dpm_state_next_slot_f64(
            &s64,
            c32.as_ptr(),
            c32.len(),
            null(),
            0,
            &mut slot,
            &mut seq,
        );
        assert_eq!((rc, slot, seq), (DPM_OK, 0, 1));
    }
    assert_eq!((a32, a64), (b32, b64), "a refused load wrote the state");
}
