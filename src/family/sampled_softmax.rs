//! Sampled softmax with importance correction (SPEC section 5).

use super::{Linear, softmax_ce::shifted_nll};
use crate::check;
use crate::{Error, Real};

/// The value of a sampled softmax and its derivative with respect to the
/// positive logit.
///
/// # Example
///
/// ```
/// use dpm_core::family::sampled_softmax;
/// // One negative equal to the positive, drawn with q = 1: D = 2 exp(z_c).
/// let out = sampled_softmax(0.5_f64, &[0.5], &[1.0], &mut [0.0])?;
/// assert!((out.loss - 2.0_f64.ln()).abs() < 1e-15);
/// assert!((out.d_positive + 0.5).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampledSoftmax<T> {
    /// `l = -ln(exp(z_c) / D)`.
    pub loss: T,
    /// `dl/dz_c = exp(z_c) / D - 1`.
    pub d_positive: T,
}

/// Sampled softmax loss of a positive logit `z_c` against `K` sampled
/// negative logits `z_j`, drawn with proposal probabilities `q_j`.
///
/// `D = exp(z_c) + (1/K) sum_j exp(z_j) / q_j`, `l = -ln(exp(z_c) / D)`;
/// returns `l` and `dl/dz_c = exp(z_c)/D - 1`, and writes
/// `d_negatives[j] = dl/dz_j = exp(z_j) / (K q_j D)`.
///
/// Evaluated in the log domain: the negatives' logits shifted by
/// `-ln(K q_j)` and by `-z_c` go through the crate's log-sum-exp, so no
/// finite input overflows; `dl/dz_c` is `-(sum_j dl/dz_j)`, computed as
/// one `exp` without cancellation. Range: `l >= 0`, `dl/dz_c` in `[-1, 0]`,
/// `dl/dz_j` in `[0, 1]`.
///
/// # Errors
///
/// [`Error::Empty`] (no negatives: `1/K` is undefined),
/// [`Error::LengthMismatch`] (`q` or `d_negatives` not of length `K`),
/// [`Error::NonFinite`] (`positive`, `negatives`, or a NaN or infinite
/// `q`), [`Error::InvalidParameter`] (`what: "q"`: a finite `q_j <= 0` or
/// `> 1`), [`Error::OutOfRange`] (a `|z|` above `MAX / 64`). On `Err`,
/// `d_negatives` is untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::sampled_softmax;
/// let (zc, z, q) = (1.0_f64, [0.5, -0.5], [0.25, 0.5]);
/// let mut dz = [0.0; 2];
/// let out = sampled_softmax(zc, &z, &q, &mut dz)?;
/// let d = zc.exp() + (z[0].exp() / q[0] + z[1].exp() / q[1]) / 2.0;
/// assert!((out.loss + (zc.exp() / d).ln()).abs() < 1e-15);
/// assert!((dz[0] - z[0].exp() / (2.0 * q[0] * d)).abs() < 1e-15);
/// assert!((out.d_positive + dz[0] + dz[1]).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn sampled_softmax<T: Real>(
    positive: T,
    negatives: &[T],
    q: &[T],
    d_negatives: &mut [T],
) -> Result<SampledSoftmax<T>, Error> {
    check_samples("negatives", negatives.len(), q)?;
    check::len("d_negatives", d_negatives.len(), negatives.len())?;
    check::finite("positive", positive)?;
    check::guard("positive", positive.abs())?;
    check::guard("negatives", check::max_abs("negatives", negatives)?)?;

    // ---- writes ----
    d_negatives.copy_from_slice(negatives);
    Ok(sampled_in_place(positive, d_negatives, q))
}

/// Sampled softmax through a linear layer `z = W x + b`: positive class
/// `class`, sampled negative classes `samples[j]` with proposal
/// probabilities `q[j]`.
///
/// Returns `l` as [`sampled_softmax`] and writes only the rows the loss
/// touches, for the caller to scatter-add:
///
/// - `d_logits` (length `K + 1`): `[dl/dz_c, dl/dz_1, ..., dl/dz_K]`,
///   which is also `dl/db` of those rows;
/// - `d_rows` (`(K + 1) x inputs`, row-major): row 0 is `dl/dz_c x`, the
///   gradient of `w_class`, and row `1 + j` is `dl/dz_j x`, the gradient of
///   `w_{samples[j]}` through this draw. Both multiply `x`: for a negative
///   it is `dl/dz_j x`, not `1 x` (SPEC section 5 corrects a seed).
///
/// A class drawn twice, or drawn equal to `class`, is a separate term:
/// scatter-adding the rows gives the exact gradient of `W`.
///
/// # Errors
///
/// As [`sampled_softmax`] (`samples` is empty: [`Error::Empty`]), plus
/// [`Error::LengthMismatch`] (`x`, `d_logits`, `d_rows`, or the layer's
/// slices), [`Error::IdOutOfRange`] (`class` or a sample `>= classes`), and
/// [`Error::NonFinite`] / [`Error::OutOfRange`] for the layer as
/// [`softmax_cross_entropy_linear`](super::softmax_cross_entropy_linear).
/// On `Err`, `d_rows` and `d_logits` are untouched.
///
/// # Example
///
/// ```
/// use dpm_core::family::{sampled_softmax, sampled_softmax_linear, Linear};
/// let w = [1.0_f64, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 classes x 2 inputs
/// let layer = Linear { weight: &w, bias: &[0.0; 3], classes: 3, inputs: 2 };
/// let x = [0.5, -1.0];
/// let (mut rows, mut dz) = ([0.0; 6], [0.0; 3]);
/// let l = sampled_softmax_linear(layer, &x, 0, &[1, 2], &[0.5, 0.5], &mut rows, &mut dz)?;
/// // The logits are (0.5, -1.0, -0.5): the same as the plain form.
/// let mut dn = [0.0; 2];
/// let plain = sampled_softmax(0.5, &[-1.0, -0.5], &[0.5, 0.5], &mut dn)?;
/// assert_eq!(l, plain.loss);
/// assert_eq!(rows[2..4], [dn[0] * x[0], dn[0] * x[1]]); // dl/dz_j x
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn sampled_softmax_linear<T: Real>(
    layer: Linear<'_, T>,
    x: &[T],
    class: usize,
    samples: &[usize],
    q: &[T],
    d_rows: &mut [T],
    d_logits: &mut [T],
) -> Result<T, Error> {
    let k = samples.len();
    check_samples("samples", k, q)?;
    let d = layer.inputs;
    check::len("x", x.len(), d)?;
    check::len("d_logits", d_logits.len(), k + 1)?;
    check::len("d_rows", d_rows.len(), check::cells("d_rows", k + 1, d)?)?;
    check::index("class", class, layer.classes)?;
    for &s in samples {
        check::index("samples", s, layer.classes)?;
    }
    layer.check(check::max_abs("x", x)?)?;

    // ---- writes: the logits go through d_logits ----
    let (first, rest) = d_logits.split_at_mut(1);
    for (z, &s) in rest.iter_mut().zip(samples) {
        *z = layer.logit(s, x);
    }
    let out = sampled_in_place(layer.logit(class, x), rest, q);
    first[0] = out.d_positive;
    for (j, &g) in d_logits.iter().enumerate() {
        for (o, &v) in d_rows[j * d..(j + 1) * d].iter_mut().zip(x) {
            *o = g * v;
        }
    }
    Ok(out.loss)
}

/// `K >= 1` and every `q_j` in `(0, 1]`.
fn check_samples<T: Real>(what: &'static str, k: usize, q: &[T]) -> Result<(), Error> {
    if k == 0 {
        return Err(Error::Empty { what });
    }
    check::len("q", q.len(), k)?;
    check::max_abs("q", q)?;
    if q.iter().any(|&v| !(v > T::ZERO && v <= T::ONE)) {
        return Err(Error::InvalidParameter { what: "q" });
    }
    Ok(())
}

/// Replaces the negatives' logits `z` by `dl/dz_j`; returns the loss and
/// `dl/dz_c`.
fn sampled_in_place<T: Real>(zc: T, z: &mut [T], q: &[T]) -> SampledSoftmax<T> {
    let ln_k = T::from_usize(z.len()).ln();
    let shift = move |zj: T, qj: T| zj - zc - ln_k - qj.ln();
    let rest = z.iter().zip(q).map(|(&zj, &qj)| shift(zj, qj));
    let sh = shifted_nll(rest);
    for (zj, &qj) in z.iter_mut().zip(q) {
        *zj = sh.p(shift(*zj, qj));
    }
    SampledSoftmax {
        loss: sh.loss,
        d_positive: -sh.others_mass(),
    }
}
