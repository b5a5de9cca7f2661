//! Back to embeddings (SPEC section 6) through the public API: SIMD
//! kernels against their scalar twins and f64, bilinear and normalisation
//! backward passes against finite differences, and the DPM step from
//! features against an independent naive chain.

// Index loops mirror the formulas (i, j, k as in SPEC); tuples of cases
// read better inline than behind type aliases.
#![allow(
    clippy::needless_range_loop,
    clippy::type_complexity,
    clippy::useless_vec
)]

use dpm_core::embed::{
    FeatureOut, Features, axpy, axpy_wide, dot, dot_wide, dpm_bimodal_from_features, l2_normalize,
    l2_normalize_backward, scores_backward, scores_forward, shared_backward,
};
use dpm_core::{BimodalOut, DpmParams, Error, FirstVisit, Offset, State, ZetaStep, dpm_bimodal};

/// xorshift64*: seeded, reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    #[allow(clippy::cast_precision_loss)]
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
    fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// Central difference of `f` along coordinate `i` of `x`.
fn fd(x: &[f64], i: usize, f: impl Fn(&[f64]) -> f64) -> f64 {
    let h = 1e-6 * (1.0 + x[i].abs());
    let (mut up, mut dn) = (x.to_vec(), x.to_vec());
    up[i] += h;
    dn[i] -= h;
    (f(&up) - f(&dn)) / (2.0 * h)
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * (1.0 + want.abs()),
        "got {got}, want {want}"
    );
}

fn bits<T: Copy + Into<f64>>(x: &[T]) -> Vec<u64> {
    x.iter().map(|&v| v.into().to_bits()).collect()
}

// ---------------------------------------------------------------- kernels

#[test]
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn dot_kernels_agree_with_f64_within_n_eps() {
    let mut rng = Rng(1);
    for n in 0..45 {
        let a = rng.vec(n, -1.0, 1.0);
        let b = rng.vec(n, -1.0, 1.0);
        let (a32, b32): (Vec<f32>, Vec<f32>) = (
            a.iter().map(|&v| v as f32).collect(),
            b.iter().map(|&v| v as f32).collect(),
        );
        let exact: f64 = a32
            .iter()
            .zip(&b32)
            .map(|(&p, &q)| f64::from(p) * f64::from(q))
            .sum();
        let mag: f64 = a32
            .iter()
            .zip(&b32)
            .map(|(&p, &q)| f64::from(p * q).abs())
            .sum();
        let tol32 = (n as f64 + 1.0) * f64::from(f32::EPSILON) * mag;
        for got in [dot(&a32, &b32).unwrap(), dot_wide(&a32, &b32).unwrap()] {
            assert!((f64::from(got) - exact).abs() <= tol32, "n = {n}");
        }
        let mag64: f64 = a.iter().zip(&b).map(|(p, q)| (p * q).abs()).sum();
        let (s, w) = (dot(&a, &b).unwrap(), dot_wide(&a, &b).unwrap());
        assert!(
            (s - w).abs() <= 2.0 * (n as f64 + 1.0) * f64::EPSILON * mag64,
            "n = {n}"
        );
    }
    // A tail-only length and a lane-exact length, exactly representable.
    let v: Vec<f64> = (0..16).map(f64::from).collect();
    assert_eq!(dot_wide(&v[..3], &v[..3]).unwrap(), 5.0);
    assert_eq!(dot_wide(&v, &v).unwrap(), dot(&v, &v).unwrap());
}

#[test]
#[allow(clippy::cast_possible_truncation)]
fn axpy_kernels_agree_with_f64() {
    let mut rng = Rng(2);
    for n in [0, 1, 3, 4, 7, 8, 9, 17, 33] {
        let x = rng.vec(n, -1.0, 1.0);
        let y0 = rng.vec(n, -1.0, 1.0);
        let alpha = rng.uniform(-2.0, 2.0);
        let (mut ys, mut yw) = (y0.clone(), y0.clone());
        axpy(alpha, &x, &mut ys).unwrap();
        axpy_wide(alpha, &x, &mut yw).unwrap();
        for i in 0..n {
            let exact = y0[i] + alpha * x[i];
            let tol = 2.0 * f64::EPSILON * ((alpha * x[i]).abs() + y0[i].abs());
            assert!((ys[i] - exact).abs() <= tol && (yw[i] - exact).abs() <= tol);
        }
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let y32: Vec<f32> = y0.iter().map(|&v| v as f32).collect();
        let (mut ys, mut yw) = (y32.clone(), y32.clone());
        axpy(alpha as f32, &x32, &mut ys).unwrap();
        axpy_wide(alpha as f32, &x32, &mut yw).unwrap();
        for i in 0..n {
            let exact = f64::from(y32[i]) + f64::from(alpha as f32) * f64::from(x32[i]);
            let tol =
                2.0 * f64::from(f32::EPSILON) * (exact.abs() + f64::from(y32[i]).abs() + 1e-30);
            assert!((f64::from(ys[i]) - exact).abs() <= tol * 2.0);
            assert!((f64::from(yw[i]) - exact).abs() <= tol * 2.0);
        }
    }
}

#[test]
fn kernel_errors_leave_y_untouched() {
    let mut y = [7.0_f32; 9];
    assert_eq!(
        axpy_wide(1.0, &[1.0; 8], &mut y),
        Err(Error::LengthMismatch {
            what: "y",
            expected: 8,
            found: 9
        })
    );
    assert_eq!(
        axpy_wide(f32::NAN, &[1.0; 9], &mut y),
        Err(Error::NonFinite {
            what: "alpha",
            index: 0
        })
    );
    let mut big = [1.0_f32; 9];
    big[8] = f32::MAX;
    assert_eq!(
        axpy_wide(1.0, &big, &mut y),
        Err(Error::OutOfRange { what: "y" })
    );
    assert_eq!(
        axpy(1.0, &big, &mut y),
        Err(Error::OutOfRange { what: "y" })
    );
    assert_eq!(bits(&y), bits(&[7.0_f32; 9]));
    assert_eq!(dot_wide(&big, &big), Err(Error::OutOfRange { what: "dot" }));
    assert_eq!(
        dot(&[1.0, f64::NAN], &[1.0, 1.0]),
        Err(Error::NonFinite {
            what: "a",
            index: 1
        })
    );
    assert_eq!(
        dot_wide(&[1.0_f64], &[1.0, 1.0]),
        Err(Error::LengthMismatch {
            what: "b",
            expected: 1,
            found: 2
        })
    );
}

// ---------------------------------------------------------------- bilinear

#[test]
fn scores_backward_is_g_y_and_matches_fd() {
    let mut rng = Rng(3);
    let (r, c, d) = (3, 4, 5);
    let (x, y, g) = (
        rng.vec(r * d, -1.0, 1.0),
        rng.vec(c * d, -1.0, 1.0),
        rng.vec(r * c, -1.0, 1.0),
    );
    let mut s = vec![0.0; r * c];
    scores_forward(&x, &y, r, c, d, &mut s).unwrap();
    for i in 0..r {
        for j in 0..c {
            let naive: f64 = (0..d).map(|k| x[i * d + k] * y[j * d + k]).sum();
            close(s[i * c + j], naive, 1e-15);
        }
    }
    let (mut dx, mut dy) = (vec![0.0; r * d], vec![0.0; c * d]);
    scores_backward(&g, &x, &y, r, c, d, &mut dx, &mut dy).unwrap();
    // L = sum_ij G_ij S_ij, so dL/dS = G.
    let loss = |x: &[f64], y: &[f64]| {
        let mut s = vec![0.0; r * c];
        scores_forward(x, y, r, c, d, &mut s).unwrap();
        s.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>()
    };
    for k in 0..r * d {
        close(dx[k], fd(&x, k, |x| loss(x, &y)), 1e-8);
    }
    for k in 0..c * d {
        close(dy[k], fd(&y, k, |y| loss(&x, y)), 1e-8);
    }
}

#[test]
fn shared_backward_collects_both_roles() {
    let mut rng = Rng(4);
    let (n, d) = (4, 3);
    let (cm, phi) = (rng.vec(n * n, -1.0, 1.0), rng.vec(n * d, -1.0, 1.0));
    let mut dphi = vec![0.0; n * d];
    shared_backward(&cm, &phi, n, d, &mut dphi).unwrap();
    let loss = |p: &[f64]| {
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                s += cm[i * n + j] * (0..d).map(|k| p[i * d + k] * p[j * d + k]).sum::<f64>();
            }
        }
        s
    };
    for k in 0..n * d {
        close(dphi[k], fd(&phi, k, loss), 1e-8);
    }
    // C Phi alone (one role) is not the gradient for a non-symmetric C.
    let one_role: f64 = (0..n).map(|j| cm[j] * phi[j * d]).sum();
    assert!((one_role - dphi[0]).abs() > 1e-3);
}

// ---------------------------------------------------------------- normalisation

#[test]
#[allow(clippy::cast_possible_truncation)]
fn l2_normalize_is_unit_and_safe_at_extremes() {
    let v = [3.0_f32, 4.0, 1e-40, -1e-40, 1e30, 1e30];
    let (mut x, mut n) = ([0.0_f32; 6], [0.0_f32; 3]);
    l2_normalize(&v, 3, 2, &mut x, &mut n).unwrap();
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let want = [0.6, 0.8, h, -h, h, h];
    for (got, want) in x.iter().zip(want) {
        assert!((f64::from(*got) - want).abs() <= 2.0 * f64::from(f32::EPSILON));
    }
    assert_eq!(n[0], 5.0);
    assert!(
        (f64::from(n[2]) / (1e30 * 2.0_f64.sqrt()) - 1.0).abs() < 4.0 * f64::from(f32::EPSILON)
    );
    let mut x = [7.0_f64; 4];
    let mut n = [7.0_f64; 2];
    assert_eq!(
        l2_normalize(&[1.0, 2.0, 0.0, 0.0], 2, 2, &mut x, &mut n),
        Err(Error::ZeroNorm { what: "v", row: 1 })
    );
    assert_eq!(
        l2_normalize(&[1.0, f64::NAN, 0.0, 1.0], 2, 2, &mut x, &mut n),
        Err(Error::NonFinite {
            what: "v",
            index: 1
        })
    );
    assert_eq!(
        l2_normalize(&[f64::MAX, 1.0, 0.0, 1.0], 2, 2, &mut x, &mut n),
        Err(Error::OutOfRange { what: "v" })
    );
    assert_eq!(
        l2_normalize(&[1.0; 4], 2, 2, &mut x, &mut n[..1]),
        Err(Error::LengthMismatch {
            what: "norms",
            expected: 2,
            found: 1
        })
    );
    assert_eq!((bits(&x), bits(&n)), (bits(&[7.0; 4]), bits(&[7.0; 2])));
}

#[test]
fn l2_normalize_backward_matches_fd() {
    let mut rng = Rng(5);
    let (rows, d) = (3, 5);
    let v = rng.vec(rows * d, -2.0, 2.0);
    let a = rng.vec(rows * d, -1.0, 1.0); // L = a . x(v), dL/dx = a
    let mut dv = vec![0.0; rows * d];
    l2_normalize_backward(&v, &a, rows, d, &mut dv).unwrap();
    let loss = |v: &[f64]| {
        let (mut x, mut n) = (vec![0.0; rows * d], vec![0.0; rows]);
        l2_normalize(v, rows, d, &mut x, &mut n).unwrap();
        x.iter().zip(&a).map(|(p, q)| p * q).sum::<f64>()
    };
    for k in 0..rows * d {
        close(dv[k], fd(&v, k, loss), 1e-8);
    }
    let mut dv = [7.0_f32; 2];
    assert_eq!(
        l2_normalize_backward(&[1e-38_f32, 0.0], &[1e3, 1e3], 1, 2, &mut dv),
        Err(Error::OutOfRange { what: "dv" })
    );
    assert_eq!(
        l2_normalize_backward(&[1.0_f32, 0.0], &[1.0, f32::NAN], 1, 2, &mut dv),
        Err(Error::NonFinite {
            what: "dx",
            index: 1
        })
    );
    assert_eq!(
        l2_normalize_backward(&[0.0_f32, 0.0], &[1.0, 1.0], 1, 2, &mut dv),
        Err(Error::ZeroNorm { what: "v", row: 0 })
    );
    assert_eq!(bits(&dv), bits(&[7.0_f32; 2]));
}

// ---------------------------------------------------------------- end to end

const B: usize = 4;
const D: usize = 6;

fn params() -> dpm_core::Directions<DpmParams<f64>> {
    let p = DpmParams {
        tau: 0.1,
        gamma: 0.8,
        offset: Offset::Xi(0.05),
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 1e-2,
        }),
        first_visit: FirstVisit::Batch,
    };
    dpm_core::Directions {
        image: p,
        text: DpmParams { tau: 0.2, ..p },
    }
}

struct Run {
    s: Vec<f64>,
    ds: Vec<f64>,
    dx: Vec<f64>,
    dy: Vec<f64>,
    total: f64,
}

fn from_features(x: &[f64], y: &[f64], kind: Features, states: &mut [State<f64, 16>; 2]) -> Run {
    let (mut s, mut ds, mut dx, mut dy) = (
        vec![0.0; B * B],
        vec![0.0; B * B],
        vec![0.0; B * D],
        vec![0.0; B * D],
    );
    let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })];
    let [si, st] = states;
    let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
    let ids = [3, 9, 1, 12];
    let loss = dpm_bimodal_from_features(
        x,
        y,
        B,
        D,
        kind,
        &ids,
        &ids,
        &mut si.view(),
        &mut st.view(),
        params(),
        out,
        &mut scratch,
    )
    .unwrap();
    Run {
        s,
        ds,
        dx,
        dy,
        total: loss.total,
    }
}

fn naive_unit(v: &[f64]) -> Vec<f64> {
    v.chunks(D)
        .flat_map(|r| {
            let n = r.iter().map(|a| a * a).sum::<f64>().sqrt();
            r.iter().map(move |a| a / n)
        })
        .collect()
}

#[test]
fn end_to_end_matches_an_independent_naive_chain() {
    let mut rng = Rng(6);
    let (x, y) = (rng.vec(B * D, -1.0, 1.0), rng.vec(B * D, -1.0, 1.0));
    let fresh = || [State::<f64, 16>::new(-0.05), State::<f64, 16>::new(-0.05)];
    for kind in [Features::Raw, Features::Normalized] {
        let (xh, yh) = match kind {
            Features::Raw => (naive_unit(&x), naive_unit(&y)),
            Features::Normalized => (x.clone(), y.clone()),
        };
        // Twice, so the second step sees visited state.
        let mut states = fresh();
        let mut direct = fresh();
        for _ in 0..2 {
            let run = from_features(&x, &y, kind, &mut states);
            let mut s = vec![0.0; B * B];
            for i in 0..B {
                for j in 0..B {
                    s[i * B + j] = (0..D).map(|k| xh[i * D + k] * yh[j * D + k]).sum();
                    close(run.s[i * B + j], s[i * B + j], 1e-14);
                }
            }
            // dS as the step itself gives it from the same S.
            let mut ds = vec![0.0; B * B];
            let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B })];
            let [di, dt] = &mut direct;
            let ids = [3, 9, 1, 12];
            let loss = dpm_bimodal(
                &run.s,
                ids.len(),
                &ids,
                &ids,
                &mut di.view(),
                &mut dt.view(),
                params(),
                BimodalOut::new(&mut ds),
                &mut scratch,
            )
            .unwrap();
            assert_eq!(bits(&ds), bits(&run.ds));
            assert_eq!(loss.total.to_bits(), run.total.to_bits());
            assert_eq!(format!("{states:?}"), format!("{direct:?}"));
            // dX_hat = dS Y_hat, dY_hat = dS^T X_hat, naive loops.
            let mut gx = vec![0.0; B * D];
            let mut gy = vec![0.0; B * D];
            for i in 0..B {
                for j in 0..B {
                    for k in 0..D {
                        gx[i * D + k] += ds[i * B + j] * yh[j * D + k];
                        gy[j * D + k] += ds[i * B + j] * xh[i * D + k];
                    }
                }
            }
            // Raw: chain (g - (x . g) x) / |v| row-wise, naive.
            if kind == Features::Raw {
                for (v, u, g) in [(&x, &xh, &mut gx), (&y, &yh, &mut gy)] {
                    for r in 0..B {
                        let span = r * D..(r + 1) * D;
                        let n = v[span.clone()].iter().map(|a| a * a).sum::<f64>().sqrt();
                        let t: f64 = span.clone().map(|k| u[k] * g[k]).sum();
                        for k in span {
                            g[k] = (g[k] - t * u[k]) / n;
                        }
                    }
                }
            }
            for k in 0..B * D {
                close(run.dx[k], gx[k], 1e-13);
                close(run.dy[k], gy[k], 1e-13);
            }
        }
    }
}

#[test]
fn end_to_end_errors_leave_outputs_and_state_untouched() {
    let mut rng = Rng(8);
    let (x, y) = (rng.vec(B * D, -1.0, 1.0), rng.vec(B * D, -1.0, 1.0));
    let mut states = [State::<f64, 16>::new(-0.05), State::<f64, 16>::new(-0.05)];
    from_features(&x, &y, Features::Raw, &mut states); // visited state
    let before = format!("{states:?}");
    let mut zero_row = x.clone();
    zero_row[D..2 * D].fill(0.0);
    let mut nan = y.clone();
    nan[5] = f64::NAN;
    let mut bad_tau = params();
    bad_tau.text.tau = 0.0;
    let cases: Vec<(
        &[f64],
        &[f64],
        [usize; B],
        dpm_core::Directions<DpmParams<f64>>,
        usize,
        Error,
    )> = vec![
        (
            &zero_row,
            &y,
            [3, 9, 1, 12],
            params(),
            0,
            Error::ZeroNorm { what: "x", row: 1 },
        ),
        (
            &x,
            &nan,
            [3, 9, 1, 12],
            params(),
            0,
            Error::NonFinite {
                what: "y",
                index: 5,
            },
        ),
        (
            &x,
            &y,
            [3, 9, 1, 3],
            params(),
            0,
            Error::DuplicateId {
                what: "image_ids",
                id: 3,
            },
        ),
        (
            &x,
            &y,
            [3, 9, 1, 16],
            params(),
            0,
            Error::IdOutOfRange {
                what: "image_ids",
                id: 16,
                len: 16,
            },
        ),
        (
            &x,
            &y,
            [3, 9, 1, 12],
            bad_tau,
            0,
            Error::InvalidParameter { what: "tau" },
        ),
        (
            &x,
            &y,
            [3, 9, 1, 12],
            params(),
            1,
            Error::LengthMismatch {
                what: "scratch",
                expected: dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D }),
                found: dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D }) - 1,
            },
        ),
    ];
    for (x, y, ids, p, short, want) in cases {
        let (mut s, mut ds, mut dx, mut dy) =
            ([7.0; B * B], [7.0; B * B], [7.0; B * D], [7.0; B * D]);
        let mut scratch =
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D }) - short];
        let [si, st] = &mut states;
        let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
        let got = dpm_bimodal_from_features(
            x,
            y,
            B,
            D,
            Features::Raw,
            &ids,
            &[3, 9, 1, 12],
            &mut si.view(),
            &mut st.view(),
            p,
            out,
            &mut scratch,
        );
        assert_eq!(got, Err(want));
        assert_eq!(bits(&s), bits(&[7.0; B * B]));
        assert_eq!(bits(&ds), bits(&[7.0; B * B]));
        assert_eq!(bits(&dx), bits(&[7.0; B * D]));
        assert_eq!(bits(&dy), bits(&[7.0; B * D]));
        assert_eq!(format!("{states:?}"), before);
    }
    // Raw rows so short that 1/|v| would overflow dX: refused up front.
    let mut tiny = x.clone();
    tiny[..D].fill(1e-306);
    let (mut s, mut ds, mut dx, mut dy) = ([7.0; B * B], [7.0; B * B], [7.0; B * D], [7.0; B * D]);
    let mut scratch = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })];
    let [si, st] = &mut states;
    let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
    let ids = [3, 9, 1, 12];
    let got = dpm_bimodal_from_features(
        &tiny,
        &y,
        B,
        D,
        Features::Raw,
        &ids,
        &ids,
        &mut si.view(),
        &mut st.view(),
        params(),
        out,
        &mut scratch,
    );
    assert_eq!(got, Err(Error::OutOfRange { what: "dv" }));
    assert_eq!(bits(&dx), bits(&[7.0; B * D]));
    assert_eq!(format!("{states:?}"), before);
}

#[test]
fn end_to_end_f32_raw_is_finite_and_close_to_f64() {
    let mut rng = Rng(10);
    let (x, y) = (rng.vec(B * D, -1.0, 1.0), rng.vec(B * D, -1.0, 1.0));
    let run64 = from_features(
        &x,
        &y,
        Features::Raw,
        &mut [State::new(-0.05), State::new(-0.05)],
    );
    #[allow(clippy::cast_possible_truncation)]
    let (x32, y32): (Vec<f32>, Vec<f32>) = (
        x.iter().map(|&v| v as f32).collect(),
        y.iter().map(|&v| v as f32).collect(),
    );
    let (mut si, mut st) = (State::<f32, 16>::new(-0.05), State::<f32, 16>::new(-0.05));
    let (mut s, mut ds, mut dx, mut dy) = (
        [0.0_f32; B * B],
        [0.0_f32; B * B],
        [0.0_f32; B * D],
        [0.0_f32; B * D],
    );
    let mut scratch = [0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })];
    let p = DpmParams {
        tau: 0.1_f32,
        gamma: 0.8,
        offset: Offset::Xi(0.05),
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 1e-2,
        }),
        first_visit: FirstVisit::Batch,
    };
    let p = dpm_core::Directions {
        image: p,
        text: DpmParams { tau: 0.2, ..p },
    };
    let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
    let ids = [3, 9, 1, 12];
    let loss = dpm_bimodal_from_features(
        &x32,
        &y32,
        B,
        D,
        Features::Raw,
        &ids,
        &ids,
        &mut si.view(),
        &mut st.view(),
        p,
        out,
        &mut scratch,
    )
    .unwrap();
    close(f64::from(loss.total), run64.total, 1e-4);
    for k in 0..B * D {
        assert!(dx[k].is_finite() && dy[k].is_finite());
        assert!((f64::from(dx[k]) - run64.dx[k]).abs() < 1e-4);
        assert!((f64::from(dy[k]) - run64.dy[k]).abs() < 1e-4);
    }
}

/// Features whose products round below the smallest normal number: the
/// step from features flushes them (SPEC section 7: no subnormal out, and
/// the step refuses subnormal scores). Without the flush, tiny normalised
/// features were refused (`Error::Subnormal` on the computed `S`), and
/// `dX` came back with subnormal entries.
#[test]
fn from_features_never_returns_a_subnormal() {
    let subnormal = |v: &[f32]| v.iter().any(|e| e.is_subnormal());
    let mut rng = Rng(21);
    #[allow(clippy::cast_possible_truncation)]
    let mut draw =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect() };
    let pow2 = |e: i32| f32::from_bits(u32::try_from(127 + e).unwrap() << 23);
    let mut zeros = 0;
    // Normalised: y scaled by 2^-e, so S and dX = dS Y near 2^-e. Raw: a
    // row (2^60, 2^(60 - e) r, ..), so its normalised entries near 2^-e.
    let cases = (100..=125)
        .map(|e| (Features::Normalized, e))
        .chain((120..=140).map(|e| (Features::Raw, e)));
    for (kind, e) in cases {
        let (mut x, mut y) = (draw(B * D), draw(B * D));
        match kind {
            Features::Normalized => y.iter_mut().for_each(|v| *v *= pow2(-e)),
            Features::Raw => {
                for (k, v) in x.iter_mut().chain(y.iter_mut()).enumerate() {
                    *v *= if k % D == 0 { pow2(60) } else { pow2(60 - e) };
                }
            }
        }
        let mut states = [State::<f32, 16>::new(-0.05), State::<f32, 16>::new(-0.05)];
        let (mut s, mut ds, mut dx, mut dy) =
            ([7.0; B * B], [7.0; B * B], [7.0; B * D], [7.0; B * D]);
        let mut w = [7.0; B * B];
        let mut scratch =
            vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: B, d: D })];
        let [si, st] = &mut states;
        let out = FeatureOut {
            weights_image: Some(&mut w),
            ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy)
        };
        let p = DpmParams {
            tau: 0.1_f32,
            gamma: 0.8,
            offset: Offset::Xi(0.0),
            zeta_step: Some(ZetaStep {
                theta: 0.9,
                eta: 1e-2,
            }),
            first_visit: FirstVisit::Batch,
        };
        let ids = [3, 9, 1, 12];
        let loss = dpm_bimodal_from_features(
            &x,
            &y,
            B,
            D,
            kind,
            &ids,
            &ids,
            &mut si.view(),
            &mut st.view(),
            dpm_core::Directions::both(p),
            out,
            &mut scratch,
        );
        let loss = loss.unwrap_or_else(|err| panic!("{kind:?} 2^-{e}: {err:?}"));
        assert!(loss.total.is_finite() && !loss.total.is_subnormal());
        for (what, v) in [
            ("S", &s[..]),
            ("dS", &ds),
            ("dx", &dx),
            ("dy", &dy),
            ("w", &w),
        ] {
            assert!(!subnormal(v), "{kind:?} 2^-{e}: {what} {v:?}");
        }
        zeros += s.iter().chain(&dx).filter(|&&v| v == 0.0).count();
    }
    // The sweep reached the range where values were flushed.
    assert!(zeros > 0);
}

/// One step from features on fresh states (zeta 0) of 16 ids, the batch
/// `0..b`; returns the result, `dx` and `dy`.
fn features_step<T: dpm_core::Real>(
    x: &[T],
    y: &[T],
    (b, d): (usize, usize),
    kind: Features,
    p: DpmParams<T>,
) -> (Result<dpm_core::Losses<T>, Error>, Vec<T>, Vec<T>) {
    let mut states = [State::<T, 16>::new(T::ZERO), State::<T, 16>::new(T::ZERO)];
    let seven = T::from_f64(7.0);
    let (mut s, mut ds) = (vec![seven; b * b], vec![seven; b * b]);
    let (mut dx, mut dy) = (vec![seven; b * d], vec![seven; b * d]);
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let [si, st] = &mut states;
    let ids: Vec<usize> = (0..b).collect();
    let r = dpm_bimodal_from_features(
        x,
        y,
        b,
        d,
        kind,
        &ids,
        &ids,
        &mut si.view(),
        &mut st.view(),
        dpm_core::Directions::both(p),
        FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy),
        &mut scratch,
    );
    (r, dx, dy)
}

/// A flushed score moves `S / tau` by up to `MIN_POSITIVE / tau`: with a
/// tau that small the step is refused before anything is written (found
/// by an adversarial review: weights 5e-3 off, 43,000 eps, at tau =
/// MIN_POSITIVE), and accepted with any realistic tau.
#[test]
fn flushed_scores_with_a_tiny_tau_are_refused() {
    let pow2 = |e: i32| f32::from_bits(u32::try_from(127 + e).unwrap() << 23);
    let (x, y) = ([pow2(-63), pow2(-63)], [pow2(-64), 0.0]); // S = 2^-127
    let p = |tau| DpmParams {
        tau,
        gamma: 1.0,
        offset: Offset::Xi(0.0),
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    };
    let (r, dx, dy) = features_step(&x, &y, (2, 1), Features::Normalized, p(f32::MIN_POSITIVE));
    assert_eq!(
        r,
        Err(Error::OutOfRange {
            what: "scores / tau"
        })
    );
    assert!(dx.iter().chain(&dy).all(|&v| v == 7.0), "an error wrote");
    let (r, ..) = features_step(&x, &y, (2, 1), Features::Normalized, p(1e-4));
    assert!(r.is_ok(), "{r:?}");
}

/// Normalised rows are not flushed before the backward pass: a raw row
/// `(4, 2^-125)` normalises to `(1, 2^-127)`, and the gradient of a row
/// `(2^-110, 0)` of the other side depends on that `2^-127` (scaled back
/// by `1 / |v| = 2^110`). Flushing it zeroed that gradient (a review
/// finding); the f64 step gives it.
#[test]
fn gradient_through_a_subnormal_normalised_entry_is_kept() {
    let pow2 = |e: i32| f32::from_bits(u32::try_from(127 + e).unwrap() << 23);
    let x = [4.0, pow2(-125), 4.0, pow2(-125)];
    let y = [pow2(-110), 0.0, pow2(-111), pow2(-110)];
    let p = DpmParams {
        tau: 0.1_f32,
        gamma: 0.9,
        offset: Offset::Xi(0.0),
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    };
    let (r, _, dy) = features_step(&x, &y, (2, 2), Features::Raw, p);
    r.unwrap();
    let wide = |v: &[f32]| v.iter().map(|&e| f64::from(e)).collect::<Vec<f64>>();
    let p64 = DpmParams {
        tau: f64::from(p.tau),
        gamma: f64::from(p.gamma),
        offset: Offset::Xi(0.0),
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    };
    let (r, _, dy64) = features_step(&wide(&x), &wide(&y), (2, 2), Features::Raw, p64);
    r.unwrap();
    assert!(
        dy64[1].abs() > 1e-7,
        "the case is about a nonzero dy[1]: {dy64:?}"
    );
    let err = (f64::from(dy[1]) - dy64[1]).abs();
    assert!(err <= 1e-4 * dy64[1].abs(), "dy {dy:?}, f64 {dy64:?}");
}

/// Found by the embed fuzz target (2026-12-02): rows near 7.7e15 with a
/// gradient near f32::MAX passed the checks (`dL/dv` is near 1e23), but
/// `x . g` summed past MAX: `l2_normalize_backward` returned `Ok` with
/// NaN. The sum is now taken on `g` scaled by a power of two there.
#[test]
fn normalize_backward_of_a_gradient_near_max_is_finite() {
    let v = [-7.664_949_5e15_f32, -7.664_949_5e15];
    let g = [-3.055_243_4e38_f32, -2.286_272e38];
    let mut dv = [0.0_f32; 2];
    l2_normalize_backward(&v, &g, 1, 2, &mut dv).unwrap();
    // f64: x = v / |v|, dv = (g - (x . g) x) / |v|.
    let n = v.iter().map(|&e| f64::from(e).powi(2)).sum::<f64>().sqrt();
    let x: Vec<f64> = v.iter().map(|&e| f64::from(e) / n).collect();
    let t: f64 = x.iter().zip(&g).map(|(a, &b)| a * f64::from(b)).sum();
    for k in 0..2 {
        let want = (f64::from(g[k]) - t * x[k]) / n;
        let got = f64::from(dv[k]);
        assert!(got.is_finite(), "dv[{k}] = {got}");
        assert!(
            (got - want).abs() <= 1e-5 * want.abs().max(t.abs() / n),
            "dv[{k}] = {got:e}, want {want:e}"
        );
    }
    // Unchanged where nothing overflows: the same bits as before.
    let (v, g) = ([3.0_f32, 4.0], [1.0_f32, -2.0]);
    l2_normalize_backward(&v, &g, 1, 2, &mut dv).unwrap();
    let x = [0.6_f32, 0.8];
    let t = x[0] * g[0] + x[1] * g[1];
    assert_eq!(
        dv,
        [
            ((g[0] - t * x[0]) / 1.0) / 5.0,
            ((g[1] - t * x[1]) / 1.0) / 5.0
        ]
    );
}
