//! The crate's side of `benches/vs_pytorch.py` (run that script, not
//! this file): the steps from raw features of each family, timed on one
//! thread, on the same features the script then gives to PyTorch.
//!
//! `cargo bench --bench vs_pytorch -- <sigma> <b> <d> <reps> <dir>`
//! writes `<dir>/features.f32` (`x` then `y`, `b x d` each, little-endian
//! `f32`: `random::family_features`, `y = normalize(x + sigma u)`), and
//! for each family the first step's `dx` (`<dir>/dx_<family>.f32`), and
//! prints one line per family and engine: `<family> <engine> <median ms>
//! <loss>`. Every step starts from the same fresh state (ids `0..b` of a
//! population of `N`; first visits, `zeta = -0.05`, the zeta update on),
//! as the script's PyTorch step does: tau = 0.01, gamma = 0.8, theta =
//! 0.9, eta = 5e-6 (texts) and 5e-7 (images), `xi = 0`. The features go
//! in raw (`Features::Raw`), so `dx`, `dy` include the normalisation's
//! backward, as PyTorch's autograd through `F.normalize` does.

use std::{fs, hint::black_box, path::PathBuf, time::Instant};

use dpm_core::embed::{
    FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled,
    infonce_bimodal_tiled, sogclr_bimodal_tiled,
};
use dpm_core::{DpmParams, FirstVisit, Offset, SogClrParams, StateView, ZetaStep};

mod common;
use common::{Pop, SEED, TAU, random};

const ZETA_INIT: f32 = -0.05;

/// Median of `reps` timed calls of `step` (two untimed first), in ms;
/// the first call's result. `step` resets what it must (so every call is
/// the same step), then restarts the clock it is given, then runs.
fn time<R: Copy>(reps: usize, mut step: impl FnMut(&mut Instant) -> R) -> (f64, R) {
    let mut t = Instant::now();
    let first = step(&mut t);
    step(&mut t);
    let mut ms: Vec<f64> = (0..reps)
        .map(|_| {
            black_box(step(&mut t));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], first)
}

/// [`time`] of `step` on both states reset to fresh before each call;
/// `step` returns the loss.
fn time_fresh<'v>(
    reps: usize,
    views: (&mut StateView<'v, f32>, &mut StateView<'v, f32>),
    mut step: impl FnMut(&mut StateView<'v, f32>, &mut StateView<'v, f32>) -> f32,
) -> (f64, f32) {
    let (iv, tv) = views;
    time(reps, |t| {
        iv.reset(ZETA_INIT).unwrap();
        tv.reset(ZETA_INIT).unwrap();
        *t = Instant::now();
        step(iv, tv)
    })
}

fn write(path: PathBuf, v: &[f32]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    fs::write(path, bytes).unwrap();
}

fn main() {
    // `cargo bench` passes `--bench`; take the positional arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [sigma, b, d, reps, dir] = &args[..] else {
        eprintln!("usage: vs_pytorch <sigma> <b> <d> <reps> <dir>");
        std::process::exit(2);
    };
    let (sigma, b, d, reps): (f64, usize, usize, usize) = (
        sigma.parse().unwrap(),
        b.parse().unwrap(),
        d.parse().unwrap(),
        reps.parse().unwrap(),
    );
    let dir = PathBuf::from(dir);
    fs::create_dir_all(&dir).unwrap();
    let mut rng = random::Rng::new(SEED ^ 17);
    let (x, y) = random::family_features(&mut rng, b, d, sigma);
    let x: Vec<f32> = x.into_iter().map(|v| v as f32).collect();
    let y: Vec<f32> = y.into_iter().map(|v| v as f32).collect();
    write(dir.join("features.f32"), &[x.clone(), y.clone()].concat());

    let ids: Vec<usize> = (0..b).collect();
    let p = |eta: f32| DpmParams {
        tau: TAU,
        gamma: 0.8,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep { theta: 0.9, eta }),
        first_visit: FirstVisit::Batch,
    };
    // Images anchor (the texts' step size), then texts (the images').
    let dpm = dpm_core::Directions {
        image: p(5e-6),
        text: p(5e-7),
    };
    let sog = SogClrParams {
        tau: TAU,
        gamma: 0.8,
        first_visit: FirstVisit::Batch,
    };
    let (mut images, mut texts) = (Pop::fresh(ZETA_INIT), Pop::fresh(ZETA_INIT));
    let (mut iv, mut tv) = (images.view(), texts.view());
    let (mut dx, mut dy) = (vec![0.0_f32; b * d], vec![0.0_f32; b * d]);
    let mut tiled = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })];
    let report = |family: &str, engine: &str, (ms, loss): (f64, f32), dx: &[f32]| {
        println!("{family} {engine} {ms:.4} {loss:e}");
        write(dir.join(format!("dx_{family}.f32")), dx);
    };
    let (x, y) = (black_box(&x[..]), &y[..]);

    let (mut s, mut ds) = (vec![0.0_f32; b * b], vec![0.0_f32; b * b]);
    let mut scratch = vec![0.0_f32; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let (ms, loss) = time_fresh(reps, (&mut iv, &mut tv), |iv, tv| {
        let out = FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy);
        let (raw, p) = (Features::Raw, dpm);
        dpm_bimodal_from_features(x, y, b, d, raw, &ids, &ids, iv, tv, p, out, &mut scratch)
            .unwrap()
            .total
    });
    println!("dpm materialized {ms:.4} {loss:e}");
    let timed = time_fresh(reps, (&mut iv, &mut tv), |iv, tv| {
        let out = TiledOut::new(&mut dx, &mut dy);
        let (raw, p) = (Features::Raw, dpm);
        dpm_bimodal_tiled(x, y, b, d, raw, &ids, &ids, iv, tv, p, out, &mut tiled)
            .unwrap()
            .total
    });
    report("dpm", "tiled", timed, &dx);
    let timed = time_fresh(reps, (&mut iv, &mut tv), |iv, tv| {
        let out = TiledOut::new(&mut dx, &mut dy);
        let (raw, p) = (Features::Raw, sog);
        sogclr_bimodal_tiled(
            x,
            y,
            b,
            d,
            raw,
            &ids,
            &ids,
            iv,
            tv,
            dpm_core::Directions::both(p),
            out,
            &mut tiled,
        )
        .unwrap()
        .total
    });
    report("sogclr", "tiled", timed, &dx);
    let timed = time(reps, |t| {
        *t = Instant::now();
        let out = TiledOut::new(&mut dx, &mut dy);
        infonce_bimodal_tiled(x, y, b, d, Features::Raw, TAU, out, &mut tiled)
            .unwrap()
            .total
    });
    report("infonce", "tiled", timed, &dx);
}
