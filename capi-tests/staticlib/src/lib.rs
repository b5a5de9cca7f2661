//! `libdpm_core_c.a`: dpm-core's C ABI (`include/dpm_core.h`) for
//! bare-metal C programs. A static library must bring a panic handler;
//! the library crate itself does not define one (a Rust firmware brings
//! its own), so this wrapper does: it calls the C library's `abort()`.
//! The core never panics on any input (every precondition is an error
//! code), so this is a backstop.
#![no_std]

pub use dpm_core::capi;

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        fn abort() -> !;
    }
    // SAFETY: newlib's abort() takes no arguments and never returns.
    unsafe { abort() }
}
