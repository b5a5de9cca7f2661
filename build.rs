//! Sets the cfg `dpm_inline` when the build optimises (opt-level 2, 3,
//! `s` or `z`; cargo tells build scripts in `OPT_LEVEL`).
//!
//! The SIMD kernels are generic over `Lanes` and must inline into the
//! `#[target_feature]` function the dispatcher calls, or every intrinsic
//! stays an out-of-line call (`#[inline(always)]` under `dpm_inline`; see
//! `src/lanes/mod.rs`). Unoptimised builds (tests at opt-level 0 and 1,
//! Miri) leave it off: forced inlining there made multi-megabyte frames
//! that overflowed rayon's worker stacks. The switch used to be
//! `debug_assertions`, which also left it off in optimised builds with
//! debug assertions on (the fuzz targets, built with `cargo fuzz -a`),
//! where the intrinsics then ran as calls, several times slower.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(dpm_inline)");
    println!("cargo::rerun-if-changed=build.rs");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    if !matches!(opt.as_str(), "0" | "1") {
        println!("cargo::rustc-cfg=dpm_inline");
    }
}
