//! The log-sum-exp kernels on any f32 bit patterns (extremes, signed
//! zeros, subnormals, NaN, infinities): the SIMD `log_sum_exp` and its
//! scalar twin `dpm_core::scalar::log_sum_exp` refuse the same inputs and
//! are both within the bound of the f64 value.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{
    Error,
    lse::{log_add_exp, log_sum_exp, log_sum_exp_strided},
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    bits: Vec<u32>,
    start: u8,
    stride: u8,
    count: u8,
    /// Counts and strides of any size (they must be refused at once, not
    /// looped over).
    huge: Option<(u64, u64)>,
}

fuzz_target!(|inp: Input| {
    let x: Vec<f32> = inp.bits.iter().map(|&b| f32::from_bits(b)).collect();
    let bad = x.iter().position(|v| v.is_nan() || *v == f32::INFINITY);
    let twin = dpm_core::scalar::log_sum_exp(&x);
    assert_eq!(
        log_sum_exp(&x).err(),
        twin.err(),
        "SIMD and scalar disagree on refusing"
    );
    for (engine, r) in [("SIMD", log_sum_exp(&x)), ("scalar", twin)] {
        match r {
            Err(e) => assert_eq!(
                Some(e),
                bad.map(|index| Error::NonFinite { what: "x", index })
            ),
            Ok(v) => {
                assert!(bad.is_none(), "accepted NaN or +inf");
                assert!(!v.is_nan(), "NaN out");
                let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                if max == f32::NEG_INFINITY {
                    assert_eq!(v, f32::NEG_INFINITY, "no mass: -inf");
                } else {
                    // Against f64 on the same (widened) values.
                    let m = f64::from(max);
                    let exact = m + x
                        .iter()
                        .map(|&t| (f64::from(t) - m).exp())
                        .sum::<f64>()
                        .ln();
                    let bound = 8.0 * f64::from(f32::EPSILON) * (1.0 + m.abs());
                    assert!(
                        (f64::from(v) - exact).abs() <= bound,
                        "{engine} lse {v} vs {exact}"
                    );
                    assert!(v >= max, "{engine} lse below max");
                }
            }
        }
    }
    // A strided column equals the scalar log-sum-exp of the slice of its
    // elements, bit for bit (the same scalar kernel).
    let (start, stride, count) = match inp.huge {
        Some((stride, count)) => (usize::from(inp.start), stride as usize, count as usize),
        None => (
            usize::from(inp.start),
            usize::from(inp.stride),
            usize::from(inp.count % 16),
        ),
    };
    match log_sum_exp_strided(&x, start, stride, count) {
        Ok(v) => {
            let col: Vec<f32> = (0..count).map(|k| x[start + k * stride]).collect();
            let twin = dpm_core::scalar::log_sum_exp(&col).unwrap();
            assert_eq!(v.to_bits(), twin.to_bits());
        }
        Err(Error::LengthMismatch { .. }) => {
            let last = (count - 1)
                .checked_mul(stride)
                .and_then(|k| k.checked_add(start));
            assert!(count > 0 && last.is_none_or(|k| k >= x.len()))
        }
        Err(Error::InvalidParameter { what: "stride" }) => assert!(stride == 0 && count > 1),
        Err(Error::NonFinite { index, .. }) => assert!(index < count),
        Err(e) => panic!("unexpected {e:?}"),
    }
    // log_add_exp: symmetric, never NaN for non-NaN input, at least the max.
    for w in x.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (r, r2) = (log_add_exp(a, b), log_add_exp(b, a));
        // NaN in, NaN out (its payload may differ); otherwise symmetric.
        assert!(
            r.to_bits() == r2.to_bits() || r.is_nan() && r2.is_nan(),
            "not symmetric"
        );
        if !a.is_nan() && !b.is_nan() {
            assert!(!r.is_nan() && r >= a.max(b), "log_add_exp({a}, {b}) = {r}");
        }
    }
});
