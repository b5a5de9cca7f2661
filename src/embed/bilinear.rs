//! The bilinear score `S = X Y^T` and its backward pass (SPEC section 6):
//! `dL/dX = G Y`, `dL/dY = G^T X` for `G = dL/dS`, and the shared-vector
//! form where one set of vectors plays both roles.

use super::products::{self, Coef};
use crate::{Error, Real, check};

/// `n a b`, or 0 when a factor is 0 (so `0 * inf` never reaches a guard).
fn bound<T: Real>(n: usize, a: T, b: T) -> T {
    if n == 0 || a == T::ZERO || b == T::ZERO {
        T::ZERO
    } else {
        T::from_usize(n) * a * b
    }
}

/// `S = X Y^T` without checks (`x`: `rows x dim`, `y`: `cols x dim`).
pub(crate) fn forward_raw<T: Real>(x: &[T], y: &[T], cols: usize, dim: usize, s: &mut [T]) {
    products::scores(x, y, cols, dim, s);
}

/// `dX = G Y`, `dY = G^T X` without checks (`g`: `rows x cols`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward_raw<T: Real>(
    g: &[T],
    x: &[T],
    y: &[T],
    rows: usize,
    cols: usize,
    dim: usize,
    dx: &mut [T],
    dy: &mut [T],
) {
    dx.fill(T::ZERO);
    dy.fill(T::ZERO);
    products::rows(Coef::Rows(g, cols), y, 0..cols, dim, dx);
    products::rows(Coef::Cols(g, cols), x, 0..rows, dim, dy);
}

/// The scores `S = X Y^T`: `S[i][j] = x_i . y_j` (register-blocked SIMD
/// products on the lanes of this CPU, fused multiply-adds where it has
/// them).
///
/// `x` is `rows x dim`, `y` is `cols x dim`, `s` is `rows x cols`, all
/// row-major. Higher scores are more compatible (SPEC section 1).
///
/// # Errors
///
/// [`Error::LengthMismatch`] (a slice not of its shape),
/// [`Error::NonFinite`] (`x`, `y`), [`Error::OutOfRange`]
/// (`dim max|X| max|Y| > MAX / 64`, which could overflow a score). On
/// `Err`, `s` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::scores_forward;
/// let mut s = [0.0_f32; 2];
/// scores_forward(&[1.0, 2.0], &[3.0, 4.0, -1.0, 0.5], 1, 2, 2, &mut s)?;
/// assert_eq!(s, [11.0, 0.0]);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn scores_forward<T: Real>(
    x: &[T],
    y: &[T],
    rows: usize,
    cols: usize,
    dim: usize,
    s: &mut [T],
) -> Result<(), Error> {
    check::len("x", x.len(), check::cells("x", rows, dim)?)?;
    check::len("y", y.len(), check::cells("y", cols, dim)?)?;
    check::len("s", s.len(), check::cells("s", rows, cols)?)?;
    let (mx, my) = (check::max_abs("x", x)?, check::max_abs("y", y)?);
    check::guard("scores", bound(dim, mx, my))?;
    forward_raw(x, y, cols, dim, s);
    Ok(())
}

/// Backward pass of `S = X Y^T`: from `G = dL/dS` writes `dx = G Y` and
/// `dy = G^T X`.
///
/// `g` is `rows x cols`, `x` and `dx` are `rows x dim`, `y` and `dy` are
/// `cols x dim`, all row-major: `dx_i = sum_j G[i][j] y_j`,
/// `dy_j = sum_i G[i][j] x_i` (SIMD axpy rows).
///
/// # Errors
///
/// [`Error::LengthMismatch`] (a slice not of its shape),
/// [`Error::NonFinite`] (`g`, `x`, `y`), [`Error::OutOfRange`]
/// (`cols max|G| max|Y|` or `rows max|G| max|X|` above `MAX / 64`). On
/// `Err`, `dx` and `dy` are untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::scores_backward;
/// let g = [1.0_f64, -1.0]; // 1 x 2
/// let (x, y) = ([2.0, 0.0], [1.0, 1.0, 0.0, 3.0]);
/// let (mut dx, mut dy) = ([0.0; 2], [0.0; 4]);
/// scores_backward(&g, &x, &y, 1, 2, 2, &mut dx, &mut dy)?;
/// assert_eq!(dx, [1.0, -2.0]); // y_0 - y_1
/// assert_eq!(dy, [2.0, 0.0, -2.0, 0.0]); // (x, -x)
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn scores_backward<T: Real>(
    g: &[T],
    x: &[T],
    y: &[T],
    rows: usize,
    cols: usize,
    dim: usize,
    dx: &mut [T],
    dy: &mut [T],
) -> Result<(), Error> {
    let (xc, yc) = (check::cells("x", rows, dim)?, check::cells("y", cols, dim)?);
    check::len("g", g.len(), check::cells("g", rows, cols)?)?;
    check::len("x", x.len(), xc)?;
    check::len("y", y.len(), yc)?;
    check::len("dx", dx.len(), xc)?;
    check::len("dy", dy.len(), yc)?;
    let mg = check::max_abs("g", g)?;
    let (mx, my) = (check::max_abs("x", x)?, check::max_abs("y", y)?);
    check::guard("dx", bound(cols, mg, my))?;
    check::guard("dy", bound(rows, mg, mx))?;
    backward_raw(g, x, y, rows, cols, dim, dx, dy);
    Ok(())
}

/// Backward pass when one set of vectors plays both roles: for
/// `L = sum_i sum_j c[i][j] phi_i . phi_j` (or any `L` with
/// `dL/dS = c`, `S = Phi Phi^T`), writes
/// `dphi_k = sum_j c[k][j] phi_j + sum_i c[i][k] phi_i`.
///
/// `c` is `n x n`, `phi` and `dphi` are `n x dim`, row-major. Both roles
/// are collected: this is `(C + C^T) Phi`, not `C Phi`.
///
/// # Errors
///
/// [`Error::LengthMismatch`] (a slice not of its shape),
/// [`Error::NonFinite`] (`c`, `phi`), [`Error::OutOfRange`]
/// (`max|c|` or `2 n max|c| max|phi|` above `MAX / 64`). On `Err`, `dphi`
/// is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::embed::shared_backward;
/// // L = phi_0 . phi_1: the gradient of phi_0 is phi_1 and the reverse.
/// let c = [0.0_f32, 1.0, 0.0, 0.0];
/// let phi = [1.0, 2.0, 3.0, 4.0];
/// let mut dphi = [0.0; 4];
/// shared_backward(&c, &phi, 2, 2, &mut dphi)?;
/// assert_eq!(dphi, [3.0, 4.0, 1.0, 2.0]);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn shared_backward<T: Real>(
    c: &[T],
    phi: &[T],
    n: usize,
    dim: usize,
    dphi: &mut [T],
) -> Result<(), Error> {
    check::len("c", c.len(), check::cells("c", n, n)?)?;
    let cells = check::cells("phi", n, dim)?;
    check::len("phi", phi.len(), cells)?;
    check::len("dphi", dphi.len(), cells)?;
    let mc = check::max_abs("c", c)?;
    check::guard("c", mc)?;
    let mp = check::max_abs("phi", phi)?;
    check::guard("dphi", bound(2 * n, mc, mp))?;

    // ---- writes ----
    dphi.fill(T::ZERO);
    products::rows(Coef::Sym(c, n), phi, 0..n, dim, dphi);
    Ok(())
}
