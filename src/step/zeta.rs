//! The last part of a DPM step: the moving average of the zeta gradient and
//! the zeta update (SPEC section 2).

use super::ZetaStep;
use crate::{
    Real,
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
        let z = if st.flags[id] & SEEN_FLAG != 0 {
            (T::ONE - theta) * st.z[id] + theta * h
        } else {
            h
        };
        st.z[id] = z;
        st.flags[id] |= SEEN_FLAG;
        st.zeta[id] -= eta * z;
    }
}
