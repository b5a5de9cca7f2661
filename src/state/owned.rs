//! Fixed-capacity owned state for firmware.

use super::checkpoint::Slots;
use super::{AnchorState, CandidateState, StateView};
use crate::Real;

/// Pointers to a state's five arrays: `log_s`, its flags, `zeta`, `z`,
/// its flags (the C ABI's view of a sparse state).
#[cfg(feature = "capi")]
pub(crate) type RawArrays<T> = (*mut T, *mut u8, *mut T, *mut T, *mut u8);

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
/// let mut images = State::<f32, 64>::new(-0.05);
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

    /// Every id never visited, every `zeta = zeta_init`. A `const fn`, so
    /// firmware can keep the state in a `static` (see the example).
    ///
    /// `zeta_init` is not checked here (a `const fn` cannot compare a
    /// generic float): a NaN or infinite one is refused by every step
    /// that reads it ([`Error::NonFinite`]) and by [`StateView::save`]; a
    /// subnormal one by every step that reads it ([`Error::Subnormal`]).
    /// Either way it is never used.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::State;
    /// // Built at compile time: 4 KiB of f32 state for 256 ids.
    /// static FRESH: State<f32, 256> = State::new(-0.05);
    /// let mut images = FRESH.clone();
    /// assert_eq!(images.view().zeta(255)?, -0.05);
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    ///
    /// [`Error::NonFinite`]: crate::Error::NonFinite
    /// [`Error::Subnormal`]: crate::Error::Subnormal
    #[must_use]
    pub const fn new(zeta_init: T) -> Self {
        let () = Self::AT_LEAST_TWO;
        State {
            log_s: [T::ZERO; N],
            s_flags: [0; N],
            zeta: [zeta_init; N],
            z: [T::ZERO; N],
            z_flags: [0; N],
        }
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

    /// Pointers to the five arrays of the state at `p`, made without a
    /// reference to it, so that they stay valid while others only read
    /// the state (the C ABI's view of a sparse state).
    ///
    /// # Safety
    ///
    /// `p` points to a `State` (it is not dereferenced: only field
    /// addresses are computed).
    #[cfg(feature = "capi")]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn arrays_raw(p: *mut Self) -> RawArrays<T> {
        use core::ptr::addr_of_mut;
        // SAFETY: in bounds of the one State at `p` (the caller);
        // addr_of_mut! creates no reference.
        unsafe {
            (
                addr_of_mut!((*p).log_s).cast(),
                addr_of_mut!((*p).s_flags).cast(),
                addr_of_mut!((*p).zeta).cast(),
                addr_of_mut!((*p).z).cast(),
                addr_of_mut!((*p).z_flags).cast(),
            )
        }
    }

    /// The values and flags, read-only (what a checkpoint saves).
    pub(super) fn slots(&self) -> Slots<'_, T> {
        Slots {
            log_s: &self.log_s,
            s_flags: &self.s_flags,
            zeta: &self.zeta,
            z: &self.z,
            z_flags: &self.z_flags,
        }
    }
}
