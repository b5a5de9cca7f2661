//! Two build-time settings.
//!
//! 1. The cfg `dpm_inline`, set when the build optimises (opt-level 2, 3,
//!    `s` or `z`; cargo tells build scripts in `OPT_LEVEL`). The SIMD
//!    kernels are generic over `Lanes` and must inline into the
//!    `#[target_feature]` function the dispatcher calls, or every
//!    intrinsic stays an out-of-line call (`#[inline(always)]` under
//!    `dpm_inline`; see `src/lanes/mod.rs`). Unoptimised builds (tests at
//!    opt-level 0 and 1, Miri) leave it off: forced inlining there made
//!    multi-megabyte frames that overflowed rayon's worker stacks. The
//!    switch used to be `debug_assertions`, which also left it off in
//!    optimised builds with debug assertions on (the fuzz targets, built
//!    with `cargo fuzz -a`), where the intrinsics then ran as calls,
//!    several times slower. `DPM_NO_FORCED_INLINE` (any value) leaves it
//!    off in an optimised build too: CI's 20-second fuzz smoke test
//!    builds its nine targets much faster that way (long campaigns build
//!    without it, for throughput).
//! 2. The capacity of the C ABI's sparse state (`DpmSparseF32`,
//!    `DpmSparseF64`), from the environment variable
//!    `DPM_SPARSE_CAPACITY`: a power of two from 2 to 32,768, default
//!    256. Written to `$OUT_DIR/sparse_capacity.rs` (included by
//!    `src/capi/sparse.rs`). Anything else stops the build with a message.
use std::{env, fs, path::Path};

/// `DPM_SPARSE_CAPACITY` when unset; also the header's default
/// (`cbindgen.toml`, checked by `tests/capi_sparse.rs`).
const DEFAULT_CAPACITY: usize = 256;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(dpm_inline)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=DPM_SPARSE_CAPACITY");
    println!("cargo::rerun-if-env-changed=DPM_NO_FORCED_INLINE");
    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    let off = env::var_os("DPM_NO_FORCED_INLINE").is_some();
    if !off && !matches!(opt.as_str(), "0" | "1") {
        println!("cargo::rustc-cfg=dpm_inline");
    }
    let cap = match env::var("DPM_SPARSE_CAPACITY") {
        Err(env::VarError::NotPresent) => DEFAULT_CAPACITY,
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n.is_power_of_two() && (2..=32_768).contains(&n) => n,
            _ => panic!("DPM_SPARSE_CAPACITY={s:?}: a power of two from 2 to 32768, please"),
        },
        Err(e) => panic!("DPM_SPARSE_CAPACITY: {e}"),
    };
    let out =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sparse_capacity.rs");
    let text = format!(
        "/// The slots of the C ABI's sparse state, fixed when the library is built\n\
         /// (`DPM_SPARSE_CAPACITY`, default {DEFAULT_CAPACITY}; this build: {cap}).\n\
         pub const DPM_SPARSE_CAPACITY: usize = {cap};\n"
    );
    fs::write(out, text).expect("writes $OUT_DIR/sparse_capacity.rs");
}
