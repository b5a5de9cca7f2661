//! The general layout of SPEC section 3b and the special cases of section
//! 4, against independent naive f64 code.

#![allow(clippy::needless_range_loop)] // index loops mirror the formulas

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use pop::Pop;

use dpm_core::{
    BimodalOut, DpmParams, FirstVisit, Layout, Offset, StepOut, ZetaStep, dpm_bimodal, dpm_step,
    infonce_step,
};
use rng::Rng;

fn lae(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        m
    } else {
        m + ((a - m).exp() + (b - m).exp()).ln()
    }
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-12 * (1.0 + want.abs());
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// SPEC 3b written out directly, for one direction over `pos`/`excluded`.
struct Naive {
    ds: Vec<f64>,
    w: Vec<f64>,
    loss: f64,
    h: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn naive(
    s: &[f64],
    rows: usize,
    cols: usize,
    pos: &dyn Fn(usize) -> usize,
    neg: &dyn Fn(usize, usize) -> bool,
    row_ids: &[usize],
    col_ids: &[usize],
    st: &mut Pop<f64>,
    p: &DpmParams<f64>,
) -> Naive {
    let n = st.zeta.len() as f64;
    let tau = p.tau;
    let zeta: Vec<f64> = col_ids.iter().map(|&id| st.zeta[id]).collect();
    let mut out = Naive {
        ds: vec![0.0; rows * cols],
        w: vec![0.0; rows * cols],
        loss: 0.0,
        h: vec![0.0; cols],
    };
    let mut acc = vec![0.0; cols];
    for r in 0..rows {
        let pr = pos(r);
        let a = |c: usize| (s[r * cols + c] - s[r * cols + pr] - zeta[c]) / tau;
        let m = (0..cols).filter(|&c| neg(r, c)).count() as f64;
        let l = (0..cols)
            .filter(|&c| neg(r, c))
            .map(|c| a(c).exp())
            .sum::<f64>()
            .ln();
        let id = row_ids[r];
        let u = if st.s_flags[id] == 1 {
            lae((1.0 - p.gamma).ln() + st.log_s[id], p.gamma.ln() + l)
        } else {
            l
        };
        st.log_s[id] = u;
        st.s_flags[id] = 1;
        let xi = match p.offset {
            Offset::Xi(xi) => xi,
            Offset::Vanilla => zeta[pr],
        };
        let log_den = lae((m / (n - 1.0)).ln() - xi / tau, u);
        let log_dt = lae(-(n - 1.0).ln() - zeta[pr] / tau, u - m.ln());
        for c in (0..cols).filter(|&c| neg(r, c)) {
            let w = (a(c) - log_den).exp();
            out.w[r * cols + c] = w;
            out.ds[r * cols + c] = w / rows as f64;
            out.ds[r * cols + pr] -= w / rows as f64;
            out.loss += w * (s[r * cols + c] - s[r * cols + pr]) / rows as f64;
            acc[c] += (a(c) - log_dt).exp();
        }
        acc[pr] += (-zeta[pr] / tau - log_dt).exp();
    }
    for c in 0..cols {
        out.h[c] = 1.0 - n / (n - 1.0) / rows as f64 * acc[c];
        if let Some(ZetaStep { theta, eta }) = p.zeta_step {
            let id = col_ids[c];
            let z = if st.z_flags[id] == 1 {
                (1.0 - theta) * st.z[id] + theta * out.h[c]
            } else {
                out.h[c]
            };
            st.z[id] = z;
            st.z_flags[id] = 1;
            st.zeta[id] -= eta * z;
        }
    }
    out
}

fn params(tau: f64, offset: Offset<f64>) -> DpmParams<f64> {
    DpmParams {
        tau,
        gamma: 0.8,
        offset,
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 0.05,
        }),
        first_visit: FirstVisit::Batch,
    }
}

#[test]
fn two_view_matches_spec_3b() {
    let mut rng = Rng::new(7);
    for (b, tau, offset) in [
        (2, 0.1, Offset::Xi(0.1)),
        (5, 0.07, Offset::Vanilla),
        (8, 1.0, Offset::Xi(0.0)),
    ] {
        let rows = 2 * b;
        let s = rng.scores(rows, rows, |r| (r + b) % rows);
        let n = 3 * rows;
        let ids = rng.distinct(rows, n);
        let mut pop = Pop::random(&mut rng, n);
        let mut reference = pop.clone();
        let p = params(tau, offset);
        let want = naive(
            &s,
            rows,
            rows,
            &|r| (r + b) % rows,
            &|r, c| c != r && c != (r + b) % rows,
            &ids,
            &ids,
            &mut reference,
            &p,
        );
        let (mut ds, mut w, mut h) = (
            vec![9.0; rows * rows],
            vec![9.0; rows * rows],
            vec![9.0; rows],
        );
        let mut scratch =
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows, cols: rows })];
        let mut view = pop.view();
        let (a, c) = view.split();
        let out = StepOut {
            ds: &mut ds,
            weights: Some(&mut w),
            h: Some(&mut h),
        };
        let loss = dpm_step(
            Layout::TwoView,
            &s,
            ids.len(),
            ids.len(),
            &ids,
            &ids,
            a,
            c,
            p,
            out,
            &mut scratch,
        )
        .unwrap();
        close(loss, want.loss, "loss");
        for k in 0..rows * rows {
            close(ds[k], want.ds[k], "ds");
            close(w[k], want.w[k], "w");
        }
        for c in 0..rows {
            close(h[c], want.h[c], "h");
        }
        for id in 0..n {
            assert_eq!(pop.s_flags[id], reference.s_flags[id]);
            assert_eq!(pop.z_flags[id], reference.z_flags[id]);
            close(pop.log_s[id], reference.log_s[id], "log_s");
            close(pop.z[id], reference.z[id], "z");
            close(pop.zeta[id], reference.zeta[id], "zeta");
        }
    }
}

#[test]
fn custom_layout_reproduces_two_view_and_handles_rectangles() {
    let mut rng = Rng::new(11);
    let (b, rows) = (3, 6);
    let s = rng.scores(rows, rows, |r| (r + b) % rows);
    let ids = rng.distinct(rows, 40);
    let pos: Vec<usize> = (0..rows).map(|r| (r + b) % rows).collect();
    let excluded: Vec<bool> = (0..rows * rows).map(|k| k / rows == k % rows).collect();
    let p = params(0.1, Offset::Xi(0.0));
    let mut results = Vec::new();
    for layout in [
        Layout::TwoView,
        Layout::Custom {
            pos: &pos,
            excluded: &excluded,
        },
    ] {
        let mut pop = Pop::<f64>::random(&mut Rng::new(3), 40);
        let (mut ds, mut scratch) = (
            vec![0.0; 36],
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 6, cols: 6 })],
        );
        let mut view = pop.view();
        let (a, c) = view.split();
        let loss = dpm_step(
            layout,
            &s,
            ids.len(),
            ids.len(),
            &ids,
            &ids,
            a,
            c,
            p,
            StepOut::new(&mut ds),
            &mut scratch,
        )
        .unwrap();
        results.push((
            loss.to_bits(),
            ds.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            pop.zeta.clone(),
        ));
    }
    assert_eq!(results[0], results[1]);

    // A rectangular layout: 3 anchors, 5 candidates, one extra exclusion.
    let (rows, cols) = (3, 5);
    let s = rng.scores(rows, cols, |r| r);
    let pos = [0, 1, 2];
    let mut excluded = vec![false; 15];
    excluded[4] = true; // row 0 skips candidate 4
    let row_ids = [1, 2, 3];
    let col_ids = [5, 6, 7, 8, 9];
    let mut pop = Pop::random(&mut rng, 12);
    let mut reference = pop.clone();
    let want = naive(
        &s,
        rows,
        cols,
        &|r| r,
        &|r, c| c != r && !excluded[r * cols + c],
        &row_ids,
        &col_ids,
        &mut reference,
        &p,
    );
    let (mut ds, mut scratch) = (
        vec![0.0; 15],
        vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: 3, cols: 5 })],
    );
    let mut view = pop.view();
    let (a, c) = view.split();
    let layout = Layout::Custom {
        pos: &pos,
        excluded: &excluded,
    };
    let loss = dpm_step(
        layout,
        &s,
        row_ids.len(),
        col_ids.len(),
        &row_ids,
        &col_ids,
        a,
        c,
        p,
        StepOut::new(&mut ds),
        &mut scratch,
    )
    .unwrap();
    close(loss, want.loss, "loss");
    for k in 0..15 {
        close(ds[k], want.ds[k], "ds");
    }
    assert_eq!(ds[4], 0.0);
    for id in 0..12 {
        close(pop.zeta[id], reference.zeta[id], "zeta");
    }
}

#[test]
fn one_direction_is_the_first_half_of_bimodal() {
    let mut rng = Rng::new(5);
    let b = 9;
    let s = rng.scores(b, b, |r| r);
    let (img_ids, txt_ids) = (rng.distinct(b, 50), rng.distinct(b, 50));
    let p = params(0.07, Offset::Xi(0.05));
    let (mut image, mut text) = (Pop::random(&mut rng, 50), Pop::random(&mut rng, 50));
    let (mut image2, mut text2) = (image.clone(), text.clone());

    let (mut ds, mut wi, mut ht) = (vec![0.0; b * b], vec![0.0; b * b], vec![0.0; b]);
    let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })];
    let out = BimodalOut {
        weights_image: Some(&mut wi),
        h_text: Some(&mut ht),
        ..BimodalOut::new(&mut ds)
    };
    let losses = dpm_bimodal(
        &s,
        img_ids.len(),
        &img_ids,
        &txt_ids,
        &mut image.view(),
        &mut text.view(),
        dpm_core::Directions::both(p),
        out,
        &mut scratch,
    )
    .unwrap();

    let (mut ds1, mut w1, mut h1) = (vec![0.0; b * b], vec![0.0; b * b], vec![0.0; b]);
    let mut iv = image2.view();
    let mut tv = text2.view();
    let out = StepOut {
        ds: &mut ds1,
        weights: Some(&mut w1),
        h: Some(&mut h1),
    };
    let loss = dpm_step(
        Layout::Diagonal,
        &s,
        img_ids.len(),
        txt_ids.len(),
        &img_ids,
        &txt_ids,
        iv.split().0,
        tv.split().1,
        p,
        out,
        &mut scratch,
    )
    .unwrap();
    close(loss, losses.image_to_text, "loss");
    for k in 0..b * b {
        close(w1[k], wi[k], "weights_image");
    }
    for c in 0..b {
        close(h1[c], ht[c], "h_text");
    }
    for &id in &img_ids {
        close(image2.log_s[id], image.log_s[id], "u of images");
    }
    for &id in &txt_ids {
        close(text2.zeta[id], text.zeta[id], "zeta of texts");
    }
}

#[test]
fn infonce_is_the_softmax_cross_entropy() {
    let mut rng = Rng::new(13);
    for (b, tau) in [(2, 1.0), (7, 0.07), (16, 0.01)] {
        let s = rng.scores(b, b, |r| r);
        let (mut ds, mut w) = (vec![0.0; b * b], vec![0.0; b * b]);
        let mut scratch =
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows: b, cols: b })];
        let out = StepOut {
            ds: &mut ds,
            weights: Some(&mut w),
            h: None,
        };
        let loss = infonce_step(Layout::Diagonal, &s, b, b, tau, out, &mut scratch).unwrap();
        let mut want_loss = 0.0;
        for i in 0..b {
            let row = &s[i * b..(i + 1) * b];
            let m = row.iter().cloned().fold(f64::MIN, f64::max);
            let z: f64 = row.iter().map(|v| ((v - m) / tau).exp()).sum();
            want_loss += ((m / tau + z.ln()) - row[i] / tau) / b as f64;
            for j in 0..b {
                let p = ((row[j] - m) / tau).exp() / z;
                close(w[i * b + j], p, "softmax");
                let g = (p - f64::from(u8::from(i == j))) / (b as f64 * tau);
                assert!((ds[i * b + j] - g).abs() <= 1e-12 / tau, "dS");
            }
        }
        close(loss, want_loss, "loss");
    }
}

/// `Layout::Rows { start }` (a block of a diagonal layout's rows, a
/// shard's) is `Custom` with `pos[r] = start + r` and nothing excluded,
/// bit for bit; a block past the last column is refused.
#[test]
fn rows_layout_is_a_custom_block_of_the_diagonal() {
    let mut rng = Rng::new(13);
    let (start, rows, cols) = (2, 3, 7);
    let s = rng.scores(rows, cols, |r| start + r);
    let (row_ids, col_ids) = (rng.distinct(rows, 40), rng.distinct(cols, 40));
    let pos: Vec<usize> = (0..rows).map(|r| start + r).collect();
    let excluded = vec![false; rows * cols];
    let p = DpmParams {
        zeta_step: Some(ZetaStep {
            theta: 0.5,
            eta: 0.1,
        }),
        ..params(0.1, Offset::Xi(0.2))
    };
    let run = |layout: Layout<'_>| {
        let (mut a, mut c) = (
            Pop::<f64>::random(&mut Rng::new(3), 40),
            Pop::<f64>::random(&mut Rng::new(4), 40),
        );
        let mut ds = vec![0.0; rows * cols];
        let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Step { rows, cols })];
        let (mut av, mut cv) = (a.view(), c.view());
        let r = dpm_step(
            layout,
            &s,
            rows,
            cols,
            &row_ids,
            &col_ids,
            av.split().0,
            cv.split().1,
            p,
            StepOut::new(&mut ds),
            &mut scratch,
        );
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        r.map(|loss| {
            (
                loss.to_bits(),
                bits(&ds),
                bits(&a.log_s),
                bits(&c.zeta),
                bits(&c.z),
            )
        })
    };
    let custom = run(Layout::Custom {
        pos: &pos,
        excluded: &excluded,
    })
    .unwrap();
    assert_eq!(run(Layout::Rows { start }).unwrap(), custom);
    assert_eq!(
        run(Layout::Rows { start: 5 }).unwrap_err(),
        dpm_core::Error::InvalidLayout { row: 2 }
    );
    let l = Layout::Rows { start };
    assert_eq!((l.positive(1, cols), l.negatives(1, cols)), (3, 6));
    assert!(!l.is_negative(1, 3, cols) && l.is_negative(1, 1, cols));
}
