//! Softmax cross-entropy through a linear layer, averaged over a batch.

use super::{Linear, LinearGrad, softmax_ce::softmax_in_place};
use crate::check;
use crate::{Error, Real, sum::Sum};

/// Mean softmax cross-entropy of `N` samples through a linear layer, and
/// its gradient with respect to `W` and `b`.
///
/// `x` is `N x inputs` row-major (row `n` is sample `x_n`), `classes[n]`
/// its class `c_n`, `z_n = W x_n + b`, `p_n = softmax(z_n)`:
///
/// - returns `l = (1/N) sum_n -ln p_n[c_n]`;
/// - writes `dl/dw_i = (1/N) sum_n (p_n[i] - [i == c_n]) x_n` and
///   `dl/db_i = (1/N) sum_n (p_n[i] - [i == c_n])`.
///
/// `scratch` holds one sample's logits; it needs at least
/// [`scratch_len`](crate::scratch_len)`(Scratch::SoftmaxBatch { classes })` elements.
///
/// # Errors
///
/// [`Error::Empty`] (`classes` is empty: no mean),
/// [`Error::LengthMismatch`] (`x` not `N x inputs`, a gradient slice not
/// the layer's shape, `scratch` too short), [`Error::IdOutOfRange`] (a
/// class `>= layer.classes`), and [`Error::NonFinite`] or
/// [`Error::OutOfRange`] as
/// [`softmax_cross_entropy_linear`](super::softmax_cross_entropy_linear).
/// On `Err`, `grad` is untouched (`scratch` may have been written).
///
/// # Example
///
/// ```
/// use dpm_core::family::{
///     softmax_cross_entropy_linear,
///     softmax_cross_entropy_linear_batch, Linear, LinearGrad,
/// };
/// let layer = Linear { weight: &[0.5_f64, -1.0, 2.0, 0.25], bias: &[0.1, -0.1], classes: 2, inputs: 2 };
/// let x = [1.0, 2.0, -1.0, 0.5]; // two samples
/// let (mut dw, mut db) = ([0.0; 4], [0.0; 2]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::SoftmaxBatch { classes: 2 })];
/// let mean = softmax_cross_entropy_linear_batch(
///     layer, &x, &[1, 0], LinearGrad { weight: &mut dw, bias: &mut db }, &mut scratch,
/// )?;
/// // The mean of the two one-sample losses.
/// let (mut w1, mut b1) = ([0.0; 4], [0.0; 2]);
/// let l0 = softmax_cross_entropy_linear(layer, &x[..2], 1, LinearGrad { weight: &mut w1, bias: &mut b1 })?;
/// let l1 = softmax_cross_entropy_linear(layer, &x[2..], 0, LinearGrad { weight: &mut w1, bias: &mut b1 })?;
/// assert!((mean - (l0 + l1) / 2.0).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn softmax_cross_entropy_linear_batch<T: Real>(
    layer: Linear<'_, T>,
    x: &[T],
    classes: &[usize],
    grad: LinearGrad<'_, T>,
    scratch: &mut [T],
) -> Result<T, Error> {
    let n = classes.len();
    if n == 0 {
        return Err(Error::Empty { what: "classes" });
    }
    let d = layer.inputs;
    check::len("x", x.len(), check::cells("x", n, d)?)?;
    let LinearGrad {
        weight: dw,
        bias: db,
    } = grad;
    check::len("grad.weight", dw.len(), layer.weight.len())?;
    check::len("grad.bias", db.len(), layer.classes)?;
    let k = layer.classes;
    if scratch.len() < crate::scratch_len(crate::Scratch::SoftmaxBatch { classes: k }) {
        return Err(Error::LengthMismatch {
            what: "scratch",
            expected: crate::scratch_len(crate::Scratch::SoftmaxBatch { classes: k }),
            found: scratch.len(),
        });
    }
    for &c in classes {
        check::index("classes", c, k)?;
    }
    layer.check(check::max_abs("x", x)?)?;

    // ---- writes ----
    let z = &mut scratch[..k];
    dw.fill(T::ZERO);
    db.fill(T::ZERO);
    let n_t = T::from_usize(n);
    let inv_n = T::ONE / n_t;
    let mut loss = Sum::ZERO;
    for (idx, &c) in classes.iter().enumerate() {
        let xn = &x[idx * d..(idx + 1) * d];
        for (i, zi) in z.iter_mut().enumerate() {
            *zi = layer.logit(i, xn);
        }
        // One sample's loss is bounded by the checks, a sum of N of them
        // is not: divided by N first, the mean stays within that bound.
        loss.add(softmax_in_place(z, c) / n_t);
        for (i, &g) in z.iter().enumerate() {
            let g = g * inv_n;
            db[i] += g;
            for (o, &v) in dw[i * d..(i + 1) * d].iter_mut().zip(xn) {
                *o += g * v;
            }
        }
    }
    Ok(loss.value())
}
