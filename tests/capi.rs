//! The C ABI from Rust: same results as the Rust API, one status code per
//! error (SPEC section 7's errors), and nothing written on any error.
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use dpm_core::capi::*;
use dpm_core::{BimodalOut, DpmParams, Error, FirstVisit, Offset, State, ZetaStep, dpm_bimodal};
use std::ptr::{null, null_mut};

const B: usize = 4;
const N: usize = 10;

#[path = "support/c_prec.rs"]
mod c_prec;
#[path = "support/c_state.rs"]
mod c_state;
use c_state::{Arrays, params};

/// Everything one call reads and writes.
#[derive(Clone, Debug, PartialEq)]
struct Call {
    s: Vec<f32>,
    ids: Vec<usize>,
    image: Arrays,
    text: Arrays,
    p: [DpmParamsF32; 2],
    ds: Vec<f32>,
    w: Vec<f32>,
    scratch: Vec<f32>,
    losses: DpmLossesF32,
}

fn call() -> Call {
    let s: Vec<f32> = (0..B * B)
        .map(|k| {
            if k % (B + 1) == 0 {
                0.9
            } else {
                0.1 * (k % 3) as f32
            }
        })
        .collect();
    Call {
        s,
        ids: vec![1, 4, 7, 2],
        image: Arrays::new(N),
        text: Arrays::new(N),
        p: [
            params(),
            DpmParamsF32 {
                tau: 0.2,
                offset: DPM_OFFSET_VANILLA,
                ..params()
            },
        ],
        ds: vec![5.0; B * B],
        w: vec![6.0; B * B],
        scratch: vec![0.0; dpm_bimodal_scratch_len(B)],
        losses: DpmLossesF32 {
            total: 8.0,
            image_to_text: 8.0,
            text_to_image: 8.0,
        },
    }
}

impl Call {
    fn run(&mut self) -> i32 {
        let (img, txt) = (self.image.c(), self.text.c());
        self.run_with(img, txt)
    }
    fn run_with(&mut self, img: DpmStateF32, txt: DpmStateF32) -> i32 {
        // SAFETY: every pointer is a live Vec of the length passed.
        unsafe {
            dpm_bimodal_f32(
                self.s.as_ptr(),
                self.s.len(),
                self.ids.as_ptr(),
                self.ids.len(),
                self.ids.as_ptr(),
                self.ids.len(),
                &img,
                &txt,
                &self.p[0],
                &self.p[1],
                self.ds.as_mut_ptr(),
                self.ds.len(),
                self.w.as_mut_ptr(),
                self.w.len(),
                null_mut(),
                0,
                self.scratch.as_mut_ptr(),
                self.scratch.len(),
                &mut self.losses,
            )
        }
    }
}

/// Prepares a fresh call with `setup`, then expects `run` to return
/// `code` without changing any output or state array.
fn refused(code: i32, setup: impl FnOnce(&mut Call), run: impl FnOnce(&mut Call) -> i32) {
    let mut c = call();
    setup(&mut c);
    let written = |c: &Call| {
        (
            c.image.clone(),
            c.text.clone(),
            c.ds.clone(),
            c.w.clone(),
            c.losses,
        )
    };
    let before = written(&c);
    assert_eq!(
        run(&mut c),
        code,
        "{}",
        status_message(code).to_str().unwrap()
    );
    assert_eq!(written(&c), before);
}

#[test]
fn same_results_as_the_rust_api() {
    let mut c = call();
    for _ in 0..3 {
        assert_eq!(c.run(), DPM_OK);
    }
    let (mut img, mut txt) = (State::<f32, N>::new(-0.05), State::<f32, N>::new(-0.05));
    let p = DpmParams {
        tau: 0.1,
        gamma: 0.9,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 1e-2,
        }),
        first_visit: FirstVisit::Batch,
    };
    let q = DpmParams {
        tau: 0.2,
        offset: Offset::Vanilla,
        ..p
    };
    let (mut ds, mut w, mut scratch) = (
        vec![0.0; B * B],
        vec![0.0; B * B],
        vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B })],
    );
    let mut loss = None;
    for _ in 0..3 {
        let out = BimodalOut {
            weights_image: Some(&mut w),
            ..BimodalOut::new(&mut ds)
        };
        loss = Some(
            dpm_bimodal(
                &c.s,
                c.ids.len(),
                &c.ids,
                &c.ids,
                &mut img.view(),
                &mut txt.view(),
                dpm_core::Directions { image: p, text: q },
                out,
                &mut scratch,
            )
            .unwrap(),
        );
    }
    let loss = loss.unwrap();
    assert_eq!((c.ds, c.w), (ds, w));
    assert_eq!(
        c.losses,
        DpmLossesF32 {
            total: loss.total,
            image_to_text: loss.image_to_text,
            text_to_image: loss.text_to_image
        }
    );
    for id in 0..N {
        let v = img.view();
        assert_eq!(
            v.log_s(id).unwrap(),
            (c.image.s_flags[id] == 1).then_some(c.image.log_s[id])
        );
        assert_eq!(v.zeta(id).unwrap(), c.image.zeta[id]);
    }
}

#[test]
fn one_code_per_error_variant() {
    let all = [
        Error::BatchTooSmall { len: 1 },
        Error::PopulationTooSmall { len: 1 },
        Error::LengthMismatch {
            what: "x",
            expected: 1,
            found: 2,
        },
        Error::IdOutOfRange {
            what: "x",
            id: 1,
            len: 1,
        },
        Error::DuplicateId { what: "x", id: 1 },
        Error::InvalidParameter { what: "x" },
        Error::NonFinite {
            what: "x",
            index: 0,
        },
        Error::InvalidLayout { row: 0 },
        Error::OutOfRange { what: "x" },
        Error::CorruptState { id: 0 },
        Error::Empty { what: "x" },
        Error::ZeroNorm { what: "x", row: 0 },
        Error::Subnormal {
            what: "x",
            index: 0,
        },
        Error::BadCheckpoint { what: "x" },
    ];
    let codes: Vec<i32> = all.iter().map(status_code).collect();
    assert_eq!(codes, (1..=14).collect::<Vec<_>>());
    for code in codes
        .iter()
        .copied()
        .chain([DPM_OK, DPM_ERR_BAD_POINTER, DPM_ERR_OTHER])
    {
        assert_ne!(
            status_message(code).to_str().unwrap(),
            "unknown status code"
        );
    }
}

#[test]
fn refusals_write_nothing() {
    refused(
        DPM_ERR_INVALID_PARAMETER,
        |c| {
            c.p[0].tau = 0.0;
        },
        Call::run,
    );
    refused(
        DPM_ERR_INVALID_PARAMETER,
        |c| {
            c.p[1].offset = 7;
        },
        Call::run,
    );
    refused(
        DPM_ERR_INVALID_PARAMETER,
        |c| {
            c.p[1].has_zeta_step = 2;
        },
        Call::run,
    );
    refused(
        DPM_ERR_NON_FINITE,
        |c| {
            c.s[5] = f32::NAN;
        },
        Call::run,
    );
    refused(
        DPM_ERR_DUPLICATE_ID,
        |c| {
            c.ids[1] = 1;
        },
        Call::run,
    );
    refused(
        DPM_ERR_ID_OUT_OF_RANGE,
        |c| {
            c.ids[1] = N;
        },
        Call::run,
    );
    refused(
        DPM_ERR_CORRUPT_STATE,
        |c| {
            c.text.z_flags[9] = 3;
        },
        Call::run,
    );
    refused(
        DPM_ERR_LENGTH_MISMATCH,
        |c| {
            c.scratch.pop();
        },
        Call::run,
    );
    refused(
        DPM_ERR_BATCH_TOO_SMALL,
        |c| {
            c.ids.truncate(1);
            c.s.truncate(1);
        },
        Call::run,
    );
}

#[test]
fn bad_pointers_are_refused() {
    // The same state on both sides: overlapping outputs.
    refused(
        DPM_ERR_BAD_POINTER,
        |_| {},
        |c| {
            let st = c.image.c();
            c.run_with(st, st)
        },
    );
    // A NULL state array with n > 0.
    refused(
        DPM_ERR_BAD_POINTER,
        |_| {},
        |c| {
            let (img, mut txt) = (c.image.c(), c.text.c());
            txt.zeta = null_mut();
            c.run_with(img, txt)
        },
    );
    // A misaligned float array.
    refused(
        DPM_ERR_BAD_POINTER,
        |_| {},
        |c| {
            let (img, mut txt) = (c.image.c(), c.text.c());
            txt.z = txt.z.cast::<u8>().wrapping_add(1).cast();
            c.run_with(img, txt)
        },
    );
    // NULL parameters.
    let mut c = call();
    let (img, txt) = (c.image.c(), c.text.c());
    // SAFETY: NULL params are refused before anything is read.
    let rc = unsafe {
        dpm_bimodal_f32(
            c.s.as_ptr(),
            B * B,
            c.ids.as_ptr(),
            B,
            c.ids.as_ptr(),
            B,
            &img,
            &txt,
            null(),
            &c.p[1],
            c.ds.as_mut_ptr(),
            B * B,
            null_mut(),
            0,
            null_mut(),
            0,
            c.scratch.as_mut_ptr(),
            c.scratch.len(),
            null_mut(),
        )
    };
    assert_eq!(rc, DPM_ERR_BAD_POINTER);
    // dS overlapping scratch.
    let p = c.scratch.as_mut_ptr();
    // SAFETY: both pointers are inside one live Vec; refused before use.
    let rc = unsafe {
        dpm_bimodal_f32(
            c.s.as_ptr(),
            B * B,
            c.ids.as_ptr(),
            B,
            c.ids.as_ptr(),
            B,
            &img,
            &txt,
            &c.p[0],
            &c.p[1],
            p,
            B * B,
            null_mut(),
            0,
            null_mut(),
            0,
            p,
            c.scratch.len(),
            null_mut(),
        )
    };
    assert_eq!(rc, DPM_ERR_BAD_POINTER);
}

#[test]
fn state_init_and_log_sum_exp() {
    let _ = Arrays::<f32>::new(1); // n = 1: refused (checked inside)
    let mut a = Arrays::<f32>::new(3);
    let before = a.clone();
    let st = a.c();
    // SAFETY: live arrays of 3.
    assert_eq!(
        unsafe { dpm_state_init_f32(&st, f32::INFINITY) },
        DPM_ERR_INVALID_PARAMETER
    );
    // SAFETY: NULL is refused.
    assert_eq!(
        unsafe { dpm_state_init_f32(null(), 0.0) },
        DPM_ERR_BAD_POINTER
    );
    assert_eq!(a, before);
    let mut out = 9.0_f32;
    // SAFETY: NULL x with len 0 is an empty slice; out is one float.
    assert_eq!(unsafe { dpm_log_sum_exp_f32(null(), 0, &mut out) }, DPM_OK);
    assert_eq!(out, f32::NEG_INFINITY);
    // SAFETY: NULL x with len 2 and NULL out are refused.
    assert_eq!(
        unsafe { dpm_log_sum_exp_f32(null(), 2, &mut out) },
        DPM_ERR_BAD_POINTER
    );
    // SAFETY: as above.
    assert_eq!(
        unsafe { dpm_log_sum_exp_f32([1.0_f32].as_ptr(), 1, null_mut()) },
        DPM_ERR_BAD_POINTER
    );
}

/// SogCLR and InfoNCE from C are the Rust steps, bit for bit (SogCLR with
/// the two directions' parameters apart), and refuse bad parameters with
/// nothing written.
#[test]
fn sogclr_and_infonce_same_results_as_the_rust_api() {
    use dpm_core::{SogClrParams, infonce_bimodal, sogclr_bimodal};
    let mut c = call();
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
    let (img, txt) = (c.image.c(), c.text.c());
    let sog = |c: &mut Call, q: &[DpmSogClrParamsF32; 2]| {
        // SAFETY: every pointer is a live Vec of the length passed.
        unsafe {
            dpm_sogclr_bimodal_f32(
                c.s.as_ptr(),
                c.s.len(),
                c.ids.as_ptr(),
                B,
                c.ids.as_ptr(),
                B,
                &img,
                &txt,
                &q[0],
                &q[1],
                c.ds.as_mut_ptr(),
                c.ds.len(),
                c.w.as_mut_ptr(),
                c.w.len(),
                null_mut(),
                0,
                c.scratch.as_mut_ptr(),
                c.scratch.len(),
                &mut c.losses,
            )
        }
    };
    for _ in 0..2 {
        assert_eq!(sog(&mut c, &q), DPM_OK);
    }
    let (mut ri, mut rt) = (State::<f32, N>::new(-0.05), State::<f32, N>::new(-0.05));
    let to_rust = |p: DpmSogClrParamsF32| SogClrParams {
        tau: p.tau,
        gamma: p.gamma,
        first_visit: if p.first_visit == DPM_FIRST_VISIT_BATCH {
            FirstVisit::Batch
        } else {
            FirstVisit::ZeroHistory
        },
    };
    let params = dpm_core::Directions {
        image: to_rust(q[0]),
        text: to_rust(q[1]),
    };
    let (mut ds, mut w) = (vec![0.0; B * B], vec![0.0; B * B]);
    let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B })];
    let mut loss = None;
    for _ in 0..2 {
        let out = BimodalOut {
            weights_image: Some(&mut w),
            ..BimodalOut::new(&mut ds)
        };
        let (iv, tv) = (&mut ri.view(), &mut rt.view());
        loss = Some(
            sogclr_bimodal(&c.s, B, &c.ids, &c.ids, iv, tv, params, out, &mut scratch).unwrap(),
        );
    }
    let loss = loss.unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!((bits(&c.ds), bits(&c.w)), (bits(&ds), bits(&w)));
    assert_eq!(c.losses.total.to_bits(), loss.total.to_bits());
    for id in 0..N {
        let v = rt.view();
        assert_eq!(
            v.log_s(id).unwrap(),
            (c.text.s_flags[id] == 1).then_some(c.text.log_s[id])
        );
    }
    // A bad first_visit: refused, nothing written.
    let before = (
        c.ds.clone(),
        c.w.clone(),
        c.image.clone(),
        c.text.clone(),
        c.losses,
    );
    let mut bad = q;
    bad[1].first_visit = 2;
    assert_eq!(sog(&mut c, &bad), DPM_ERR_INVALID_PARAMETER);
    assert_eq!(
        (
            c.ds.clone(),
            c.w.clone(),
            c.image.clone(),
            c.text.clone(),
            c.losses
        ),
        before
    );
    // InfoNCE.
    let nce = |c: &mut Call, tau: f32| {
        // SAFETY: every pointer is a live Vec of the length passed.
        unsafe {
            dpm_infonce_bimodal_f32(
                c.s.as_ptr(),
                c.s.len(),
                B,
                tau,
                c.ds.as_mut_ptr(),
                c.ds.len(),
                c.w.as_mut_ptr(),
                c.w.len(),
                null_mut(),
                0,
                c.scratch.as_mut_ptr(),
                c.scratch.len(),
                &mut c.losses,
            )
        }
    };
    assert_eq!(nce(&mut c, 0.07), DPM_OK);
    let out = BimodalOut {
        weights_image: Some(&mut w),
        ..BimodalOut::new(&mut ds)
    };
    let want = infonce_bimodal(&c.s, B, 0.07, out, &mut scratch).unwrap();
    assert_eq!((bits(&c.ds), bits(&c.w)), (bits(&ds), bits(&w)));
    assert_eq!(c.losses.total.to_bits(), want.total.to_bits());
    let before = (c.ds.clone(), c.w.clone(), c.losses);
    assert_eq!(nce(&mut c, f32::NAN), DPM_ERR_INVALID_PARAMETER);
    assert_eq!(nce(&mut c, 1e-40), DPM_ERR_INVALID_PARAMETER);
    assert_eq!((c.ds.clone(), c.w.clone(), c.losses), before);
}
