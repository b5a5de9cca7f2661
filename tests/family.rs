//! The energy-based family (SPEC section 5) through the public API:
//! every gradient against central finite differences in f64, the three
//! seed slips SPEC corrects, stability, and untouched outputs on error.

// Index loops mirror the formulas (i, j, k as in SPEC); tuples of cases
// read better inline than behind type aliases.
#![allow(
    clippy::needless_range_loop,
    clippy::type_complexity,
    clippy::useless_vec
)]

use dpm_core::Error;
use dpm_core::family::{
    Linear, LinearGrad, PairLoss, expectation_gradient, gibbs_nll, pair_loss, sampled_softmax,
    sampled_softmax_linear, softmax_cross_entropy, softmax_cross_entropy_linear,
    softmax_cross_entropy_linear_batch,
};

/// xorshift64*: seeded, reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
    fn vec<const N: usize>(&mut self, lo: f64, hi: f64) -> [f64; N] {
        core::array::from_fn(|_| self.uniform(lo, hi))
    }
}

/// Central difference of `f` along coordinate `i` of `x`.
fn fd<const N: usize>(x: &[f64; N], i: usize, f: impl Fn(&[f64; N]) -> f64) -> f64 {
    let h = 1e-6 * (1.0 + x[i].abs());
    let (mut up, mut dn) = (*x, *x);
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

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

// ---------------------------------------------------------------- Gibbs

fn gibbs_value(f: &[f64], beta: f64, y: usize) -> f64 {
    let mut g = vec![0.0; f.len()];
    gibbs_nll(f, beta, y, &mut g).unwrap()
}

#[test]
fn gibbs_value_and_gradient_match_naive_and_fd() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for trial in 0..20 {
        let f: [f64; 7] = rng.vec(-2.0, 2.0);
        let beta = rng.uniform(0.2, 3.0);
        let y = trial % 7;
        let mut g = [0.0; 7];
        let l = gibbs_nll(&f, beta, y, &mut g).unwrap();
        let z: f64 = f.iter().map(|e| (-beta * e).exp()).sum();
        close(l, f[y] + z.ln() / beta, 1e-14);
        for k in 0..7 {
            let p = (-beta * f[k]).exp() / z;
            close(g[k], f64::from(u8::from(k == y)) - p, 1e-14);
            close(g[k], fd(&f, k, |f| gibbs_value(f, beta, y)), 1e-8);
        }
    }
}

#[test]
fn gibbs_seed_slip_beta_f_instead_of_beta_exp() {
    // The seed wrote d exp(-beta F) = -beta F dF; the right form is
    // -beta exp(-beta F) dF. FD sides with the right form only.
    let (f, beta, y) = ([0.3, 1.2, -0.7, 2.0], 1.5_f64, 1);
    let mut g = [0.0; 4];
    gibbs_nll(&f, beta, y, &mut g).unwrap();
    let z: f64 = f.iter().map(|e| (-beta * e).exp()).sum();
    for k in 0..4 {
        let numeric = fd(&f, k, |f| gibbs_value(f, beta, y));
        let onehot = f64::from(u8::from(k == y));
        let seed = onehot + (-beta * f[k]) / (beta * z);
        close(g[k], numeric, 1e-8);
        assert!((seed - numeric).abs() > 1e-2, "seed form agrees at k = {k}");
    }
}

#[test]
fn gibbs_energies_1e4_apart_are_finite_and_right() {
    let f32s = [0.0_f32, 1e4, -1e4, 5e3];
    let mut g = [0.0_f32; 4];
    let l = gibbs_nll(&f32s, 1.0, 0, &mut g).unwrap();
    assert_eq!(l, 1e4); // F_0 - F_min, the rest underflows
    assert_eq!(g, [1.0, -0.0, -1.0, -0.0]);
    let f = [0.0_f64, 1e4, -1e4, 5e3];
    let mut g = [0.0_f64; 4];
    let l = gibbs_nll(&f, 1.0, 2, &mut g).unwrap();
    // The target is the minimum: l = ln(1 + e^-1e4 + ...) underflows to 0.
    assert_eq!(l, 0.0);
    assert!(g.iter().all(|v| v.is_finite()));
    // Close energies shifted by 1e4 lose nothing but their rounding.
    let base = [0.1, 0.4, -0.2];
    let shifted = base.map(|v| v + 1e4);
    let (mut g0, mut g1) = ([0.0; 3], [0.0; 3]);
    let l0 = gibbs_nll(&base, 2.0, 1, &mut g0).unwrap();
    let l1 = gibbs_nll(&shifted, 2.0, 1, &mut g1).unwrap();
    close(l1, l0, 1e-11);
    for k in 0..3 {
        close(g1[k], g0[k], 1e-11);
    }
}

#[test]
fn expectation_gradient_is_the_log_likelihood_gradient() {
    // E_k(theta) = a_k . theta + 0.5 sum_j b_kj theta_j^2, p = softmax(-E).
    let mut rng = Rng(42);
    let a: [f64; 15] = rng.vec(-1.0, 1.0); // 5 x 3
    let b: [f64; 15] = rng.vec(0.0, 1.0);
    let theta: [f64; 3] = rng.vec(-1.0, 1.0);
    let energies = |t: &[f64; 3]| -> [f64; 5] {
        core::array::from_fn(|k| {
            (0..3)
                .map(|j| a[k * 3 + j] * t[j] + 0.5 * b[k * 3 + j] * t[j] * t[j])
                .sum()
        })
    };
    let x = 3;
    let log_p = |t: &[f64; 3]| -gibbs_value(&energies(t), 1.0, x);
    let e = energies(&theta);
    let mut g = [0.0; 5];
    gibbs_nll(&e, 1.0, x, &mut g).unwrap();
    let p: [f64; 5] = core::array::from_fn(|k| f64::from(u8::from(k == x)) - g[k]);
    let de: [f64; 15] = core::array::from_fn(|i| a[i] + b[i] * theta[i % 3]);
    let mut out = [0.0; 3];
    expectation_gradient(&p, &de, 5, 3, x, &mut out).unwrap();
    for j in 0..3 {
        close(out[j], fd(&theta, j, log_p), 1e-8);
    }
}

// ---------------------------------------------------------------- pairs

#[test]
fn pair_losses_match_fd_away_from_kinks() {
    let mut rng = Rng(7);
    let m = 0.8;
    let kinds = [
        PairLoss::Simple { margin: m },
        PairLoss::Hinge { margin: m },
        PairLoss::Log,
        PairLoss::SquareSquare { margin: m },
    ];
    let mut active = [0_usize; 4];
    for _ in 0..200 {
        let fp = rng.vec::<2>(-2.0, 2.0);
        for (n, &kind) in kinds.iter().enumerate() {
            let kinks = [fp[0], m - fp[1], m + fp[0] - fp[1]];
            if kinks.iter().any(|t| t.abs() < 1e-3) {
                continue;
            }
            let out = pair_loss(kind, fp[0], fp[1]).unwrap();
            let value = |v: &[f64; 2]| pair_loss(kind, v[0], v[1]).unwrap().loss;
            close(out.d_positive, fd(&fp, 0, value), 1e-8);
            close(out.d_negative, fd(&fp, 1, value), 1e-8);
            if out.d_positive != 0.0 {
                active[n] += 1;
            }
        }
    }
    assert!(active.iter().all(|&c| c > 20), "{active:?}");
}

#[test]
fn pair_losses_values_and_kinks_use_zero() {
    let m = 1.0;
    let s = pair_loss(PairLoss::Simple { margin: m }, 0.5, 0.25).unwrap();
    assert_eq!((s.loss, s.d_positive, s.d_negative), (1.25, 1.0, -1.0));
    let q = pair_loss(PairLoss::SquareSquare { margin: m }, 0.5, 0.25).unwrap();
    assert_eq!((q.loss, q.d_positive, q.d_negative), (0.8125, 1.0, -1.5));
    let simple = pair_loss(PairLoss::Simple { margin: m }, 0.0, m).unwrap();
    assert_eq!((simple.d_positive, simple.d_negative), (0.0, 0.0));
    let hinge = pair_loss(PairLoss::Hinge { margin: m }, 0.5, 1.5).unwrap();
    assert_eq!(
        (hinge.loss, hinge.d_positive, hinge.d_negative),
        (0.0, 0.0, 0.0)
    );
    let sq = pair_loss(PairLoss::SquareSquare { margin: m }, 0.0, m).unwrap();
    assert_eq!((sq.d_positive, sq.d_negative), (0.0, 0.0));
}

#[test]
fn pair_log_loss_is_stable_at_1e30() {
    for (p, n) in [(1e30, -1e30), (-1e30, 1e30), (1e30, 0.0), (0.0, 1e30)] {
        let d = p - n;
        let o64 = pair_loss(PairLoss::Log, p, n).unwrap();
        let o32 = pair_loss(PairLoss::Log, p as f32, n as f32).unwrap();
        let (want, s) = if d > 0.0 { (d, 1.0) } else { (0.0, 0.0) };
        assert_eq!((o64.loss, o64.d_positive, o64.d_negative), (want, s, -s));
        assert_eq!(o32.loss, want as f32);
        assert_eq!((o32.d_positive, o32.d_negative), (s as f32, -s as f32));
    }
    // Moderate differences keep full relative accuracy on both sides.
    let o = pair_loss(PairLoss::Log, -40.0, 10.0).unwrap();
    close(o.loss, (-50.0_f64).exp(), 1e-15);
    assert!((o.loss / (-50.0_f64).exp() - 1.0).abs() < 1e-14);
    assert!((o.d_positive / (-50.0_f64).exp() - 1.0).abs() < 1e-14);
}

// ---------------------------------------------------------------- softmax CE

#[test]
fn softmax_ce_gradient_matches_fd() {
    let mut rng = Rng(3);
    let z: [f64; 6] = rng.vec(-3.0, 3.0);
    let mut dz = [0.0; 6];
    let l = softmax_cross_entropy(&z, 4, &mut dz).unwrap();
    let lse = z.iter().map(|v| v.exp()).sum::<f64>().ln();
    close(l, lse - z[4], 1e-14);
    let value = |z: &[f64; 6]| softmax_cross_entropy(z, 4, &mut [0.0; 6]).unwrap();
    for k in 0..6 {
        close(dz[k], fd(&z, k, value), 1e-8);
    }
}

/// `K = 3` classes, `D = 4` inputs, parameters `W | b` packed as 15 values.
fn layer(theta: &[f64; 15]) -> Linear<'_, f64> {
    Linear {
        weight: &theta[..12],
        bias: &theta[12..],
        classes: 3,
        inputs: 4,
    }
}

#[test]
fn softmax_ce_linear_matches_fd_and_refutes_the_seed_sign() {
    let mut rng = Rng(11);
    let theta: [f64; 15] = rng.vec(-1.0, 1.0);
    let x: [f64; 4] = rng.vec(-2.0, 2.0);
    let c = 1;
    let (mut dw, mut db) = ([0.0; 12], [0.0; 3]);
    let grad = LinearGrad {
        weight: &mut dw,
        bias: &mut db,
    };
    softmax_cross_entropy_linear(layer(&theta), &x, c, grad).unwrap();
    let value = |t: &[f64; 15]| {
        let grad = LinearGrad {
            weight: &mut [0.0; 12],
            bias: &mut [0.0; 3],
        };
        softmax_cross_entropy_linear(layer(t), &x, c, grad).unwrap()
    };
    for i in 0..15 {
        let got = if i < 12 { dw[i] } else { db[i - 12] };
        close(got, fd(&theta, i, value), 1e-8);
    }
    // The seed: dl/dw_i = -p_i x for i != c. p_i = db[i] there, so the
    // seed's value is -db[i] x, and FD refutes it.
    for i in [0, 2] {
        for j in 0..4 {
            let numeric = fd(&theta, i * 4 + j, value);
            assert!(db[i] > 0.0);
            close(dw[i * 4 + j], db[i] * x[j], 1e-15);
            assert!((-db[i] * x[j] - numeric).abs() > 1e-3 * x[j].abs());
        }
    }
}

#[test]
fn softmax_ce_batch_is_the_mean_and_matches_fd() {
    let mut rng = Rng(12);
    let theta: [f64; 15] = rng.vec(-1.0, 1.0);
    let x: [f64; 20] = rng.vec(-2.0, 2.0); // N = 5
    let classes = [0, 2, 2, 1, 0];
    let (mut dw, mut db) = ([7.0; 12], [7.0; 3]);
    let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::SoftmaxBatch { classes: 3 })];
    let grad = LinearGrad {
        weight: &mut dw,
        bias: &mut db,
    };
    let mean = softmax_cross_entropy_linear_batch(layer(&theta), &x, &classes, grad, &mut scratch)
        .unwrap();
    let value = |t: &[f64; 15]| {
        let grad = LinearGrad {
            weight: &mut [0.0; 12],
            bias: &mut [0.0; 3],
        };
        softmax_cross_entropy_linear_batch(layer(t), &x, &classes, grad, &mut [0.0; 3]).unwrap()
    };
    close(mean, value(&theta), 0.0);
    let mut sum = 0.0;
    let (mut sw, mut sb) = ([0.0; 12], [0.0; 3]);
    for (n, &c) in classes.iter().enumerate() {
        let (mut w1, mut b1) = ([0.0; 12], [0.0; 3]);
        let grad = LinearGrad {
            weight: &mut w1,
            bias: &mut b1,
        };
        sum += softmax_cross_entropy_linear(layer(&theta), &x[n * 4..n * 4 + 4], c, grad).unwrap();
        sw.iter_mut().zip(w1).for_each(|(a, b)| *a += b / 5.0);
        sb.iter_mut().zip(b1).for_each(|(a, b)| *a += b / 5.0);
    }
    close(mean, sum / 5.0, 1e-15);
    for i in 0..15 {
        let (got, avg) = if i < 12 {
            (dw[i], sw[i])
        } else {
            (db[i - 12], sb[i - 12])
        };
        close(got, avg, 1e-14);
        close(got, fd(&theta, i, value), 1e-8);
    }
}

// ---------------------------------------------------------------- sampled softmax

#[test]
fn sampled_softmax_matches_naive_and_fd() {
    let mut rng = Rng(5);
    let z: [f64; 6] = rng.vec(-3.0, 3.0); // z[0] positive, 5 negatives
    let q: [f64; 5] = rng.vec(0.01, 1.0);
    let mut dn = [0.0; 5];
    let out = sampled_softmax(z[0], &z[1..], &q, &mut dn).unwrap();
    let big_d = z[0].exp() + (1..6).map(|j| z[j].exp() / q[j - 1]).sum::<f64>() / 5.0;
    close(out.loss, -(z[0].exp() / big_d).ln(), 1e-14);
    close(out.d_positive, z[0].exp() / big_d - 1.0, 1e-14);
    let value = |z: &[f64; 6]| {
        sampled_softmax(z[0], &z[1..], &q, &mut [0.0; 5])
            .unwrap()
            .loss
    };
    close(out.d_positive, fd(&z, 0, value), 1e-8);
    for j in 0..5 {
        close(dn[j], z[j + 1].exp() / (5.0 * q[j] * big_d), 1e-14);
        close(dn[j], fd(&z, j + 1, value), 1e-8);
    }
}

#[test]
fn sampled_softmax_linear_rows_are_dz_times_x_not_x() {
    let mut rng = Rng(9);
    let theta: [f64; 15] = rng.vec(-1.0, 1.0);
    let x: [f64; 4] = rng.vec(-2.0, 2.0);
    // Positive class 0; class 2 drawn twice and class 0 drawn once (an
    // accidental hit): scatter-adding the rows is still exact.
    let (c, samples, q) = (0, [2, 1, 2, 0], [0.3, 0.5, 0.3, 0.2]);
    let (mut rows, mut dz) = ([0.0; 20], [0.0; 5]);
    let l = sampled_softmax_linear(layer(&theta), &x, c, &samples, &q, &mut rows, &mut dz).unwrap();
    let value = |t: &[f64; 15]| {
        sampled_softmax_linear(layer(t), &x, c, &samples, &q, &mut [0.0; 20], &mut [0.0; 5])
            .unwrap()
    };
    close(l, value(&theta), 0.0);
    let (mut dw, mut db) = ([0.0; 12], [0.0; 3]);
    for (r, &class) in core::iter::once(&c).chain(&samples).enumerate() {
        db[class] += dz[r];
        for j in 0..4 {
            dw[class * 4 + j] += rows[r * 4 + j];
        }
    }
    for i in 0..15 {
        let got = if i < 12 { dw[i] } else { db[i - 12] };
        close(got, fd(&theta, i, value), 1e-8);
    }
    // The seed's row for class 1 (drawn once) was 1 * x: FD refutes it.
    for j in 0..4 {
        let numeric = fd(&theta, 4 + j, value);
        close(rows[2 * 4 + j], dz[2] * x[j], 1e-15);
        assert!((x[j] - numeric).abs() > 0.5 * x[j].abs());
    }
}

#[test]
fn sampled_softmax_is_stable_for_far_logits_and_tiny_q() {
    let mut dn = [0.0_f32; 2];
    let out = sampled_softmax(1e4_f32, &[-1e4, 0.0], &[1e-30, 1.0], &mut dn).unwrap();
    assert!(out.loss.is_finite() && out.d_positive.is_finite());
    assert!(dn.iter().all(|v| v.is_finite()));
    assert_eq!(out.loss, 0.0);
    let out = sampled_softmax(-1e4_f64, &[1e4, 0.0], &[1e-300, 1.0], &mut [0.0; 2]).unwrap();
    close(out.loss, 2e4 - 2.0_f64.ln() + 300.0 * 10.0_f64.ln(), 1e-15);
    assert_eq!(out.d_positive, -1.0);
}

// ---------------------------------------------------------------- errors

#[test]
fn errors_leave_outputs_bit_identical() {
    let s = 7.0;
    let mut g = [s; 3];
    let f = [0.0, 1.0, 2.0];
    let cases: [(Result<f64, Error>, Error); 6] = [
        (
            gibbs_nll(&f, 1.0, 0, &mut g[..2]),
            Error::LengthMismatch {
                what: "grad",
                expected: 3,
                found: 2,
            },
        ),
        (
            gibbs_nll(&f, 1.0, 3, &mut g),
            Error::IdOutOfRange {
                what: "target",
                id: 3,
                len: 3,
            },
        ),
        (
            gibbs_nll(&f, 0.0, 0, &mut g),
            Error::InvalidParameter { what: "beta" },
        ),
        (
            gibbs_nll(&f, f64::NAN, 0, &mut g),
            Error::InvalidParameter { what: "beta" },
        ),
        (
            gibbs_nll(&[0.0, f64::INFINITY, 1.0], 1.0, 0, &mut g),
            Error::NonFinite {
                what: "energies",
                index: 1,
            },
        ),
        (
            gibbs_nll(&[0.0, 1e306, -1e306], 2.0, 0, &mut g),
            Error::OutOfRange {
                what: "beta * energies",
            },
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, Err(want));
    }
    assert_eq!(
        gibbs_nll(&[0.0, 1.0], 1e-320, 0, &mut g[..2]),
        Err(Error::InvalidParameter { what: "beta" })
    );
    // A normal beta so small that ln(K) / beta passes the limit.
    assert_eq!(
        gibbs_nll(&[0.0, 1.0], 1e-307, 0, &mut g[..2]),
        Err(Error::OutOfRange { what: "1 / beta" })
    );
    assert_eq!(bits(&g), bits(&[s; 3]));

    let mut out = [s; 2];
    let de = [1.0, 2.0, 3.0, 4.0];
    let e = |p: &[f64], data| expectation_gradient(p, &de, 2, 2, data, &mut [s; 2]);
    assert_eq!(
        e(&[0.5, 0.6], 0),
        Err(Error::InvalidParameter { what: "p" })
    );
    assert_eq!(
        e(&[1.5, -0.5], 0),
        Err(Error::InvalidParameter { what: "p" })
    );
    assert_eq!(
        e(&[0.5, f64::NAN], 0),
        Err(Error::NonFinite {
            what: "p",
            index: 1
        })
    );
    assert_eq!(
        e(&[0.5, 0.5], 2),
        Err(Error::IdOutOfRange {
            what: "data",
            id: 2,
            len: 2
        })
    );
    assert_eq!(
        expectation_gradient(&[0.5, 0.5], &de, 2, 2, 0, &mut out[..1]),
        Err(Error::LengthMismatch {
            what: "out",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        expectation_gradient(&[0.5, 0.5], &[0.0, f64::MAX, 0.0, 0.0], 2, 2, 0, &mut out),
        Err(Error::OutOfRange { what: "de" })
    );
    assert_eq!(bits(&out), bits(&[s; 2]));

    assert_eq!(
        pair_loss(PairLoss::Hinge { margin: 0.0 }, 0.0, 0.0),
        Err(Error::InvalidParameter { what: "margin" })
    );
    assert_eq!(
        pair_loss(PairLoss::Log, f64::NAN, 0.0),
        Err(Error::NonFinite {
            what: "positive",
            index: 0
        })
    );
    assert_eq!(
        pair_loss(PairLoss::Log, 0.0, f64::MAX),
        Err(Error::OutOfRange { what: "negative" })
    );
    assert_eq!(
        pair_loss(PairLoss::SquareSquare { margin: 1.0 }, 1e160, 0.0),
        Err(Error::OutOfRange { what: "square" })
    );

    let mut dz = [s; 3];
    assert_eq!(
        softmax_cross_entropy(&[0.0, 1.0, 2.0], 3, &mut dz),
        Err(Error::IdOutOfRange {
            what: "class",
            id: 3,
            len: 3
        })
    );
    assert_eq!(
        softmax_cross_entropy(&[0.0, f64::NAN, 2.0], 0, &mut dz),
        Err(Error::NonFinite {
            what: "logits",
            index: 1
        })
    );
    assert_eq!(
        softmax_cross_entropy(&[0.0, f64::MAX, 2.0], 0, &mut dz),
        Err(Error::OutOfRange { what: "logits" })
    );
    assert_eq!(bits(&dz), bits(&[s; 3]));

    let theta = [0.5; 15];
    let (mut dw, mut db, mut scratch) = ([s; 12], [s; 3], [s; 3]);
    let x = [1.0; 4];
    let r = softmax_cross_entropy_linear(
        layer(&theta),
        &x[..3],
        0,
        LinearGrad {
            weight: &mut dw,
            bias: &mut db,
        },
    );
    assert_eq!(
        r,
        Err(Error::LengthMismatch {
            what: "x",
            expected: 4,
            found: 3
        })
    );
    let big = [f64::MAX / 2.0; 4];
    let r = softmax_cross_entropy_linear(
        layer(&theta),
        &big,
        0,
        LinearGrad {
            weight: &mut dw,
            bias: &mut db,
        },
    );
    assert_eq!(r, Err(Error::OutOfRange { what: "logits" }));
    let mut bad = theta;
    bad[13] = f64::NEG_INFINITY;
    let r = softmax_cross_entropy_linear(
        layer(&bad),
        &x,
        0,
        LinearGrad {
            weight: &mut dw,
            bias: &mut db,
        },
    );
    assert_eq!(
        r,
        Err(Error::NonFinite {
            what: "bias",
            index: 1
        })
    );
    let batch = |classes: &[usize], scratch: &mut [f64], dw: &mut [f64], db: &mut [f64]| {
        let xs = vec![1.0; classes.len() * 4];
        softmax_cross_entropy_linear_batch(
            layer(&theta),
            &xs,
            classes,
            LinearGrad {
                weight: dw,
                bias: db,
            },
            scratch,
        )
    };
    assert_eq!(
        batch(&[], &mut scratch, &mut dw, &mut db),
        Err(Error::Empty { what: "classes" })
    );
    assert_eq!(
        batch(&[0, 3], &mut scratch, &mut dw, &mut db),
        Err(Error::IdOutOfRange {
            what: "classes",
            id: 3,
            len: 3
        })
    );
    assert_eq!(
        batch(&[0], &mut scratch[..2], &mut dw, &mut db),
        Err(Error::LengthMismatch {
            what: "scratch",
            expected: 3,
            found: 2
        })
    );
    assert_eq!(
        batch(&[0], &mut scratch, &mut dw[..11], &mut db),
        Err(Error::LengthMismatch {
            what: "grad.weight",
            expected: 12,
            found: 11
        })
    );
    assert_eq!(
        (bits(&dw), bits(&db), bits(&scratch)),
        (bits(&[s; 12]), bits(&[s; 3]), bits(&[s; 3]))
    );

    let mut dn = [s; 2];
    let ss = |q: &[f64], dn: &mut [f64]| sampled_softmax(0.0, &[1.0, 2.0], q, dn);
    assert_eq!(
        ss(&[0.5, 0.0], &mut dn),
        Err(Error::InvalidParameter { what: "q" })
    );
    assert_eq!(
        ss(&[0.5, -0.1], &mut dn),
        Err(Error::InvalidParameter { what: "q" })
    );
    assert_eq!(
        ss(&[1.5, 0.5], &mut dn),
        Err(Error::InvalidParameter { what: "q" })
    );
    assert_eq!(
        ss(&[0.5, f64::NAN], &mut dn),
        Err(Error::NonFinite {
            what: "q",
            index: 1
        })
    );
    assert_eq!(
        ss(&[0.5, f64::INFINITY], &mut dn),
        Err(Error::NonFinite {
            what: "q",
            index: 1
        })
    );
    assert_eq!(
        ss(&[0.5], &mut dn),
        Err(Error::LengthMismatch {
            what: "q",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        sampled_softmax(0.0, &[], &[], &mut dn[..0]),
        Err(Error::Empty { what: "negatives" })
    );
    assert_eq!(
        sampled_softmax(f64::MAX, &[0.0], &[1.0], &mut dn[..1]),
        Err(Error::OutOfRange { what: "positive" })
    );
    assert_eq!(bits(&dn), bits(&[s; 2]));
    let (mut rows, mut dzs) = ([s; 12], [s; 3]);
    let ssl = |samples: &[usize], rows: &mut [f64], dzs: &mut [f64]| {
        sampled_softmax_linear(
            layer(&theta),
            &x,
            0,
            samples,
            &[0.5; 2][..samples.len()],
            rows,
            dzs,
        )
    };
    assert_eq!(
        ssl(&[1, 3], &mut rows, &mut dzs),
        Err(Error::IdOutOfRange {
            what: "samples",
            id: 3,
            len: 3
        })
    );
    assert_eq!(
        ssl(&[], &mut rows[..4], &mut dzs[..1]),
        Err(Error::Empty { what: "samples" })
    );
    assert_eq!(
        ssl(&[1, 2], &mut rows[..8], &mut dzs),
        Err(Error::LengthMismatch {
            what: "d_rows",
            expected: 12,
            found: 8
        })
    );
    assert_eq!((bits(&rows), bits(&dzs)), (bits(&[s; 12]), bits(&[s; 3])));
}

#[test]
fn new_error_variants_say_what_is_wrong() {
    let empty = Error::Empty { what: "negatives" }.to_string();
    assert_eq!(
        empty,
        "`negatives` is empty: at least one element is needed"
    );
    let zero = Error::ZeroNorm { what: "x", row: 3 }.to_string();
    assert_eq!(zero, "row 3 of `x` is zero and cannot be L2-normalised");
}
