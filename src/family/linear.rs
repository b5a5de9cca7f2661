//! A linear layer `z = W x + b` whose logits feed a softmax loss.

use crate::check;
use crate::{Error, Real, sum::Sum};

/// A linear layer `z = W x + b`: `weight` is `W`, `classes x inputs`
/// row-major (row `i` is `w_i`), `bias` is `b` (length `classes`).
///
/// Borrowed, never copied: the losses of this module read it in place.
///
/// # Example
///
/// ```
/// use dpm_core::family::Linear;
/// let w = [1.0_f32, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 classes x 2 inputs
/// let layer = Linear { weight: &w, bias: &[0.0; 3], classes: 3, inputs: 2 };
/// assert_eq!(layer.weight.len(), layer.classes * layer.inputs);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Linear<'a, T> {
    /// `W`, `classes x inputs` row-major.
    pub weight: &'a [T],
    /// `b`, length `classes`.
    pub bias: &'a [T],
    /// Rows of `W`: the number of classes `K`.
    pub classes: usize,
    /// Columns of `W`: the input dimension `D`.
    pub inputs: usize,
}

/// Where a loss through a [`Linear`] layer writes its parameter gradients.
///
/// # Example
///
/// ```
/// use dpm_core::family::LinearGrad;
/// let (mut dw, mut db) = ([0.0_f64; 6], [0.0_f64; 3]);
/// let grad = LinearGrad { weight: &mut dw, bias: &mut db };
/// assert_eq!(grad.bias.len(), 3);
/// ```
#[derive(Debug)]
pub struct LinearGrad<'o, T> {
    /// `dl/dW`, the shape of `W` (overwritten).
    pub weight: &'o mut [T],
    /// `dl/db`, the shape of `b` (overwritten).
    pub bias: &'o mut [T],
}

impl<T: Real> Linear<'_, T> {
    /// Checks the layer's shapes and values and that every logit of an
    /// input with `max |x| = x_max` stays finite:
    /// `inputs * max|W| * x_max + max|b| <= MAX / 64`.
    pub(crate) fn check(&self, x_max: T) -> Result<(), Error> {
        let cells = check::cells("weight", self.classes, self.inputs)?;
        check::len("weight", self.weight.len(), cells)?;
        check::len("bias", self.bias.len(), self.classes)?;
        let w_max = check::max_abs("weight", self.weight)?;
        let b_max = check::max_abs("bias", self.bias)?;
        let bound = T::from_usize(self.inputs) * w_max * x_max + b_max;
        check::guard("logits", bound)
    }

    /// `z_i = w_i . x + b_i` (compensated sum); `x` has length `inputs`.
    pub(crate) fn logit(&self, class: usize, x: &[T]) -> T {
        let row = &self.weight[class * self.inputs..(class + 1) * self.inputs];
        let mut s = Sum::ZERO;
        for (&w, &v) in row.iter().zip(x) {
            s.add(w * v);
        }
        s.add(self.bias[class]);
        s.value()
    }
}
