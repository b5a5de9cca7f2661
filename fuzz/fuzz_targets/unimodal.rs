//! One direction over the two-view and custom layouts (SPEC section 3b),
//! rows up to 256, over the whole finite domain (any f32 parameter, score
//! and state value): finite in means finite out, weights per row within
//! [0, 1/gamma], nothing written on error, for `dpm_step`, `sogclr_step`
//! and `infonce_step`; for DPM with rows <= 64, the f32 step within SPEC
//! section 7's bound of the f64 step on the same inputs.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{
    DpmParams, FirstVisit, Layout, Offset, Real, SogClrParams, StepOut, ZetaStep, dpm_step,
    infonce_step, sogclr_step,
};
use dpm_core_fuzz::{
    Condition, Parts, Pop, Scalar, all_finite, assert_close_f32, assert_weights, batch, cyclic,
    widen,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    half: u8,
    wide: u8,
    n: u8,
    custom: bool,
    /// 0: DPM, 1: SogCLR, 2: InfoNCE (others: DPM).
    algo: u8,
    tau: Scalar,
    gamma: Scalar,
    theta: Scalar,
    eta: Scalar,
    xi: Scalar,
    vanilla: bool,
    values: Vec<f32>,
    ids: Vec<u8>,
    visited: Vec<bool>,
    pos: Vec<u8>,
    excluded: Vec<bool>,
}

/// The loss of a run.
#[derive(Clone, Copy)]
enum Loss<T> {
    Dpm(DpmParams<T>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

fuzz_target!(|inp: Input| {
    let rows = 2 * (batch(inp.half, inp.wide) / 2);
    let n = usize::from(inp.n);
    let s: Vec<f32> = (0..rows * rows).map(|k| cyclic(&inp.values, k)).collect();
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
    let (tau, gamma) = (inp.tau.get(), inp.gamma.get());
    let p = DpmParams {
        tau,
        gamma,
        offset: if inp.vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(inp.xi.get())
        },
        zeta_step: Some(ZetaStep {
            theta: inp.theta.get(),
            eta: inp.eta.get(),
        }),
        first_visit: FirstVisit::Batch,
    };
    let (loss, cap) = match inp.algo {
        1 => (
            Loss::SogClr(SogClrParams {
                tau,
                gamma,
                first_visit: FirstVisit::Batch,
            }),
            gamma,
        ),
        2 => (Loss::InfoNce(tau), 1.0),
        _ => (Loss::Dpm(p), gamma),
    };
    let mut pop = Pop::<f32>::from_fuzz(n, &inp.values, &inp.visited, 0);
    let mut pop64 = pop.cast::<f64>();
    let before64 = pop64.clone();
    let before_pop = pop.clone();
    let Some(o) = run(layout, &s, &ids, &mut pop, loss) else {
        return;
    };
    assert_weights(&o.w, rows, cap, false);
    let info_nce = matches!(loss, Loss::InfoNce(_));
    for r in 0..rows {
        // InfoNCE's softmax weighs the positive too.
        let weighed =
            |c: usize| layout.is_negative(r, c, rows) || info_nce && c == layout.positive(r, rows);
        assert!(
            (0..rows).all(|c| weighed(c) || o.w[r * rows + c] == 0.0),
            "weight off the negatives"
        );
    }
    let parts = match loss {
        Loss::Dpm(_) => Parts::ALL,
        Loss::SogClr(_) => Parts::LOG_S,
        Loss::InfoNce(_) => Parts::NONE,
    };
    pop.assert_after(&before_pop, &ids, parts);
    if rows > 64 || !matches!(loss, Loss::Dpm(_)) {
        return;
    }

    // The same inputs in f64 (widening is exact): accepted too, and close.
    let wide = widen(p);
    let s64: Vec<f64> = s.iter().map(|&v| f64::from(v)).collect();
    let o64 = run(layout, &s64, &ids, &mut pop64, Loss::Dpm(wide))
        .expect("f64 refused what f32 accepted");
    // Row r's condition (SPEC section 7): its largest exponent over all
    // columns (a superset of its negatives), its history, and the terms
    // every row shares.
    let tau = wide.tau;
    let pos_of = |r: usize| match layout {
        Layout::Custom { pos, .. } => pos[r],
        _ => (r + rows / 2) % rows,
    };
    let zmax = ids
        .iter()
        .fold(0.0_f64, |m, &k| m.max(before64.zeta[k].abs()));
    let xi = match wide.offset {
        Offset::Xi(x) => x.abs(),
        Offset::Vanilla => 0.0,
    };
    let condition = Condition::new(n, wide.gamma, rows, xi, zmax, tau);
    let row_cond: Vec<f64> = (0..rows)
        .map(|r| {
            let positive = s64[r * rows + pos_of(r)];
            let a_max = (0..rows)
                .map(|c| ((s64[r * rows + c] - positive - before64.zeta[ids[c]]) / tau).abs())
                .fold(0.0, f64::max);
            let id = ids[r];
            let u = if before64.s_flags[id] == 1 {
                before64.log_s[id].abs()
            } else {
                0.0
            };
            condition.of(a_max, u)
        })
        .collect();
    let cond: Vec<f64> = (0..rows * rows).map(|k| row_cond[k / rows]).collect();
    assert_close_f32(&o.w, &o64.w, &cond, "weights");
    let worst = row_cond.iter().fold(0.0_f64, |m, &c| m.max(c));
    assert_close_f32(&o.ds, &o64.ds, &vec![worst; rows * rows], "dS");
});

struct Out<T> {
    ds: Vec<T>,
    w: Vec<T>,
}

/// One step; `None` when it refused, after checking that the refusal wrote
/// nothing. On success the loss, dS and h are finite.
fn run<T: Real>(
    layout: Layout<'_>,
    s: &[T],
    ids: &[usize],
    pop: &mut Pop<T>,
    loss: Loss<T>,
) -> Option<Out<T>> {
    let rows = ids.len();
    let fill = T::from_f64(-7.0);
    let before = pop.bits();
    let dbg_pop = pop.clone();
    let (mut ds, mut w, mut h) = (
        vec![fill; rows * rows],
        vec![fill; rows * rows],
        vec![fill; rows],
    );
    let mut scratch =
        vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Step { rows, cols: rows })];
    let mut view = pop.view()?;
    let (a, c) = view.split();
    let out = StepOut {
        ds: &mut ds,
        weights: Some(&mut w),
        h: Some(&mut h),
    };
    let sc = &mut scratch[..];
    let r = match loss {
        Loss::Dpm(p) => dpm_step(layout, s, ids.len(), ids.len(), ids, ids, a, c, p, out, sc),
        Loss::SogClr(p) => sogclr_step(layout, s, ids.len(), rows, ids, a, p, out, sc),
        Loss::InfoNce(tau) => infonce_step(layout, s, rows, rows, tau, out, sc),
    };
    match r {
        Err(_) => {
            assert!(
                ds.iter().chain(&w).chain(&h).all(|&v| v == fill),
                "an error wrote an output"
            );
            assert_eq!(pop.bits(), before, "an error wrote state");
            None
        }
        Ok(loss) => {
            assert!(
                loss.is_finite() && all_finite(&ds) && all_finite(&h),
                "not finite: loss {loss:?} ds {ds:?} h {h:?} s {s:?} ids {ids:?} pop {:?} {:?} {:?}",
                dbg_pop.log_s.iter().take(4).collect::<Vec<_>>(),
                dbg_pop.s_flags.iter().take(4).collect::<Vec<_>>(),
                dbg_pop.zeta.iter().take(4).collect::<Vec<_>>(),
            );
            Some(Out { ds, w })
        }
    }
}
