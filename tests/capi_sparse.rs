//! The sparse state from C (`dpm_sparse_*`, SPEC section 1's sparse
//! checkpoints and section 7's refusals) against the Rust
//! [`SparseState`] of the same capacity: the same slots for every id,
//! bit-identical steps through the views, bit-identical checkpoints (id
//! map and recency order included), and each function's errors with
//! nothing written. Generic over the precision (`tests/support/c_prec.rs`).
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use dpm_core::capi::*;
use dpm_core::{BimodalOut, Directions, DpmParams, FirstVisit, Offset, SparseState, ZetaStep};
use std::ptr::{null, null_mut};

#[path = "support/c_prec.rs"]
mod c_prec;
use c_prec::{Prec, t};
#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

const CAP: usize = DPM_SPARSE_CAPACITY;
/// The Rust state the C storage holds.
type Rust<T> = SparseState<T, CAP, { 2 * CAP }>;

/// C storage for one sparse state: `dpm_sparse_bytes_*()` bytes, 8-byte
/// aligned.
struct Storage<T: Prec> {
    words: Vec<u64>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Prec> Storage<T> {
    /// Storage initialised with `zeta_init`.
    fn new(zeta_init: T) -> Self {
        let mut s = Self::raw();
        // SAFETY: live storage of the size given.
        assert_eq!(
            unsafe { T::SPARSE_INIT(s.ptr(), (T::SPARSE_BYTES)(), zeta_init) },
            DPM_OK
        );
        s
    }

    /// Zeroed storage, never initialised.
    fn raw() -> Self {
        Storage {
            words: vec![0; (T::SPARSE_BYTES)() / 8],
            _t: std::marker::PhantomData,
        }
    }

    fn ptr(&mut self) -> *mut DpmSparseOf<T> {
        self.words.as_mut_ptr().cast()
    }

    fn slots(&mut self, ids: &[u64]) -> Vec<usize> {
        let mut out = vec![usize::MAX; ids.len()];
        // SAFETY: live storage, arrays of the length given.
        let rc = unsafe { T::SPARSE_SLOTS(self.ptr(), ids.as_ptr(), ids.len(), out.as_mut_ptr()) };
        assert_eq!(rc, DPM_OK);
        out
    }

    fn slot(&mut self, id: u64) -> usize {
        let mut k = 0;
        // SAFETY: live storage and output.
        assert_eq!(unsafe { T::SPARSE_SLOT(self.ptr(), id, &mut k) }, DPM_OK);
        k
    }

    fn view(&mut self) -> DpmStateOf<T> {
        let mut v = DpmStateOf {
            log_s: null_mut(),
            s_flags: null_mut(),
            zeta: null_mut(),
            z: null_mut(),
            z_flags: null_mut(),
            n: 0,
        };
        // SAFETY: live storage and output.
        assert_eq!(unsafe { T::SPARSE_VIEW(self.ptr(), &mut v) }, DPM_OK);
        v
    }

    fn save(&mut self, seq: u64) -> Vec<u8> {
        let mut buf = vec![0_u8; (T::SPARSE_CHECKPOINT_LEN)()];
        // SAFETY: live storage and buffer.
        let rc = unsafe { T::SPARSE_SAVE(self.ptr(), seq, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(rc, DPM_OK);
        buf
    }
}

/// `[-1, 1)` in `T`.
fn unit<T: Prec>(rng: &mut Rng) -> T {
    #[allow(clippy::cast_possible_truncation)]
    t(rng.range(-1.0, 1.0) as f32)
}

/// `b` distinct ids of `pool`.
fn pick(rng: &mut Rng, b: usize, pool: &[u64]) -> Vec<u64> {
    rng.distinct(b, pool.len())
        .into_iter()
        .map(|k| pool[k])
        .collect()
}

fn params<T: Prec>() -> (DpmParamsOf<T>, DpmParams<T>) {
    let c = DpmParamsOf {
        tau: t(0.1),
        gamma: t(0.8),
        offset: DPM_OFFSET_XI,
        xi: t(0.5),
        has_zeta_step: 1,
        theta: t(0.5),
        eta: t(0.25),
        first_visit: DPM_FIRST_VISIT_BATCH,
    };
    let r = DpmParams {
        tau: c.tau,
        gamma: c.gamma,
        offset: Offset::Xi(c.xi),
        zeta_step: Some(ZetaStep {
            theta: c.theta,
            eta: c.eta,
        }),
        first_visit: FirstVisit::Batch,
    };
    (c, r)
}

/// Steps of 8 pairs (at most the capacity) drawn from `3 CAP` ids per
/// population, until the slots are full and 60 steps more (so that ids
/// are evicted and come back), through C and through Rust: the slots,
/// `dS`, the losses and, 8 times in the run, both checkpoints are the
/// same bits.
fn steps_match_rust<T: Prec>() {
    // 8 pairs, or the capacity's worth (a build with DPM_SPARSE_CAPACITY < 8).
    const B: usize = if CAP < 8 { CAP } else { 8 };
    let mut rng = Rng::new(0x5eed ^ std::mem::size_of::<T>() as u64);
    let pools: Vec<Vec<u64>> = (0..2)
        .map(|_| (0..3 * CAP).map(|_| rng.next_u64()).collect())
        .collect();
    let zeta_init = t::<T>(-0.05);
    let (mut ci, mut ct) = (Storage::<T>::new(zeta_init), Storage::<T>::new(zeta_init));
    let (mut ri, mut rt) = (
        Rust::<T>::new(zeta_init).unwrap(),
        Rust::<T>::new(zeta_init).unwrap(),
    );
    let (cp, rp) = params::<T>();
    let mut scratch = vec![T::ZERO; dpm_bimodal_scratch_len(B)];
    let mut evictions = 0;
    // Enough steps to fill the slots and evict for 60 more: 120 at the
    // default capacity.
    let steps = 120.max(CAP / 2 + 60) as u64;
    let every = (steps / 8).max(15);
    for step in 0..steps {
        let (ids_i, ids_t) = (pick(&mut rng, B, &pools[0]), pick(&mut rng, B, &pools[1]));
        let s: Vec<T> = (0..B * B).map(|_| unit(&mut rng)).collect();
        let back = ids_i.iter().filter(|&&id| ri.slot(id).is_none()).count();
        let (si, st) = (ci.slots(&ids_i), ct.slots(&ids_t));
        let (mut ri_slots, mut rt_slots) = (vec![0; B], vec![0; B]);
        ri.slots(&ids_i, &mut ri_slots).unwrap();
        rt.slots(&ids_t, &mut rt_slots).unwrap();
        assert_eq!((&si, &st), (&ri_slots, &rt_slots), "step {step}: slots");
        if ri.len() == CAP {
            evictions += back;
        }
        let (vi, vt) = (ci.view(), ct.view());
        let (mut ds_c, mut ds_r) = (vec![T::ZERO; B * B], vec![T::ZERO; B * B]);
        let mut losses = DpmLossesOf::<T>::default();
        // SAFETY: live arrays of the lengths given; the views were taken
        // after the slots.
        let rc = unsafe {
            T::BIMODAL(
                s.as_ptr(),
                B * B,
                si.as_ptr(),
                B,
                st.as_ptr(),
                B,
                &vi,
                &vt,
                &cp,
                &cp,
                ds_c.as_mut_ptr(),
                B * B,
                null_mut(),
                0,
                null_mut(),
                0,
                scratch.as_mut_ptr(),
                scratch.len(),
                &mut losses,
            )
        };
        assert_eq!(rc, DPM_OK);
        let lr = dpm_core::dpm_bimodal(
            &s,
            B,
            &ri_slots,
            &rt_slots,
            &mut ri.view(),
            &mut rt.view(),
            Directions::both(rp),
            BimodalOut::new(&mut ds_r),
            &mut scratch,
        )
        .unwrap();
        assert_eq!(format!("{ds_c:?}"), format!("{ds_r:?}"), "step {step}: dS");
        assert_eq!(losses, DpmLossesOf::from(lr), "step {step}: losses");
        if step % every == every - 1 {
            let mut buf = vec![0_u8; (T::SPARSE_CHECKPOINT_LEN)()];
            ri.save_seq(step, &mut buf).unwrap();
            assert_eq!(ci.save(step), buf, "step {step}: image checkpoints");
            rt.save_seq(step, &mut buf).unwrap();
            assert_eq!(ct.save(step), buf, "step {step}: text checkpoints");
        }
    }
    // The run evicted: new ids came while every slot was taken.
    assert!(evictions > 0, "no id was evicted in the run");
}

/// Runs `f` on a thread with a stack for two Rust states of any
/// capacity (`SparseState::new` returns one by value: 2.7 MB at 32,768
/// slots in `f64`, more than a test thread's stack).
fn big_stack(f: fn()) {
    let stack = 4 * std::mem::size_of::<Rust<f64>>() + (1 << 20);
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn steps_through_c_match_the_rust_sparse_state_bit_for_bit() {
    big_stack(steps_match_rust::<f32>);
}

#[test]
fn steps_through_c_match_the_rust_sparse_state_bit_for_bit_f64() {
    big_stack(steps_match_rust::<f64>);
}

/// Save, "reset" (init), load: the same storage bytes' meaning (every
/// id's slot, the view, the next eviction); the A/B slots with the newer
/// one cut short load the older.
fn checkpoints_survive_a_reset<T: Prec>() {
    let mut a = Storage::<T>::new(t(-0.05));
    let first: Vec<u64> = (0..CAP as u64)
        .map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    a.slots(&first);
    a.slots(&first[..1]); // first[0] is now the most recent; first[1] the least
    let len = (T::SPARSE_CHECKPOINT_LEN)();
    let mut ab = [vec![0xff_u8; len], vec![0xff_u8; len]];
    let (mut slot, mut seq) = (9_u32, 0_u64);
    for _ in 0..2 {
        // SAFETY: live storage, slots and outputs.
        let rc = unsafe {
            T::SPARSE_NEXT_SLOT(
                a.ptr(),
                ab[0].as_ptr(),
                len,
                ab[1].as_ptr(),
                len,
                &mut slot,
                &mut seq,
            )
        };
        assert_eq!(rc, DPM_OK);
        let bytes = a.save(seq);
        ab[slot as usize].copy_from_slice(&bytes);
    }
    assert_eq!((slot, seq), (1, 2));
    let saved = a.save(2);
    ab[1][len / 3] ^= 0x10; // the newer write was cut short
    let mut b = Storage::<T>::new(t(0.0));
    // SAFETY: live storage, slots and outputs.
    let rc = unsafe {
        T::SPARSE_LOAD_NEWEST(
            b.ptr(),
            ab[0].as_ptr(),
            len,
            ab[1].as_ptr(),
            len,
            &mut slot,
            &mut seq,
        )
    };
    assert_eq!((rc, slot, seq), (DPM_OK, 0, 1));
    assert_eq!(b.save(2), saved, "the older slot holds the same state");
    for (k, &id) in first.iter().enumerate() {
        assert_eq!(b.slot(id), k);
    }
    // The next new id evicts first[1], in both.
    assert_eq!((a.slots(&[7])[0], b.slots(&[7])[0]), (1, 1));
    assert_eq!(
        (a.slot(first[1]), b.slot(first[1])),
        (usize::MAX, usize::MAX)
    );
    assert_eq!(a.save(3), b.save(3));
}

#[test]
fn checkpoints_survive_a_reset_in_both_precisions() {
    checkpoints_survive_a_reset::<f32>();
    checkpoints_survive_a_reset::<f64>();
}

/// Each function's errors: the status code, and nothing written (the
/// storage's bytes, outputs and buffers unchanged).
fn refusals<T: Prec>() {
    let bytes = (T::SPARSE_BYTES)();
    let mut raw = Storage::<T>::raw();
    // SAFETY (every call below): live storage, arrays of the lengths given.
    unsafe {
        assert_eq!(
            T::SPARSE_INIT(raw.ptr(), bytes - 8, t(0.0)),
            DPM_ERR_LENGTH_MISMATCH
        );
        assert_eq!(
            T::SPARSE_INIT(raw.ptr(), bytes + 8, t(0.0)),
            DPM_ERR_LENGTH_MISMATCH
        );
        assert_eq!(
            T::SPARSE_INIT(raw.ptr(), bytes, T::INFINITY),
            DPM_ERR_INVALID_PARAMETER
        );
        assert_eq!(
            T::SPARSE_INIT(null_mut(), bytes, t(0.0)),
            DPM_ERR_BAD_POINTER
        );
        assert!(raw.words.iter().all(|&w| w == 0), "a refused init wrote");
        // Never initialised: every function refuses it.
        let mut k = 5_usize;
        assert_eq!(T::SPARSE_SLOT(raw.ptr(), 1, &mut k), DPM_ERR_BAD_POINTER);
        assert_eq!(
            T::SPARSE_SLOTS(raw.ptr(), [1_u64].as_ptr(), 1, &mut k),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(k, 5);
    }
    let mut st = Storage::<T>::new(t(-0.05));
    st.slots(&[10, 20]);
    let before = st.words.clone();
    let cap_plus = vec![0_u64; CAP + 1];
    let mut out = vec![7_usize; CAP + 1];
    let mut buf = vec![0_u8; (T::SPARSE_CHECKPOINT_LEN)()];
    let other_len = if std::mem::size_of::<T>() == 4 {
        dpm_sparse_checkpoint_len_f64()
    } else {
        dpm_sparse_checkpoint_len_f32()
    };
    let mut other = vec![0_u8; other_len];
    // SAFETY: as above.
    unsafe {
        let ids: Vec<u64> = (0..=CAP as u64).collect();
        assert_eq!(
            T::SPARSE_SLOTS(st.ptr(), ids.as_ptr(), CAP + 1, out.as_mut_ptr()),
            DPM_ERR_LENGTH_MISMATCH
        );
        assert!(out.iter().all(|&o| o == 7));
        // Output overlapping the ids.
        assert_eq!(
            T::SPARSE_SLOTS(
                st.ptr(),
                cap_plus.as_ptr(),
                2,
                cap_plus.as_ptr().cast_mut().cast()
            ),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(
            T::SPARSE_SLOT(st.ptr(), 10, null_mut()),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!(T::SPARSE_VIEW(st.ptr(), null_mut()), DPM_ERR_BAD_POINTER);
        assert_eq!(
            T::SPARSE_SAVE(st.ptr(), 1, buf.as_mut_ptr(), buf.len() - 1),
            DPM_ERR_LENGTH_MISMATCH
        );
        assert!(buf.iter().all(|&b| b == 0), "a refused save wrote");
        assert_eq!(
            T::SPARSE_LOAD(st.ptr(), buf.as_ptr(), buf.len(), null_mut()),
            DPM_ERR_BAD_CHECKPOINT
        );
        // The other precision's checkpoint (of a state of the same capacity).
        let rc = if std::mem::size_of::<T>() == 4 {
            let mut o = Storage::<f64>::new(0.0);
            dpm_sparse_save_f64(o.ptr(), 1, other.as_mut_ptr(), other.len())
        } else {
            let mut o = Storage::<f32>::new(0.0);
            dpm_sparse_save_f32(o.ptr(), 1, other.as_mut_ptr(), other.len())
        };
        assert_eq!(rc, DPM_OK);
        let mut seq = 99_u64;
        assert_eq!(
            T::SPARSE_LOAD(st.ptr(), other.as_ptr(), other.len(), &mut seq),
            DPM_ERR_BAD_CHECKPOINT
        );
        let (mut slot, e) = (9_u32, [0xff_u8; 4]);
        assert_eq!(
            T::SPARSE_LOAD_NEWEST(
                st.ptr(),
                e.as_ptr(),
                4,
                other.as_ptr(),
                other.len(),
                &mut slot,
                &mut seq
            ),
            DPM_ERR_BAD_CHECKPOINT
        );
        assert_eq!(
            T::SPARSE_NEXT_SLOT(st.ptr(), null(), 0, null(), 0, null_mut(), &mut seq),
            DPM_ERR_BAD_POINTER
        );
        assert_eq!((slot, seq), (9, 99));
    }
    assert!(st.words == before, "a refused call changed the state");
    // The other precision's storage: refused as never initialised.
    let mut k = 0_usize;
    // SAFETY: live storage of at least the other precision's size read as a u64.
    let rc = unsafe {
        if std::mem::size_of::<T>() == 4 {
            dpm_sparse_slot_f64(st.ptr().cast(), 10, &mut k)
        } else {
            dpm_sparse_slot_f32(st.ptr().cast(), 10, &mut k)
        }
    };
    assert_eq!(rc, DPM_ERR_BAD_POINTER);
}

#[test]
fn every_function_refuses_with_nothing_written() {
    refusals::<f32>();
    refusals::<f64>();
}

/// The header's default capacity and storage words are the library's
/// (when this test is built without `DPM_SPARSE_CAPACITY`).
#[test]
fn header_sizes_are_the_librarys() {
    let h = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/dpm_core.h"))
        .unwrap();
    let define = |name: &str| {
        let line = h
            .lines()
            .find(|l| l.starts_with(&format!("#define {name} ")))
            .unwrap();
        line[name.len() + 9..].trim().to_string()
    };
    if option_env!("DPM_SPARSE_CAPACITY").is_none() {
        assert_eq!(define("DPM_SPARSE_CAPACITY"), CAP.to_string());
    }
    assert_eq!(
        define("DPM_SPARSE_WORDS_F32"),
        "(9 * (size_t)(DPM_SPARSE_CAPACITY) + 8)"
    );
    assert_eq!(
        define("DPM_SPARSE_WORDS_F64"),
        "(11 * (size_t)(DPM_SPARSE_CAPACITY) + 8)"
    );
    assert_eq!(dpm_sparse_bytes_f32(), 8 * (9 * CAP + 8));
    assert_eq!(dpm_sparse_bytes_f64(), 8 * (11 * CAP + 8));
}
