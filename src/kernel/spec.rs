//! A direction as the kernels see it: which loss, its parameters, the
//! population size and its weight in the total.

use crate::{FirstVisit, Offset};

/// Which loss a direction computes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind<T> {
    /// DPM / NUCLR; `h`: compute the zeta gradient.
    Dpm { offset: Offset<T>, h: bool },
    /// SogCLR / GCL: zeta = 0, `log_off = -inf`.
    SogClr,
    /// InfoNCE / CLIP: no state; the positive's own mass (`a = 0`) is the
    /// offset, so the weights are the softmax over all columns.
    InfoNce,
}

/// Everything that is fixed for a direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec<T> {
    pub kind: Kind<T>,
    pub tau: T,
    pub gamma: T,
    pub first_visit: FirstVisit,
    /// Population size of the candidates (only DPM reads it).
    pub n: usize,
    /// Weight of this direction in the total (InfoNCE bimodal: 1/2).
    pub weight: T,
    /// `R` of SPEC section 2's `1 / R` (in `dS`, the loss and `h`) when the
    /// call runs a block of the batch's rows ([`crate::shard`]); 0: the
    /// call's rows.
    pub batch_rows: usize,
    /// `h` is left as the block's partial sum of terms, to be summed
    /// across blocks and finished by [`crate::shard::finish`].
    pub partial_h: bool,
}

impl<T: Copy> Spec<T> {
    /// `R` of the direction's `1 / R`, for a call over `rows` rows.
    pub(crate) fn norm_rows(&self, rows: usize) -> usize {
        if self.batch_rows == 0 {
            rows
        } else {
            self.batch_rows
        }
    }

    /// The direction computes `h`.
    pub(crate) fn wants_h(&self) -> bool {
        matches!(self.kind, Kind::Dpm { h: true, .. })
    }

    /// The loss is the log-normaliser (InfoNCE), not a sum over entries.
    pub(crate) fn is_info_nce(&self) -> bool {
        matches!(self.kind, Kind::InfoNce)
    }
}
