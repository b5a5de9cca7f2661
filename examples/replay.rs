//! Replays a case file in the golden schema through the crate and prints
//! the outputs as one JSON object with the schema's field names.
//!
//! ```text
//! cargo run --release --features std --example replay -- [--f32] [--tiled] CASE.json
//! ```
//!
//! `--tiled` runs the case through `embed::{dpm,sogclr,infonce}_bimodal_tiled`
//! (features in, feature gradients out, `S` never stored): its output has
//! no weights and an empty `grad_sim`.
//!
//! The recorded outputs in the file, if any, are ignored: this is how to
//! check the crate on steps recorded from another implementation.

#[path = "../tests/support/case.rs"]
mod case;
#[path = "../tests/support/dense.rs"]
mod dense;
#[path = "../tests/support/run.rs"]
mod run;

use std::process::ExitCode;

fn main() -> ExitCode {
    match try_main() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("replay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<String, String> {
    const USAGE: &str = "usage: replay [--f32] [--tiled] CASE.json";
    let mut f32_mode = false;
    let mut engine = run::Engine::Simd;
    let mut path = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--f32" => f32_mode = true,
            "--tiled" => engine = run::Engine::Tiled,
            "-h" | "--help" => return Err(USAGE.into()),
            a if a.starts_with('-') => return Err(format!("unknown option {a}; {USAGE}")),
            a => {
                if path.replace(a.to_string()).is_some() {
                    return Err("give one case file".into());
                }
            }
        }
    }
    let path = path.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let case = case::Case::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let steps = if f32_mode {
        run::replay::<f32>(&case, engine)
    } else {
        run::replay::<f64>(&case, engine)
    }
    .map_err(|e| format!("{path}: {e}"))?;
    let steps: Vec<_> = steps.into_iter().map(|s| s.outputs).collect();
    let doc = serde_json::json!({
        "name": case.name,
        "kind": case.kind,
        "dtype": if f32_mode { "float32" } else { "float64" },
        "steps": steps,
    });
    serde_json::to_string(&doc).map_err(|e| e.to_string())
}
