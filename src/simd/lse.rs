//! Log-sum-exp of a slice on lanes: a max pass, then one exp pass with a
//! compensated sum.

use super::{Blocked, Lanes, V, chunks, ld, total};
use crate::Real;

/// `ln sum exp(x)`; the caller guarantees no NaN and no `+inf` (`-inf` is a
/// zero mass). Empty or all `-inf`: `-inf`.
pub(crate) fn log_sum_exp<T: Real>(x: &[T]) -> T {
    let mut m = V::<T>::splat(T::NEG_INFINITY);
    chunks::<T>(
        x.len(),
        #[inline(always)]
        |j, n| {
            m = m.max(ld(x, j, n, T::NEG_INFINITY));
        },
    );
    let m = m.reduce_max();
    if m == T::NEG_INFINITY {
        return m;
    }
    let mv = V::<T>::splat(m);
    let mut acc = Blocked::zero(T::ZERO);
    chunks::<T>(
        x.len(),
        #[inline(always)]
        |j, n| {
            acc.add((ld(x, j, n, T::NEG_INFINITY) - mv).exp_le0(), T::ZERO);
        },
    );
    m + total::<T>(acc.finish()).value().ln()
}
