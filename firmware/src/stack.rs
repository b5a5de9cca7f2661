//! Stack painting: fill the free stack below the caller with a pattern,
//! run, then find the lowest word that changed.

const PATTERN: u32 = 0xDEAD_BEEF;
/// Painted bytes below the caller's stack pointer.
pub const DEPTH: usize = 16 * 1024;
/// Left unpainted right below the caller: `paint`'s own frame lives there.
const GAP: usize = 256;

/// The current stack pointer (the caller's: this is inlined asm).
#[inline(always)]
pub fn sp() -> usize {
    cortex_m::register::msp::read() as usize
}

/// Paints `[sp - DEPTH, sp - GAP)`. That memory is free stack: nothing
/// below the caller's stack pointer is live.
#[inline(never)]
pub fn paint(sp: usize) {
    let mut a = sp - DEPTH;
    while a < sp - GAP {
        // SAFETY: the address is word-aligned (sp is 8-aligned), inside RAM
        // (4 MiB below the stack top, DEPTH is 16 KiB) and below every live
        // frame (our own frame is within GAP bytes of sp).
        unsafe { core::ptr::write_volatile(a as *mut u32, PATTERN) };
        a += 4;
    }
}

/// Bytes of stack used below `sp` since [`paint`]: `sp` minus the lowest
/// changed word (at least `GAP` if nothing changed; `DEPTH` means the
/// painted region was too small).
#[inline(never)]
pub fn used(sp: usize) -> usize {
    let mut a = sp - DEPTH;
    while a < sp - GAP {
        // SAFETY: as in `paint`; reading free stack is harmless.
        if unsafe { core::ptr::read_volatile(a as *const u32) } != PATTERN {
            return sp - a;
        }
        a += 4;
    }
    GAP
}
