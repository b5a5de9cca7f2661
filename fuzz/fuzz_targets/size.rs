//! Every size and index the API computes from caller integers, over all
//! of `usize` (built with overflow checks in CI: a wrapped size is a
//! panic here): scratch lengths saturate exactly at `usize::MAX`, the C
//! size function agrees, the schedule and the layout helpers answer for
//! any index, and a strided log-sum-exp with any count returns at once.
#![no_main]

use arbitrary::Arbitrary;
use dpm_core::{Layout, lse::log_sum_exp_strided, schedule::nuclr_eta};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    a: u64,
    b: u64,
    c: u64,
    eta: f32,
    ratio: f32,
    pos: Vec<u64>,
    excluded: Vec<bool>,
}

/// `x * k` when it fits a `usize`, else `usize::MAX`.
fn sat(x: u128, k: u128) -> usize {
    usize::try_from(x.saturating_mul(k)).unwrap_or(usize::MAX)
}

fuzz_target!(|inp: Input| {
    let (a, b, c) = (inp.a as usize, inp.b as usize, inp.c as usize);
    let (a128, b128) = (a as u128, b as u128);

    // Scratch sizes (targets with SIMD lanes: src/kernel/workspace.rs):
    // exact, or usize::MAX when the exact one does not fit.
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: a }),
        sat(a128, 32)
    );
    assert_eq!(dpm_core::capi::dpm_bimodal_scratch_len(a), sat(a128, 32));
    let step = b128
        .saturating_mul(5)
        .saturating_add(a128.saturating_mul(10));
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::Step { rows: a, cols: b }),
        usize::try_from(step).unwrap_or(usize::MAX)
    );
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::SoftmaxBatch { classes: a }),
        a
    );
    let features = a128
        .saturating_mul(a128)
        .saturating_add(a128.saturating_mul(b128).saturating_mul(2))
        .saturating_add(32 * a128);
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::Features { b: a, d: b }),
        usize::try_from(features).unwrap_or(usize::MAX)
    );
    // The tiled steps. With SIMD lanes (this target's hosts): the stored
    // step's 32 per pair, two panels of 96 rows, the normalised features
    // and Y^T packed in stripes of 32 columns; the scalar engine: 23 per
    // pair and two tiles of TILE rows of d.
    let tiled = (224 * a128)
        .saturating_add(a128.saturating_mul(b128).saturating_mul(2))
        .saturating_add((a128.div_ceil(32) * 32).saturating_mul(b128));
    assert_eq!(
        dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: a, d: b }),
        usize::try_from(tiled).unwrap_or(usize::MAX)
    );
    let tiles = (23 * a128).saturating_add(b128.saturating_mul(2 * dpm_core::embed::TILE as u128));
    assert_eq!(
        dpm_core::scalar::scratch_len(dpm_core::Scratch::Tiled { b: a, d: b }),
        usize::try_from(tiles).unwrap_or(usize::MAX)
    );
    // par: 30 per pair plus 2 x 2 slots of 2 b per block of a wave (up to
    // 32 blocks of 4 rows): 158 b from b = 128 on.
    let wave = a128.div_ceil(4).min(32);
    assert_eq!(
        dpm_core::par::scratch_len(dpm_core::Scratch::Bimodal { b: a }),
        sat(a128, 30 + 4 * wave)
    );
    // par's tiled steps: the serial step's 32 per pair, two panels of 96
    // rows, the normalised and packed features.
    let par_tiled = (a128 * (32 + 192))
        .saturating_add(a128.saturating_mul(b128).saturating_mul(2))
        .saturating_add((a128.div_ceil(32) * 32).saturating_mul(b128));
    assert_eq!(
        dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b: a, d: b }),
        usize::try_from(par_tiled).unwrap_or(usize::MAX)
    );

    // The schedule: any epochs, finite or refused.
    match nuclr_eta(a, b, c, inp.eta, inp.ratio) {
        Ok((ei, et)) => assert!(ei.is_finite() && et.is_finite()),
        Err(_) => assert!(
            !inp.eta.is_finite() || !inp.ratio.is_finite() || !(inp.ratio * inp.eta).is_finite()
        ),
    }

    // Layout helpers at any index (the custom mask as given, any length).
    let pos: Vec<usize> = inp.pos.iter().map(|&p| p as usize).collect();
    for l in [
        Layout::Diagonal,
        Layout::TwoView,
        Layout::Custom {
            pos: &pos,
            excluded: &inp.excluded,
        },
    ] {
        let p = l.positive(a, b);
        if let Layout::TwoView = l {
            assert!(b == 0 && p == 0 || p < b);
        }
        let _ = l.is_negative(a, c, b);
        let m = l.negatives(a, b);
        if let Layout::Custom { .. } = l {
            assert!(m <= inp.excluded.len());
        }
    }

    // A strided log-sum-exp reads at most x.len() elements, whatever the
    // count: an accepted call is a short one.
    let x = [0.5_f32, -1.0, 2.0];
    if let Ok(v) = log_sum_exp_strided(&x, a % 4, b, c) {
        assert!(c <= x.len() && !v.is_nan());
    }
});
