//! Checkpoints of a `SparseState` with its id map (SPEC section 1,
//! "Sparse ids" and "Checkpoints"; `BadCheckpoint` of section 7): the
//! round trip in f32 and f64 (every id's slot, the slots' values bit for
//! bit, the same eviction order afterwards), a write cut at every byte
//! offset of an A/B pair, and every refusal with nothing observable
//! changed, including crafted checkpoints with a valid checksum that hold
//! a repeated id, a slot out of range, a broken back-link, a cycle or too
//! many ids.

use dpm_core::{
    Error, Real, SparseState, State, checkpoint_len, inspect_checkpoint, sparse_checkpoint_len,
};

#[path = "support/random.rs"]
mod random;
use random::Rng;

const N: usize = 6;
const M: usize = 16;
type Sparse<T> = SparseState<T, N, M>;

/// Ids drawn from a range a little wider than `N` (returns, evictions)
/// plus a few huge ones.
fn some_ids(rng: &mut Rng) -> Vec<u64> {
    let b = 1 + (rng.uniform() * N as f64) as usize;
    let mut ids: Vec<u64> = Vec::new();
    while ids.len() < b {
        let k = (rng.uniform() * 11.0) as u64;
        let id = if k == 10 {
            u64::MAX - rng.next_u64() % 3
        } else {
            k.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        };
        ids.push(id);
    }
    ids
}

/// Every id `some_ids` can draw.
fn universe() -> Vec<u64> {
    let mut u: Vec<u64> = (0..10_u64)
        .map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    u.extend([u64::MAX, u64::MAX - 1, u64::MAX - 2]);
    u
}

fn see<T: Real>(st: &mut Sparse<T>, ids: &[u64]) -> Vec<usize> {
    let mut out = vec![usize::MAX; ids.len()];
    st.slots(ids, &mut out).unwrap();
    out
}

/// A sparse state after many calls (a full map, evictions), with values
/// written into its slots.
fn filled<T: Real>(seed: u64) -> Sparse<T> {
    let mut rng = Rng::new(seed);
    let mut st = Sparse::<T>::new(T::from_f64(-0.05)).unwrap();
    for _ in 0..40 {
        let ids = some_ids(&mut rng);
        see(&mut st, &ids);
    }
    assert_eq!(st.len(), N);
    let mut v = st.view();
    for k in 0..N {
        if rng.uniform() < 0.7 {
            v.set_log_s(k, Some(T::from_f64(rng.normal() * 5.0)))
                .unwrap();
        }
        v.set_zeta(k, T::from_f64(rng.normal())).unwrap();
        if rng.uniform() < 0.5 {
            v.set_z(k, Some(T::from_f64(rng.normal() * 1e-3))).unwrap();
        }
    }
    st
}

/// Every slot's values, as bits.
fn values<T: Real>(st: &mut Sparse<T>) -> Values {
    let v = st.view();
    let b = |x: T| x.to_f64().to_bits();
    (0..N)
        .map(|k| {
            (
                v.log_s(k).unwrap().map(b),
                b(v.zeta(k).unwrap()),
                v.z(k).unwrap().map(b),
            )
        })
        .collect()
}

type Values = Vec<(Option<u64>, u64, Option<u64>)>;
/// Slots of the universe's ids, `len`, values, then the slots and the
/// values after a continuation.
type Observed = (Vec<Option<usize>>, usize, Values, Vec<usize>, Values);

/// What can be observed of a sparse state: every id's slot, `len`, the
/// slots' values, and the slots a continued id sequence gets (which
/// reveals the eviction order), run on a clone.
fn observe<T: Real>(st: &mut Sparse<T>) -> Observed {
    let map = universe().iter().map(|&id| st.slot(id)).collect();
    let mut next = st.clone();
    let mut rng = Rng::new(0x0b5e);
    let mut later = Vec::new();
    for _ in 0..if cfg!(miri) { 8 } else { 30 } {
        let ids = some_ids(&mut rng);
        later.extend(see(&mut next, &ids));
    }
    (map, st.len(), values(st), later, values(&mut next))
}

fn saved<T: Real>(st: &Sparse<T>, seq: u64) -> Vec<u8> {
    let mut buf = vec![0_u8; sparse_checkpoint_len::<T>(N)];
    assert_eq!(st.save_seq(seq, &mut buf), Ok(buf.len()));
    buf
}

const fn bad(what: &'static str) -> Error {
    Error::BadCheckpoint { what }
}

fn round_trip<T: Real>() {
    for seed in 0..if cfg!(miri) { 2 } else { 10 } {
        let mut a = filled::<T>(seed);
        let buf = saved(&a, seed + 1);
        // Loaded into a state with another map and other values.
        let mut b = filled::<T>(seed + 100);
        assert_eq!(b.load(&buf), Ok(seed + 1));
        assert_eq!(observe(&mut b), observe(&mut a), "seed {seed}");
        // Equal states give equal bytes.
        assert_eq!(saved(&b, seed + 1), buf);
    }
    // An empty map too (no list), into a full one.
    let mut empty = Sparse::<T>::new(T::from_f64(0.5)).unwrap();
    let mut b = filled::<T>(7);
    b.load(&saved(&empty, 0)).unwrap();
    assert!(b.is_empty());
    assert_eq!(observe(&mut b), observe(&mut empty));
}

/// SPEC section 1 (checkpoints of a sparse state): every id keeps its
/// slot, the values their bits, `len` its value, and `zeta_init` (what
/// a slot taken after the load is reset to) is the saved one.
#[test]
fn a_sparse_checkpoint_round_trips_with_its_id_map_in_f32_and_f64() {
    round_trip::<f32>();
    round_trip::<f64>();
}

/// SPEC section 1 (sparse ids: the least recently seen id goes): after a
/// load, the same id sequence gets the same slots on the original and
/// on the copy, call after call.
#[test]
fn after_a_load_the_same_ids_are_evicted_in_the_same_order() {
    let mut a = filled::<f32>(3);
    let mut b = Sparse::<f32>::new(0.0).unwrap();
    b.load(&saved(&a, 0)).unwrap();
    let mut rng = Rng::new(0xe71c);
    for call in 0..if cfg!(miri) { 200 } else { 2000 } {
        let ids = some_ids(&mut rng);
        assert_eq!(see(&mut a, &ids), see(&mut b, &ids), "call {call}");
        assert_eq!(a.len(), b.len());
        // A slot an evicting id took is reset to the saved zeta_init.
        assert_eq!(values(&mut a), values(&mut b), "call {call}");
    }
    assert_eq!(saved(&a, 0), saved(&b, 0));
}

/// `load` of `buf` into a filled state is refused with `want`, and
/// nothing observable changed.
fn refused<T: Real>(buf: &[u8], want: Error) {
    let mut st = filled::<T>(0xbad);
    let before = observe(&mut st);
    assert_eq!(st.load(buf), Err(want));
    assert_eq!(observe(&mut st), before);
}

/// SPEC section 7 (`BadCheckpoint`): a truncated checkpoint and one with
/// any one bit flipped (the CRC) are refused, the state unchanged.
#[test]
fn every_truncation_and_every_flipped_bit_is_refused_and_nothing_changes() {
    let buf = saved(&filled::<f32>(5), 3);
    // Under Miri, every 61st cut and bit: the same code, a fraction of the time.
    let step = if cfg!(miri) { 61 } else { 1 };
    for cut in (0..buf.len()).step_by(step) {
        refused::<f32>(&buf[..cut], bad("length"));
    }
    let mut st = filled::<f32>(0xbad);
    let before = observe(&mut st);
    for bit in (0..buf.len() * 8).step_by(step) {
        let mut b = buf.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(st.load(&b).is_err(), "bit {bit}");
        assert_eq!(observe(&mut st), before, "bit {bit}");
    }
}

/// The CRC of a crafted checkpoint made valid again.
fn reseal(b: &mut [u8]) {
    let body = b.len() - 4;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&b[..body]);
    b[body..].copy_from_slice(&crc.to_le_bytes());
}

/// Offsets of the id map of an f32 checkpoint of `N` slots.
const MAP: usize = 24 + N * 13;
const COUNT: usize = MAP;
const HEAD: usize = MAP + 8;
const TAIL: usize = MAP + 12;
const ZETA_INIT: usize = MAP + 16;
const fn id_at(k: usize) -> usize {
    MAP + 20 + 16 * k
}
const fn newer_at(k: usize) -> usize {
    id_at(k) + 8
}
const fn older_at(k: usize) -> usize {
    id_at(k) + 12
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// `buf` with the fields `edits` (offset, little-endian bytes) changed
/// and the CRC recomputed: a checkpoint only the new checks can refuse.
fn crafted(buf: &[u8], edits: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = buf.to_vec();
    for &(at, bytes) in edits {
        b[at..at + bytes.len()].copy_from_slice(bytes);
    }
    reseal(&mut b);
    assert!(inspect_checkpoint(&b).is_ok());
    b
}

/// SPEC section 1 (the id map of a checkpoint) and 7 (`BadCheckpoint`):
/// checkpoints with a valid CRC that hold no state are refused by name,
/// nothing changed (the map rebuilt after a repeated id).
#[test]
fn crafted_id_maps_with_a_valid_crc_are_refused_and_nothing_changes() {
    let buf = saved(&filled::<f32>(11), 0);
    let head = u32_at(&buf, HEAD) as usize;
    let second = u32_at(&buf, older_at(head)) as usize;
    let third = u32_at(&buf, older_at(second)) as usize;
    // The untouched checkpoint loads (so each refusal is the edit's).
    Sparse::<f32>::new(0.0).unwrap().load(&buf).unwrap();
    // A repeated id: slot 1 holds slot 0's id.
    let id0: [u8; 8] = buf[id_at(0)..id_at(0) + 8].try_into().unwrap();
    refused::<f32>(&crafted(&buf, &[(id_at(1), &id0)]), bad("id"));
    // The same id in the last slot, after all others went into the map.
    refused::<f32>(&crafted(&buf, &[(id_at(N - 1), &id0)]), bad("id"));
    // A slot index out of range: in the list, at the head, at the tail.
    let n = (N as u32).to_le_bytes();
    refused::<f32>(&crafted(&buf, &[(older_at(head), &n)]), bad("links"));
    refused::<f32>(&crafted(&buf, &[(HEAD, &n)]), bad("links"));
    refused::<f32>(&crafted(&buf, &[(TAIL, &n)]), bad("links"));
    // A broken back-link: the second's `newer` is not the head.
    let third_b = (third as u32).to_le_bytes();
    refused::<f32>(
        &crafted(&buf, &[(newer_at(second), &third_b)]),
        bad("links"),
    );
    // A cycle head -> second -> third -> head, its back-links consistent.
    let (head_b, second_b) = ((head as u32).to_le_bytes(), (second as u32).to_le_bytes());
    refused::<f32>(
        &crafted(
            &buf,
            &[(older_at(third), &head_b), (newer_at(head), &third_b)],
        ),
        bad("links"),
    );
    // A cycle that skips the head's check: third's older back to second,
    // so the walk revisits second before `count` steps.
    refused::<f32>(
        &crafted(&buf, &[(older_at(third), &second_b)]),
        bad("links"),
    );
    // The list ends early (tail's older is none, but fewer than count).
    refused::<f32>(
        &crafted(&buf, &[(older_at(second), &u32::MAX.to_le_bytes())]),
        bad("links"),
    );
    // More ids than slots, and a count no memory holds.
    let count = |c: u64| crafted(&buf, &[(COUNT, &c.to_le_bytes())]);
    refused::<f32>(&count(N as u64 + 1), bad("count"));
    refused::<f32>(&count(u64::MAX), bad("count"));
    // One fewer: the last slot of the list is then out of range.
    refused::<f32>(&count(N as u64 - 1), bad("links"));
    // An unmapped slot that holds an id.
    let mut half = Sparse::<f32>::new(0.0).unwrap();
    see(&mut half, &[1, 2, 3]);
    let hb = saved(&half, 0);
    Sparse::<f32>::new(0.0).unwrap().load(&hb).unwrap();
    refused::<f32>(&crafted(&hb, &[(id_at(4), &[9])]), bad("links"));
    refused::<f32>(&crafted(&hb, &[(newer_at(5), &[0, 0, 0, 0])]), bad("links"));
    // A slot's values are checked as by StateView::load.
    refused::<f32>(
        &crafted(&buf, &[(24 + 13 + 4, &f32::NAN.to_le_bytes())]),
        bad("value"),
    );
    refused::<f32>(&crafted(&buf, &[(24 + 12, &[4])]), bad("flags"));
    refused::<f32>(
        &crafted(&buf, &[(ZETA_INIT, &f32::INFINITY.to_le_bytes())]),
        bad("value"),
    );
}

/// SPEC section 1 (checkpoints: of the state's kind, `T` and `n`): the
/// other precision, another `N` and a plain `StateView` checkpoint are
/// refused by a sparse state, and a sparse checkpoint by a `StateView`.
#[test]
fn checkpoints_of_another_kind_precision_or_size_are_refused() {
    refused::<f64>(&saved(&filled::<f32>(1), 0), bad("precision"));
    refused::<f32>(&saved(&filled::<f64>(1), 0), bad("precision"));
    let mut seven = SparseState::<f32, 7, 16>::new(0.0).unwrap();
    see_n(&mut seven, &[1, 2]);
    let mut b7 = vec![0; sparse_checkpoint_len::<f32>(7)];
    seven.save(&mut b7).unwrap();
    refused::<f32>(&b7, bad("population"));
    let mut plain = vec![0; checkpoint_len::<f32>(N)];
    State::<f32, N>::new(0.0).view().save(&mut plain).unwrap();
    refused::<f32>(&plain, bad("kind"));
    // And the other way: a StateView refuses a sparse checkpoint.
    let sparse = saved(&filled::<f32>(2), 0);
    let mut st = State::<f32, N>::new(0.25);
    assert_eq!(st.view().load(&sparse), Err(bad("kind")));
    assert_eq!(st.view().zeta(0), Ok(0.25));
    // A sparse state's A/B slots pass a plain checkpoint over, and a view's
    // a sparse one.
    let pair = [&plain[..], &sparse[..]];
    let mut back = Sparse::<f32>::new(0.0).unwrap();
    assert_eq!(back.load_newest(pair), Ok((1, 0)));
    assert_eq!(
        State::<f32, N>::new(0.0).view().load_newest(pair),
        Ok((0, 0))
    );
    assert_eq!(back.next_checkpoint_slot(pair), (0, 1));
}

fn see_n<const K: usize, const L: usize>(st: &mut SparseState<f32, K, L>, ids: &[u64]) {
    let mut out = vec![0; ids.len()];
    st.slots(ids, &mut out).unwrap();
}

/// SPEC section 1 (two slots, A/B): flash written from the front and cut
/// at any byte, over an erased slot or an older checkpoint, leaves the
/// previous sparse checkpoint in force, id map and all.
#[test]
fn a_sparse_write_cut_at_every_byte_offset_leaves_the_previous_checkpoint() {
    let (mut old, mut new) = (filled::<f32>(21), filled::<f32>(22));
    let len = sparse_checkpoint_len::<f32>(N);
    let erased = vec![0xff_u8; len];
    let mut slots = [erased.clone(), erased.clone()];
    for pick_old in [false, false, true] {
        let st = if pick_old { &old } else { &new };
        let (slot, seq) = st.next_checkpoint_slot([&slots[0], &slots[1]]);
        st.save_seq(seq, &mut slots[slot]).unwrap();
    }
    let (slot, seq) = new.next_checkpoint_slot([&slots[0], &slots[1]]);
    assert_eq!((slot, seq), (1, 4));
    let next = saved(&new, seq);
    let (want_old, want_new) = (observe(&mut old), observe(&mut new));
    let step = if cfg!(miri) { 41 } else { 1 };
    for under in [erased, slots[1].clone()] {
        for cut in (0..=len).step_by(step).chain([len - 1, len]) {
            let mut b = under.clone();
            b[..cut].copy_from_slice(&next[..cut]);
            let mut st = filled::<f32>(99);
            let got = st.load_newest([&slots[0], &b]).unwrap();
            let (want, want_state) = if cut == len {
                ((1, 4), &want_new)
            } else {
                ((0, 3), &want_old)
            };
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(&observe(&mut st), want_state, "cut at {cut}");
        }
    }
    // Neither slot valid: refused, nothing changed.
    let junk = vec![0_u8; len];
    let mut st = filled::<f32>(9);
    let before = observe(&mut st);
    assert_eq!(st.load_newest([&junk, &junk]), Err(bad("slots")));
    assert_eq!(observe(&mut st), before);
}

/// `save` refuses a short buffer and leaves it untouched; the length
/// saturates rather than overflowing.
#[test]
fn save_refuses_a_short_buffer_and_the_length_saturates() {
    let st = filled::<f64>(4);
    let len = sparse_checkpoint_len::<f64>(N);
    assert_eq!(len, 44 + 8 + N * (3 * 8 + 17));
    let mut buf = vec![0xa5_u8; len - 1];
    assert_eq!(
        st.save(&mut buf),
        Err(Error::LengthMismatch {
            what: "buf",
            expected: len,
            found: len - 1
        })
    );
    assert!(buf.iter().all(|&b| b == 0xa5));
    assert_eq!(sparse_checkpoint_len::<f32>(usize::MAX / 20), usize::MAX);
    let info = inspect_checkpoint(&saved(&st, 5)).unwrap();
    assert_eq!(
        (info.sparse, info.len, info.seq, info.population),
        (true, len, 5, N as u64)
    );
}
