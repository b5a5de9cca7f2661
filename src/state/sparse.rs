//! Arbitrary ids (sensor ids, user ids, hashes) on a fixed number of
//! state slots: a `heapless` fixed-capacity map from id to slot, and the
//! least recently seen id evicted when a new one needs a slot.

use super::{State, StateView};
use crate::{Error, Real};
use heapless::index_map::FnvIndexMap;

/// No slot (the ends of the recency list).
const NONE: u32 = u32::MAX;

/// The state of up to `N` samples with arbitrary `u64` ids (`u32` ids
/// widen with `u64::from`), in fixed arrays: no heap.
///
/// [`SparseState::slots`] gives each id of a batch its slot (`0..N`),
/// and the steps take those slots as ids, with [`SparseState::view`] as
/// the population's state: every step that accepts a [`StateView`]
/// accepts a sparse state this way.
///
/// When all `N` slots hold ids and a new id comes, the id seen least
/// recently (by [`SparseState::slots`]) is evicted: its slot is reset to
/// "never visited" with `zeta = zeta_init`, so an evicted id that comes
/// back is a first visit again. `N` must be a power of two (the map's
/// requirement), checked at compile time, as is `N >= 2`.
///
/// # Example
///
/// ```
/// use dpm_core::{dpm_bimodal, BimodalOut, DpmParams, FirstVisit, Offset, SparseState};
/// let (mut images, mut texts) = (SparseState::<f32, 64>::new(-0.05)?, SparseState::<f32, 64>::new(-0.05)?);
/// let (mut image_slots, mut text_slots) = ([0_usize; 2], [0_usize; 2]);
/// images.slots(&[0xdead_beef, 42], &mut image_slots)?; // any u64 ids
/// texts.slots(&[7, 1 << 40], &mut text_slots)?;
/// let p = DpmParams { tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch };
/// let (s, mut ds) = ([0.9_f32, 0.1, 0.2, 0.8], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::bimodal_scratch_len(2)];
/// dpm_bimodal(&s, &image_slots, &text_slots, &mut images.view(), &mut texts.view(),
///     [p, p], BimodalOut::new(&mut ds), &mut scratch)?;
/// assert!(images.view().log_s(image_slots[0])?.is_some()); // visited
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SparseState<T, const N: usize> {
    state: State<T, N>,
    zeta_init: T,
    slot_of: FnvIndexMap<u64, u32, N>,
    /// The id in each used slot.
    id_of: [u64; N],
    /// Slots in use: `0..used`.
    used: u32,
    /// The recency list of used slots: most recent at `head`.
    newer: [u32; N],
    older: [u32; N],
    head: u32,
    tail: u32,
}

impl<T: Real, const N: usize> SparseState<T, N> {
    const SLOTS: () = assert!(
        N.is_power_of_two() && N >= 2 && N < NONE as usize,
        "N must be a power of two, at least 2, below 2^32 - 1"
    );

    /// No id mapped; every slot never visited with `zeta = zeta_init`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] (`what: "zeta_init"`) if `zeta_init`
    /// is NaN or infinite.
    pub fn new(zeta_init: T) -> Result<Self, Error> {
        let () = Self::SLOTS;
        Ok(SparseState {
            state: State::new(zeta_init)?,
            zeta_init,
            slot_of: FnvIndexMap::new(),
            id_of: [0; N],
            used: 0,
            newer: [NONE; N],
            older: [NONE; N],
            head: NONE,
            tail: NONE,
        })
    }

    /// The slots of `ids`, in order, into `out`: an id already mapped keeps
    /// its slot; a new one takes a free slot, or the slot of the id seen
    /// least recently, which is evicted (its state reset to never
    /// visited, `zeta = zeta_init`). Every id of the call counts as seen
    /// now, in order. A repeated id gets the same slot (a step then
    /// refuses the repeat, as for any ids).
    ///
    /// O(`ids.len()`).
    ///
    /// # Errors
    ///
    /// [`Error::LengthMismatch`] if `out` is not `ids.len()` long
    /// (`what: "out"`) or `ids` is longer than `N` (`what: "ids"`,
    /// `expected: N`: a batch that would evict its own ids). Nothing is
    /// changed on `Err`.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::SparseState;
    /// let mut st = SparseState::<f64, 2>::new(0.0)?;
    /// let mut slot = [0; 1];
    /// for id in [10, 20, 10, 30] { // 30 evicts 20, the least recently seen
    ///     st.slots(&[id], &mut slot)?;
    /// }
    /// assert_eq!((st.slot(10), st.slot(20), st.slot(30)), (Some(0), None, Some(1)));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn slots(&mut self, ids: &[u64], out: &mut [usize]) -> Result<(), Error> {
        let () = Self::SLOTS;
        crate::check::len("out", out.len(), ids.len())?;
        if ids.len() > N {
            return Err(Error::LengthMismatch {
                what: "ids",
                expected: N,
                found: ids.len(),
            });
        }
        for (o, &id) in out.iter_mut().zip(ids) {
            let s = match self.slot_of.get(&id) {
                Some(&s) => {
                    self.unlink(s);
                    s
                }
                None => self.take(id),
            };
            self.push_front(s);
            *o = s as usize;
        }
        Ok(())
    }

    /// A free slot, or the least recently seen one (unlinked, evicted and
    /// reset), now mapped to `id`.
    fn take(&mut self, id: u64) -> u32 {
        let s = if (self.used as usize) < N {
            self.used += 1;
            self.used - 1
        } else {
            let s = self.tail;
            self.unlink(s);
            self.slot_of.swap_remove(&self.id_of[s as usize]);
            let mut v = self.state.view();
            let k = s as usize;
            // In range and finite: neither setter can refuse.
            let _ = (v.set_log_s(k, None), v.set_z(k, None));
            let _ = v.set_zeta(k, self.zeta_init);
            s
        };
        self.id_of[s as usize] = id;
        // A slot was free or just freed: the map has room.
        let _ = self.slot_of.insert(id, s);
        s
    }

    fn unlink(&mut self, s: u32) {
        let (n, o) = (self.newer[s as usize], self.older[s as usize]);
        match n {
            NONE => self.head = o,
            n => self.older[n as usize] = o,
        }
        match o {
            NONE => self.tail = n,
            o => self.newer[o as usize] = n,
        }
    }

    fn push_front(&mut self, s: u32) {
        self.newer[s as usize] = NONE;
        self.older[s as usize] = self.head;
        match self.head {
            NONE => self.tail = s,
            h => self.newer[h as usize] = s,
        }
        self.head = s;
    }

    /// The slot of `id`, if it is mapped (does not count as seeing it).
    #[must_use]
    pub fn slot(&self, id: u64) -> Option<usize> {
        self.slot_of.get(&id).map(|&s| s as usize)
    }

    /// How many ids are mapped (at most `N`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// No id mapped yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// The slots' state, as the steps take it (ids: the slots of
    /// [`SparseState::slots`]).
    #[must_use]
    pub fn view(&mut self) -> StateView<'_, T> {
        self.state.view()
    }
}
