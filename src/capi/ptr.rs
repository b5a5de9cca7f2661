//! From C pointers and lengths to slices, after every check that can be
//! made on a pointer: NULL, alignment, size, and overlap with the other
//! arrays of the call.

use super::status::DPM_ERR_BAD_POINTER;
use core::mem::size_of;

/// One array argument: start address, size in bytes, written or not.
#[derive(Clone, Copy)]
pub(super) struct Span {
    start: usize,
    bytes: usize,
    written: bool,
}

impl Span {
    /// Checks `len` elements at `p`: empty is always fine (the pointer is
    /// then ignored, NULL included); otherwise non-NULL, aligned, and at
    /// most `isize::MAX` bytes.
    pub(super) fn of<T>(p: *const T, len: usize, written: bool) -> Result<Self, i32> {
        if len == 0 {
            return Ok(Span {
                start: 0,
                bytes: 0,
                written,
            });
        }
        let bytes = len.checked_mul(size_of::<T>()).ok_or(DPM_ERR_BAD_POINTER)?;
        if p.is_null() || !p.is_aligned() || isize::try_from(bytes).is_err() {
            return Err(DPM_ERR_BAD_POINTER);
        }
        let start = p.addr();
        start.checked_add(bytes).ok_or(DPM_ERR_BAD_POINTER)?;
        Ok(Span {
            start,
            bytes,
            written,
        })
    }

    fn overlaps(&self, o: &Span) -> bool {
        self.bytes != 0
            && o.bytes != 0
            && self.start < o.start + o.bytes
            && o.start < self.start + self.bytes
    }
}

/// `Err` if an array that is written overlaps any other array.
pub(super) fn disjoint(spans: &[Span]) -> Result<(), i32> {
    for (k, a) in spans.iter().enumerate() {
        for b in &spans[k + 1..] {
            if (a.written || b.written) && a.overlaps(b) {
                return Err(DPM_ERR_BAD_POINTER);
            }
        }
    }
    Ok(())
}

/// A shared slice of `len` elements at `p`.
///
/// # Safety
///
/// [`Span::of`] accepted `(p, len)`, and the caller guarantees the C
/// contract: `len` initialised elements at `p`, valid for reads and not
/// written by anyone during the returned lifetime.
pub(super) unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        return &[];
    }
    // SAFETY: non-NULL, aligned, at most isize::MAX bytes (Span::of);
    // valid and initialised for `len` reads (the caller).
    unsafe { core::slice::from_raw_parts(p, len) }
}

/// A mutable slice of `len` elements at `p`.
///
/// # Safety
///
/// As [`slice`], plus valid for writes, and [`disjoint`] accepted it
/// together with every other array alive at the same time.
pub(super) unsafe fn slice_mut<'a, T>(p: *mut T, len: usize) -> &'a mut [T] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: as in `slice`; exclusive because no other argument of the
    // call overlaps it (disjoint) and the caller does not touch it during
    // the call.
    unsafe { core::slice::from_raw_parts_mut(p, len) }
}

/// An optional output array: `None` for NULL.
///
/// # Safety
///
/// As [`slice_mut`] when `p` is not NULL.
pub(super) unsafe fn optional_mut<'a, T>(p: *mut T, len: usize) -> Option<&'a mut [T]> {
    // SAFETY: forwarded.
    (!p.is_null()).then(|| unsafe { slice_mut(p, len) })
}

/// Copies a `#[repr(C)]` struct argument out.
///
/// # Safety
///
/// `p` is NULL or points to an initialised `T` valid for reads.
pub(super) unsafe fn read<T: Copy>(p: *const T) -> Result<T, i32> {
    if p.is_null() || !p.is_aligned() {
        return Err(DPM_ERR_BAD_POINTER);
    }
    // SAFETY: non-NULL and aligned (checked), initialised (the caller).
    Ok(unsafe { p.read() })
}
