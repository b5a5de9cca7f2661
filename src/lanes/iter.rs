//! Loops over a row in whole vectors and one padded tail, so that every
//! element goes through the same arithmetic.

use super::Lanes;

/// Loads `s[j..j + n]` (`n <= N`), padding missing lanes with `fill`.
#[inline(always)]
pub(crate) fn ld<L: Lanes>(s: &[L::Scalar], j: usize, n: usize, fill: L::Scalar) -> L {
    if n == L::N {
        L::load(&s[j..j + n])
    } else {
        L::load_part(&s[j..j + n], fill)
    }
}

/// Calls `f(start, len)` for every chunk of `N` elements of `0..len`, then
/// once for the shorter tail if there is one (unrolled by two).
#[inline(always)]
pub(crate) fn chunks<L: Lanes>(len: usize, f: impl FnMut(usize, usize)) {
    chunks_from::<L>(0, len, f);
}

/// [`chunks`] over `start..len`.
#[inline(always)]
pub(crate) fn chunks_from<L: Lanes>(start: usize, len: usize, mut f: impl FnMut(usize, usize)) {
    let n = L::N;
    let full = len - (len - start) % n;
    let mut j = start;
    while j + 2 * n <= full {
        f(j, n);
        f(j + n, n);
        j += 2 * n;
    }
    if j < full {
        f(j, n);
        j += n;
    }
    if j < len {
        f(j, len - j);
    }
}

/// Like [`chunks`] over a row whose columns `d0` and `d1` are special
/// (a diagonal, a positive): calls `f(start, len, edge)` with `edge = true`
/// only for the chunks holding them and for the tail, so the other chunks
/// (a constant `edge = false` once `f` is inlined) skip the masks and the
/// padding. `d0 = d1` for one special column; a column `>= len` is none.
#[inline(always)]
pub(crate) fn around<L: Lanes>(
    len: usize,
    d0: usize,
    d1: usize,
    mut f: impl FnMut(usize, usize, bool),
) {
    let n = L::N;
    let full = len - len % n;
    let (c0, c1) = (d0 - d0 % n, d1 - d1 % n);
    let (lo, hi) = if c0 <= c1 { (c0, c1) } else { (c1, c0) };
    let mut j = 0;
    for special in [lo, hi] {
        if special < j {
            continue; // both in one chunk
        }
        while j < special.min(full) {
            f(j, n, false);
            j += n;
        }
        if special < full {
            f(special, n, true);
            j = special + n;
        }
    }
    while j < full {
        f(j, n, false);
        j += n;
    }
    if full < len {
        f(full, len - full, true);
    }
}

/// `v` with lanes `n..` set to `fill` (the tail of a row).
#[inline(always)]
pub(crate) fn pad<L: Lanes>(v: L, n: usize, fill: L::Scalar) -> L {
    let mut v = v;
    for k in n..L::N {
        v = v.with_lane(k, fill);
    }
    v
}
