//! Several bimodal steps through one state: ids recur across steps, xi is
//! refreshed between them, parameters range over the whole finite domain,
//! and every step keeps the invariants (finite, weights within 1/gamma,
//! nothing written on error). In sparse mode the ids are arbitrary `u64`s
//! mapped onto 16 slots by `SparseState` (evicting the least recently
//! seen): every id gets its mapped slot, distinct ids distinct slots, an
//! id mapped before the call keeps its slot, and a newly mapped id gets a
//! slot reset to a first visit.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{
    BimodalOut, DpmParams, FirstVisit, Offset, SparseState, StateView, ZetaStep, dpm_bimodal,
};
use dpm_core_fuzz::{Pop, Scalar, all_finite, assert_weights, cyclic};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Step {
    ids: Vec<u8>,
    scores: Vec<f32>,
    refresh_xi: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    b: u8,
    n: u8,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi_init: Scalar,
    vanilla: bool,
    sparse: bool,
    steps: Vec<Step>,
}

/// Slots of a sparse population.
const SLOTS: usize = 16;
/// Capacity of its id map.
const MAP: usize = 32;

/// Every value and flag of a view, as bits.
fn view_bits(v: &StateView<'_, f32>) -> Vec<u64> {
    (0..v.population())
        .flat_map(|id| {
            let opt = |x: Option<f32>| x.map_or(u64::MAX, |x| u64::from(x.to_bits()));
            [
                opt(v.log_s(id).unwrap()),
                u64::from(v.zeta(id).unwrap().to_bits()),
                opt(v.z(id).unwrap()),
            ]
        })
        .collect()
}

/// The slots of `raw` ids in `st`, with the map's invariants checked.
fn sparse_slots(st: &mut SparseState<f32, SLOTS, MAP>, raw: &[u64]) -> Vec<usize> {
    let before: Vec<Option<usize>> = raw.iter().map(|&id| st.slot(id)).collect();
    let new: Vec<bool> = before.iter().map(Option::is_none).collect();
    let mut out = vec![usize::MAX; raw.len()];
    st.slots(raw, &mut out).unwrap();
    assert!(st.len() <= SLOTS);
    for (k, (&id, &s)) in raw.iter().zip(&out).enumerate() {
        assert!(s < SLOTS);
        assert_eq!(st.slot(id), Some(s), "id {id} not at its slot");
        if let Some(b) = before[k] {
            assert_eq!(b, s, "id {id} of the call lost its slot");
        }
        for (j, &other) in raw.iter().enumerate().take(k) {
            assert_eq!(out[j] == s, other == id, "ids {other}, {id} share a slot");
        }
    }
    let v = st.view();
    for (&s, _) in out.iter().zip(&new).filter(|(_, n)| **n) {
        let fresh = (v.log_s(s).unwrap(), v.z(s).unwrap(), v.zeta(s).unwrap());
        assert_eq!(fresh, (None, None, -0.05), "a new id's slot is not reset");
    }
    out
}

fuzz_target!(|inp: Input| {
    let b = 2 + usize::from(inp.b % 8);
    let n = if inp.sparse {
        SLOTS
    } else {
        2 + usize::from(inp.n % 40)
    };
    let mut pops = [
        Pop::<f32>::from_fuzz(n, &[-0.05], &[], 0),
        Pop::<f32>::from_fuzz(n, &[-0.05], &[], 0),
    ];
    let fresh = || SparseState::<f32, SLOTS, MAP>::new(-0.05).unwrap();
    let mut sparse = [fresh(), fresh()];
    let xi_init = inp.xi_init.get();
    let gamma = inp.gamma.get();
    let (mut xi_i, mut xi_t) = (xi_init, xi_init);
    for st in inp.steps.iter().take(6) {
        if st.refresh_xi {
            if inp.sparse {
                xi_i = sparse[0].view().refresh_xi(xi_init);
                xi_t = sparse[1].view().refresh_xi(xi_init);
            } else {
                xi_i = pops[0].view().unwrap().refresh_xi(xi_init);
                xi_t = pops[1].view().unwrap().refresh_xi(xi_init);
            }
        }
        let (ii, ti): (Vec<usize>, Vec<usize>) = if inp.sparse {
            // Arbitrary u64 ids: a byte spread over the whole range.
            let raw = |k: usize| {
                st.ids.get(k).map_or(k as u64, |&v| {
                    u64::from(v).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                })
            };
            let ri: Vec<u64> = (0..b).map(raw).collect();
            let rt: Vec<u64> = (0..b).map(|k| raw(k + b)).collect();
            (
                sparse_slots(&mut sparse[0], &ri),
                sparse_slots(&mut sparse[1], &rt),
            )
        } else {
            let id = |k: usize| st.ids.get(k).map_or(k, |&v| usize::from(v) % n);
            (
                (0..b).map(id).collect(),
                (0..b).map(|k| id(k + b)).collect(),
            )
        };
        let s: Vec<f32> = (0..b * b).map(|k| cyclic(&st.scores, k)).collect();
        let dir = |xi: f32| DpmParams {
            tau: inp.tau.get(),
            gamma,
            offset: if inp.vanilla {
                Offset::Vanilla
            } else {
                Offset::Xi(xi)
            },
            zeta_step: Some(ZetaStep {
                theta: inp.theta.get(),
                eta: inp.eta.get(),
            }),
            first_visit: FirstVisit::Batch,
        };
        let [x, y] = &mut pops;
        let [sx, sy] = &mut sparse;
        let (mut image, mut text) = if inp.sparse {
            (sx.view(), sy.view())
        } else {
            (x.view().unwrap(), y.view().unwrap())
        };
        let before = [view_bits(&image), view_bits(&text)];
        let (mut ds, mut wi, mut wt) = (
            vec![-7.0_f32; b * b],
            vec![-7.0_f32; b * b],
            vec![-7.0_f32; b * b],
        );
        let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
        let out = BimodalOut {
            weights_image: Some(&mut wi),
            weights_text: Some(&mut wt),
            ..BimodalOut::new(&mut ds)
        };
        match dpm_bimodal(
            &s,
            ii.len(),
            &ii,
            &ti,
            &mut image,
            &mut text,
            dpm_core::Directions {
                image: dir(xi_t),
                text: dir(xi_i),
            },
            out,
            &mut scratch,
        ) {
            Err(_) => {
                assert!(
                    ds.iter().chain(&wi).chain(&wt).all(|&v| v == -7.0),
                    "an error wrote an output"
                );
                assert_eq!(
                    [view_bits(&image), view_bits(&text)],
                    before,
                    "an error wrote state"
                );
            }
            Ok(l) => {
                assert!(l.total.is_finite() && all_finite(&ds));
                assert_weights(&wi, b, gamma, false);
                assert_weights(&wt, b, gamma, true);
                for (v, ids) in [(&image, &ii), (&text, &ti)] {
                    for &id in ids {
                        let vals = [
                            v.log_s(id).unwrap(),
                            Some(v.zeta(id).unwrap()),
                            v.z(id).unwrap(),
                        ];
                        assert!(
                            vals.into_iter().flatten().all(f32::is_finite),
                            "state not finite"
                        );
                    }
                }
            }
        }
    }
});
