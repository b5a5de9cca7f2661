//! Fixed-capacity owned state for firmware.

use super::{AnchorState, CandidateState, StateView};
use crate::{Error, Real};

/// The state of a population of `N` samples in fixed arrays (no heap):
/// `3 N` elements of `T` and `2 N` flag bytes.
///
/// Lend it to the steps with [`State::view`]. `N >= 2` is checked at
/// compile time.
///
/// # Example
///
/// ```
/// use dpm_core::State;
/// let mut images = State::<f32, 64>::new(-0.05)?;
/// let view = images.view();
/// assert_eq!(view.population(), 64);
/// assert_eq!(view.zeta(3)?, -0.05);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct State<T, const N: usize> {
    log_s: [T; N],
    s_flags: [u8; N],
    zeta: [T; N],
    z: [T; N],
    z_flags: [u8; N],
}

impl<T: Real, const N: usize> State<T, N> {
    const AT_LEAST_TWO: () = assert!(N >= 2, "a population needs at least 2 samples");

    /// Every id never visited, every `zeta = zeta_init`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] (`what: "zeta_init"`) if `zeta_init` is
    /// NaN or infinite: every step would refuse such a state.
    pub fn new(zeta_init: T) -> Result<Self, Error> {
        let () = Self::AT_LEAST_TWO;
        super::check_zeta_init(zeta_init)?;
        Ok(State {
            log_s: [T::ZERO; N],
            s_flags: [0; N],
            zeta: [zeta_init; N],
            z: [T::ZERO; N],
            z_flags: [0; N],
        })
    }

    /// A view of this state, as the steps take it.
    #[must_use]
    pub fn view(&mut self) -> StateView<'_, T> {
        let () = Self::AT_LEAST_TWO;
        // No check needed: all lengths are N >= 2, and only this crate
        // writes the flags (0 or 1).
        StateView {
            anchors: AnchorState {
                log_s: &mut self.log_s,
                flags: &mut self.s_flags,
            },
            candidates: CandidateState {
                zeta: &mut self.zeta,
                z: &mut self.z,
                flags: &mut self.z_flags,
            },
        }
    }
}
