//! No subnormal in the arithmetic (SPEC section 7), shown on x86_64: the
//! same steps with the CPU's flush-to-zero (FTZ) and denormals-are-zero
//! (DAZ) modes on give the same bits as with them off. If any operation of
//! the kernels read or produced a subnormal, FTZ/DAZ would change a result
//! (that is the cliff they remove), so equal bits mean none did. The crate
//! itself never touches these modes; only this test sets them, on its own
//! thread, and restores them.
//!
//! Inputs: the score families of the benches (unrelated and aligned pairs
//! at tau = 0.01, where most exps fall below the smallest normal number),
//! the bimodal DPM, SogCLR and InfoNCE steps with weights and `h`, and the
//! unimodal two-view DPM step; f32 and f64.
//!
//! Not covered, by design: scores whose differences are themselves
//! subnormal (two scores within 2^-126 of each other and both below about
//! 2^-100 in magnitude; f64: 2^-1022). They are normal inputs the crate
//! accepts, and their difference is subnormal before any exp sees it.
#![cfg(target_arch = "x86_64")]

#[path = "support/outs.rs"]
mod outs;
#[path = "support/random.rs"]
mod random;

use dpm_core::{
    DpmParams, FirstVisit, Layout, Offset, Real, SogClrParams, State, StateView, StepOut, ZetaStep,
};
use outs::Outs;
use random::{Rng, distinct_ids, family_features, family_scores};

/// MXCSR bits: FTZ (15) and DAZ (6).
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

fn mxcsr() -> u32 {
    let mut v = 0_u32;
    // SAFETY: stmxcsr writes the 4-byte MXCSR to the address given, a
    // live local; SSE is part of x86_64.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

fn set_mxcsr(v: u32) {
    // SAFETY: ldmxcsr reads 4 bytes from a live local; the values written
    // are the saved register with only FTZ and DAZ changed, both valid.
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
}

/// `f()` with FTZ and DAZ on, the mode restored after.
fn flushed<R>(f: impl FnOnce() -> R) -> R {
    let saved = mxcsr();
    set_mxcsr(saved | FTZ_DAZ);
    let r = f();
    set_mxcsr(saved);
    r
}

fn bits<T: Real>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| x.to_f64().to_bits()).collect()
}

/// Every output and the state after one bimodal step, as bits.
fn bimodal<T: Real>(s: &[T], b: usize, which: usize, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = Rng::new(seed);
    let n = 3 * b + 7;
    let ids_i = distinct_ids(&mut rng, b, n);
    let ids_t = distinct_ids(&mut rng, b, n);
    let zeta = |rng: &mut Rng| T::from_f64(-0.05 + 0.02 * rng.normal());
    let mut pops: Vec<State<T, 1024>> = (0..2).map(|_| State::new(T::from_f64(-0.05))).collect();
    for st in &mut pops {
        let mut v = st.view();
        for id in 0..n {
            v.set_zeta(id, zeta(&mut rng)).unwrap();
            if rng.uniform() < 0.5 {
                v.set_log_s(id, Some(T::from_f64(30.0 * rng.normal())))
                    .unwrap();
                v.set_z(id, Some(T::from_f64(rng.normal()))).unwrap();
            }
        }
    }
    let mut o = Outs::<T>::new(b);
    let (out, scratch) = o.all();
    let tau = T::from_f64(0.01);
    let (a, rest) = pops.split_at_mut(1);
    let (mut vi, mut vt) = (a[0].view(), rest[0].view());
    let loss = match which {
        0 => {
            let p = DpmParams {
                tau,
                gamma: T::from_f64(0.8),
                offset: Offset::Xi(T::ZERO),
                zeta_step: Some(ZetaStep {
                    theta: T::from_f64(0.9),
                    eta: T::from_f64(1e-3),
                }),
                first_visit: FirstVisit::Batch,
            };
            dpm_core::dpm_bimodal(
                s,
                ids_i.len(),
                &ids_i,
                &ids_t,
                &mut vi,
                &mut vt,
                dpm_core::Directions::both(p),
                out,
                scratch,
            )
        }
        1 => {
            let p = SogClrParams {
                tau,
                gamma: T::from_f64(0.9),
                first_visit: FirstVisit::Batch,
            };
            dpm_core::sogclr_bimodal(
                s,
                ids_i.len(),
                &ids_i,
                &ids_t,
                &mut vi,
                &mut vt,
                dpm_core::Directions::both(p),
                out,
                scratch,
            )
        }
        _ => dpm_core::infonce_bimodal(s, b, tau, out, scratch),
    }
    .unwrap();
    let state = |v: &StateView<'_, T>, ids: &[usize]| -> Vec<u64> {
        ids.iter()
            .flat_map(|&id| {
                [
                    v.zeta(id).unwrap(),
                    v.log_s(id).unwrap().unwrap_or(T::ZERO),
                    v.z(id).unwrap().unwrap_or(T::ZERO),
                ]
            })
            .map(|x| x.to_f64().to_bits())
            .collect()
    };
    vec![
        bits(&[loss.total, loss.image_to_text, loss.text_to_image]),
        bits(&o.ds),
        bits(&o.wi),
        bits(&o.wt),
        bits(&o.hi),
        bits(&o.ht),
        state(&vi, &ids_i),
        state(&vt, &ids_t),
    ]
}

/// The unimodal two-view DPM step on `2B x 2B` scores of two views.
fn two_view<T: Real>(s: &[T], r: usize) -> Vec<Vec<u64>> {
    let ids: Vec<usize> = (0..r).collect();
    let mut st = State::<T, 512>::new(T::from_f64(-0.05));
    let mut view = st.view();
    let (anchors, candidates) = view.split();
    let p = DpmParams {
        tau: T::from_f64(0.01),
        gamma: T::from_f64(0.9),
        offset: Offset::Xi(T::ZERO),
        zeta_step: Some(ZetaStep {
            theta: T::from_f64(0.9),
            eta: T::from_f64(1e-3),
        }),
        first_visit: FirstVisit::Batch,
    };
    let (mut ds, mut w, mut h) = (vec![T::ZERO; r * r], vec![T::ZERO; r * r], vec![T::ZERO; r]);
    let mut scratch =
        vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: r, cols: r })];
    let out = StepOut {
        ds: &mut ds,
        weights: Some(&mut w),
        h: Some(&mut h),
    };
    let loss = dpm_core::dpm_step(
        Layout::TwoView,
        s,
        ids.len(),
        ids.len(),
        &ids,
        &ids,
        anchors,
        candidates,
        p,
        out,
        &mut scratch,
    )
    .unwrap();
    vec![bits(&[loss]), bits(&ds), bits(&w), bits(&h)]
}

/// `2B x 2B` scores of the views `x` and `y` stacked.
fn two_view_scores(rng: &mut Rng, b: usize, sigma: f64) -> Vec<f64> {
    let d = 128;
    let (x, y) = family_features(rng, b, d, sigma);
    let z: Vec<&[f64]> = x.chunks(d).chain(y.chunks(d)).collect();
    let r = 2 * b;
    (0..r * r)
        .map(|k| z[k / r].iter().zip(z[k % r]).map(|(a, b)| a * b).sum())
        .collect()
}

fn same_bits<T: Real>(what: &str, run: impl Fn() -> Vec<Vec<u64>>) {
    let want = run();
    let got = flushed(&run);
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        if let Some(i) = w.iter().zip(g).position(|(a, b)| a != b) {
            panic!(
                "{what}, {}: output {k}[{i}] differs with FTZ/DAZ on: {:e} vs {:e}",
                core::any::type_name::<T>(),
                f64::from_bits(w[i]),
                f64::from_bits(g[i])
            );
        }
    }
}

fn families<T: Real>() {
    let mut rng = Rng::new(0xf72d);
    for sigma in [100.0, 1.0, 0.3] {
        for b in [64, 131] {
            let s: Vec<T> = family_scores(&mut rng, b, 128, sigma)
                .into_iter()
                .map(|v| T::from_f64(f64::from(v)))
                .collect();
            for (which, name) in ["dpm", "sogclr", "infonce"].into_iter().enumerate() {
                same_bits::<T>(&format!("{name} bimodal, sigma {sigma}, B = {b}"), || {
                    bimodal(&s, b, which, 5)
                });
            }
        }
        let s: Vec<T> = two_view_scores(&mut rng, 48, sigma)
            .into_iter()
            .map(T::from_f64)
            .collect();
        same_bits::<T>(&format!("dpm two-view, sigma {sigma}"), || two_view(&s, 96));
    }
}

#[test]
fn mode_really_flushes() {
    // The test's own premise: with the mode on, a subnormal product is 0.
    let tiny = core::hint::black_box(f32::MIN_POSITIVE);
    let half = core::hint::black_box(0.5_f32);
    assert!(tiny * half > 0.0);
    assert_eq!(flushed(|| core::hint::black_box(tiny) * half), 0.0);
    assert_eq!(mxcsr() & FTZ_DAZ, 0, "the mode is restored");
}

#[test]
fn same_bits_with_ftz_daz_f32() {
    families::<f32>();
}

#[test]
fn same_bits_with_ftz_daz_f64() {
    families::<f64>();
}
