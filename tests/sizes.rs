//! Integer arithmetic over every `usize` and counts the caller chooses
//! (SPEC section 7): scratch sizes saturate instead of wrapping, the
//! schedule and the layout helpers answer for any index without overflow,
//! work is bounded by the data read, and the family's sums and tolerances
//! do not grow with the number of terms. Each test here failed before its
//! fix (with a wrapped value, an overflow panic, a hang or `Ok(NaN)`).
#![allow(clippy::float_cmp)]

use dpm_core::{
    Error, Layout,
    family::{Linear, LinearGrad, expectation_gradient, softmax_cross_entropy_linear_batch},
    lse::log_sum_exp_strided,
    schedule::nuclr_eta,
};

/// This suite runs with integer overflow checks (`[profile.test]` in
/// `Cargo.toml`, and CI's fuzz smoke with `-a`), so a wrapped size would
/// panic here instead of passing unnoticed.
#[test]
fn overflow_checks_are_on() {
    let big = std::hint::black_box(usize::MAX);
    assert!(
        std::panic::catch_unwind(|| big + 1).is_err(),
        "overflow checks are off in this build"
    );
}

/// `n * k` when it fits, else `usize::MAX`.
fn saturated(n: u128, k: u128) -> usize {
    usize::try_from(n * k).unwrap_or(usize::MAX)
}

const PROBES: [usize; 9] = [
    0,
    1,
    2,
    1 << 20,
    usize::MAX / 14,
    usize::MAX / 14 + 1,
    (1 << 63) + 1,
    usize::MAX - 1,
    usize::MAX,
];

#[test]
fn scratch_sizes_saturate_instead_of_wrapping() {
    for b in PROBES {
        let b128 = b as u128;
        // With SIMD lanes (every host): 32 b for the bimodal step, 5 C + 10 R
        // for one direction.
        assert_eq!(
            dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b }),
            saturated(b128, 32),
            "b = {b}"
        );
        assert_eq!(
            dpm_core::scratch_len(dpm_core::Scratch::Step { rows: b, cols: b }),
            saturated(b128, 15),
            "cols = {b}"
        );
        assert_eq!(
            dpm_core::scratch_len(dpm_core::Scratch::SoftmaxBatch { classes: b }),
            b
        );
        let features = b128
            .saturating_mul(b128)
            .saturating_add(36 * b128)
            .min(usize::MAX as u128);
        assert_eq!(
            dpm_core::scratch_len(dpm_core::Scratch::Features { b, d: 2 }),
            features as usize,
            "b = {b}"
        );
        #[cfg(feature = "std")]
        {
            // 30 b, plus two waves of up to 32 blocks of 4 rows, 2 b each.
            let slots = 2 * b128.div_ceil(4).min(32) * 2 * b128;
            let par = (30 * b128 + slots).min(usize::MAX as u128);
            assert_eq!(
                dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b }),
                par as usize,
                "b = {b}"
            );
            // The tiled steps: the serial step's 32 b, two panels of 96
            // rows of S and dS, the normalised features and Y^T packed
            // (d = 3).
            let tiled = (32 * b128 + 192 * b128 + 6 * b128 + b128.div_ceil(32) * 96)
                .min(usize::MAX as u128);
            assert_eq!(
                dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b, d: 3 }),
                tiled as usize,
                "b = {b}"
            );
        }
        #[cfg(feature = "capi")]
        assert_eq!(
            dpm_core::capi::dpm_bimodal_scratch_len(b),
            dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b })
        );
    }
    // The review's case: `(1 << 63) + 1` wrapped to 14 (then 14 b).
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: (1 << 63) + 1 }),
        usize::MAX
    );
}

#[test]
fn nuclr_eta_holds_its_stages_for_every_epoch_count() {
    // max_epoch > usize::MAX / 3 overflowed `max_epoch * 3 / 4`.
    for m in [
        usize::MAX / 3 + 1,
        usize::MAX / 2,
        usize::MAX - 3,
        usize::MAX,
    ] {
        let q = m / 4 * 3 + m % 4 * 3 / 4; // floor(3 m / 4)
        let at = |e: usize| nuclr_eta(e, m, 0, 1.0_f64, 1.0).unwrap().1;
        let base = |e: usize| {
            let phase = e as f64 / (m - 1) as f64;
            0.5 * (1.0 + (std::f64::consts::PI * phase).cos())
        };
        // libm's cos and std's may differ in the last bit.
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want;
        assert!(close(at(m / 2 - 1), base(m / 2 - 1)), "m = {m}");
        assert!(close(at(m / 2), base(m / 2) / 10.0), "m = {m}");
        assert!(close(at(q - 1), base(q - 1) / 10.0), "m = {m}");
        assert!(close(at(q), base(q) / 100.0), "m = {m}");
    }
}

#[test]
fn nuclr_eta_refuses_what_it_cannot_compute() {
    assert_eq!(
        nuclr_eta(1, 10, 0, f32::NAN, 0.1),
        Err(Error::NonFinite {
            what: "eta_init",
            index: 0
        })
    );
    assert_eq!(
        nuclr_eta(1, 10, 0, 1.0, f32::INFINITY),
        Err(Error::NonFinite {
            what: "image_ratio",
            index: 0
        })
    );
    // Finite, but the image step overflows.
    assert_eq!(
        nuclr_eta(0, 10, 0, f32::MAX, f32::MAX),
        Err(Error::OutOfRange {
            what: "image_ratio * eta"
        })
    );
}

#[test]
fn layout_helpers_answer_for_any_index() {
    let big = usize::MAX;
    // TwoView: (r + cols / 2) mod cols, taken modulo cols first.
    assert_eq!(Layout::TwoView.positive(big, 4), (big % 4 + 2) % 4);
    assert_eq!(Layout::TwoView.positive(big, big), big / 2);
    assert_eq!(Layout::TwoView.positive(big - 1, big), big / 2 - 1);
    assert_eq!(Layout::TwoView.positive(3, 0), 0);
    for cols in [2, 5, 8] {
        for r in 0..3 * cols {
            assert_eq!(Layout::TwoView.positive(r, cols), (r + cols / 2) % cols);
        }
    }
    // Custom: cells outside the mask are excluded, never read.
    let (pos, excluded) = ([1, 0], [true, false, false, false]);
    let l = Layout::Custom {
        pos: &pos,
        excluded: &excluded,
    };
    assert!(!l.is_negative(big, 1, 2));
    assert!(!l.is_negative(1, big, 2));
    assert!(
        !l.is_negative(0, 2, 2),
        "column 2 is outside a 2-column row"
    );
    assert!(l.is_negative(1, 1, 2));
    assert_eq!(l.negatives(1, 2), 1);
    assert_eq!(l.negatives(0, 2), 0);
    // A count the mask does not hold: answered at once, from the mask.
    assert_eq!(l.negatives(0, big), 0);
    assert_eq!(l.negatives(big, big), 0);
}

#[test]
fn strided_log_sum_exp_reads_each_element_once() {
    let x = [1.0_f64, 2.0];
    // Stride 0 with a huge count looped usize::MAX times.
    assert_eq!(
        log_sum_exp_strided(&x, 0, 0, usize::MAX),
        Err(Error::InvalidParameter { what: "stride" })
    );
    assert_eq!(
        log_sum_exp_strided(&x, 1, 0, 2),
        Err(Error::InvalidParameter { what: "stride" })
    );
    assert_eq!(log_sum_exp_strided(&x, 1, 0, 1), Ok(2.0));
    assert_eq!(log_sum_exp_strided(&x, 1, 0, 0), Ok(f64::NEG_INFINITY));
    // Any other stride needs count <= len elements in range.
    assert!(matches!(
        log_sum_exp_strided(&x, 0, 1, usize::MAX),
        Err(Error::LengthMismatch { .. })
    ));
}

/// The review's case: weights `+-f32::MAX / 64` and 33 samples; each
/// sample's loss (`MAX / 32`) passed the guard, the sum of 33 overflowed.
#[test]
fn softmax_batch_mean_of_huge_losses_is_finite() {
    let w = f32::MAX / 64.0;
    let layer = Linear {
        weight: &[w, -w],
        bias: &[0.0, 0.0],
        classes: 2,
        inputs: 1,
    };
    let n = 33;
    let x = vec![1.0_f32; n];
    let classes = vec![1_usize; n];
    let (mut dw, mut db) = ([0.0; 2], [0.0; 2]);
    let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::SoftmaxBatch { classes: 2 })];
    let grad = LinearGrad {
        weight: &mut dw,
        bias: &mut db,
    };
    let mean = softmax_cross_entropy_linear_batch(layer, &x, &classes, grad, &mut scratch)
        .expect("accepted");
    // z = (w, -w), class 1: each loss is 2 w (exactly, in f32).
    assert_eq!(mean, 2.0 * w);
    assert!(dw.iter().chain(&db).all(|v| v.is_finite()));
}

/// `sum(p) = 1` within a tolerance that does not grow with K: the
/// review's p summed to 33 at K = 4.2e6 and was accepted (the old
/// tolerance was `64 (K + 1) eps`), then returned NaN.
#[test]
fn expectation_gradient_tolerance_does_not_grow_with_k() {
    let sqrt_eps = f32::EPSILON.sqrt();
    for k in [2_usize, 1000, 4_200_000] {
        let de: Vec<f32> = (0..k)
            .map(|i| {
                if i % 2 == 0 {
                    f32::MAX / 64.0
                } else {
                    -f32::MAX / 64.0
                }
            })
            .collect();
        let mut out = [-7.0_f32];
        let kf = k as f64;
        for (sum, ok) in [
            (1.0, true),
            (1.0 + 0.5 * f64::from(sqrt_eps), true),
            (1.0 + 2.0 * f64::from(sqrt_eps), false),
            (1.0 - 2.0 * f64::from(sqrt_eps), false),
            (33.0, false),
        ] {
            // K equal weights with the given sum (the last one absorbs
            // rounding so that the f32 sum is as close as it can be).
            let each = (sum / kf) as f32;
            let mut p = vec![each; k];
            p[k - 1] = (sum - f64::from(each) * (kf - 1.0)) as f32;
            let r = expectation_gradient(&p, &de, k, 1, 0, &mut out);
            assert_eq!(r.is_ok(), ok, "K = {k}, sum {sum}: {r:?}");
            if ok {
                assert!(out[0].is_finite(), "K = {k}: {}", out[0]);
            } else {
                assert_eq!(r, Err(Error::InvalidParameter { what: "p" }));
            }
        }
    }
}
