//! Log-sum-exp of a slice on the lanes of this machine: a max pass, then
//! one exp pass with a compensated sum.

use crate::{
    Real,
    lanes::{
        Lanes,
        dispatch::{Kernel, dispatch},
        exp::exp0_scaled,
        iter::{chunks, ld},
        sum::Blocked,
    },
};

/// `ln sum exp(x)`; the caller guarantees no NaN and no `+inf` (`-inf` is a
/// zero mass). Empty or all `-inf`: `-inf`.
pub(crate) fn log_sum_exp<T: Real>(x: &[T]) -> T {
    dispatch(Lse(x))
}

struct Lse<'a, T>(&'a [T]);

impl<T: Real> Kernel<T> for Lse<'_, T> {
    type Output = T;

    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) -> T {
        let x = self.0;
        let mut m = L::splat(T::NEG_INFINITY);
        chunks::<L>(
            x.len(),
            #[cfg_attr(dpm_inline, inline(always))]
            |j, n| {
                m = m.max(ld::<L>(x, j, n, T::NEG_INFINITY));
            },
        );
        let m = m.reduce_max();
        if m == T::NEG_INFINITY {
            return m;
        }
        let mv = L::splat(m);
        let mut acc = Blocked::<L>::zero();
        chunks::<L>(
            x.len(),
            #[cfg_attr(dpm_inline, inline(always))]
            |j, n| {
                acc.add(exp0_scaled(ld::<L>(x, j, n, T::NEG_INFINITY) - mv));
            },
        );
        // The sum is at least 1 (the max's own term), scaled by 2^S; the
        // power-of-two unscaling is exact.
        m + (acc.finish().value() * T::UNSCALE).ln()
    }
}
