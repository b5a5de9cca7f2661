//! Writes `firmware/src/expected.rs` to stdout: the fixed inputs of the
//! firmware's scenarios (f32 values), and for every output of every step
//! the f64 result of `dpm_core` on those inputs widened, with its bound
//! (see `bound.rs`).
//!
//! ```text
//! cd firmware/gen && cargo run --release --locked > ../src/expected.rs
//! ```
//!
//! It also runs the same steps through the crate's f32 path on the host and
//! exits non-zero if a value misses its bound (a self-check of the bound,
//! reported on stderr; the file does not depend on it).

mod bound;
#[path = "../../src/inputs.rs"]
mod inputs;
mod model;
mod tiled;

use bound::{StateBounds, bounds};
use dpm_core::embed::Features;
use inputs::Rng;
use model::{Pop, StepIn, eval, layout, params};
use std::fmt::Write;

/// `[tau, gamma, xi, theta, eta]` per direction (image-to-text: offset
/// `Xi(xi)`, first visit `Batch`; text-to-image: `Vanilla`, `ZeroHistory`).
const PARAMS: [[f32; 5]; 2] = [[0.05, 0.8, 0.125, 0.9, 0.05], [0.07, 0.9, 0.0, 0.5, 0.02]];
const ZETA_INIT: f32 = -0.05;

struct Scenario {
    name: &'static str,
    b: usize,
    d: usize,
    n: usize,
    steps: usize,
    /// Scores and dS are stored at indices `0, stride, 2 stride, ...` (1:
    /// all; the B = 64 run keeps the file small, its dX and dY are whole).
    stride: usize,
    seed: u64,
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "B16",
        b: 16,
        d: 8,
        n: 32,
        steps: 4,
        stride: 1,
        seed: 1,
    },
    Scenario {
        name: "B64",
        b: 64,
        d: 8,
        n: 96,
        steps: 2,
        stride: 31,
        seed: 2,
    },
];

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn f32s(v: &[f32]) -> String {
    v.iter().map(|x| format!("{x:?},")).collect()
}

fn usizes(v: &[usize]) -> String {
    v.iter().map(|x| format!("{x},")).collect()
}

/// `(expected, bound)` pairs; the bound is rounded up to 3 digits.
fn pairs(v: &[f64], e: &[f64], stride: usize) -> String {
    (0..v.len())
        .step_by(stride)
        .map(|i| format!("({:.9e},{:.2e}),", v[i], e[i] * 1.01))
        .collect()
}

fn main() {
    // The f64 reference runs on the baseline lanes (SSE2 on x86_64: no
    // fused multiply-adds, the same rounding on every CPU), so that the
    // file is the same whether CI's machine has AVX2 or AVX-512: the
    // dispatched lanes sum the feature products in another order, and the
    // central differences of `bound.rs` magnify that into the printed
    // digits of the bounds.
    // SAFETY: one thread runs here, and nothing has read the environment
    // yet (the crate reads `DPM_CORE_ISA` once, at its first kernel).
    unsafe { std::env::set_var("DPM_CORE_ISA", "baseline") };
    let mut src = String::from(HEADER);
    let _ = writeln!(src, "pub const PARAMS: [[f32; 5]; 2] = {PARAMS:?};");
    let _ = writeln!(src, "/// `zeta` of every id before the first step.");
    let _ = writeln!(src, "pub const ZETA_INIT: f32 = {ZETA_INIT:?};");
    let mut worst = 0.0_f64;
    for sc in &SCENARIOS {
        let (b, d) = (sc.b, sc.d);
        let mut rng = Rng(sc.seed);
        let mut inp = StepIn::<f64> {
            features: Features::Raw,
            x: vec![],
            y: vec![],
            params: params(&PARAMS),
            image: Pop::new(sc.n, f64::from(ZETA_INIT)),
            text: Pop::new(sc.n, f64::from(ZETA_INIT)),
        };
        let (mut img32, mut txt32) = (
            Pop::<f32>::new(sc.n, ZETA_INIT),
            Pop::<f32>::new(sc.n, ZETA_INIT),
        );
        let mut sb = StateBounds::zero(sc.n);
        let lay = layout(b, d);
        let _ = write!(
            src,
            "\npub const {}: Scenario = Scenario {{\n    name: \"{}\", b: {b}, d: {d}, n: {}, stride: {},\n    steps: &[\n",
            sc.name, sc.name, sc.n, sc.stride
        );
        for step in 0..sc.steps {
            // Distinct ids (pairs share an id), raw features.
            let (mut perm, mut ids) = (vec![0; sc.n], vec![0; b]);
            let (mut x, mut y) = (vec![0.0_f32; b * d], vec![0.0_f32; b * d]);
            rng.step(&mut perm, &mut ids, &mut x, &mut y, 1.0);
            inp.x = widen(&x);
            inp.y = widen(&y);
            let (value, image, text) = eval(&inp, b, d, (&ids, &ids));
            let bound = bounds(&inp, b, d, &ids, &value, &sb);

            // Host f32 cross-check of the bound.
            let inp32 = StepIn::<f32> {
                features: Features::Raw,
                x: x.clone(),
                y: y.clone(),
                params: params(&PARAMS),
                image: img32,
                text: txt32,
            };
            let (got, i32_, t32_) = eval(&inp32, b, d, (&ids, &ids));
            (img32, txt32) = (i32_, t32_);
            for (o, g) in got.iter().enumerate() {
                let r = (g - value[o]).abs() / bound[o];
                if r > 0.5 && std::env::var_os("GEN_DEBUG").is_some() {
                    let l = lay.iter().find(|l| (l.1..l.1 + l.2).contains(&o)).unwrap();
                    eprintln!(
                        "{} step {step} {}[{}]: f64 {:e} f32 {:e} bound {:e} ratio {r:.2}",
                        sc.name,
                        l.0,
                        o - l.1,
                        value[o],
                        g,
                        bound[o]
                    );
                }
                worst = worst.max(r);
            }

            // The state after the step, and the bounds it now carries.
            let at = |name: &str| lay.iter().find(|l| l.0 == name).map(|l| l.1).unwrap();
            for (side, pre) in ["image", "text"].iter().enumerate() {
                for (k, &id) in ids.iter().enumerate() {
                    sb.log_s[side][id] = bound[at(&format!("{pre}_log_s")) + k];
                    sb.z[side][id] = bound[at(&format!("{pre}_z")) + k];
                    sb.zeta[side][id] = bound[at(&format!("{pre}_zeta")) + k];
                }
            }
            (inp.image, inp.text) = (image, text);
            debug_assert_eq!(narrow(&inp.x), x);

            let _ = writeln!(src, "        // step {step}");
            let _ = writeln!(
                src,
                "        Step {{\n            ids: &[{}],",
                usizes(&ids)
            );
            let _ = writeln!(
                src,
                "            x: &[{}],\n            y: &[{}],",
                f32s(&x),
                f32s(&y)
            );
            for (name, off, len) in &lay {
                let stride = if matches!(*name, "scores" | "ds") {
                    sc.stride
                } else {
                    1
                };
                let r = *off..off + len;
                let _ = writeln!(
                    src,
                    "            {name}: &[{}],",
                    pairs(&value[r.clone()], &bound[r], stride)
                );
            }
            let _ = writeln!(src, "        }},");
        }
        src.push_str("    ],\n};\n");
    }
    let t = tiled::expected();
    let _ = write!(
        src,
        "\npub const T256: Tiled = Tiled {{\n    name: \"T256\", seed: {}, b: {}, d: {}, n: {}, scale: {:?}, stride: {},\n    params: {:?},\n",
        tiled::SEED,
        tiled::B,
        tiled::D,
        tiled::N,
        tiled::SCALE,
        tiled::STRIDE,
        tiled::PARAMS
    );
    for (name, stride, value, bound) in &t.groups {
        let _ = writeln!(src, "    {name}: &[{}],", pairs(value, bound, *stride));
    }
    src.push_str("};\n");
    eprintln!(
        "host f32 tiled step (T256): max |f32 - f64| / bound = {:.3}",
        t.host_worst
    );
    worst = worst.max(t.host_worst);
    print!("{src}");
    eprintln!("host f32 path: max |f32 - f64| / bound = {worst:.3}");
    if worst.is_nan() || worst > 1.0 {
        eprintln!("the host f32 path misses a bound");
        std::process::exit(1);
    }
}

const HEADER: &str = "\
// @generated by firmware/gen: do not edit. Regenerate with
//     cd firmware/gen && cargo run --release --locked > ../src/expected.rs
// Inputs are f32; each expected value is dpm_core's f64 result on those
// inputs widened, paired with its error bound (firmware/gen/src/bound.rs).

use crate::scenario::{Scenario, Step, Tiled};

/// `[tau, gamma, xi, theta, eta]` of the image-to-text (`Xi`, `Batch`) and
/// text-to-image (`Vanilla`, `ZeroHistory`) directions.
";
