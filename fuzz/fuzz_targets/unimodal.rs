//! One direction over the two-view and custom layouts (SPEC section 3b):
//! finite in means finite out, weights per row within [0, 1/gamma],
//! nothing written on error.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{DpmParams, FirstVisit, Layout, Offset, StepOut, ZetaStep, dpm_step};
use dpm_core_fuzz::{Pop, assert_weights, tau_from};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    half: u8,
    n: u8,
    custom: bool,
    log_tau: i16,
    gamma: f32,
    theta: f32,
    eta: f32,
    xi: f32,
    vanilla: bool,
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
    pos: Vec<u8>,
    excluded: Vec<bool>,
}

fuzz_target!(|inp: Input| {
    let rows = 2 * usize::from(inp.half % 9);
    let n = usize::from(inp.n);
    let pick = |k: usize| {
        if inp.values.is_empty() {
            0.0
        } else {
            inp.values[k % inp.values.len()]
        }
    };
    let s: Vec<f32> = (0..rows * rows).map(pick).collect();
    let ids: Vec<usize> = (0..rows)
        .map(|k| inp.ids.get(k).map_or(k, |&v| usize::from(v)))
        .collect();
    let pos: Vec<usize> = (0..rows)
        .map(|r| {
            inp.pos
                .get(r)
                .map_or((r + rows / 2) % rows.max(1), |&v| usize::from(v))
        })
        .collect();
    let excluded: Vec<bool> = (0..rows * rows)
        .map(|k| {
            inp.excluded
                .get(k)
                .copied()
                .unwrap_or(k / rows.max(1) == k % rows.max(1))
        })
        .collect();
    let layout = if inp.custom {
        Layout::Custom {
            pos: &pos,
            excluded: &excluded,
        }
    } else {
        Layout::TwoView
    };
    let p = DpmParams {
        tau: tau_from(inp.log_tau),
        gamma: inp.gamma,
        offset: if inp.vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(inp.xi)
        },
        zeta_step: Some(ZetaStep {
            theta: inp.theta,
            eta: inp.eta,
        }),
        first_visit: FirstVisit::Batch,
    };
    let mut pop = Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 0);
    let before = pop.bits();
    let dbg_pop = pop.clone();
    let (mut ds, mut w, mut h) = (
        vec![-7.0_f32; rows * rows],
        vec![-7.0_f32; rows * rows],
        vec![-7.0_f32; rows],
    );
    let mut scratch = vec![0.0_f32; dpm_core::step_scratch_len(rows, rows)];
    let Some(mut view) = pop.view() else { return };
    let (a, c) = view.split();
    let out = StepOut {
        ds: &mut ds,
        weights: Some(&mut w),
        h: Some(&mut h),
    };
    match dpm_step(layout, &s, &ids, &ids, a, c, p, out, &mut scratch) {
        Err(_) => {
            assert!(
                ds.iter().chain(&w).chain(&h).all(|&v| v == -7.0),
                "an error wrote an output"
            );
            assert_eq!(pop.bits(), before, "an error wrote state");
        }
        Ok(loss) => {
            assert!(
                loss.is_finite() && ds.iter().chain(&h).all(|v| v.is_finite()),
                "not finite: loss {loss} ds {ds:?} h {h:?} s {s:?} p {p:?} ids {ids:?} pop {:?} {:?} {:?} {:?} {:?}",
                &dbg_pop.log_s[..4],
                &dbg_pop.s_flags[..4],
                &dbg_pop.zeta[..4],
                &dbg_pop.z[..4],
                &dbg_pop.z_flags[..4]
            );
            assert_weights(&w, rows, p.gamma, false);
            for r in 0..rows {
                let negative = |c: usize| layout.is_negative(r, c, rows);
                assert!(
                    (0..rows).all(|c| negative(c) || w[r * rows + c] == 0.0),
                    "weight off the negatives"
                );
            }
            pop.assert_finite_at(&ids);
        }
    }
});
