//! The matrix products behind `S = X Y^T` and its backward pass (SPEC
//! section 6): a plain loop and a register-blocked SIMD version of each.
//!
//! Two products cover everything:
//!
//! - [`scores`]: `S[i][j] = x_i . y_j`;
//! - [`rows`]: `out_o += sum_t c(o, t) src_t` over a range of `t`, for
//!   `dX = G Y` ([`Coef::Rows`]: `c(i, j) = G[i][j]`), `dY = G^T X`
//!   ([`Coef::Cols`]: `c(j, i) = G[i][j]`) and the shared-vector form
//!   ([`Coef::Sym`]: `c(k, j) = C[k][j] + C[j][k]`).
//!
//! **The arithmetic of one entry**: a dot product adds its terms in
//! index order from 0, and an output element of [`rows`] adds its terms
//! in `t` order. The plain loops ([`dot`], [`axpy`], the scalar branch of
//! each product: what the scalar engine and targets without lanes run)
//! round each product, then each sum, `s = s + a_k b_k`. The SIMD
//! versions compute many entries at once in register blocks, each lane
//! following the same steps in the same order, with the lanes'
//! multiply-add: fused on AVX2, AVX-512 and native builds with FMA, as a
//! product then a sum on the baseline x86-64 lanes. So on one machine
//! every SIMD caller (the stored steps from features, the tiled steps,
//! the public products) gets the same bits, and on the baseline lanes of
//! the default x86-64 build they are the plain loops' bits. Fused steps matter for speed beyond
//! the halved instruction count: a rounded product of a tiny `dS` entry
//! and a feature can be subnormal, which costs a microcode assist on
//! Intel cores each time, and a fused step never rounds the product.
//!
//! The SIMD blocks: [`scores`] packs `NR` vectors' worth of columns of
//! `Y^T` (`KC` values deep) into a buffer on the stack and runs an
//! `MR x NR`-vector block of `S` over it (`MR` broadcasts of `x` and `NR`
//! loads per step of `k`); [`rows`] packs `TC` rows of `src` for a group
//! of feature columns into a cache-line-aligned buffer on the stack (one
//! copy serves every block of output rows; reading `src` in place cost
//! the backward products 17% at B = 1024, d = 128 on AVX2, from loads
//! that straddled cache lines) and runs `MR` output rows by `NR` vectors
//! of features over it, its `MR` coefficients per `t` read in place from
//! `G` (no index arithmetic or call per coefficient: that cost it half
//! its speed). Neither reads a value twice from memory in its inner
//! loop, and neither sums across lanes.

use crate::{
    Real,
    lanes::{
        self, Lanes,
        dispatch::{Kernel, dispatch},
    },
};
use core::ops::Range;

/// Rows of a register block.
const MR: usize = 6;
/// Vectors per row of a register block.
const NR: usize = 2;
// The blocks name their two vectors (`s0`, `s1`; `acc[r][0]`, `acc[r][1]`).
const _: () = assert!(NR == 2);
const _: () = assert!(NR * WIDEST * KC <= PANEL);
// At least one register block of the widest lanes per group of `rows`.
const _: () = assert!(TC * NR * WIDEST <= PANEL);
/// Depth (values of `k`) of one packed slice of `Y^T`.
const KC: usize = 128;
/// The widest lanes of any [`Real`] (16 `f32` in AVX-512).
const WIDEST: usize = 16;

/// `a . b` over the common length, terms added in index order from 0:
/// the arithmetic of every score.
#[inline]
pub(crate) fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut s = T::ZERO;
    for (&p, &q) in a.iter().zip(b) {
        s += p * q;
    }
    s
}

/// `out_e = out_e + c src_e`: one term of [`rows`], element by element.
#[inline]
pub(crate) fn axpy<T: Real>(c: T, src: &[T], out: &mut [T]) {
    for (o, &p) in out.iter_mut().zip(src) {
        *o += c * p;
    }
}

/// `S = X Y^T`: `x` is `rows x d`, `y` is `cols x d`, `s` is
/// `rows x cols` (row-major; every entry written, 0 for `d = 0`).
pub(crate) fn scores<T: Real>(x: &[T], y: &[T], cols: usize, d: usize, s: &mut [T]) {
    if cols == 0 {
        return;
    }
    let rows = s.len() / cols;
    if d == 0 {
        s.fill(T::ZERO);
    } else if lanes::LANES {
        dispatch(Scores {
            x,
            y,
            packed: false,
            rows,
            cols,
            d,
            s,
        });
    } else {
        for (i, s_row) in s.chunks_exact_mut(cols).enumerate() {
            let xi = &x[i * d..(i + 1) * d];
            for (j, sij) in s_row.iter_mut().enumerate() {
                *sij = dot(xi, &y[j * d..(j + 1) * d]);
            }
        }
    }
}

/// The length of `Y^T` packed by [`pack`] for `cols` rows of `y`, `d`
/// wide: `d` times `cols` rounded up to 32 (saturating).
pub(crate) const fn pack_len(cols: usize, d: usize) -> usize {
    cols.saturating_add(31)
        .saturating_div(32)
        .saturating_mul(32)
        .saturating_mul(d)
}

/// `Y^T` (`y`: `cols x d`) packed for [`scores_packed`] into
/// `out[..pack_len(cols, d)]`: stripes of the lanes' block width, each
/// `d` rows of it (only on targets with lanes).
pub(crate) fn pack<T: Real>(y: &[T], cols: usize, d: usize, out: &mut [T]) {
    if lanes::LANES && d > 0 {
        dispatch(Pack {
            y,
            cols,
            d,
            out: &mut out[..pack_len(cols, d)],
        });
    }
}

/// [`scores`] from `Y^T` packed by [`pack`] (same bits; on targets
/// without lanes `packed` is not read and `y` is).
pub(crate) fn scores_packed<T: Real>(
    x: &[T],
    y: &[T],
    packed: &[T],
    cols: usize,
    d: usize,
    s: &mut [T],
) {
    if lanes::LANES && d > 0 && cols > 0 {
        let rows = s.len() / cols;
        dispatch(Scores {
            x,
            y: packed,
            packed: true,
            rows,
            cols,
            d,
            s,
        });
    } else {
        scores(x, y, cols, d, s);
    }
}

/// `out_j = x_j . y_j` for every row `j` (`x`, `y`: `out.len() x d`):
/// the diagonal of [`scores`], with its bits.
pub(crate) fn diag<T: Real>(x: &[T], y: &[T], d: usize, out: &mut [T]) {
    if lanes::LANES {
        dispatch(Diag { x, y, d, out });
    } else {
        for (j, o) in out.iter_mut().enumerate() {
            *o = dot(&x[j * d..(j + 1) * d], &y[j * d..(j + 1) * d]);
        }
    }
}

/// Where [`rows`] reads its coefficients `c(o, t)`: from a row-major
/// matrix `g` with rows `ld` apart, at `k = t - ts.start` (the `k`-th `t`
/// of the product).
#[derive(Clone, Copy)]
pub(crate) enum Coef<'a, T> {
    /// `c(o, t) = g[o ld + k]`: `dX = G Y`.
    Rows(&'a [T], usize),
    /// `c(o, t) = g[k ld + o]`: `dY = G^T X`.
    Cols(&'a [T], usize),
    /// `c(o, t) = g[o ld + k] + g[k ld + o]`: the shared-vector form.
    Sym(&'a [T], usize),
}

impl<T: Real> Coef<'_, T> {
    /// `c(o, t)` for `k = t - ts.start`.
    #[cfg_attr(dpm_inline, inline(always))]
    fn at(self, o: usize, k: usize) -> T {
        match self {
            Coef::Rows(g, ld) => g[o * ld + k],
            Coef::Cols(g, ld) => g[k * ld + o],
            Coef::Sym(g, ld) => g[o * ld + k] + g[k * ld + o],
        }
    }
}

/// `out_o += sum_{t in ts} c(o, t) src_t` for every row `o` of `out`
/// (`out` is `n x d`, `src` holds the rows `t` it reads, `d` wide), the
/// terms of each element added in `t` order.
pub(crate) fn rows<T: Real>(c: Coef<'_, T>, src: &[T], ts: Range<usize>, d: usize, out: &mut [T]) {
    if d == 0 || ts.is_empty() {
        return;
    }
    debug_assert!(src.len() >= ts.end * d, "src holds every row of ts");
    if lanes::LANES {
        dispatch(Rows { c, src, ts, d, out });
    } else {
        for (o, row) in out.chunks_exact_mut(d).enumerate() {
            for (k, t) in ts.clone().enumerate() {
                axpy(c.at(o, k), &src[t * d..(t + 1) * d], row);
            }
        }
    }
}

struct Diag<'a, T> {
    x: &'a [T],
    y: &'a [T],
    d: usize,
    out: &'a mut [T],
}

impl<T: Real> Kernel<T> for Diag<'_, T> {
    type Output = ();

    /// One score at a time, in every lane, with the step of a lane of
    /// [`score_block`].
    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) {
        let Diag { x, y, d, out } = self;
        for (j, o) in out.iter_mut().enumerate() {
            let mut acc = L::splat(T::ZERO);
            for k in j * d..(j + 1) * d {
                acc = L::splat(x[k]).mul_add(L::splat(y[k]), acc);
            }
            acc.store(core::slice::from_mut(o));
        }
    }
}

struct Scores<'a, T> {
    x: &'a [T],
    /// `Y` row-major, or `Y^T` packed by [`pack`] (`packed`).
    y: &'a [T],
    packed: bool,
    rows: usize,
    cols: usize,
    d: usize,
    s: &'a mut [T],
}

impl<T: Real> Kernel<T> for Scores<'_, T> {
    type Output = ();

    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) {
        let Scores {
            x,
            y,
            packed,
            rows,
            cols,
            d,
            s,
        } = self;
        let w = NR * L::N;
        if packed {
            for j0 in (0..cols).step_by(w) {
                let stripe = &y[j0 * d..(j0 + w) * d];
                let blk = Blk {
                    j0,
                    jn: w.min(cols - j0),
                    k0: 0,
                    kn: d,
                    first: true,
                };
                score_rows::<L>(x, rows, d, cols, stripe, blk, s);
            }
            return;
        }
        let mut buf = Panel([T::ZERO; PANEL]);
        let buf = &mut buf.0;
        for j0 in (0..cols).step_by(w) {
            let jn = w.min(cols - j0);
            for k0 in (0..d).step_by(KC) {
                let kn = KC.min(d - k0);
                pack_stripe::<L>(y, d, (j0, jn), (k0, kn), &mut buf[..kn * w]);
                let blk = Blk {
                    j0,
                    jn,
                    k0,
                    kn,
                    first: k0 == 0,
                };
                score_rows::<L>(x, rows, d, cols, &buf[..kn * w], blk, s);
            }
        }
    }
}

/// `Y^T[k0 .. k0 + kn][j0 .. j0 + w]` (`w = NR N`) row by row into
/// `out`, zero past the last column `j0 + jn`.
#[cfg_attr(dpm_inline, inline(always))]
fn pack_stripe<L: Lanes>(
    y: &[L::Scalar],
    d: usize,
    (j0, jn): (usize, usize),
    (k0, kn): (usize, usize),
    out: &mut [L::Scalar],
) {
    let w = NR * L::N;
    for c in 0..w {
        if c < jn {
            let yj = &y[(j0 + c) * d + k0..(j0 + c) * d + k0 + kn];
            for (o, &v) in out[c..].iter_mut().step_by(w).zip(yj) {
                *o = v;
            }
        } else {
            for o in out[c..].iter_mut().step_by(w) {
                *o = L::Scalar::ZERO;
            }
        }
    }
}

/// Every row of `S` over one packed slice of `Y^T`, `MR` rows at a time.
#[cfg_attr(dpm_inline, inline(always))]
fn score_rows<L: Lanes>(
    x: &[L::Scalar],
    rows: usize,
    d: usize,
    cols: usize,
    pack: &[L::Scalar],
    blk: Blk,
    s: &mut [L::Scalar],
) {
    let mut i0 = 0;
    while i0 < rows {
        let m = MR.min(rows - i0);
        let at = (&x[i0 * d..], &mut s[i0 * cols..]);
        match m {
            6 => score_block::<L, 6>(at, d, cols, pack, blk),
            5 => score_block::<L, 5>(at, d, cols, pack, blk),
            4 => score_block::<L, 4>(at, d, cols, pack, blk),
            3 => score_block::<L, 3>(at, d, cols, pack, blk),
            2 => score_block::<L, 2>(at, d, cols, pack, blk),
            _ => score_block::<L, 1>(at, d, cols, pack, blk),
        }
        i0 += m;
    }
}

struct Pack<'a, T> {
    y: &'a [T],
    cols: usize,
    d: usize,
    out: &'a mut [T],
}

impl<T: Real> Kernel<T> for Pack<'_, T> {
    type Output = ();

    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) {
        let Pack { y, cols, d, out } = self;
        let w = NR * L::N;
        for j0 in (0..cols).step_by(w) {
            let stripe = &mut out[j0 * d..(j0 + w) * d];
            pack_stripe::<L>(y, d, (j0, w.min(cols - j0)), (0, d), stripe);
        }
    }
}

/// Where a block of `S` sits: columns `j0 .. j0 + jn`, depth
/// `k0 .. k0 + kn`; `first`: no partial sum stored yet.
#[derive(Clone, Copy)]
struct Blk {
    j0: usize,
    jn: usize,
    k0: usize,
    kn: usize,
    first: bool,
}

/// Vector `c` of a block `n` wide: its offset in the block and its count
/// of lanes (0 to `N`; the offset then stays within the block).
#[cfg_attr(dpm_inline, inline(always))]
fn part<L: Lanes>(c: usize, n: usize) -> Range<usize> {
    let at = (c * L::N).min(n);
    at..at + (n - at).min(L::N)
}

/// Loads vector `c` of a block `n` wide from `row` (zeros past `n`).
#[cfg_attr(dpm_inline, inline(always))]
fn ld<L: Lanes>(row: &[L::Scalar], c: usize, n: usize) -> L {
    if n == NR * L::N {
        L::load(&row[c * L::N..])
    } else {
        L::load_part(&row[part::<L>(c, n)], L::Scalar::ZERO)
    }
}

/// Stores vector `c` of a block `n` wide into `row` (lanes `..n` only).
#[cfg_attr(dpm_inline, inline(always))]
fn st<L: Lanes>(v: L, row: &mut [L::Scalar], c: usize, n: usize) {
    if n == NR * L::N {
        v.store(&mut row[c * L::N..]);
    } else {
        v.store(&mut row[part::<L>(c, n)]);
    }
}

/// One step of a register block: `acc[r][v] += c(r) * v_v` for the rows
/// `r < m` of the block's `MR` (`$c` gives a row's coefficient; it is
/// broadcast). Written out row by row, each at a constant index: with a
/// loop over the rows, LLVM kept the block in memory and stored all of it
/// at every step (AVX2 has 16 registers: 12 accumulators, 2 loads and a
/// broadcast fill them). Rows from `m` on are dead code.
macro_rules! fma_rows {
    ($acc:ident, $m:ident, $c:expr, $v0:expr, $v1:expr) => {
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 0);
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 1);
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 2);
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 3);
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 4);
        fma_rows!(@row $acc, $m, $c, $v0, $v1, 5);
    };
    (@row $acc:ident, $m:ident, $c:expr, $v0:expr, $v1:expr, $r:literal) => {
        if $r < $m {
            let g = L::splat($c($r));
            $acc[$r][0] = g.mul_add($v0, $acc[$r][0]);
            $acc[$r][1] = g.mul_add($v1, $acc[$r][1]);
        }
    };
}

/// Rows `0..M` of a block, `stride` apart in `v` and `len` long (empty
/// from `M` to `MR`): written out, because `core::array::from_fn` here
/// was a call per block, 15% of the forward product's time on AVX2.
#[cfg_attr(dpm_inline, inline(always))]
fn block_rows<T, const M: usize>(v: &[T], stride: usize, len: usize) -> [&[T]; MR] {
    let row = |r: usize| {
        if r < M {
            &v[r * stride..r * stride + len]
        } else {
            &v[..0]
        }
    };
    [row(0), row(1), row(2), row(3), row(4), row(5)]
}

/// `M` rows of `S` (from `x`'s row 0 and `s`'s row 0, `d` and `cols`
/// wide) over one packed slice of `Y^T`.
#[cfg_attr(dpm_inline, inline(always))]
fn score_block<L: Lanes, const M: usize>(
    (x, s): (&[L::Scalar], &mut [L::Scalar]),
    d: usize,
    cols: usize,
    pack: &[L::Scalar],
    b: Blk,
) {
    let zero = L::splat(L::Scalar::ZERO);
    let w = NR * L::N;
    // `MR` rows whatever `M`, stepped by `fma_rows!`.
    let mut acc = [[zero; NR]; MR];
    if !b.first {
        for (r, a) in acc.iter_mut().enumerate().take(M) {
            for (c, v) in a.iter_mut().enumerate() {
                *v = ld::<L>(&s[r * cols + b.j0..], c, b.jn);
            }
        }
    }
    let kn = b.kn.min(pack.len() / w);
    let xs = block_rows::<_, M>(&x[b.k0..], d, kn);
    let at = |r: usize, k: usize| xs[r][k];
    for k in 0..kn {
        let p = &pack[k * w..(k + 1) * w];
        let (y0, y1) = (L::load(p), L::load(&p[L::N..]));
        fma_rows!(acc, M, |r| at(r, k), y0, y1);
    }
    for (r, a) in acc.iter().enumerate().take(M) {
        for (c, &v) in a.iter().enumerate() {
            st::<L>(v, &mut s[r * cols + b.j0..], c, b.jn);
        }
    }
}

struct Rows<'a, T> {
    c: Coef<'a, T>,
    src: &'a [T],
    ts: Range<usize>,
    d: usize,
    out: &'a mut [T],
}

/// Values of `t` per block of [`rows`].
const TC: usize = 64;
/// Values in the packed block of `src` of [`rows`]: `TC` rows of a group
/// of register blocks' columns (4 blocks of 16 `f32` with AVX2, 2 of 32
/// with AVX-512), 16 KiB in `f32`, so it stays in the first-level cache
/// while every block of output rows runs over it.
const PANEL: usize = 4096;

/// The packed block of `src`, aligned to a cache line so that no load of
/// a register block's row straddles two lines.
#[repr(C, align(64))]
struct Panel<T>([T; PANEL]);

impl<T: Real> Kernel<T> for Rows<'_, T> {
    type Output = ();

    /// Groups of feature columns, then blocks of `t`, then blocks of
    /// output rows, then the group's register blocks. An output element
    /// still gets its terms in `t` order: blocks of `t` are visited in
    /// order, and nothing else reorders them. The rows of `src` of a
    /// group and block of `t` are packed first, like the `B` panel of a
    /// GEMM: each register block reads its `kn x w` values as one aligned
    /// stream (in place, rows `d` apart from an address of any alignment,
    /// half the loads crossed a cache line). The coefficients are read in
    /// place (`Rows`, `Cols`), or summed into a buffer on the stack first
    /// (`Sym`: `TC x MR`, read as `Cols` with `ld = MR`).
    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) {
        let Rows { c, src, ts, d, out } = self;
        let n = out.len() / d;
        let w = NR * L::N;
        // Register blocks per group.
        let eg = PANEL / (TC * w);
        let mut buf = [T::ZERO; TC * MR];
        let mut panel = Panel([T::ZERO; PANEL]);
        for g0 in (0..d).step_by(eg * w) {
            let g1 = (g0 + eg * w).min(d);
            for k0 in (0..ts.len()).step_by(TC) {
                let kn = TC.min(ts.len() - k0);
                let src = &src[(ts.start + k0) * d..];
                for (e0, pack) in (g0..g1).step_by(w).zip(panel.0.chunks_exact_mut(TC * w)) {
                    let en = w.min(d - e0);
                    for (row, p) in src.chunks(d).zip(pack.chunks_exact_mut(w)).take(kn) {
                        p[..en].copy_from_slice(&row[e0..e0 + en]);
                        p[en..].fill(T::ZERO);
                    }
                }
                let mut o0 = 0;
                while o0 < n {
                    let m = MR.min(n - o0);
                    // The block's coefficients: rows `o0..o0 + m`, `k0..k0 + kn`.
                    let (cb, by_rows) = match c {
                        Coef::Rows(g, ld) => ((&g[o0 * ld + k0..], ld), true),
                        Coef::Cols(g, ld) => ((&g[k0 * ld + o0..], ld), false),
                        Coef::Sym(..) => {
                            for (k, cs) in buf.chunks_exact_mut(MR).take(kn).enumerate() {
                                for (r, v) in cs[..m].iter_mut().enumerate() {
                                    *v = c.at(o0 + r, k0 + k);
                                }
                            }
                            ((&buf[..], MR), false)
                        }
                    };
                    for (e0, pack) in (g0..g1).step_by(w).zip(panel.0.chunks_exact(TC * w)) {
                        let blk = RowBlk {
                            o0,
                            e0,
                            en: w.min(d - e0),
                            kn,
                        };
                        rows_block_of::<L>(m, by_rows, cb, pack, d, out, blk);
                    }
                    o0 += m;
                }
            }
        }
    }
}

/// [`rows_block`] for a block of `m` output rows (at most [`MR`]) whose
/// coefficients are laid out by rows or by columns.
#[cfg_attr(dpm_inline, inline(always))]
fn rows_block_of<L: Lanes>(
    m: usize,
    by_rows: bool,
    c: (&[L::Scalar], usize),
    pack: &[L::Scalar],
    d: usize,
    out: &mut [L::Scalar],
    b: RowBlk,
) {
    macro_rules! block {
        ($($m:literal)*) => {
            match (m, by_rows) {
                $(($m, true) => rows_block::<L, $m, true>(c, pack, d, out, b),
                  ($m, false) => rows_block::<L, $m, false>(c, pack, d, out, b),)*
                (_, true) => rows_block::<L, 1, true>(c, pack, d, out, b),
                (_, false) => rows_block::<L, 1, false>(c, pack, d, out, b),
            }
        };
    }
    block!(6 5 4 3 2);
}

/// Output rows `o0 ..`, feature columns `e0 .. e0 + en` and `kn` values of
/// `t` of a block.
#[derive(Clone, Copy)]
struct RowBlk {
    o0: usize,
    e0: usize,
    en: usize,
    kn: usize,
}

/// `M` output rows by `NR` vectors of features over `b.kn` values of `t`:
/// `g` the block's coefficients from its first row and `t`
/// (`c(r, k) = g[r stride + k]` if `BY_ROWS`, else `g[k stride + r]`),
/// `pack` the packed rows of `src` of the block's columns (`NR` vectors
/// per `t`, zero past `b.en`).
#[cfg_attr(dpm_inline, inline(always))]
fn rows_block<L: Lanes, const M: usize, const BY_ROWS: bool>(
    (g, stride): (&[L::Scalar], usize),
    pack: &[L::Scalar],
    d: usize,
    out: &mut [L::Scalar],
    b: RowBlk,
) {
    let zero = L::splat(L::Scalar::ZERO);
    // `MR` rows whatever `M`, stepped by `fma_rows!`.
    let mut acc = [[zero; NR]; MR];
    for (r, a) in acc.iter_mut().enumerate().take(M) {
        for (v, x) in a.iter_mut().enumerate() {
            *x = ld::<L>(&out[(b.o0 + r) * d + b.e0..], v, b.en);
        }
    }
    // Every `t`: `acc[r] += c_r src_t` (`$c(k)(r)` gives `c_r`).
    macro_rules! run {
        ($c:expr) => {
            for (k, row) in pack.chunks_exact(NR * L::N).take(b.kn).enumerate() {
                let (s0, s1) = (L::load(row), L::load(&row[L::N..]));
                let at = $c(k);
                fma_rows!(acc, M, at, s0, s1);
            }
        };
    }
    if BY_ROWS {
        let rows = block_rows::<_, M>(g, stride, b.kn);
        run!(|k: usize| move |r: usize| rows[r][k]);
    } else {
        // One bounds check per `t`: the row's `M` coefficients.
        run!(|k: usize| {
            let col = &g[k * stride..][..M];
            move |r: usize| col[r]
        });
    }
    for (r, a) in acc.iter().enumerate().take(M) {
        for (v, &x) in a.iter().enumerate() {
            st::<L>(x, &mut out[(b.o0 + r) * d + b.e0..], v, b.en);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::{Coef, Pack, Rows, Scores, axpy, dot, pack_len};
    use crate::lanes::dispatch::{Isa, on};
    use std::{vec, vec::Vec};

    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap
    )]
    /// Values with every exponent from 2^-20 to 2^20 and both signs, so
    /// that the order of the sums shows in the bits.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut v = seed | 1;
        (0..n)
            .map(|_| {
                v ^= v << 13;
                v ^= v >> 7;
                v ^= v << 17;
                let m = (v >> 40) as f32 / (1u64 << 24) as f32 + 0.5;
                let e = ((v >> 8) % 41) as i32 - 20;
                if v & 1 == 0 {
                    m * 2f32.powi(e)
                } else {
                    -m * 2f32.powi(e)
                }
            })
            .collect()
    }

    /// The baseline lanes' multiply-add is fused here: other bits than the
    /// plain loops' by design, so the bit-for-bit tests have nothing to check.
    const FUSED: bool = cfg!(any(target_feature = "fma", not(target_arch = "x86_64")));

    /// `(rows, cols, d)` of the products' tests: every shape of block,
    /// tail and depth, blocks of `t` past the first (`TC`); two under Miri.
    const SHAPES: &[(usize, usize, usize)] = if cfg!(miri) {
        &[(7, 19, 3), (2, 33, 65)]
    } else {
        &[
            (1, 1, 1),
            (7, 19, 3),
            (6, 16, 8),
            (13, 40, 17),
            (5, 33, 64),
            (9, 3, 129),
            (2, 35, 300),
            (70, 131, 33),
        ]
    };

    /// The register blocks on the baseline lanes give the plain loops'
    /// bits, for every shape of block, tail and depth, when the lanes'
    /// multiply-add is a product then a sum (the default x86-64 build,
    /// and Miri).
    #[test]
    fn blocks_on_the_baseline_lanes_are_the_plain_loops() {
        if FUSED {
            return;
        }
        for (k, &(rows, cols, d)) in SHAPES.iter().enumerate() {
            let x = values(rows * d, 3 + k as u64);
            let y = values(cols * d, 5 + k as u64);
            let mut s = vec![0.0_f32; rows * cols];
            on(
                Isa::Base,
                Scores {
                    x: &x,
                    y: &y,
                    packed: false,
                    rows,
                    cols,
                    d,
                    s: &mut s,
                },
            );
            let mut packed = vec![0.0_f32; pack_len(cols, d)];
            on(
                Isa::Base,
                Pack {
                    y: &y,
                    cols,
                    d,
                    out: &mut packed,
                },
            );
            let mut s2 = vec![0.0_f32; rows * cols];
            on(
                Isa::Base,
                Scores {
                    x: &x,
                    y: &packed,
                    packed: true,
                    rows,
                    cols,
                    d,
                    s: &mut s2,
                },
            );
            for i in 0..rows {
                for j in 0..cols {
                    let want = dot(&x[i * d..(i + 1) * d], &y[j * d..(j + 1) * d]).to_bits();
                    let at = i * cols + j;
                    assert_eq!(s[at].to_bits(), want, "S[{i}][{j}] of {rows}x{cols}x{d}");
                    assert_eq!(
                        s2[at].to_bits(),
                        want,
                        "packed S[{i}][{j}] of {rows}x{cols}x{d}"
                    );
                }
            }
        }
    }

    /// One case of [`rows_on_the_baseline_lanes_are_the_plain_loops`]:
    /// the kernel's coefficients, the same as a closure, the source rows,
    /// the range of `t` and the count of output rows.
    type RowsCase<'a> = (
        Coef<'a, f32>,
        &'a dyn Fn(usize, usize) -> f32,
        &'a [f32],
        core::ops::Range<usize>,
        usize,
    );

    /// [`Rows`] on the baseline lanes gives the plain loops' bits for
    /// each form of coefficients, blocks of `t` past the first (`TC`),
    /// ranges of `t` not starting at 0 and every tail, when the lanes'
    /// multiply-add is a product then a sum.
    #[test]
    fn rows_on_the_baseline_lanes_are_the_plain_loops() {
        if FUSED {
            return;
        }
        for (k, &(rows, cols, d)) in SHAPES.iter().enumerate() {
            let s = values(rows * cols, 11 + k as u64);
            let x = values(rows * d, 3 + k as u64);
            let y = values(cols * d, 5 + k as u64);
            // dY = S^T X over the rows 1.. (a panel that does not start at 0),
            // dX = S Y over the columns 2.., and the shared form on the
            // leading square of S: each onto a nonzero start.
            let (n, c0) = (rows.min(cols), 2.min(cols));
            let cases: [RowsCase<'_>; 3] = [
                (
                    Coef::Cols(&s[cols..], cols),
                    &|j, i| s[i * cols + j],
                    &x,
                    1..rows,
                    cols,
                ),
                (
                    Coef::Rows(&s[c0..], cols),
                    &|i, j| s[i * cols + j],
                    &y,
                    c0..cols,
                    rows,
                ),
                (
                    Coef::Sym(&s, cols),
                    &|k, j| s[k * cols + j] + s[j * cols + k],
                    &y,
                    0..n,
                    n,
                ),
            ];
            for (form, (c, want_c, src, ts, outs)) in cases.into_iter().enumerate() {
                let start = values(outs * d, 7 + k as u64);
                let mut out = start.clone();
                on(
                    Isa::Base,
                    Rows {
                        c,
                        src,
                        ts: ts.clone(),
                        d,
                        out: &mut out,
                    },
                );
                let mut want = start;
                for (o, row) in want.chunks_exact_mut(d).enumerate() {
                    for t in ts.clone() {
                        axpy(want_c(o, t), &src[t * d..(t + 1) * d], row);
                    }
                }
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&out),
                    bits(&want),
                    "rows form {form} of {rows}x{cols}x{d}"
                );
            }
        }
    }
}
