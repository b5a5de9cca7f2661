//! The last part of a DPM step: the moving average of the zeta gradient and
//! the zeta update (SPEC section 2), and the same for a sharded step's
//! owned candidates ([`crate::shard::finish`]).

use super::checks::state_value;
use crate::{
    Error, Real, ZetaStep,
    check::guard,
    kernel::anchor::{h_factor, h_of},
    lanes::exp::flush,
    state::{CandidateState, SEEN_FLAG, check_ids},
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

/// The checks of [`finish`] that read values: the ids against the
/// candidates' flags, `h_sum` and the state values the update reads, the
/// zeta step, and magnitudes (SPEC section 7). Lengths are the caller's.
pub(crate) fn check_finish<T: Real>(
    ids: &[usize],
    h_sum: &[T],
    b: usize,
    n: usize,
    st: &mut CandidateState<'_, T>,
    step: ZetaStep<T>,
) -> Result<(), Error> {
    step.check()?;
    check_ids("ids", ids, st.flags)?;
    let factor = h_factor::<T>(n, b);
    let (mut max_zeta, mut max_z) = (T::ZERO, T::ZERO);
    for (k, (&id, &s)) in ids.iter().zip(h_sum).enumerate() {
        state_value("h_sum", s, k)?;
        let h = h_of(factor, s).abs();
        guard("h", h)?;
        max_z = max_z.max(h);
        state_value("zeta", st.zeta[id], id)?;
        max_zeta = max_zeta.max(st.zeta[id].abs());
        if st.flags[id] & SEEN_FLAG != 0 {
            state_value("z", st.z[id], id)?;
            max_z = max_z.max(st.z[id].abs());
        }
    }
    // z stays below max(|z|, |h|); zeta moves by at most eta of that.
    guard("eta", max_zeta + step.eta * max_z)
}

/// `h` of each owned candidate from its summed terms, then [`commit`];
/// `h` into `h_out` if given. After [`check_finish`].
pub(crate) fn finish<T: Real>(
    ids: &[usize],
    h_sum: &[T],
    b: usize,
    n: usize,
    st: &mut CandidateState<'_, T>,
    step: ZetaStep<T>,
    mut h_out: Option<&mut [T]>,
) {
    let factor = h_factor::<T>(n, b);
    for (k, (&id, &s)) in ids.iter().zip(h_sum).enumerate() {
        let h = h_of(factor, s);
        if let Some(out) = h_out.as_deref_mut() {
            out[k] = h;
        }
        commit(st, &[id], &[h], step);
    }
}
