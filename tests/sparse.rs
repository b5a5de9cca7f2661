//! Sparse ids on fixed capacity (`SparseState`; SPEC section 1's state,
//! by slot): slots in order of first appearance, eviction of the least
//! recently seen id when full, an evicted id back as a first visit, the
//! steps on the slots equal to the steps on a dense state, and refusals
//! that change nothing. Checked against a plain model of the rule (a
//! list in recency order) over long random sequences.

use dpm_core::{BimodalOut, DpmParams, Error, FirstVisit, Offset, SparseState, State, ZetaStep};

#[path = "support/random.rs"]
mod random;
use random::Rng;

fn slots<const N: usize, const M: usize>(
    st: &mut SparseState<f32, N, M>,
    ids: &[u64],
) -> Vec<usize> {
    let mut out = vec![usize::MAX; ids.len()];
    st.slots(ids, &mut out).unwrap();
    out
}

#[test]
fn slots_fill_in_order_then_the_least_recently_seen_id_goes() {
    let mut st = SparseState::<f32, 4, 8>::new(0.0).unwrap();
    assert!(st.is_empty());
    assert_eq!(slots(&mut st, &[100, 200, 300, 400]), [0, 1, 2, 3]);
    assert_eq!(st.len(), 4);
    // 100 seen again: now 200 is the least recently seen.
    assert_eq!(slots(&mut st, &[100]), [0]);
    assert_eq!(slots(&mut st, &[500]), [1]); // evicts 200
    assert_eq!(st.slot(200), None);
    assert_eq!(slots(&mut st, &[600, 700]), [2, 3]); // evicts 300, then 400
    assert_eq!(slots(&mut st, &[200]), [0]); // back: evicts 100, the oldest now
    assert_eq!((st.slot(100), st.slot(500), st.len()), (None, Some(1), 4));
    // A repeated id maps to one slot.
    assert_eq!(slots(&mut st, &[700, 700]), [3, 3]);
    // Recency now 700, 200, 600, 500 (least). A call mixing new ids with
    // mapped ones evicts only ids outside the call: 500, the least
    // recently seen, is in it and keeps its slot, although 800 comes
    // first; 800 and 900 take the slots of 600 and 200.
    assert_eq!(slots(&mut st, &[800, 500, 900]), [2, 1, 0]);
    assert_eq!(
        (st.slot(600), st.slot(200), st.slot(700)),
        (None, None, Some(3))
    );
}

#[test]
fn a_slot_is_reset_whenever_an_id_takes_it() {
    let mut st = SparseState::<f32, 2, 4>::new(-0.05).unwrap();
    // Written into a slot no id holds yet (a loaded checkpoint, say).
    st.view().set_log_s(0, Some(3.0)).unwrap();
    st.view().set_zeta(1, 1.5).unwrap();
    let s = slots(&mut st, &[42, 43]);
    let v = st.view();
    for k in s {
        assert_eq!(
            (v.log_s(k), v.z(k), v.zeta(k)),
            (Ok(None), Ok(None), Ok(-0.05))
        );
    }
}

/// The rule as a plain list, most recent first: the call's mapped ids
/// move to the front first (none of them is evicted by the call), then
/// each id in order.
fn model(recency: &mut Vec<(u64, usize)>, used: &mut usize, cap: usize, ids: &[u64]) -> Vec<usize> {
    for id in ids {
        if let Some(k) = recency.iter().position(|(i, _)| i == id) {
            let e = recency.remove(k);
            recency.insert(0, e);
        }
    }
    let mut out = Vec::new();
    for &id in ids {
        let s = match recency.iter().position(|&(i, _)| i == id) {
            Some(k) => recency.remove(k).1,
            None if *used < cap => {
                *used += 1;
                *used - 1
            }
            None => recency.pop().unwrap().1,
        };
        recency.insert(0, (id, s));
        out.push(s);
    }
    out
}

#[test]
fn long_random_sequences_follow_the_least_recently_seen_rule() {
    let mut rng = Rng::new(0x5a);
    let mut st = SparseState::<f32, 8, 16>::new(0.0).unwrap();
    let (mut recency, mut used) = (Vec::new(), 0);
    for _ in 0..5000 {
        let b = 1 + (rng.uniform() * 8.0) as usize;
        // Ids from a small range (repeats, returns) and a few huge ones.
        let ids: Vec<u64> = (0..b)
            .map(|_| {
                let k = (rng.uniform() * 14.0) as u64;
                if k == 13 {
                    u64::MAX - k
                } else {
                    k.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                }
            })
            .collect();
        let got = slots(&mut st, &ids);
        let want = model(&mut recency, &mut used, 8, &ids);
        assert_eq!(got, want, "ids {ids:?}");
        for &(id, s) in &recency {
            assert_eq!(st.slot(id), Some(s));
        }
        assert_eq!(st.len(), recency.len());
    }
}

fn params() -> dpm_core::Directions<DpmParams<f32>> {
    let p = DpmParams {
        tau: 0.1,
        gamma: 0.9,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.5,
            eta: 0.1,
        }),
        first_visit: FirstVisit::Batch,
    };
    dpm_core::Directions::both(p)
}

const S: [f32; 9] = [0.9, 0.1, -0.2, 0.3, 0.8, 0.0, 0.1, 0.2, 0.7];

#[test]
fn steps_on_the_slots_equal_steps_on_a_dense_state_and_an_evicted_id_comes_back_fresh() {
    let (mut si, mut st) = (
        SparseState::<f32, 4, 8>::new(-0.05).unwrap(),
        SparseState::<f32, 4, 8>::new(-0.05).unwrap(),
    );
    let (mut di, mut dt) = (State::<f32, 4>::new(-0.05), State::<f32, 4>::new(-0.05));
    let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 3 })];
    let (mut ds, mut ds2) = ([0.0_f32; 9], [0.0_f32; 9]);
    let (images, texts) = ([11_u64, 1 << 50, 7], [3_u64, 9, u64::MAX]);
    for _ in 0..2 {
        let (a, b) = (slots(&mut si, &images), slots(&mut st, &texts));
        let sparse = dpm_core::dpm_bimodal(
            &S,
            a.len(),
            &a,
            &b,
            &mut si.view(),
            &mut st.view(),
            params(),
            BimodalOut::new(&mut ds),
            &mut scratch,
        )
        .unwrap();
        let dense = dpm_core::dpm_bimodal(
            &S,
            a.len(),
            &a,
            &b,
            &mut di.view(),
            &mut dt.view(),
            params(),
            BimodalOut::new(&mut ds2),
            &mut scratch,
        )
        .unwrap();
        assert_eq!(sparse, dense);
        assert_eq!(ds, ds2);
    }
    let k = si.slot(11).unwrap();
    assert!(si.view().log_s(k).unwrap().is_some() && si.view().z(k).unwrap().is_some());
    assert_ne!(si.view().zeta(k).unwrap(), -0.05);
    // Two new ids evict 11 (seen least recently: first of the batches) and
    // 1 << 50; 11 comes back in a slot reset to a first visit.
    slots(&mut si, &[1000, 2000]);
    assert_eq!(si.slot(11), None);
    let k = slots(&mut si, &[11])[0];
    let v = si.view();
    assert_eq!(
        (v.log_s(k), v.z(k), v.zeta(k)),
        (Ok(None), Ok(None), Ok(-0.05))
    );
}

#[test]
fn refusals_change_nothing() {
    let mut st = SparseState::<f64, 2, 4>::new(0.0).unwrap();
    slots_f64(&mut st, &[5, 6]);
    let mut out = [9_usize; 3];
    assert_eq!(
        st.slots(&[1, 2, 3], &mut out),
        Err(Error::LengthMismatch {
            what: "ids",
            expected: 2,
            found: 3
        })
    );
    assert_eq!(
        st.slots(&[1, 2], &mut out),
        Err(Error::LengthMismatch {
            what: "out",
            expected: 2,
            found: 3
        })
    );
    assert_eq!(out, [9; 3]);
    assert_eq!(
        (st.slot(5), st.slot(6), st.slot(1)),
        (Some(0), Some(1), None)
    );
    // 5 is still the least recently seen: the refused calls saw nothing.
    slots_f64(&mut st, &[7]);
    assert_eq!((st.slot(5), st.slot(7)), (None, Some(0)));
    assert_eq!(
        SparseState::<f32, 4, 8>::new(f32::NAN).err(),
        Some(Error::InvalidParameter { what: "zeta_init" })
    );
}

fn slots_f64(st: &mut SparseState<f64, 2, 4>, ids: &[u64]) {
    let mut out = vec![0; ids.len()];
    st.slots(ids, &mut out).unwrap();
}
