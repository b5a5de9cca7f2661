//! The last part of a DPM step: the moving average of the zeta gradient and
//! the zeta update (SPEC section 2).

use crate::ZetaStep;
use crate::{
    Real,
    lanes::exp::flush,
    state::{CandidateState, SEEN_FLAG},
};

/// `z = (1 - theta) z + theta h` (`z = h` on a first visit), then
/// `zeta -= eta z`, for each candidate of the batch.
pub(crate) fn commit<T: Real>(
    st: &mut CandidateState<'_, T>,
    ids: &[usize],
    h: &[T],
    step: ZetaStep<T>,
) {
    let ZetaStep { theta, eta } = step;
    for (&id, &h) in ids.iter().zip(h) {
        // Stored values are never subnormal (SPEC section 7).
        let z = if st.flags[id] & SEEN_FLAG != 0 {
            flush(flush((T::ONE - theta) * st.z[id]) + flush(theta * h))
        } else {
            h
        };
        st.z[id] = z;
        st.flags[id] |= SEEN_FLAG;
        st.zeta[id] = flush(st.zeta[id] - flush(eta * z));
    }
}
