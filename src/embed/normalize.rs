//! L2 normalisation of the rows of a matrix, forward and backward (SPEC
//! section 6): `x = v / |v|`, `dL/dv = (dL/dx - (x . dL/dx) x) / |v|`.

use crate::Real;
use crate::{Error, check, sum::Sum};

/// `(m, r)` with `m = max_k |v_k|` and `r = sqrt(sum_k (v_k / m)^2)`, so
/// `|v| = m r` and `r` in `[1, sqrt(d)]`: no square overflows or
/// underflows. `m = 0` for a zero row.
pub(crate) fn scale<T: Real>(v: &[T]) -> (T, T) {
    let m = v.iter().fold(T::ZERO, |a, &b| a.max(b.abs()));
    if m == T::ZERO {
        return (m, T::ZERO);
    }
    let mut s = Sum::ZERO;
    for &vk in v {
        let t = vk / m;
        s.add(t * t);
    }
    (m, s.value().sqrt())
}

/// Checks that every row can be normalised (finite, not zero, `|v|`
/// finite: `m d <= MAX / 64`) and, when `g_max` is given, that a backward
/// pass with `|dL/dx| <= g_max` stays finite: `g_max (1 + d) / |v| <=
/// MAX / 64`.
pub(crate) fn check_rows<T: Real>(
    what: &'static str,
    v: &[T],
    dim: usize,
    g_max: Option<T>,
) -> Result<(), Error> {
    check::max_abs(what, v)?;
    let rows = v.len().checked_div(dim).unwrap_or(0);
    let d = T::from_usize(dim);
    for row in 0..rows {
        let (m, r) = scale(&v[row * dim..(row + 1) * dim]);
        if m == T::ZERO {
            return Err(Error::ZeroNorm { what, row });
        }
        check::guard(what, m * d)?;
        if let Some(g) = g_max {
            check::guard("dv", (g / m / r) * (T::ONE + d))?;
        }
    }
    Ok(())
}

/// Writes `x = v / |v|` for one row (as `(v / m) / r`).
pub(crate) fn row_forward<T: Real>(v: &[T], x: &mut [T]) -> T {
    let (m, r) = scale(v);
    for (o, &vk) in x.iter_mut().zip(v) {
        *o = (vk / m) / r;
    }
    m * r
}

/// Replaces `g = dL/dx` by `dL/dv = (g - (x . g) x) / |v|` for one row,
/// with `x` recomputed from `v`.
///
/// `x . g` can pass `MAX` where `g` comes near it (`|x . g| <= sqrt(d)
/// max|g|`) although `dL/dv` is small (its rows are long): then `g` is
/// taken `2^-k` times for the sum and the difference, `2^k >= 2 d`, and
/// the result scaled back (powers of two: exact, but for parts of `g`
/// below `2^k MIN_POSITIVE`). Otherwise nothing is scaled.
pub(crate) fn row_backward<T: Real>(v: &[T], g: &mut [T]) {
    let (m, r) = scale(v);
    let x = |vk: T| (vk / m) / r;
    let g_max = g.iter().fold(T::ZERO, |a, &b| a.max(b.abs()));
    let n = T::from_usize(g.len());
    let (down, up) = if g_max * n < T::MAX {
        (T::ONE, T::ONE)
    } else {
        let (_, k) = (n + n).frexp(); // 2 d <= 2^k
        (T::ONE.scalbn(-k), T::ONE.scalbn(k))
    };
    let mut t = Sum::ZERO;
    for (&vk, &gk) in v.iter().zip(g.iter()) {
        t.add(x(vk) * (gk * down));
    }
    let t = t.value();
    for (gk, &vk) in g.iter_mut().zip(v) {
        *gk = (((*gk * down - t * x(vk)) / r) / m) * up;
    }
}

/// L2-normalises each row of `v` (`rows x dim`, row-major): writes
/// `x_i = v_i / |v_i|` and `norms[i] = |v_i|`.
///
/// Computed as `(v / m) / sqrt(sum (v / m)^2)` with `m = max |v_k|`: no
/// square overflows or underflows, subnormal rows included. Range: each
/// row of `x` has norm 1 to within a few `eps`.
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`v` or `x` not `rows x dim`, `norms` not
/// `rows`), [`Error::NonFinite`] (`v`), [`Error::ZeroNorm`] (a zero row:
/// `v / |v|` has no value; every row when `dim = 0`),
/// [`Error::OutOfRange`] (`max |v_k| * dim > MAX / 64`). On `Err`, `x` and
/// `norms` are untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::l2_normalize;
/// let (mut x, mut n) = ([0.0_f32; 4], [0.0_f32; 2]);
/// l2_normalize(&[3.0, 4.0, 0.0, -2.0], 2, 2, &mut x, &mut n)?;
/// assert_eq!((x, n), ([0.6, 0.8, 0.0, -1.0], [5.0, 2.0]));
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn l2_normalize<T: Real>(
    v: &[T],
    rows: usize,
    dim: usize,
    x: &mut [T],
    norms: &mut [T],
) -> Result<(), Error> {
    let cells = check::cells("v", rows, dim)?;
    check::len("v", v.len(), cells)?;
    check::len("x", x.len(), cells)?;
    check::len("norms", norms.len(), rows)?;
    if dim == 0 && rows > 0 {
        return Err(Error::ZeroNorm { what: "v", row: 0 });
    }
    check_rows("v", v, dim, None)?;

    // ---- writes ----
    for (i, n) in norms.iter_mut().enumerate() {
        let span = i * dim..(i + 1) * dim;
        *n = row_forward(&v[span.clone()], &mut x[span]);
    }
    Ok(())
}

/// Backward pass of [`l2_normalize`]: from `dx = dL/dx` writes
/// `dv_i = (dx_i - (x_i . dx_i) x_i) / |v_i|`, `x_i = v_i / |v_i|`, for
/// each row (`rows x dim`, row-major), with `x` recomputed from `v`.
///
/// `dv_i` is orthogonal to `x_i` (a scaling of `v` does not move `x`).
///
/// # Errors
///
/// As [`l2_normalize`] for `v` (and `dx`, `dv` not `rows x dim`), plus
/// [`Error::NonFinite`] (`dx`) and [`Error::OutOfRange`] (`what: "dv"`:
/// `max |dx| (1 + dim) / |v_i| > MAX / 64`, which could overflow). On
/// `Err`, `dv` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::l2_normalize_backward;
/// let mut dv = [0.0_f64; 2];
/// // v = (3, 4), |v| = 5, x = (0.6, 0.8); dL/dx along x gives 0.
/// l2_normalize_backward(&[3.0, 4.0], &[0.6, 0.8], 1, 2, &mut dv)?;
/// assert!(dv.iter().all(|g| g.abs() < 1e-16));
/// l2_normalize_backward(&[3.0, 4.0], &[1.0, 0.0], 1, 2, &mut dv)?;
/// assert!((dv[0] - 0.64 / 5.0).abs() < 1e-16 && (dv[1] + 0.48 / 5.0).abs() < 1e-16);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn l2_normalize_backward<T: Real>(
    v: &[T],
    dx: &[T],
    rows: usize,
    dim: usize,
    dv: &mut [T],
) -> Result<(), Error> {
    let cells = check::cells("v", rows, dim)?;
    check::len("v", v.len(), cells)?;
    check::len("dx", dx.len(), cells)?;
    check::len("dv", dv.len(), cells)?;
    if dim == 0 && rows > 0 {
        return Err(Error::ZeroNorm { what: "v", row: 0 });
    }
    let g_max = check::max_abs("dx", dx)?;
    check_rows("v", v, dim, Some(g_max))?;

    // ---- writes ----
    dv.copy_from_slice(dx);
    for i in 0..rows {
        let span = i * dim..(i + 1) * dim;
        row_backward(&v[span.clone()], &mut dv[span]);
    }
    Ok(())
}
