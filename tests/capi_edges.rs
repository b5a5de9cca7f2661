//! Every length and pointer edge of every `extern "C"` function (SPEC
//! section 7: refusals, nothing written on error): each call returns a
//! status code (never panics: a panic in an `extern "C"` function aborts
//! this test binary), and a refused call writes no output and no state.
//!
//! Lengths are probed at 0, 1, one below and one above the true length,
//! at the first count whose size in bytes passes `isize::MAX`, and at
//! `SIZE_MAX`; pointers at NULL and misaligned. Every array is allocated
//! a few elements longer than the true length, so that a length one
//! above it is still memory the caller owns (a C caller lying beyond its
//! allocation is outside any contract).
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use dpm_core::capi::*;
use std::mem::size_of;
use std::ptr::{null, null_mut};

#[path = "support/c_prec.rs"]
mod c_prec;
use c_prec::{Prec, t};

const B: usize = 4;
const N: usize = 10;
const SPARE: usize = 8;

/// Under Miri, `f64` runs a subset of the probes: the `_f64` functions
/// share every body of pointer checks with the `_f32` ones (generic over
/// the precision), which `f32` probes in full; what `f64` changes is the
/// element size and alignment (8 bytes), which the subset covers for
/// every kind of array. Natively both precisions run every probe. This
/// keeps CI's Miri stage within its time budget (the full `f64` set
/// doubled it).
fn miri_subset<T>() -> bool {
    cfg!(miri) && size_of::<T>() == 8
}

/// The step families (0 DPM, 1 SogCLR, 2 InfoNCE) probed in `T`: under
/// [`miri_subset`] DPM only (the three share `stored.rs` and
/// `tiled_args.rs`).
fn families<T>() -> std::ops::Range<u8> {
    if miri_subset::<T>() { 0..1 } else { 0..3 }
}

/// The probes of the three families: 7 arrays of 8 probes each for DPM
/// and SogCLR, 5 for InfoNCE (no ids).
fn cases_of<T>() -> usize {
    [7 * 8, 7 * 8, 5 * 8][..families::<T>().len()].iter().sum()
}

/// The codes a function may return.
fn is_status(rc: i32) -> bool {
    rc == DPM_OK || rc == DPM_ERR_BAD_POINTER || (1..=14).contains(&rc)
}

/// Lengths to probe for an array of `len` elements of `size` bytes.
fn lengths(len: usize, size: usize) -> Vec<usize> {
    let past_isize = (isize::MAX as usize) / size + 1;
    vec![0, 1, len.saturating_sub(1), len + 1, past_isize, usize::MAX]
}

/// What a pointer argument is replaced by.
#[derive(Clone, Copy, Debug)]
enum Ptr {
    Live,
    Null,
    Misaligned,
}

fn ptr_of<T>(p: *mut T, how: Ptr) -> *mut T {
    match how {
        Ptr::Live => p,
        Ptr::Null => null_mut(),
        Ptr::Misaligned => p.cast::<u8>().wrapping_add(1).cast(),
    }
}

/// One population, spare elements included; `n` is what the struct says.
#[derive(Clone, Debug, PartialEq)]
struct Pop<T> {
    log_s: Vec<T>,
    s_flags: Vec<u8>,
    zeta: Vec<T>,
    z: Vec<T>,
    z_flags: Vec<u8>,
}

impl<T: Prec> Pop<T> {
    fn new() -> Self {
        Pop {
            log_s: vec![T::ZERO; N + SPARE],
            s_flags: vec![0; N + SPARE],
            zeta: vec![t(-0.05); N + SPARE],
            z: vec![T::ZERO; N + SPARE],
            z_flags: vec![0; N + SPARE],
        }
    }

    /// The C struct with `n`, and array `which` (0..5) replaced as `how`.
    fn c(&mut self, n: usize, which: usize, how: Ptr) -> DpmStateOf<T> {
        let pick = |k: usize| if k == which { how } else { Ptr::Live };
        DpmStateOf {
            log_s: ptr_of(self.log_s.as_mut_ptr(), pick(0)),
            s_flags: ptr_of(self.s_flags.as_mut_ptr(), pick(1)),
            zeta: ptr_of(self.zeta.as_mut_ptr(), pick(2)),
            z: ptr_of(self.z.as_mut_ptr(), pick(3)),
            z_flags: ptr_of(self.z_flags.as_mut_ptr(), pick(4)),
            n,
        }
    }
}

/// The array arguments of `dpm_bimodal_f32`, in order.
const ARRAYS: [&str; 7] = [
    "scores",
    "image_ids",
    "text_ids",
    "ds",
    "weights_image",
    "weights_text",
    "scratch",
];

/// The state of one call: inputs, outputs and states.
#[derive(Clone, Debug, PartialEq)]
struct Call<T> {
    s: Vec<T>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    ds: Vec<T>,
    wi: Vec<T>,
    wt: Vec<T>,
    scratch: Vec<T>,
    image: Pop<T>,
    text: Pop<T>,
    losses: DpmLossesOf<T>,
}

/// `-7`, the value no output of a call takes: a refused call leaves it.
fn untouched<T: Prec>() -> DpmLossesOf<T> {
    DpmLossesOf {
        total: t(-7.0),
        image_to_text: t(-7.0),
        text_to_image: t(-7.0),
    }
}

/// The parameters of both directions of the calls below.
fn dpm_params<T: Prec>(offset: u32, has_zeta_step: u32) -> DpmParamsOf<T> {
    DpmParamsOf {
        tau: t(0.1),
        gamma: t(0.9),
        offset,
        xi: T::ZERO,
        has_zeta_step,
        theta: t(0.9),
        eta: t(1e-2),
        first_visit: DPM_FIRST_VISIT_BATCH,
    }
}

fn sogclr_params<T: Prec>() -> DpmSogClrParamsOf<T> {
    DpmSogClrParamsOf {
        tau: t(0.1),
        gamma: t(0.9),
        first_visit: DPM_FIRST_VISIT_BATCH,
    }
}

impl<T: Prec> Call<T> {
    fn new() -> Self {
        let s = (0..B * B + SPARE)
            .map(|k| t(if k % (B + 1) == 0 { 0.9 } else { 0.1 }))
            .collect();
        Call {
            s,
            image_ids: (0..B + SPARE).collect(),
            text_ids: (0..B + SPARE).map(|k| (k + 3) % N).collect(),
            ds: vec![t(-7.0); B * B + SPARE],
            wi: vec![t(-7.0); B * B + SPARE],
            wt: vec![t(-7.0); B * B + SPARE],
            scratch: vec![T::ZERO; dpm_bimodal_scratch_len(B) + SPARE],
            image: Pop::new(),
            text: Pop::new(),
            losses: untouched(),
        }
    }

    /// What the caller can observe: everything but scratch.
    fn observed(&self) -> Self {
        Call {
            scratch: Vec::new(),
            ..self.clone()
        }
    }

    /// Calls `family` (0 DPM, 1 SogCLR, 2 InfoNCE, which takes no ids and
    /// no state) with array `arg` given `len` elements at a pointer
    /// replaced as `how`, and state `n` for both populations.
    fn run(&mut self, family: u8, arg: usize, len: usize, how: Ptr, n: usize) -> i32 {
        let true_len = [B * B, B, B, B * B, B * B, B * B, dpm_bimodal_scratch_len(B)];
        let l = |k: usize| if k == arg { len } else { true_len[k] };
        let p = |k: usize| if k == arg { how } else { Ptr::Live };
        let params = dpm_params(DPM_OFFSET_XI, 1);
        let (img, txt) = (self.image.c(n, 9, Ptr::Live), self.text.c(n, 9, Ptr::Live));
        let q = sogclr_params();
        let (s, ii, ti) = (
            ptr_of(self.s.as_mut_ptr(), p(0)),
            ptr_of(self.image_ids.as_mut_ptr(), p(1)),
            ptr_of(self.text_ids.as_mut_ptr(), p(2)),
        );
        let (ds, wi, wt, sc) = (
            ptr_of(self.ds.as_mut_ptr(), p(3)),
            ptr_of(self.wi.as_mut_ptr(), p(4)),
            ptr_of(self.wt.as_mut_ptr(), p(5)),
            ptr_of(self.scratch.as_mut_ptr(), p(6)),
        );
        let losses = &mut self.losses;
        // SAFETY: every live pointer is a Vec at least SPARE elements
        // longer than the true length; every other length is refused
        // before a slice is formed (that is what this test checks).
        unsafe {
            match family {
                0 => T::BIMODAL(
                    s,
                    l(0),
                    ii,
                    l(1),
                    ti,
                    l(2),
                    &img,
                    &txt,
                    &params,
                    &params,
                    ds,
                    l(3),
                    wi,
                    l(4),
                    wt,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
                1 => T::SOGCLR(
                    s,
                    l(0),
                    ii,
                    l(1),
                    ti,
                    l(2),
                    &img,
                    &txt,
                    &q,
                    &q,
                    ds,
                    l(3),
                    wi,
                    l(4),
                    wt,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
                _ => T::INFONCE(
                    s,
                    l(0),
                    B,
                    t(0.1),
                    ds,
                    l(3),
                    wi,
                    l(4),
                    wt,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
            }
        }
    }
}

#[test]
fn bimodal_every_array_length_and_pointer() {
    bimodal_arrays::<f32>();
}

#[test]
fn bimodal_every_array_length_and_pointer_f64() {
    bimodal_arrays::<f64>();
}

fn bimodal_arrays<T: Prec>() {
    let true_len = [B * B, B, B, B * B, B * B, B * B, dpm_bimodal_scratch_len(B)];
    let (f, u) = (size_of::<T>(), size_of::<usize>());
    let sizes = [f, u, u, f, f, f, f];
    let mut cases = 0;
    for family in families::<T>() {
        for arg in 0..ARRAYS.len() {
            if family == 2 && (arg == 1 || arg == 2) {
                continue; // InfoNCE takes no ids
            }
            let mut probes: Vec<(usize, Ptr)> = lengths(true_len[arg], sizes[arg])
                .into_iter()
                .map(|len| (len, Ptr::Live))
                .collect();
            probes.push((true_len[arg], Ptr::Null));
            probes.push((true_len[arg], Ptr::Misaligned));
            for (len, how) in probes {
                let mut c = Call::<T>::new();
                let before = c.observed();
                let rc = c.run(family, arg, len, how, N);
                let ctx = format!(
                    "family {family}: {} = {how:?} with length {len}: {rc}",
                    ARRAYS[arg]
                );
                assert!(is_status(rc), "{ctx}");
                // Scratch may be longer than needed; the weights are optional
                // (NULL means "not asked for").
                let fine = len == true_len[arg] && matches!(how, Ptr::Live)
                    || arg == 6 && len == true_len[6] + 1 && matches!(how, Ptr::Live)
                    || (arg == 4 || arg == 5) && matches!(how, Ptr::Null);
                if fine {
                    assert_eq!(rc, DPM_OK, "{ctx}");
                } else {
                    assert_ne!(rc, DPM_OK, "{ctx}");
                    assert_eq!(c.observed(), before, "{ctx}: a refused call wrote");
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, cases_of::<T>());
}

#[test]
fn bimodal_every_state_length_and_pointer() {
    bimodal_states::<f32>();
}

#[test]
fn bimodal_every_state_length_and_pointer_f64() {
    bimodal_states::<f64>();
}

fn bimodal_states<T: Prec>() {
    for n in lengths(N, size_of::<T>()).into_iter().chain(lengths(N, 1)) {
        for (which, how) in bad_state_pointers() {
            // Under the Miri subset, the images' state only (both states
            // go through the same check).
            let sides = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .into_iter()
                .filter(|&(side, family)| {
                    families::<T>().contains(&family) && (side == 0 || !miri_subset::<T>())
                });
            for (side, family) in sides {
                let mut c = Call::<T>::new();
                let before = c.observed();
                let probe = |pop: &mut Pop<T>, here: bool| {
                    if here {
                        pop.c(n, which, how)
                    } else {
                        pop.c(N, 9, Ptr::Live)
                    }
                };
                let img = probe(&mut c.image, side == 0);
                let txt = probe(&mut c.text, side == 1);
                let params = [dpm_params::<T>(DPM_OFFSET_VANILLA, 0); 2];
                let q = sogclr_params::<T>();
                let (s, ii, ti, ds, sc) = (
                    c.s.as_ptr(),
                    c.image_ids.as_ptr(),
                    c.text_ids.as_ptr(),
                    c.ds.as_mut_ptr(),
                    c.scratch.as_mut_ptr(),
                );
                let (nl, n0, l) = (null_mut(), 0, &mut c.losses);
                let len = dpm_bimodal_scratch_len(B);
                // SAFETY: as in `Call::run`; the state arrays are N + SPARE
                // long and every larger n is refused before use.
                let rc = unsafe {
                    if family == 0 {
                        let (p0, p1) = (&params[0], &params[1]);
                        T::BIMODAL(
                            s,
                            B * B,
                            ii,
                            B,
                            ti,
                            B,
                            &img,
                            &txt,
                            p0,
                            p1,
                            ds,
                            B * B,
                            nl,
                            n0,
                            nl,
                            n0,
                            sc,
                            len,
                            l,
                        )
                    } else {
                        T::SOGCLR(
                            s,
                            B * B,
                            ii,
                            B,
                            ti,
                            B,
                            &img,
                            &txt,
                            &q,
                            &q,
                            ds,
                            B * B,
                            nl,
                            n0,
                            nl,
                            n0,
                            sc,
                            len,
                            l,
                        )
                    }
                };
                let ctx =
                    format!("family {family}, side {side}, n = {n}, array {which} {how:?}: {rc}");
                assert!(is_status(rc), "{ctx}");
                if n == 0 {
                    // Empty arrays: the pointers are ignored, n < 2 refused.
                    assert_eq!(rc, DPM_ERR_POPULATION_TOO_SMALL, "{ctx}");
                } else {
                    assert_ne!(rc, DPM_OK, "{ctx}");
                }
                assert_eq!(c.observed(), before, "{ctx}: a refused call wrote");
            }
        }
    }
}

/// NULL for each of the five state arrays, and misaligned for the three
/// float arrays (a byte array cannot be misaligned).
fn bad_state_pointers() -> Vec<(usize, Ptr)> {
    let null = (0..5).map(|k| (k, Ptr::Null));
    null.chain([0, 2, 3].map(|k| (k, Ptr::Misaligned)))
        .collect()
}

#[test]
fn state_init_every_length_and_pointer() {
    state_init::<f32>();
}

#[test]
fn state_init_every_length_and_pointer_f64() {
    state_init::<f64>();
}

fn state_init<T: Prec>() {
    for n in lengths(N, size_of::<T>()).into_iter().chain(lengths(N, 1)) {
        for (which, how) in [(9, Ptr::Live)].into_iter().chain(bad_state_pointers()) {
            let mut pop = Pop::<T>::new();
            pop.zeta.fill(t(3.0));
            let before = pop.clone();
            let st = pop.c(n, which, how);
            // SAFETY: arrays of N + SPARE; any larger n is refused.
            let rc = unsafe { T::STATE_INIT(&st, t(-0.05)) };
            let ctx = format!("n = {n}, array {which} {how:?}: {rc}");
            assert!(is_status(rc), "{ctx}");
            let live = matches!(how, Ptr::Live);
            if (2..=N + 1).contains(&n) && live {
                assert_eq!(rc, DPM_OK, "{ctx}");
            } else {
                assert_ne!(rc, DPM_OK, "{ctx}");
                assert_eq!(pop, before, "{ctx}: a refused init wrote");
            }
        }
    }
    // SAFETY: NULL and misaligned struct pointers are refused unread.
    unsafe {
        assert_eq!(T::STATE_INIT(null(), T::ZERO), DPM_ERR_BAD_POINTER);
        let mut pop = Pop::<T>::new();
        let st = [pop.c(N, 9, Ptr::Live), pop.c(N, 9, Ptr::Live)];
        let odd = st.as_ptr().cast::<u8>().wrapping_add(1).cast();
        assert_eq!(T::STATE_INIT(odd, T::ZERO), DPM_ERR_BAD_POINTER);
    }
}

#[test]
fn log_sum_exp_every_length_and_pointer() {
    log_sum_exp::<f32>();
}

#[test]
fn log_sum_exp_every_length_and_pointer_f64() {
    log_sum_exp::<f64>();
}

fn log_sum_exp<T: Prec>() {
    let mut x = vec![T::ONE; 4 + SPARE];
    for len in lengths(4, size_of::<T>()) {
        for how in [Ptr::Live, Ptr::Null, Ptr::Misaligned] {
            let mut out = t::<T>(-7.0);
            let p = ptr_of(x.as_mut_ptr(), how);
            // SAFETY: x has 4 + SPARE floats; any longer length is refused.
            let rc = unsafe { T::LOG_SUM_EXP(p, len, &mut out) };
            let ctx = format!("len {len} {how:?}: {rc}");
            assert!(is_status(rc), "{ctx}");
            let ok = len == 0 || (len <= 4 + 1 && matches!(how, Ptr::Live));
            assert_eq!(rc == DPM_OK, ok, "{ctx}");
            if !ok {
                assert_eq!(out, t(-7.0), "{ctx}: a refused call wrote");
            }
        }
        // SAFETY: a NULL out is refused before anything is read.
        assert_eq!(
            unsafe { T::LOG_SUM_EXP(x.as_ptr(), len, null_mut()) },
            DPM_ERR_BAD_POINTER
        );
    }
    // `out` inside `x`, or misaligned.
    let p = x.as_mut_ptr();
    // SAFETY: both refused before use.
    unsafe {
        assert_eq!(T::LOG_SUM_EXP(p, 4, p.add(1)), DPM_ERR_BAD_POINTER);
        let odd = p.cast::<u8>().wrapping_add(1).cast::<T>();
        assert_eq!(T::LOG_SUM_EXP(p, 4, odd), DPM_ERR_BAD_POINTER);
    }
}

#[test]
fn size_and_message_functions_answer_every_input() {
    for b in [
        0,
        1,
        2,
        1 << 20,
        usize::MAX / 14,
        usize::MAX / 14 + 1,
        usize::MAX,
    ] {
        let len = dpm_bimodal_scratch_len(b);
        assert_eq!(
            len,
            dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b }),
            "b = {b}"
        );
        assert_eq!(len, b.saturating_mul(32), "b = {b}");
    }
    for code in [i32::MIN, -3, -2, -1, 0, 12, 13, i32::MAX] {
        let msg = dpm_status_message(code);
        assert!(!msg.is_null());
        // SAFETY: a static NUL-terminated string (documented).
        let text = unsafe { std::ffi::CStr::from_ptr(msg) };
        assert!(!text.to_bytes().is_empty(), "code {code}");
    }
}

/// The checkpoint functions: every buffer length, NULL buffers and
/// outputs, misaligned outputs, every bad state pointer. A refused call
/// writes no state, no buffer and no output.
#[test]
fn checkpoint_functions_every_length_and_pointer() {
    checkpoints::<f32>();
}

#[test]
fn checkpoint_functions_every_length_and_pointer_f64() {
    checkpoints::<f64>();
}

fn checkpoints<T: Prec>() {
    let ck = T::CHECKPOINT_LEN(N);
    assert_eq!(ck, 28 + (3 * size_of::<T>() + 1) * N);
    assert_eq!(T::CHECKPOINT_LEN(usize::MAX), usize::MAX);
    let mut pop = Pop::<T>::new();
    pop.zeta[3] = t(0.75);
    let mut good = vec![0_u8; ck + SPARE];
    // SAFETY: live arrays of N + SPARE elements and a buffer of ck + SPARE.
    assert_eq!(
        unsafe { T::SAVE(&pop.c(N, 9, Ptr::Live), 5, good.as_mut_ptr(), ck) },
        DPM_OK
    );
    // Under the Miri subset: a NULL float array, a NULL byte array and a
    // misaligned float array stand for the eight bad state pointers.
    let states = [(9, Ptr::Live)]
        .into_iter()
        .chain(bad_state_pointers())
        .filter(|&(which, how)| {
            !miri_subset::<T>() || which == 9 || which < 2 && matches!(how, Ptr::Null) || which == 2
        });
    for (which, how) in states {
        for len in lengths(ck, 1) {
            for null_buf in [false, true] {
                let live = matches!(how, Ptr::Live);
                let fits = (ck..=ck + 1).contains(&len) && !null_buf;
                let ctx = format!("array {which} {how:?}, len {len}, NULL buf {null_buf}");
                // Save: into a buffer of ck + SPARE bytes.
                let mut p = Pop::<T>::new();
                let before = p.clone();
                let mut buf = vec![0xa5_u8; ck + SPARE];
                let bp = if null_buf {
                    null_mut()
                } else {
                    buf.as_mut_ptr()
                };
                // SAFETY: buffers of ck + SPARE; a longer length is refused.
                let rc = unsafe { T::SAVE(&p.c(N, which, how), 1, bp, len) };
                assert!(is_status(rc), "save {ctx}: {rc}");
                assert_eq!(rc == DPM_OK, live && fits, "save {ctx}: {rc}");
                if rc != DPM_OK {
                    assert!(buf.iter().all(|&b| b == 0xa5), "save {ctx}: buffer written");
                }
                assert_eq!(p, before, "save {ctx}: state written");
                // Load, load_newest, next slot: from `good`.
                let gp = if null_buf { null() } else { good.as_ptr() };
                let (mut seq, mut slot) = (77_u64, 77_u32);
                for newest in [false, true] {
                    let mut p = Pop::<T>::new();
                    let st = p.c(N, which, how);
                    // SAFETY: as above; outputs live.
                    let rc = unsafe {
                        if newest {
                            T::LOAD_NEWEST(&st, gp, len, good.as_ptr(), 0, &mut slot, &mut seq)
                        } else {
                            T::LOAD(&st, gp, len, &mut seq)
                        }
                    };
                    let ctx = format!("load (newest {newest}) {ctx}: {rc}");
                    assert!(is_status(rc), "{ctx}");
                    assert_eq!(rc == DPM_OK, live && fits, "{ctx}");
                    if rc == DPM_OK {
                        assert_eq!((p.zeta[3], seq), (t(0.75), 5), "{ctx}");
                        (seq, slot) = (77, 77);
                    } else {
                        assert_eq!(p, before, "{ctx}: state written");
                        assert_eq!((seq, slot), (77, 77), "{ctx}: outputs written");
                    }
                }
                // SAFETY: as above.
                let rc = unsafe {
                    T::NEXT_SLOT(&p.c(N, which, how), gp, len, gp, 0, &mut slot, &mut seq)
                };
                assert!(is_status(rc), "next slot {ctx}: {rc}");
                assert_eq!(
                    rc == DPM_OK,
                    live && (len <= ck + SPARE && !null_buf || len == 0),
                    "next slot {ctx}: {rc}"
                );
                if rc != DPM_OK {
                    assert_eq!((seq, slot), (77, 77), "next slot {ctx}: outputs written");
                }
            }
        }
    }
    // Outputs: NULL (optional for the loads, required for next slot),
    // misaligned, overlapping the buffer.
    let st = pop.c(N, 9, Ptr::Live);
    let mut words = [0_u64; 2];
    let odd64 = words
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<u64>();
    let odd32 = words
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<u32>();
    let (mut seq, mut slot) = (0_u64, 0_u32);
    let gp = good.as_ptr();
    // SAFETY: live arrays; bad outputs are refused before any write.
    unsafe {
        assert_eq!(T::LOAD(&st, gp, ck, null_mut()), DPM_OK);
        assert_eq!(T::LOAD(&st, gp, ck, odd64), DPM_ERR_BAD_POINTER);
        assert_eq!(
            T::LOAD_NEWEST(&st, gp, ck, gp, ck, null_mut(), null_mut()),
            DPM_OK
        );
        assert_eq!(
            T::LOAD_NEWEST(&st, gp, ck, gp, ck, odd32, &mut seq),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(
            T::NEXT_SLOT(&st, gp, ck, gp, ck, null_mut(), &mut seq),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(
            T::NEXT_SLOT(&st, gp, ck, gp, ck, &mut slot, null_mut()),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(
            T::NEXT_SLOT(&st, gp, ck, gp, ck, &mut slot, odd64),
            DPM_ERR_BAD_POINTER
        );
        // `seq` inside the checkpoint it reads, the buffer over the state.
        let inside = good.as_mut_ptr().add(8).cast::<u64>();
        assert_eq!(T::LOAD(&st, gp, ck, inside), DPM_ERR_BAD_POINTER);
        let over = st.zeta.cast::<u8>();
        assert_eq!(T::SAVE(&st, 0, over, ck), DPM_ERR_BAD_POINTER);
        assert_eq!(
            T::SAVE(null(), 0, good.as_mut_ptr(), ck),
            DPM_ERR_BAD_POINTER
        );
    }
}

/// The arrays of `dpm_bimodal_tiled_f32` and its SogCLR twin, in order
/// (`dpm_infonce_bimodal_tiled_f32` has all but the ids), then the four
/// that `dpm_bimodal_from_features_f32` (family [`FROM_FEATURES`]) has
/// too.
const TILED_ARRAYS: [&str; 11] = [
    "x",
    "y",
    "image_ids",
    "text_ids",
    "dx",
    "dy",
    "scratch",
    "scores",
    "ds",
    "weights_image",
    "weights_text",
];
const D: usize = 3;

/// The family number of the stored step from features among the tiled
/// ones (0 DPM, 1 SogCLR, 2 InfoNCE).
const FROM_FEATURES: u8 = 3;

/// The true lengths of [`TILED_ARRAYS`] in a call of `family`.
fn tiled_lengths(family: u8) -> [usize; 11] {
    let scratch = if family == FROM_FEATURES {
        dpm_from_features_scratch_len(B, D)
    } else {
        dpm_tiled_scratch_len(B, D)
    };
    let bb = B * B;
    [B * D, B * D, B, B, B * D, B * D, scratch, bb, bb, bb, bb]
}

/// Whether the probes of `family` cover array `arg`: InfoNCE has no ids,
/// only the stored step has `S`, `dS` and weights. Under Miri the stored
/// step probes only those four: its other arrays go through the same
/// checks (`tiled_args.rs`) as the tiled steps', which probe them.
fn tiled_probed(family: u8, arg: usize) -> bool {
    match family {
        FROM_FEATURES => !cfg!(miri) || arg >= 7,
        2 => arg != 2 && arg != 3 && arg < 7,
        _ => arg < 7,
    }
}

/// One tiled call's arrays and states, spare elements included.
#[derive(Clone, Debug, PartialEq)]
struct TiledCall<T> {
    x: Vec<T>,
    y: Vec<T>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    dx: Vec<T>,
    dy: Vec<T>,
    scratch: Vec<T>,
    s: Vec<T>,
    ds: Vec<T>,
    wi: Vec<T>,
    wt: Vec<T>,
    image: Pop<T>,
    text: Pop<T>,
    losses: DpmLossesOf<T>,
}

impl<T: Prec> TiledCall<T> {
    fn new() -> Self {
        let f = |k: usize| t(0.1 + (k % 7) as f32 * 0.2);
        TiledCall {
            x: (0..B * D + SPARE).map(f).collect(),
            y: (0..B * D + SPARE).map(|k| f(k + 3)).collect(),
            image_ids: (0..B + SPARE).collect(),
            text_ids: (0..B + SPARE).map(|k| (k + 3) % N).collect(),
            dx: vec![t(-7.0); B * D + SPARE],
            dy: vec![t(-7.0); B * D + SPARE],
            scratch: vec![
                T::ZERO;
                tiled_lengths(0)[6].max(tiled_lengths(FROM_FEATURES)[6]) + SPARE
            ],
            s: vec![t(-7.0); B * B + SPARE],
            ds: vec![t(-7.0); B * B + SPARE],
            wi: vec![t(-7.0); B * B + SPARE],
            wt: vec![t(-7.0); B * B + SPARE],
            image: Pop::new(),
            text: Pop::new(),
            losses: untouched(),
        }
    }

    /// Everything but scratch.
    fn observed(&self) -> Self {
        TiledCall {
            scratch: Vec::new(),
            ..self.clone()
        }
    }

    /// Calls `family` (0 DPM, 1 SogCLR, 2 InfoNCE, which takes no ids and
    /// no state, 3 the stored DPM step from features) with array `arg`
    /// given `len` elements at a pointer replaced as `how`, and the sizes
    /// `b`, `d`, `features` given.
    fn run(
        &mut self,
        family: u8,
        arg: usize,
        len: usize,
        how: Ptr,
        (b, d, features): (usize, usize, u32),
    ) -> i32 {
        let true_len = tiled_lengths(family);
        let l = |k: usize| if k == arg { len } else { true_len[k] };
        let p = |k: usize| if k == arg { how } else { Ptr::Live };
        let params = dpm_params(DPM_OFFSET_XI, 1);
        let q = sogclr_params();
        let (img, txt) = (self.image.c(N, 9, Ptr::Live), self.text.c(N, 9, Ptr::Live));
        let (x, y) = (
            ptr_of(self.x.as_mut_ptr(), p(0)),
            ptr_of(self.y.as_mut_ptr(), p(1)),
        );
        let (ii, ti) = (
            ptr_of(self.image_ids.as_mut_ptr(), p(2)),
            ptr_of(self.text_ids.as_mut_ptr(), p(3)),
        );
        let (dx, dy, sc) = (
            ptr_of(self.dx.as_mut_ptr(), p(4)),
            ptr_of(self.dy.as_mut_ptr(), p(5)),
            ptr_of(self.scratch.as_mut_ptr(), p(6)),
        );
        let (s, ds, wi, wt) = (
            ptr_of(self.s.as_mut_ptr(), p(7)),
            ptr_of(self.ds.as_mut_ptr(), p(8)),
            ptr_of(self.wi.as_mut_ptr(), p(9)),
            ptr_of(self.wt.as_mut_ptr(), p(10)),
        );
        let losses = &mut self.losses;
        // SAFETY: every live pointer is a Vec at least SPARE elements
        // longer than the true length; every other length is refused
        // before a slice is formed (that is what this test checks).
        unsafe {
            match family {
                0 => T::TILED(
                    x,
                    l(0),
                    y,
                    l(1),
                    b,
                    d,
                    features,
                    ii,
                    l(2),
                    ti,
                    l(3),
                    &img,
                    &txt,
                    &params,
                    &params,
                    dx,
                    l(4),
                    dy,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
                1 => T::SOGCLR_TILED(
                    x,
                    l(0),
                    y,
                    l(1),
                    b,
                    d,
                    features,
                    ii,
                    l(2),
                    ti,
                    l(3),
                    &img,
                    &txt,
                    &q,
                    &q,
                    dx,
                    l(4),
                    dy,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
                FROM_FEATURES => T::FROM_FEATURES(
                    x,
                    l(0),
                    y,
                    l(1),
                    b,
                    d,
                    features,
                    ii,
                    l(2),
                    ti,
                    l(3),
                    &img,
                    &txt,
                    &params,
                    &params,
                    s,
                    l(7),
                    ds,
                    l(8),
                    wi,
                    l(9),
                    wt,
                    l(10),
                    dx,
                    l(4),
                    dy,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
                _ => T::INFONCE_TILED(
                    x,
                    l(0),
                    y,
                    l(1),
                    b,
                    d,
                    features,
                    t(0.1),
                    dx,
                    l(4),
                    dy,
                    l(5),
                    sc,
                    l(6),
                    losses,
                ),
            }
        }
    }
}

#[test]
fn tiled_every_array_length_and_pointer() {
    tiled_arrays::<f32>();
}

#[test]
fn tiled_every_array_length_and_pointer_f64() {
    tiled_arrays::<f64>();
}

fn tiled_arrays<T: Prec>() {
    let (f, u) = (size_of::<T>(), size_of::<usize>());
    let sizes = [f, f, u, u, f, f, f, f, f, f, f];
    let good = (B, D, DPM_FEATURES_RAW);
    let mut cases = 0;
    let all = || families::<T>().chain([FROM_FEATURES]);
    for family in all() {
        let true_len = tiled_lengths(family);
        for arg in (0..TILED_ARRAYS.len()).filter(|&arg| tiled_probed(family, arg)) {
            let mut probes: Vec<(usize, Ptr)> = lengths(true_len[arg], sizes[arg])
                .into_iter()
                .map(|len| (len, Ptr::Live))
                .collect();
            probes.push((true_len[arg], Ptr::Null));
            probes.push((true_len[arg], Ptr::Misaligned));
            for (len, how) in probes {
                let mut c = TiledCall::<T>::new();
                let before = c.observed();
                let rc = c.run(family, arg, len, how, good);
                let ctx = format!(
                    "family {family}: {} = {how:?} with length {len}: {rc}",
                    TILED_ARRAYS[arg]
                );
                assert!(is_status(rc), "{ctx}");
                // Scratch may be longer than needed; the weights are optional.
                let fine = len == true_len[arg] && matches!(how, Ptr::Live)
                    || arg == 6 && len == true_len[6] + 1 && matches!(how, Ptr::Live)
                    || (arg == 9 || arg == 10) && matches!(how, Ptr::Null);
                if fine {
                    assert_eq!(rc, DPM_OK, "{ctx}");
                    assert_ne!(
                        c.observed(),
                        before,
                        "{ctx}: an accepted call wrote nothing"
                    );
                } else {
                    assert_ne!(rc, DPM_OK, "{ctx}");
                    assert_eq!(c.observed(), before, "{ctx}: a refused call wrote");
                }
                cases += 1;
            }
        }
    }
    let from_features = if cfg!(miri) { 4 * 8 } else { 11 * 8 };
    assert_eq!(cases, cases_of::<T>() + from_features);
    // Sizes and flags that lie: b, d against the arrays, unknown features.
    let lies = [
        (0, D, DPM_FEATURES_RAW),
        (1, D, DPM_FEATURES_RAW),
        (B + 1, D, DPM_FEATURES_RAW),
        (usize::MAX, D, DPM_FEATURES_RAW),
        (B, 0, DPM_FEATURES_NORMALIZED),
        (B, D + 1, DPM_FEATURES_RAW),
        (B, usize::MAX, DPM_FEATURES_RAW),
        (usize::MAX, usize::MAX, DPM_FEATURES_RAW),
        (B, D, 2),
        (B, D, u32::MAX),
    ];
    for family in all() {
        for sizes in lies {
            let mut c = TiledCall::<T>::new();
            let before = c.observed();
            let rc = c.run(family, 9, 0, Ptr::Live, sizes);
            assert!(
                is_status(rc) && rc != DPM_OK,
                "family {family}: {sizes:?}: {rc}"
            );
            assert_eq!(c.observed(), before, "{sizes:?}: a refused call wrote");
        }
    }
    assert_eq!(dpm_tiled_scratch_len(usize::MAX, 2), usize::MAX);
    assert_eq!(dpm_tiled_scratch_len(2, usize::MAX), usize::MAX);
    assert_eq!(dpm_from_features_scratch_len(usize::MAX, 2), usize::MAX);
    assert_eq!(dpm_from_features_scratch_len(2, usize::MAX), usize::MAX);
    assert_eq!(
        dpm_from_features_scratch_len(B, D),
        dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })
    );
}
