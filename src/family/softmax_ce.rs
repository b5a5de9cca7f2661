//! Softmax cross-entropy over logits, and through a linear layer (SPEC
//! section 5).

use super::{Linear, LinearGrad};
use crate::check;
use crate::{
    Error, Real,
    lse::{log_add_exp, lse_of},
};

/// The softmax negative log-likelihood of a target against the other
/// classes, from their shifted logits `d_k = z_k - z_c`:
/// `loss = ln(1 + sum_k exp(d_k))`, with the probabilities it implies.
///
/// Everything is also held relative to `max_k d_k`, so that `p_k` keeps its
/// digits when `d_k` and the loss are both huge (a target far below the
/// best class): `p_k = exp((d_k - max) - (loss - max))`, and `loss - max`
/// is formed as `logaddexp(-max, ln sum exp(d - max))`, never as a
/// difference of two huge numbers.
pub(crate) struct Shifted<T> {
    /// `ln(1 + sum_k exp(d_k))`.
    pub loss: T,
    max: T,
    /// `loss - max`.
    rel: T,
    /// `ln sum_k exp(d_k)`.
    r: T,
}

impl<T: Real> Shifted<T> {
    /// `p_k = exp(d_k - loss)` of another class with shifted logit `d`.
    pub(crate) fn p(&self, d: T) -> T {
        ((d - self.max) - self.rel).exp()
    }

    /// `1 - p_c = exp(r - loss) = exp(-ln(1 + exp(-r)))`.
    pub(crate) fn others_mass(&self) -> T {
        (-log_add_exp(T::ZERO, -self.r)).exp()
    }
}

/// See [`Shifted`]; `rest` yields the `d_k` of the other classes.
pub(crate) fn shifted_nll<T: Real, I: Iterator<Item = T> + Clone>(rest: I) -> Shifted<T> {
    let max = rest.clone().fold(T::NEG_INFINITY, T::max);
    if max == T::NEG_INFINITY {
        // No other class: p_c = 1.
        return Shifted {
            loss: T::ZERO,
            max,
            rel: T::ZERO,
            r: max,
        };
    }
    let ls = lse_of(rest.map(|d| d - max));
    let r = max + ls;
    Shifted {
        loss: log_add_exp(T::ZERO, r),
        max,
        rel: log_add_exp(-max, ls),
        r,
    }
}

/// Softmax cross-entropy of logits `z` with target class `c`.
///
/// `l = -ln p_c = ln sum_k exp(z_k) - z_c`, `p = softmax(z)`, and writes
/// `dlogits[k] = dl/dz_k = p_k - [k == c]` (SPEC section 5).
///
/// Range: `l >= 0`; `dlogits` in `[-1, 1]`, summing to 0. Evaluated in
/// the shifted form `ln(1 + sum_{k != c} exp(z_k - z_c))`: no finite input
/// overflows.
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`dlogits` not the length of `logits`),
/// [`Error::IdOutOfRange`] (`class >= logits.len()`),
/// [`Error::NonFinite`] (`logits`), [`Error::OutOfRange`] (a `|z|` above
/// `MAX / 64`). On `Err`, `dlogits` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::softmax_cross_entropy;
/// let mut dz = [0.0_f64; 3];
/// let l = softmax_cross_entropy(&[2.0, 0.0, 0.0], 0, &mut dz)?;
/// let p0 = 2.0_f64.exp() / (2.0_f64.exp() + 2.0);
/// assert!((l + p0.ln()).abs() < 1e-15);
/// assert!((dz[0] - (p0 - 1.0)).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn softmax_cross_entropy<T: Real>(
    logits: &[T],
    class: usize,
    dlogits: &mut [T],
) -> Result<T, Error> {
    check::len("dlogits", dlogits.len(), logits.len())?;
    check::index("class", class, logits.len())?;
    check::guard("logits", check::max_abs("logits", logits)?)?;
    dlogits.copy_from_slice(logits);
    Ok(softmax_in_place(dlogits, class))
}

/// Softmax cross-entropy through a linear layer, one sample: logits
/// `z = W x + b`, class `c`.
///
/// Returns `l = -ln softmax(z)_c`; writes `dl/db_i = p_i - [i == c]` and
/// `dl/dw_i = (p_i - [i == c]) x` (row `i` of `dl/dW`; `+p_i x` for
/// `i != c`, SPEC section 5 corrects a seed's sign).
///
/// # Errors
///
/// [`Error::LengthMismatch`] (`weight`, `bias`, `x`, or a gradient slice
/// not the layer's shape), [`Error::IdOutOfRange`] (`class >= classes`),
/// [`Error::NonFinite`] (`weight`, `bias`, `x`), [`Error::OutOfRange`]
/// (`inputs * max|W| * max|x| + max|b| > MAX / 64`, which could overflow a
/// logit). On `Err`, `grad` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::{softmax_cross_entropy_linear, Linear, LinearGrad};
/// let layer = Linear { weight: &[1.0_f64, 0.0, 0.0, 1.0], bias: &[0.0, 0.0], classes: 2, inputs: 2 };
/// let (mut dw, mut db) = ([0.0; 4], [0.0; 2]);
/// let x = [1.0, 3.0];
/// let l = softmax_cross_entropy_linear(layer, &x, 0, LinearGrad { weight: &mut dw, bias: &mut db })?;
/// let p1 = 1.0 / (1.0 + (-2.0_f64).exp()); // z = (1, 3)
/// assert!((l + (1.0 - p1).ln()).abs() < 1e-14);
/// assert!((dw[2] - p1 * x[0]).abs() < 1e-15); // +p_1 x for the wrong class
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn softmax_cross_entropy_linear<T: Real>(
    layer: Linear<'_, T>,
    x: &[T],
    class: usize,
    grad: LinearGrad<'_, T>,
) -> Result<T, Error> {
    check::len("x", x.len(), layer.inputs)?;
    let LinearGrad {
        weight: dw,
        bias: db,
    } = grad;
    check::len("grad.weight", dw.len(), layer.weight.len())?;
    check::len("grad.bias", db.len(), layer.classes)?;
    check::index("class", class, layer.classes)?;
    layer.check(check::max_abs("x", x)?)?;

    // ---- writes: the logits go through db ----
    for (i, z) in db.iter_mut().enumerate() {
        *z = layer.logit(i, x);
    }
    let l = softmax_in_place(db, class);
    let d = layer.inputs;
    for (i, &g) in db.iter().enumerate() {
        for (o, &v) in dw[i * d..(i + 1) * d].iter_mut().zip(x) {
            *o = g * v;
        }
    }
    Ok(l)
}

/// Replaces logits `z` by `p - onehot(c)` and returns the loss.
pub(crate) fn softmax_in_place<T: Real>(z: &mut [T], c: usize) -> T {
    let zc = z[c];
    let rest = z
        .iter()
        .enumerate()
        .filter(move |&(k, _)| k != c)
        .map(move |(_, &zk)| zk - zc);
    let sh = shifted_nll(rest);
    for (k, zk) in z.iter_mut().enumerate() {
        *zk = if k == c {
            -sh.others_mass()
        } else {
            sh.p(*zk - zc)
        };
    }
    sh.loss
}
