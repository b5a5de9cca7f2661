//! Checkpoints (SPEC section 1; `BadCheckpoint` of section 7;
//! `StateView::save`, `load`, the A/B slots): the round trip
//! bit for bit at extreme values, every refusal with the state untouched,
//! every truncation and every flipped bit refused, and a write cut at
//! every byte offset that still leaves the previous checkpoint loadable.

use dpm_core::{Error, Real, State, StateView, checkpoint_len, inspect_checkpoint};

#[path = "support/random.rs"]
mod random;
use random::Rng;

const N: usize = 6;

/// A state with every kind of entry: unset, set, extreme finite values,
/// signed zeros.
fn filled<T: Real>(rng: &mut Rng) -> State<T, N> {
    let mut st = State::<T, N>::new(T::from_f64(-0.05));
    let mut v = st.view();
    let extremes = [
        T::MAX,
        -T::MAX,
        T::MIN_POSITIVE,
        -T::ZERO,
        T::from_f64(1e-3),
    ];
    for id in 0..N {
        let pick = |rng: &mut Rng| {
            let k = (rng.uniform() * 7.0) as usize;
            extremes
                .get(k)
                .copied()
                .unwrap_or(T::from_f64(rng.normal() * 10.0))
        };
        if id % 3 != 0 {
            v.set_log_s(id, Some(pick(rng))).unwrap();
        }
        v.set_zeta(id, pick(rng)).unwrap();
        if id % 2 == 0 {
            v.set_z(id, Some(pick(rng))).unwrap();
        }
    }
    st
}

/// Every getter's bits, to compare two states exactly.
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

fn saved<T: Real>(st: &mut State<T, N>, seq: u64) -> Vec<u8> {
    let mut buf = vec![0_u8; checkpoint_len::<T>(N)];
    assert_eq!(st.view().save_seq(seq, &mut buf).unwrap(), buf.len());
    buf
}

fn round_trip<T: Real>() {
    let mut rng = Rng::new(0xc4ec);
    for _ in 0..20 {
        let mut a = filled::<T>(&mut rng);
        let buf = saved(&mut a, 9);
        let mut b = State::<T, N>::new(T::ONE);
        // Leftover values where b's flags are unset must not leak through.
        b.view().set_log_s(0, Some(T::from_f64(3.0))).unwrap();
        assert_eq!(b.view().load(&buf).unwrap(), 9);
        assert_eq!(bits(&a.view()), bits(&b.view()));
        // Equal states give equal bytes.
        assert_eq!(saved(&mut b, 9), buf);
    }
}

#[test]
fn a_checkpoint_round_trips_bit_for_bit_in_f32_and_f64() {
    round_trip::<f32>();
    round_trip::<f64>();
}

/// `load` of `buf` is refused with `want`, and the state is untouched.
fn refused<T: Real>(buf: &[u8], want: Error) {
    let mut rng = Rng::new(0x0bad);
    let mut st = filled::<T>(&mut rng);
    let before = bits(&st.view());
    assert_eq!(st.view().load(buf), Err(want));
    assert_eq!(bits(&st.view()), before);
}

/// The header field at `at` set to `bytes`, the checksum made valid
/// again (a well-formed checkpoint of another kind).
fn with_field(buf: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = buf.to_vec();
    b[at..at + bytes.len()].copy_from_slice(bytes);
    reseal(&mut b);
    b
}

fn reseal(b: &mut [u8]) {
    let body = b.len() - 4;
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&b[..body]);
    b[body..].copy_from_slice(&crc.to_le_bytes());
}

const fn bad(what: &'static str) -> Error {
    Error::BadCheckpoint { what }
}

#[test]
fn every_truncation_and_every_flipped_bit_is_refused_and_the_state_untouched() {
    let mut rng = Rng::new(5);
    let buf = saved(&mut filled::<f32>(&mut rng), 3);
    for cut in 0..buf.len() {
        refused::<f32>(&buf[..cut], bad("length"));
    }
    for byte in 0..buf.len() {
        for bit in 0..8 {
            let mut b = buf.clone();
            b[byte] ^= 1 << bit;
            let mut st = filled::<f32>(&mut Rng::new(1));
            let before = bits(&st.view());
            assert!(st.view().load(&b).is_err(), "bit {bit} of byte {byte}");
            assert_eq!(bits(&st.view()), before);
        }
    }
}

#[test]
fn other_kinds_of_checkpoint_are_refused_by_name() {
    let mut rng = Rng::new(6);
    let buf = saved(&mut filled::<f32>(&mut rng), 0);
    refused::<f32>(&with_field(&buf, 0, b"DPMX"), bad("magic"));
    refused::<f32>(&with_field(&buf, 4, &2_u16.to_le_bytes()), bad("version"));
    refused::<f32>(&with_field(&buf, 6, &[2]), bad("precision"));
    refused::<f32>(&with_field(&buf, 7, &[2]), bad("reserved"));
    // Kind 1 (a sparse checkpoint) implies a longer checkpoint than this one.
    refused::<f32>(&with_field(&buf, 7, &[1]), bad("length"));
    refused::<f64>(&buf, bad("precision"));
    // A population of another size: a shorter one (its length is
    // consistent), and one too large for the buffer.
    let mut small = State::<f32, 5>::new(0.0);
    let mut b5 = vec![0; checkpoint_len::<f32>(5)];
    small.view().save(&mut b5).unwrap();
    refused::<f32>(&b5, bad("population"));
    refused::<f32>(&with_field(&buf, 8, &7_u64.to_le_bytes()), bad("length"));
    refused::<f32>(&with_field(&buf, 8, &u64::MAX.to_le_bytes()), bad("length"));
    // Well-formed, but holding what no state can: a flag bit the format
    // does not define, a NaN or an infinity where the state uses it.
    let rec = |id: usize| 24 + id * 13;
    refused::<f32>(&with_field(&buf, rec(1) + 12, &[4]), bad("flags"));
    refused::<f32>(
        &with_field(&buf, rec(2) + 4, &f32::NAN.to_le_bytes()),
        bad("value"),
    );
    let mut set = with_field(&buf, rec(1) + 12, &[1]);
    set[rec(1)..rec(1) + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    reseal(&mut set);
    refused::<f32>(&set, bad("value"));
    // An unset value is ignored (and loads as 0), whatever its bytes.
    let mut unset = with_field(&buf, rec(3) + 12, &[0]);
    unset[rec(3)..rec(3) + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    reseal(&mut unset);
    let mut st = State::<f32, N>::new(0.0);
    st.view().load(&unset).unwrap();
    assert_eq!(st.view().log_s(3), Ok(None));
}

#[test]
fn save_refuses_a_short_buffer_and_a_state_no_load_would_take() {
    let mut st = filled::<f64>(&mut Rng::new(7));
    let len = checkpoint_len::<f64>(N);
    let mut buf = vec![0xa5_u8; len - 1];
    assert_eq!(
        st.view().save(&mut buf),
        Err(Error::LengthMismatch {
            what: "buf",
            expected: len,
            found: len - 1
        })
    );
    assert!(buf.iter().all(|&b| b == 0xa5));
    // A view over caller slices may hold a NaN the setters would refuse.
    let (mut u, mut f, mut zeta, mut z, mut g) =
        ([0.0_f64; 3], [0_u8; 3], [0.0; 3], [0.0; 3], [0_u8; 3]);
    zeta[2] = f64::NAN;
    u[1] = f64::INFINITY; // unset: ignored, saved as 0
    let v = StateView::new(&mut u, &mut f, &mut zeta, &mut z, &mut g).unwrap();
    let mut buf = vec![0xa5_u8; checkpoint_len::<f64>(3)];
    assert_eq!(
        v.save(&mut buf),
        Err(Error::NonFinite {
            what: "zeta",
            index: 2
        })
    );
    assert!(buf.iter().all(|&b| b == 0xa5));
    // A longer buffer is fine; the checkpoint is its front.
    let mut buf = vec![0_u8; len + 10];
    assert_eq!(st.view().save(&mut buf), Ok(len));
    assert_eq!(inspect_checkpoint(&buf).map(|i| i.len), Ok(len));
}

/// Flash as the A/B slots see it: a write replaces a slot's bytes from
/// the front and may stop at any byte (power loss), over an erased slot
/// (0xff) or over an older checkpoint.
#[test]
fn a_write_cut_at_every_byte_offset_leaves_the_previous_checkpoint() {
    let mut rng = Rng::new(8);
    let (mut old, mut new) = (filled::<f32>(&mut rng), filled::<f32>(&mut rng));
    let len = checkpoint_len::<f32>(N);
    let erased = vec![0xff_u8; len];
    let mut slots = [erased.clone(), erased.clone()];
    // Three saves: A (seq 1), B (seq 2), then the state `old` into A (seq 3).
    for pick_old in [false, false, true] {
        let st = if pick_old { &mut old } else { &mut new };
        let (slot, seq) = st.view().next_checkpoint_slot([&slots[0], &slots[1]]);
        st.view().save_seq(seq, &mut slots[slot]).unwrap();
    }
    let seqs = slots.each_ref().map(|s| inspect_checkpoint(s).unwrap().seq);
    assert_eq!(seqs, [3, 2]);
    let (slot, seq) = new.view().next_checkpoint_slot([&slots[0], &slots[1]]);
    assert_eq!((slot, seq), (1, 4));
    let next = saved(&mut new, seq);
    for under in [erased, slots[1].clone()] {
        for cut in 0..=len {
            let mut b = under.clone();
            b[..cut].copy_from_slice(&next[..cut]);
            let mut st = State::<f32, N>::new(0.0);
            let got = st.view().load_newest([&slots[0], &b]).unwrap();
            let (want, want_state) = if cut == len {
                ((1, 4), &mut new)
            } else {
                ((0, 3), &mut old)
            };
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(bits(&st.view()), bits(&want_state.view()), "cut at {cut}");
        }
    }
    // Neither slot valid: refused, state untouched.
    let junk = vec![0_u8; len];
    refused::<f32>(&junk, bad("magic"));
    let mut st = filled::<f32>(&mut Rng::new(9));
    let before = bits(&st.view());
    assert_eq!(st.view().load_newest([&junk, &junk]), Err(bad("slots")));
    assert_eq!(bits(&st.view()), before);
}

/// Sequence numbers past `u64::MAX` wrap to 0 and still order the slots
/// (serial-number arithmetic): every save stays loadable as the newest.
#[test]
fn the_slots_keep_their_order_when_the_sequence_number_wraps() {
    let len = checkpoint_len::<f32>(2);
    let mut slots = [vec![0xff_u8; len], vec![0xff_u8; len]];
    let mut st = State::<f32, 2>::new(0.0);
    st.view().save_seq(u64::MAX - 2, &mut slots[0]).unwrap();
    let mut seen = Vec::new();
    for k in 1..=5 {
        st.view().set_zeta(0, k as f32).unwrap();
        let (slot, seq) = st.view().next_checkpoint_slot([&slots[0], &slots[1]]);
        st.view().save_seq(seq, &mut slots[slot]).unwrap();
        seen.push((slot, seq));
        let mut back = State::<f32, 2>::new(9.0);
        assert_eq!(
            back.view().load_newest([&slots[0], &slots[1]]),
            Ok((slot, seq))
        );
        assert_eq!(back.view().zeta(0), Ok(k as f32), "save {k}");
    }
    assert_eq!(
        seen,
        [(1, u64::MAX - 1), (0, u64::MAX), (1, 0), (0, 1), (1, 2)]
    );
}

/// A valid checkpoint the view cannot load (another population or
/// precision, a newer sequence number) neither wins `load_newest` nor
/// makes `next_checkpoint_slot` overwrite the view's own checkpoint.
#[test]
fn a_checkpoint_of_another_population_in_the_pair_is_passed_over() {
    let len = checkpoint_len::<f32>(4);
    let mut slots = [vec![0xff_u8; len], vec![0xff_u8; len]];
    let mut ours = State::<f32, 4>::new(0.5);
    ours.view().save_seq(3, &mut slots[0]).unwrap();
    for foreign in [
        {
            let mut b = vec![0_u8; checkpoint_len::<f32>(3)];
            State::<f32, 3>::new(0.0)
                .view()
                .save_seq(9, &mut b)
                .unwrap();
            b
        },
        {
            let mut b = vec![0_u8; checkpoint_len::<f64>(4)];
            State::<f64, 4>::new(0.0)
                .view()
                .save_seq(9, &mut b)
                .unwrap();
            b
        },
    ] {
        let pair = [&slots[0][..], &foreign[..]];
        assert_eq!(ours.view().next_checkpoint_slot(pair), (1, 4));
        let mut back = State::<f32, 4>::new(0.0);
        assert_eq!(back.view().load_newest(pair), Ok((0, 3)));
        assert_eq!(back.view().zeta(2), Ok(0.5));
    }
}
