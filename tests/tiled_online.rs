//! The SIMD tiled step's online first pass (`src/kernel/online.rs`,
//! SPEC sections 6 and 7) when a column's own positive comes in a later
//! chunk of rows and is much larger than every score before it. Found by
//! an adversarial review of 3b1e15d: the column's loss terms
//! `e sigma (S[i][j] - S[j][j])` were summed with a `sigma` from the rows
//! seen so far only, so the column's loss sum overflowed and its term of
//! the text-to-image loss was lost while the loss stayed finite. The
//! running `|S|` now starts from the diagonal's; the losses must be the
//! stored step's to a few roundings (and the parallel twin's bits).
#![allow(clippy::too_many_arguments)]

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use dpm_core::embed::{
    FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled,
};
use dpm_core::{DpmParams, FirstVisit, Losses, Offset};
use pop::Pop;

fn params(tau: f64, gamma: f64) -> dpm_core::Directions<DpmParams<f64>> {
    dpm_core::Directions::both(DpmParams {
        tau,
        gamma,
        offset: Offset::Xi(0.0),
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    })
}

/// (tiled serial, tiled par (serial again without `std`), stored)
/// losses; fresh states, zeta 0.
fn run(x: &[f64], y: &[f64], b: usize, d: usize) -> [Losses<f64>; 3] {
    let ids: Vec<usize> = (0..b).collect();
    let p = params(0.1, 0.8);
    let mut out = Vec::new();
    for par in [false, cfg!(feature = "std")] {
        let (mut pi, mut pt) = (Pop::<f64>::new(b, 0.0), Pop::<f64>::new(b, 0.0));
        let (mut dx, mut dy) = (vec![0.0; b * d], vec![0.0; b * d]);
        let len = dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d });
        #[cfg(feature = "std")]
        let len = if par {
            dpm_core::par::scratch_len(dpm_core::Scratch::Tiled { b, d })
        } else {
            len
        };
        let mut sc = vec![0.0; len];
        let (iv, tv) = (&mut pi.view(), &mut pt.view());
        let o = TiledOut::new(&mut dx, &mut dy);
        let f = Features::Normalized;
        #[cfg(feature = "std")]
        let l = if par {
            dpm_core::par::dpm_bimodal_tiled(x, y, b, d, f, &ids, &ids, iv, tv, p, o, &mut sc)
        } else {
            dpm_bimodal_tiled(x, y, b, d, f, &ids, &ids, iv, tv, p, o, &mut sc)
        };
        #[cfg(not(feature = "std"))]
        let l = dpm_bimodal_tiled(x, y, b, d, f, &ids, &ids, iv, tv, p, o, &mut sc);
        out.push(l.unwrap());
    }
    let (mut pi, mut pt) = (Pop::<f64>::new(b, 0.0), Pop::<f64>::new(b, 0.0));
    let (mut s, mut ds) = (vec![0.0; b * b], vec![0.0; b * b]);
    let (mut dx, mut dy) = (vec![0.0; b * d], vec![0.0; b * d]);
    let mut sc = vec![0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let o = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
    let w = dpm_bimodal_from_features(
        x,
        y,
        b,
        d,
        Features::Normalized,
        &ids,
        &ids,
        &mut pi.view(),
        &mut pt.view(),
        p,
        o,
        &mut sc,
    )
    .unwrap();
    [out[0], out[1], w]
}

fn assert_close(got: Losses<f64>, want: Losses<f64>) {
    for (g, w) in [
        (got.image_to_text, want.image_to_text),
        (got.text_to_image, want.text_to_image),
        (got.total, want.total),
    ] {
        assert!(
            (g - w).abs() <= 1e-9 * (1.0 + w.abs()),
            "tiled {got:?}\nstored {want:?}"
        );
    }
}

/// Unit rows, B = 25 (two chunks). Rows 0..24: x = (1, 0), y = (0.01,
/// ~1): every score of the first chunk is 0.01 or 0. Row 24: x = y =
/// (0, 1): S[24][24] = 1, S[i][24] = 0 for i < 24. Column 24's 24 loss
/// terms in the first chunk are each 2^S sigma(0.01) (0 - 1) = -2^1020:
/// their sum overflows.
#[test]
fn late_positive_of_unit_rows() {
    let (b, d, small) = (25, 2, 0.01_f64);
    let (mut x, mut y) = (vec![0.0; b * d], vec![0.0; b * d]);
    for i in 0..b {
        if i < 24 {
            x[i * d] = 1.0;
            y[i * d] = small;
            y[i * d + 1] = (1.0 - small * small).sqrt();
        } else {
            x[i * d + 1] = 1.0;
            y[i * d + 1] = 1.0;
        }
    }
    let [serial, par, stored] = run(&x, &y, b, d);
    assert_eq!(serial, par);
    eprintln!("unit rows: tiled {serial:?}\nstored {stored:?}");
    assert_close(serial, stored);
}

/// Features given as normalised, one row of norm 1e18 in x and y, the
/// last of B = 48: its positive S = 1e36 is in the last chunk, while the
/// column's other entries (1e18) are in the first.
#[test]
fn one_huge_last_row() {
    let (b, d) = (48, 5);
    let mut rng = rng::Rng::new(7);
    let mut unit = || {
        let mut v: Vec<f64> = (0..b * d).map(|_| rng.range(-1.0, 1.0)).collect();
        for i in 0..b {
            let r = &mut v[i * d..(i + 1) * d];
            let n = r.iter().map(|e| e * e).sum::<f64>().sqrt();
            r.iter_mut().for_each(|e| *e /= n);
        }
        v
    };
    let (mut x, mut y) = (unit(), unit());
    for k in (b - 1) * d..b * d {
        x[k] *= 1e18;
        y[k] *= 1e18;
    }
    let [serial, par, stored] = run(&x, &y, b, d);
    assert_eq!(serial, par);
    eprintln!("huge last row: tiled {serial:?}\nstored {stored:?}");
    assert_close(serial, stored);
}
