//! Per-sample state: the log-domain moving average `u = ln s` of each
//! anchor, and the learnable normaliser `zeta` with its gradient average `z`
//! of each candidate (SPEC section 1).
//!
//! One [`StateView`] holds the state of one population (for example all
//! images of a data set) over caller slices of length `n`, so `n` can be
//! millions on a host. [`State`] owns fixed-capacity arrays for firmware and
//! lends a view. "Never visited" is an explicit flag per id, never a magic
//! value: a moving average that really is 0 (`u = -inf`) is impossible here,
//! and a stored `z` of exactly 0 is a visited `z`.
//!
//! The steps read and write a population through its two halves,
//! [`AnchorState`] (`u`) and [`CandidateState`] (`zeta`, `z`), obtained with
//! [`StateView::split`]; a unimodal step uses both halves of one view.

mod checkpoint;
mod flags;
mod owned;
mod sparse;

pub use checkpoint::{CheckpointInfo, checkpoint_len, inspect_checkpoint, sparse_checkpoint_len};
pub use owned::State;
pub use sparse::SparseState;

use flags::SEEN;
pub(crate) use flags::{SEEN as SEEN_FLAG, check_ids};

use crate::{Error, Real};

/// The state of one population of `n` samples, over caller-owned slices.
///
/// | slice | per id | meaning |
/// |---|---|---|
/// | `log_s` | `u = ln s` | moving average of the anchor's in-batch negative mass, log domain |
/// | `s_flags` | byte | `1`: `u` is set; `0`: never visited as an anchor |
/// | `zeta` | `zeta` | learnable log-normaliser of the candidate |
/// | `z` | `z` | moving average of the zeta gradient |
/// | `z_flags` | byte | `1`: `z` is set; `0`: never visited as a candidate |
///
/// Zeroed flag slices mean "nothing visited yet"; values of `log_s` and `z`
/// are ignored where the flag is 0.
///
/// # Example
///
/// ```
/// use dpm_core::StateView;
/// let n = 1000;
/// let (mut log_s, mut s_flags) = (vec![0.0_f32; n], vec![0_u8; n]);
/// let (mut zeta, mut z, mut z_flags) = (vec![-0.05_f32; n], vec![0.0; n], vec![0_u8; n]);
/// let view = StateView::new(&mut log_s, &mut s_flags, &mut zeta, &mut z, &mut z_flags)?;
/// assert_eq!(view.population(), 1000);
/// assert_eq!(view.log_s(7)?, None); // never visited
/// assert_eq!(view.refresh_xi(0.0), 0.0); // max(xi_init, max zeta)
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Debug)]
pub struct StateView<'a, T> {
    anchors: AnchorState<'a, T>,
    candidates: CandidateState<'a, T>,
}

/// The anchor half of a [`StateView`]: `u = ln s` and its flags.
#[derive(Debug)]
pub struct AnchorState<'a, T> {
    pub(crate) log_s: &'a mut [T],
    pub(crate) flags: &'a mut [u8],
}

/// The candidate half of a [`StateView`]: `zeta`, `z` and the `z` flags.
#[derive(Debug)]
pub struct CandidateState<'a, T> {
    pub(crate) zeta: &'a mut [T],
    pub(crate) z: &'a mut [T],
    pub(crate) flags: &'a mut [u8],
}

impl<T> AnchorState<'_, T> {
    /// The population size `n`.
    #[inline]
    #[must_use]
    pub fn population(&self) -> usize {
        self.log_s.len()
    }
}

impl<T> CandidateState<'_, T> {
    /// The population size `n`.
    #[inline]
    #[must_use]
    pub fn population(&self) -> usize {
        self.zeta.len()
    }
}

fn id_check(id: usize, n: usize) -> Result<(), Error> {
    if id < n {
        Ok(())
    } else {
        Err(Error::IdOutOfRange {
            what: "id",
            id,
            len: n,
        })
    }
}

fn finite<T: Real>(v: T, index: usize) -> Result<(), Error> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite {
            what: "value",
            index,
        })
    }
}

/// `Ok` if `zeta_init` is finite (what [`State::new`] and
/// [`StateView::reset`] accept).
fn check_zeta_init<T: Real>(zeta_init: T) -> Result<(), Error> {
    if zeta_init.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter { what: "zeta_init" })
    }
}

impl<'a, T: Real> StateView<'a, T> {
    /// Wraps five slices of one length `n` as a population's state.
    ///
    /// O(n): every flag byte is checked.
    ///
    /// # Errors
    ///
    /// [`Error::LengthMismatch`] if the slices differ in length (`expected`
    /// is `log_s.len()`); [`Error::PopulationTooSmall`] if `n < 2`;
    /// [`Error::CorruptState`] if a flag byte is neither 0 nor 1.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{Error, StateView};
    /// let (mut u, mut f, mut zt, mut z, mut g) = ([0.0_f64; 4], [0_u8; 4], [0.0; 4], [0.0; 4], [0_u8; 3]);
    /// let err = StateView::new(&mut u, &mut f, &mut zt, &mut z, &mut g).unwrap_err();
    /// assert_eq!(err, Error::LengthMismatch { what: "z_flags", expected: 4, found: 3 });
    /// ```
    pub fn new(
        log_s: &'a mut [T],
        s_flags: &'a mut [u8],
        zeta: &'a mut [T],
        z: &'a mut [T],
        z_flags: &'a mut [u8],
    ) -> Result<Self, Error> {
        let n = log_s.len();
        for (what, found) in [
            ("s_flags", s_flags.len()),
            ("zeta", zeta.len()),
            ("z", z.len()),
            ("z_flags", z_flags.len()),
        ] {
            if found != n {
                return Err(Error::LengthMismatch {
                    what,
                    expected: n,
                    found,
                });
            }
        }
        if n < 2 {
            return Err(Error::PopulationTooSmall { len: n });
        }
        for flags in [&*s_flags, &*z_flags] {
            if let Some(id) = flags.iter().position(|&f| f > SEEN) {
                return Err(Error::CorruptState { id });
            }
        }
        Ok(StateView {
            anchors: AnchorState {
                log_s,
                flags: s_flags,
            },
            candidates: CandidateState {
                zeta,
                z,
                flags: z_flags,
            },
        })
    }

    /// The population size `n`.
    #[inline]
    #[must_use]
    pub fn population(&self) -> usize {
        self.anchors.log_s.len()
    }

    /// Marks every id never visited and sets every `zeta` to `zeta_init`
    /// (the authors start at `-0.05`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] (`what: "zeta_init"`) if `zeta_init` is
    /// NaN or infinite; the state is then untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{Error, State};
    /// let mut st = State::<f64, 4>::new(0.0);
    /// let mut view = st.view();
    /// view.set_zeta(1, 3.0)?;
    /// view.reset(-0.05)?;
    /// assert_eq!(view.zeta(1)?, -0.05);
    /// assert_eq!(view.reset(f64::NAN), Err(Error::InvalidParameter { what: "zeta_init" }));
    /// assert_eq!(view.zeta(1)?, -0.05);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn reset(&mut self, zeta_init: T) -> Result<(), Error> {
        check_zeta_init(zeta_init)?;
        self.anchors.flags.fill(0);
        self.candidates.flags.fill(0);
        self.candidates.zeta.fill(zeta_init);
        Ok(())
    }

    /// `u = ln s` of an anchor, or `None` if it was never visited.
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`.
    pub fn log_s(&self, id: usize) -> Result<Option<T>, Error> {
        id_check(id, self.population())?;
        Ok((self.anchors.flags[id] & SEEN != 0).then(|| self.anchors.log_s[id]))
    }

    /// Sets `u = ln s` of an anchor (`None`: never visited).
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`; [`Error::NonFinite`] if the
    /// value is not finite (a zero mass is "never visited", not `-inf`).
    pub fn set_log_s(&mut self, id: usize, value: Option<T>) -> Result<(), Error> {
        id_check(id, self.population())?;
        match value {
            Some(v) => {
                finite(v, id)?;
                self.anchors.log_s[id] = v;
                self.anchors.flags[id] = SEEN;
            }
            None => self.anchors.flags[id] = 0,
        }
        Ok(())
    }

    /// `zeta` of a candidate.
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`.
    pub fn zeta(&self, id: usize) -> Result<T, Error> {
        id_check(id, self.population())?;
        Ok(self.candidates.zeta[id])
    }

    /// Sets `zeta` of a candidate.
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`; [`Error::NonFinite`] if the
    /// value is not finite.
    pub fn set_zeta(&mut self, id: usize, value: T) -> Result<(), Error> {
        id_check(id, self.population())?;
        finite(value, id)?;
        self.candidates.zeta[id] = value;
        Ok(())
    }

    /// `z` of a candidate, or `None` if it was never visited.
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`.
    pub fn z(&self, id: usize) -> Result<Option<T>, Error> {
        id_check(id, self.population())?;
        Ok((self.candidates.flags[id] & SEEN != 0).then(|| self.candidates.z[id]))
    }

    /// Sets `z` of a candidate (`None`: never visited).
    ///
    /// # Errors
    ///
    /// [`Error::IdOutOfRange`] if `id >= n`; [`Error::NonFinite`] if the
    /// value is not finite.
    pub fn set_z(&mut self, id: usize, value: Option<T>) -> Result<(), Error> {
        id_check(id, self.population())?;
        match value {
            Some(v) => {
                finite(v, id)?;
                self.candidates.z[id] = v;
                self.candidates.flags[id] = SEEN;
            }
            None => self.candidates.flags[id] = 0,
        }
        Ok(())
    }

    /// The refreshed offset bound `xi = max(xi_init, max_id zeta[id])` over
    /// all `n` ids (SPEC section 1). The authors refresh it once per epoch.
    ///
    /// O(n). A non-finite `xi_init` is returned as `max` leaves it.
    #[must_use]
    pub fn refresh_xi(&self, xi_init: T) -> T {
        self.candidates.zeta.iter().fold(xi_init, |m, &z| m.max(z))
    }

    /// Splits the view into its anchor and candidate halves, as the steps
    /// take them.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::State;
    /// let mut st = State::<f32, 8>::new(-0.05);
    /// let mut view = st.view();
    /// let (anchors, candidates) = view.split();
    /// assert_eq!((anchors.population(), candidates.population()), (8, 8));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    #[inline]
    pub fn split(&mut self) -> (&mut AnchorState<'a, T>, &mut CandidateState<'a, T>) {
        (&mut self.anchors, &mut self.candidates)
    }
}
