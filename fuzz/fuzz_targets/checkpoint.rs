//! `StateView::load` and `load_newest` on any bytes: never a panic; a
//! refusal leaves the state untouched; an accepted checkpoint holds only
//! what a state can (flags 0 or 1, finite values where used), saves back
//! to a checkpoint that loads to the same state, and is refused again
//! once any one of its bits is flipped (no corrupted checksum accepted).
//! The same bytes go to `SparseState::load` (and its A/B slots): never a
//! panic; a refusal changes nothing observable (every id's slot, `len`,
//! the values, the slots later calls get); an accepted checkpoint gives
//! a state whose id map holds (every mapped id on its own slot below
//! `N`, later calls consistent with `slot`), that saves back to a
//! checkpoint that loads to the same state, and that is refused again
//! once any one of its bits is flipped.
//! The seeds are valid checkpoints (`seeds/checkpoint`), so the fuzzer
//! starts past the checksum and mutates from there (libFuzzer's
//! comparison tracing also forges checksums of its own inputs).
#![no_main]

use dpm_core::{
    Real, SparseState, State, StateView, checkpoint_len, inspect_checkpoint, sparse_checkpoint_len,
};
use libfuzzer_sys::fuzz_target;

/// Population of the states loaded into (the seeds' `n`).
const N: usize = 4;

/// Every value and flag of a view, as bits.
fn bits<T: Real>(v: &StateView<'_, T>) -> Vec<(Option<u64>, u64, Option<u64>)> {
    let b = |x: T| x.to_f64().to_bits();
    (0..v.population())
        .map(|id| {
            (
                v.log_s(id).unwrap().map(b),
                b(v.zeta(id).unwrap()),
                v.z(id).unwrap().map(b),
            )
        })
        .collect()
}

/// A state that differs from a fresh one, so that "untouched" means
/// something.
fn dirty<T: Real>() -> State<T, N> {
    let mut st = State::<T, N>::new(T::from_f64(0.25));
    let mut v = st.view();
    v.set_log_s(1, Some(T::from_f64(-3.5))).unwrap();
    v.set_z(2, Some(T::from_f64(7.0))).unwrap();
    st
}

fn check<T: Real>(data: &[u8]) {
    let mut st = dirty::<T>();
    let before = bits(&st.view());
    let r = st.view().load(data);
    let after = bits(&st.view());
    let Ok(seq) = r else {
        assert_eq!(after, before, "a refused load wrote the state");
        return;
    };
    let info = inspect_checkpoint(data).expect("load accepted what inspect refuses");
    assert_eq!(info.seq, seq);
    assert_eq!(info.len, checkpoint_len::<T>(N));
    for (u, zeta, z) in &after {
        for v in [u, &Some(*zeta), z].into_iter().flatten() {
            assert!(f64::from_bits(*v).is_finite(), "loaded a non-finite value");
        }
    }
    // Saved back, it loads to the same state.
    let mut buf = vec![0_u8; info.len];
    assert_eq!(st.view().save_seq(seq, &mut buf), Ok(info.len));
    let mut again = dirty::<T>();
    assert_eq!(again.view().load(&buf), Ok(seq));
    assert_eq!(bits(&again.view()), after);
    // Any flipped bit of the accepted checkpoint is refused.
    let bits_total = info.len * 8;
    for k in 0..16 {
        let bit = (k * 7919 + data.len()) % bits_total;
        let mut bad = data[..info.len].to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        let mut st = dirty::<T>();
        assert!(
            st.view().load(&bad).is_err(),
            "accepted a flipped bit {bit}"
        );
        assert_eq!(bits(&st.view()), before);
    }
}

type Sparse<T> = SparseState<T, N, 8>;

/// Ids the seeds and `dirty_sparse` map, and some they do not.
const IDS: [u64; 8] = [10, 20, 1 << 40, u64::MAX, 7, 0, 1, 3];

/// A sparse state with a full map and values, so that "unchanged" means
/// something.
fn dirty_sparse<T: Real>() -> Sparse<T> {
    let mut st = Sparse::<T>::new(T::from_f64(0.125)).unwrap();
    st.slots(&[1, 3, 10, 0], &mut [0; 4]).unwrap();
    st.slots(&[3, 20], &mut [0; 2]).unwrap(); // evicts 1
    st.view().set_log_s(2, Some(T::from_f64(-2.0))).unwrap();
    st
}

/// What can be observed of a sparse state: the slot of each of `IDS`,
/// `len`, the values, and (on a clone) the slots and values of later
/// calls, which are checked against the id map's invariants on the way.
fn observe<T: Real>(
    st: &mut Sparse<T>,
) -> (
    Vec<Option<usize>>,
    usize,
    Vec<(Option<u64>, u64, Option<u64>)>,
    Vec<usize>,
) {
    let map: Vec<_> = IDS.iter().map(|&id| st.slot(id)).collect();
    assert!(st.len() <= N, "len {} > N", st.len());
    // Every mapped id on its own slot below N.
    let mut used: Vec<usize> = map.iter().flatten().copied().collect();
    assert!(used.iter().all(|&s| s < N), "a slot out of range");
    used.sort_unstable();
    used.dedup();
    assert_eq!(
        used.len(),
        map.iter().flatten().count(),
        "two ids on one slot"
    );
    let mut next = st.clone();
    let mut later = Vec::new();
    for ids in [
        &[7_u64, 10][..],
        &[1, 2, 3, 4],
        &[20, 1 << 40, 5],
        &[6, 10, 9, 8],
    ] {
        let mut out = vec![0; ids.len()];
        next.slots(ids, &mut out).unwrap();
        for (&id, &s) in ids.iter().zip(&out) {
            assert!(s < N && next.slot(id) == Some(s), "slot {s} of {id}");
        }
        let mut seen = out.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), out.len(), "two ids of a call on one slot");
        assert!(next.len() <= N);
        later.extend(out);
    }
    (map, st.len(), bits(&st.view()), later)
}

fn check_sparse<T: Real>(data: &[u8]) {
    let mut st = dirty_sparse::<T>();
    let before = observe(&mut st);
    let r = st.load(data);
    let after = observe(&mut st);
    let Ok(seq) = r else {
        assert_eq!(after, before, "a refused sparse load changed the state");
        return;
    };
    let info = inspect_checkpoint(data).expect("load accepted what inspect refuses");
    assert!(info.sparse && info.seq == seq);
    assert_eq!(info.len, sparse_checkpoint_len::<T>(N));
    // Saved back, it loads to the same state.
    let mut buf = vec![0_u8; info.len];
    assert_eq!(st.save_seq(seq, &mut buf), Ok(info.len));
    let mut again = dirty_sparse::<T>();
    assert_eq!(again.load(&buf), Ok(seq));
    assert_eq!(observe(&mut again), after);
    // Any flipped bit of the accepted checkpoint is refused.
    let bits_total = info.len * 8;
    for k in 0..16 {
        let bit = (k * 7919 + data.len()) % bits_total;
        let mut bad = data[..info.len].to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        let mut st = dirty_sparse::<T>();
        assert!(st.load(&bad).is_err(), "accepted a flipped bit {bit}");
        assert_eq!(observe(&mut st), before);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = inspect_checkpoint(data);
    check::<f32>(data);
    check::<f64>(data);
    check_sparse::<f32>(data);
    check_sparse::<f64>(data);
    // The same bytes as two A/B slots, split where the first byte says.
    let at = data
        .first()
        .map_or(0, |&b| usize::from(b) * data.len() / 256);
    let (a, b) = data.split_at(at);
    let mut st = dirty::<f32>();
    let before = bits(&st.view());
    match st.view().load_newest([a, b]) {
        Ok((slot, seq)) => {
            // The other slot holds no loadable checkpoint that is later
            // (serial-number order), nor an equal one in slot A.
            let other = inspect_checkpoint([a, b][1 - slot]);
            if let Some(o) = other
                .ok()
                .filter(|o| !o.sparse && o.precision == 4 && o.population == N as u64)
            {
                let ahead = o.seq.wrapping_sub(seq) as i64;
                assert!(
                    ahead < 0 || (ahead == 0 && slot == 0),
                    "not the newest slot"
                );
            }
        }
        Err(_) => assert_eq!(bits(&st.view()), before),
    }
    let mut st = dirty_sparse::<f32>();
    let before = observe(&mut st);
    match st.load_newest([a, b]) {
        Ok((slot, seq)) => {
            let other = inspect_checkpoint([a, b][1 - slot]);
            if let Some(o) = other
                .ok()
                .filter(|o| o.sparse && o.precision == 4 && o.population == N as u64)
            {
                let ahead = o.seq.wrapping_sub(seq) as i64;
                assert!(
                    ahead < 0 || (ahead == 0 && slot == 0),
                    "not the newest sparse slot"
                );
            }
        }
        Err(_) => assert_eq!(observe(&mut st), before),
    }
});
