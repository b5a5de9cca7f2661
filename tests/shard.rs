//! The sharded DPM step (`dpm_core::shard`) against the single-process
//! steps (SPEC sections 2 and 7): one rank is `dpm_step` on the diagonal
//! layout bit for bit; 2, 3 and 4 ranks, with both directions, their
//! partial sums reduced in rank order and `finish` on the owned ids, give
//! `dpm_bimodal`'s `dS`, losses, `h` and state within SPEC section 7's
//! bound (per-row values bit for bit with one rank's); and the
//! refusals write nothing.

use dpm_core::shard::{Block, RowsOut, dpm_rows, finish};
use dpm_core::{
    BimodalOut, Directions, DpmParams, Error, FirstVisit, Layout, Offset, Real, Scratch, State,
    StepOut, ZetaStep, dpm_bimodal, dpm_step, scratch_len,
};
use std::fmt::Debug;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

const N: usize = 40;

trait Prec: Real + Debug + From<f32> {
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
}
impl Prec for f32 {
    #[allow(clippy::cast_possible_truncation)]
    fn of(v: f64) -> Self {
        v as f32
    }
    fn f64(self) -> f64 {
        f64::from(self)
    }
}
impl Prec for f64 {
    fn of(v: f64) -> Self {
        v
    }
    fn f64(self) -> f64 {
        self
    }
}

fn params<T: Prec>(step: bool) -> DpmParams<T> {
    DpmParams {
        tau: T::of(0.1),
        gamma: T::of(0.8),
        offset: Offset::Xi(T::of(0.25)),
        zeta_step: step.then(|| ZetaStep {
            theta: T::of(0.5),
            eta: T::of(0.2),
        }),
        first_visit: FirstVisit::Batch,
    }
}

/// Aligned scores: the positive near 0.9, the rest spread in [-0.5, 0.5].
fn scores<T: Prec>(b: usize, rng: &mut Rng) -> Vec<T> {
    (0..b * b)
        .map(|k| {
            T::of(if k / b == k % b {
                0.9 + 0.05 * rng.range(-1.0, 1.0)
            } else {
                0.5 * rng.range(-1.0, 1.0)
            })
        })
        .collect()
}

/// A state that has seen a previous batch: some ids visited, zeta moved.
fn warm<T: Prec>(rng: &mut Rng) -> State<T, N> {
    let mut st = State::<T, N>::new(T::of(-0.05));
    let mut v = st.view();
    for id in (0..N).step_by(3) {
        v.set_log_s(id, Some(T::of(rng.range(-1.0, 1.0)))).unwrap();
        v.set_z(id, Some(T::of(0.1 * rng.range(-1.0, 1.0))))
            .unwrap();
        v.set_zeta(id, T::of(0.2 * rng.range(-1.0, 1.0))).unwrap();
    }
    st
}

fn bits<T: Debug>(v: &[T]) -> String {
    format!("{v:?}")
}

/// Every value of a state, as bits.
fn state_bits<T: Prec>(st: &mut State<T, N>) -> String {
    let v = st.view();
    let all: Vec<_> = (0..N)
        .map(|id| (v.log_s(id).unwrap(), v.zeta(id).unwrap(), v.z(id).unwrap()))
        .collect();
    format!("{all:?}")
}

/// `|a - b| <= tol max|b|` elementwise.
fn close<T: Prec>(what: &str, a: &[T], b: &[T], tol: f64) {
    let top = b
        .iter()
        .fold(0.0_f64, |m, v| m.max(v.f64().abs()))
        .max(f64::MIN_POSITIVE);
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x.f64() - y.f64()).abs() <= tol * top,
            "{what}[{k}]: {x:?} vs {y:?} (scale {top})"
        );
    }
}

/// The bound of these comparisons: `32 eps` of the largest value. SPEC
/// section 7 allows `64 cond eps` (cond about 30 here: |a| up to about
/// (2 max|S| + |zeta| + |xi|) / tau); the runs stay within 4 eps, so a
/// wrong scale or a lost term fails by far.
fn tol<T: Prec>() -> f64 {
    32.0 * T::EPSILON.f64()
}

/// One rank: `dpm_rows` on every row, then `finish` on every candidate,
/// is `dpm_step` on the diagonal layout with the zeta step, bit for bit.
fn one_rank_is_dpm_step<T: Prec>() {
    let b = 37;
    let mut rng = Rng::new(7);
    let s = scores::<T>(b, &mut rng);
    let (img_ids, txt_ids): (Vec<usize>, Vec<usize>) =
        ((0..b).collect(), (0..b).map(|k| N - 1 - k).collect());
    let (images0, texts0) = (warm::<T>(&mut rng), warm::<T>(&mut rng));
    let mut scratch = vec![T::ZERO; scratch_len(Scratch::Step { rows: b, cols: b })];

    // The single-process direction.
    let (mut im, mut tx) = (images0.clone(), texts0.clone());
    let (mut ds1, mut w1, mut h1) = (vec![T::ZERO; b * b], vec![T::ZERO; b * b], vec![T::ZERO; b]);
    let out = StepOut {
        weights: Some(&mut w1),
        h: Some(&mut h1),
        ..StepOut::new(&mut ds1)
    };
    let l1 = dpm_step(
        Layout::Diagonal,
        &s,
        b,
        b,
        &img_ids,
        &txt_ids,
        im.view().split().0,
        tx.view().split().1,
        params(true),
        out,
        &mut scratch,
    )
    .unwrap();

    // The same through the shard primitives.
    let (mut im2, mut tx2) = (images0.clone(), texts0.clone());
    let (mut ds2, mut w2, mut hs) = (vec![T::ZERO; b * b], vec![T::ZERO; b * b], vec![T::ZERO; b]);
    let out = RowsOut {
        ds: &mut ds2,
        weights: Some(&mut w2),
        h_sum: &mut hs,
    };
    let block = Block {
        b,
        start: 0,
        rows: b,
    };
    let l2 = dpm_rows(
        &s,
        block,
        &img_ids,
        im2.view().split().0,
        &txt_ids,
        tx2.view().split().1,
        N,
        params(true),
        out,
        &mut scratch,
    )
    .unwrap();
    let mut h2 = vec![T::ZERO; b];
    let step = params::<T>(true).zeta_step.unwrap();
    finish(
        &txt_ids,
        &hs,
        b,
        N,
        tx2.view().split().1,
        step,
        Some(&mut h2),
    )
    .unwrap();

    assert_eq!(bits(&[l1]), bits(&[l2]), "loss");
    assert_eq!(bits(&ds1), bits(&ds2), "dS");
    assert_eq!(bits(&w1), bits(&w2), "weights");
    assert_eq!(bits(&h1), bits(&h2), "h");
    assert_eq!(state_bits(&mut im), state_bits(&mut im2), "anchors' state");
    assert_eq!(
        state_bits(&mut tx),
        state_bits(&mut tx2),
        "candidates' state"
    );
}

#[test]
fn one_rank_is_dpm_step_bit_for_bit() {
    one_rank_is_dpm_step::<f32>();
    one_rank_is_dpm_step::<f64>();
}

/// `ranks` blocks of a bimodal batch of `b` (the last may be shorter),
/// both directions per rank, partial sums reduced in rank order, then
/// `finish` by owner: against `dpm_bimodal` on the same `S` and states.
fn ranks_match_dpm_bimodal<T: Prec>(b: usize, ranks: usize) {
    let mut rng = Rng::new(11 + b as u64);
    let s = scores::<T>(b, &mut rng);
    let st: Vec<T> = (0..b * b).map(|k| s[(k % b) * b + k / b]).collect(); // S^T: text rows
    let (img_ids, txt_ids): (Vec<usize>, Vec<usize>) = (
        (0..b).map(|k| (3 * k) % N).collect(),
        (0..b).map(|k| (N - 1 - k) % N).collect(),
    );
    let (images0, texts0) = (warm::<T>(&mut rng), warm::<T>(&mut rng));
    let p = params::<T>(true);

    // Single process.
    let (mut im, mut tx) = (images0.clone(), texts0.clone());
    let (mut ds, mut hi, mut ht) = (vec![T::ZERO; b * b], vec![T::ZERO; b], vec![T::ZERO; b]);
    let mut scratch = vec![T::ZERO; scratch_len(Scratch::Bimodal { b })];
    let out = BimodalOut {
        h_image: Some(&mut hi),
        h_text: Some(&mut ht),
        ..BimodalOut::new(&mut ds)
    };
    let losses = dpm_bimodal(
        &s,
        b,
        &img_ids,
        &txt_ids,
        &mut im.view(),
        &mut tx.view(),
        Directions::both(p),
        out,
        &mut scratch,
    )
    .unwrap();

    // Sharded: each rank owns the ids of its pairs; here every rank's
    // state is a copy of the whole population, of which it writes only
    // its own ids (anchors' u) and, after the reduction, its own
    // candidates' z and zeta.
    let per = b.div_ceil(ranks);
    let (mut im_r, mut tx_r) = (images0.clone(), texts0.clone());
    let (mut ds_img, mut ds_txt) = (vec![T::ZERO; b * b], vec![T::ZERO; b * b]);
    let (mut sum_t, mut sum_i) = (vec![T::ZERO; b], vec![T::ZERO; b]);
    let (mut loss_i, mut loss_t) = (T::ZERO, T::ZERO);
    let mut scratch = vec![T::ZERO; scratch_len(Scratch::Step { rows: per, cols: b })];
    for r in 0..ranks {
        let start = (r * per).min(b);
        let rows = per.min(b - start);
        if rows == 0 {
            continue;
        }
        let block = Block { b, start, rows };
        let cells = start * b..(start + rows) * b;
        // Each rank sees the gathered candidates' zeta as of before the
        // step (its copy of the other population).
        let (mut ti, mut tt) = (texts0.clone(), images0.clone());
        let mut h = vec![T::ZERO; b];
        let out = RowsOut {
            ds: &mut ds_img[cells.clone()],
            weights: None,
            h_sum: &mut h,
        };
        let ids = &img_ids[start..start + rows];
        loss_i += dpm_rows(
            &s[cells.clone()],
            block,
            ids,
            im_r.view().split().0,
            &txt_ids,
            ti.view().split().1,
            N,
            p,
            out,
            &mut scratch,
        )
        .unwrap();
        sum_t.iter_mut().zip(&h).for_each(|(a, v)| *a += *v);
        let out = RowsOut {
            ds: &mut ds_txt[cells.clone()],
            weights: None,
            h_sum: &mut h,
        };
        let ids = &txt_ids[start..start + rows];
        loss_t += dpm_rows(
            &st[cells],
            block,
            ids,
            tx_r.view().split().0,
            &img_ids,
            tt.view().split().1,
            N,
            p,
            out,
            &mut scratch,
        )
        .unwrap();
        sum_i.iter_mut().zip(&h).for_each(|(a, v)| *a += *v);
    }
    // finish by owner (each rank its own ids; order does not matter).
    let step = p.zeta_step.unwrap();
    let (mut hi_r, mut ht_r) = (vec![T::ZERO; b], vec![T::ZERO; b]);
    for r in 0..ranks {
        let start = (r * per).min(b);
        let own = start..(start + per).min(b);
        finish(
            &txt_ids[own.clone()],
            &sum_t[own.clone()],
            b,
            N,
            tx_r.view().split().1,
            step,
            Some(&mut ht_r[own.clone()]),
        )
        .unwrap();
        finish(
            &img_ids[own.clone()],
            &sum_i[own.clone()],
            b,
            N,
            im_r.view().split().1,
            step,
            Some(&mut hi_r[own]),
        )
        .unwrap();
    }
    let ds_r: Vec<T> = (0..b * b)
        .map(|k| ds_img[k] + ds_txt[(k % b) * b + k / b])
        .collect();

    let t = tol::<T>();
    close("dS", &ds_r, &ds, t);
    close("h_text", &ht_r, &ht, t);
    close("h_image", &hi_r, &hi, t);
    close(
        "losses",
        &[loss_i, loss_t, loss_i + loss_t],
        &[losses.image_to_text, losses.text_to_image, losses.total],
        t,
    );
    let (a, c) = (im.view(), im_r.view());
    let (d, e) = (tx.view(), tx_r.view());
    let vals = |v: &dpm_core::StateView<'_, T>| -> Vec<T> {
        (0..N)
            .flat_map(|id| {
                [
                    v.log_s(id).unwrap().unwrap_or(T::ZERO),
                    v.zeta(id).unwrap(),
                    v.z(id).unwrap().unwrap_or(T::ZERO),
                ]
            })
            .collect()
    };
    close("images' state", &vals(&c), &vals(&a), t);
    close("texts' state", &vals(&e), &vals(&d), t);
    // Visited flags agree exactly.
    for id in 0..N {
        assert_eq!(
            a.log_s(id).unwrap().is_some(),
            c.log_s(id).unwrap().is_some()
        );
        assert_eq!(d.z(id).unwrap().is_some(), e.z(id).unwrap().is_some());
    }
}

#[test]
fn two_three_and_four_ranks_match_dpm_bimodal() {
    for (b, ranks) in [(16, 2), (37, 3), (37, 4), (24, 4)] {
        ranks_match_dpm_bimodal::<f32>(b, ranks);
        ranks_match_dpm_bimodal::<f64>(b, ranks);
    }
}

/// A refused call of `finish`: ids, sums, step, the error.
type FinishCase<'a> = (&'a [usize], &'a [f64], ZetaStep<f64>, Error);

#[test]
fn refusals_write_nothing() {
    let b = 6;
    let mut rng = Rng::new(3);
    let s = scores::<f64>(b, &mut rng);
    let ids: Vec<usize> = (0..b).collect();
    let mut st = warm::<f64>(&mut rng);
    let before = state_bits(&mut st);
    let mut scratch = vec![0.0; scratch_len(Scratch::Step { rows: b, cols: b })];
    let (mut ds, mut h) = (vec![7.0; 2 * b], vec![7.0; b]);
    let mut cands = warm::<f64>(&mut Rng::new(4));
    let mut try_rows = |block: Block, h_len: usize, n: usize, p: DpmParams<f64>| {
        let out = RowsOut {
            ds: &mut ds[..block.rows.min(2) * b],
            weights: None,
            h_sum: &mut h[..h_len],
        };
        dpm_rows(
            &s[..block.rows.min(2) * b],
            block,
            &ids[..block.rows.min(2)],
            st.view().split().0,
            &ids,
            cands.view().split().1,
            n,
            p,
            out,
            &mut scratch,
        )
    };
    assert_eq!(
        try_rows(
            Block {
                b,
                start: 5,
                rows: 2
            },
            b,
            N,
            params(false)
        ),
        Err(Error::InvalidLayout { row: 1 })
    );
    assert_eq!(
        try_rows(
            Block {
                b,
                start: usize::MAX,
                rows: 2
            },
            b,
            N,
            params(false)
        ),
        Err(Error::InvalidLayout { row: 0 })
    );
    assert!(matches!(
        try_rows(
            Block {
                b,
                start: 0,
                rows: 2
            },
            b - 1,
            N,
            params(false)
        ),
        Err(Error::LengthMismatch { what: "h", .. })
    ));
    assert_eq!(
        try_rows(
            Block {
                b,
                start: 0,
                rows: 2
            },
            b,
            1,
            params(false)
        ),
        Err(Error::PopulationTooSmall { len: 1 })
    );
    let bad_step = DpmParams {
        zeta_step: Some(ZetaStep {
            theta: 0.0,
            eta: 0.1,
        }),
        ..params(false)
    };
    assert_eq!(
        try_rows(
            Block {
                b,
                start: 0,
                rows: 2
            },
            b,
            N,
            bad_step
        ),
        Err(Error::InvalidParameter { what: "theta" })
    );
    assert_eq!(
        try_rows(
            Block {
                b,
                start: 0,
                rows: 1
            },
            b,
            N,
            params(false)
        ),
        Err(Error::BatchTooSmall { len: 1 })
    );
    assert!(
        ds.iter().chain(&h).all(|&v| v == 7.0),
        "a refused dpm_rows wrote"
    );
    assert_eq!(state_bits(&mut st), before);

    let step = ZetaStep {
        theta: 0.5,
        eta: 0.1,
    };
    let mut c = warm::<f64>(&mut Rng::new(5));
    let c_before = state_bits(&mut c);
    let mut out = [7.0; 2];
    let cases: [FinishCase<'_>; 5] = [
        (
            &[1, 1],
            &[1.0, 1.0],
            step,
            Error::DuplicateId { what: "ids", id: 1 },
        ),
        (
            &[1, N],
            &[1.0, 1.0],
            step,
            Error::IdOutOfRange {
                what: "ids",
                id: N,
                len: N,
            },
        ),
        (
            &[1, 2],
            &[1.0, f64::NAN],
            step,
            Error::NonFinite {
                what: "h_sum",
                index: 1,
            },
        ),
        (
            &[1, 2],
            &[1.0, 1e-310],
            step,
            Error::Subnormal {
                what: "h_sum",
                index: 1,
            },
        ),
        (
            &[1, 2],
            &[1.0, 1.0],
            ZetaStep {
                theta: 0.0,
                eta: 0.1,
            },
            Error::InvalidParameter { what: "theta" },
        ),
    ];
    for (ids, sums, step, err) in cases {
        assert_eq!(
            finish(ids, sums, b, N, c.view().split().1, step, Some(&mut out)),
            Err(err)
        );
    }
    assert_eq!(
        finish(
            &[1, 2],
            &[1e300, 1.0],
            b,
            N,
            c.view().split().1,
            ZetaStep {
                theta: 0.5,
                eta: 1e300
            },
            None
        ),
        Err(Error::OutOfRange { what: "eta" })
    );
    assert_eq!(
        finish(&[1, 2], &[1.0], b, N, c.view().split().1, step, None).unwrap_err(),
        Error::LengthMismatch {
            what: "h_sum",
            expected: 2,
            found: 1
        }
    );
    assert_eq!(
        finish(&[1, 2], &[1.0, 1.0], 1, N, c.view().split().1, step, None),
        Err(Error::BatchTooSmall { len: 1 })
    );
    assert_eq!(out, [7.0; 2]);
    assert_eq!(state_bits(&mut c), c_before, "a refused finish wrote");
}
