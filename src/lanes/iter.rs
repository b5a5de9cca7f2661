//! Loops over a row in whole vectors and one padded tail, so that every
//! element goes through the same arithmetic.

use super::Lanes;

/// Loads `s[j..j + n]` (`n <= N`), padding missing lanes with `fill`.
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn ld<L: Lanes>(s: &[L::Scalar], j: usize, n: usize, fill: L::Scalar) -> L {
    if n == L::N {
        L::load(&s[j..j + n])
    } else {
        L::load_part(&s[j..j + n], fill)
    }
}

/// Calls `f(start, len)` for every chunk of `N` elements of `0..len`, then
/// once for the shorter tail if there is one (unrolled by two).
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn chunks<L: Lanes>(len: usize, f: impl FnMut(usize, usize)) {
    chunks_from::<L>(0, len, f);
}

/// [`chunks`] over `start..len`.
#[cfg_attr(dpm_inline, inline(always))]
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

/// `v` with lanes `n..` set to `fill` (the tail of a row).
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn pad<L: Lanes>(v: L, n: usize, fill: L::Scalar) -> L {
    let mut v = v;
    for k in n..L::N {
        v = v.with_lane(k, fill);
    }
    v
}

/// A piece of a row: whole vectors none of whose columns is special
/// (`Interior(start, end)`), or one chunk holding a special column or the
/// tail (`Edge(start, len)`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg {
    Interior(usize, usize),
    Edge(usize, usize),
}

/// The pieces of a row of `len` columns with special columns `d0`, `d1`
/// (equal for one; `>= len` for none), in order: the passes run a tight
/// loop over the interiors and the masked code over the few edges.
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn segments<L: Lanes>(len: usize, d0: usize, d1: usize) -> ([Seg; 6], usize) {
    let n = L::N;
    let full = len - len % n;
    let (c0, c1) = (d0 - d0 % n, d1 - d1 % n);
    let (lo, hi) = if c0 <= c1 { (c0, c1) } else { (c1, c0) };
    let mut out = [Seg::Edge(0, 0); 6];
    let mut k = 0;
    let mut j = 0;
    for special in [lo, hi] {
        if special < j || special >= full {
            continue; // both in one chunk, or in the tail
        }
        if j < special {
            out[k] = Seg::Interior(j, special);
            k += 1;
        }
        out[k] = Seg::Edge(special, n);
        k += 1;
        j = special + n;
    }
    if j < full {
        out[k] = Seg::Interior(j, full);
        k += 1;
    }
    if full < len {
        out[k] = Seg::Edge(full, len - full);
        k += 1;
    }
    (out, k)
}
