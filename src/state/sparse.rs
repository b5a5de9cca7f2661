//! Arbitrary ids (sensor ids, user ids, hashes) on a fixed number of
//! state slots: a `heapless` fixed-capacity map from id to slot, and the
//! least recently seen id evicted when a new one needs a slot.

use super::{State, StateView};
use crate::{Error, Real};
use heapless::index_map::FnvIndexMap;

/// No slot (the ends of the recency list).
const NONE: u32 = u32::MAX;

/// The state of up to `N` samples with arbitrary `u64` ids (`u32` ids
/// widen with `u64::from`), in fixed arrays: no heap. `M` is the capacity
/// of the id map: a power of two, at least `2 N` and at most 65,536 (so
/// `N <= 32,768`), all checked at compile time. The map never fills
/// beyond half, which keeps each lookup and insertion O(1) expected;
/// with a full map (`M = N`) an insertion would shift up to `N` entries.
/// Its hash (FNV) is not keyed: ids chosen by an adversary to collide
/// make lookups slower (never wrong).
///
/// [`SparseState::slots`] gives each id of a batch its slot (`0..N`),
/// and the steps take those slots as ids, with [`SparseState::view`] as
/// the population's state: every step that accepts a [`StateView`]
/// accepts a sparse state this way.
///
/// When all `N` slots hold ids and a new id comes, the id seen least
/// recently (by [`SparseState::slots`]) and not in the same call is
/// evicted. A slot is reset to "never visited" with `zeta = zeta_init`
/// whenever an id takes it (free or evicted), so an evicted id that comes
/// back is a first visit again, and what was written through
/// [`SparseState::view`] into an unmapped slot (a checkpoint loaded
/// into it, say: checkpoints hold the slots, not the id map) never
/// reaches a new id.
///
/// # Example
///
/// ```
/// use dpm_core::{dpm_bimodal, BimodalOut, DpmParams, FirstVisit, Offset, SparseState};
/// let (mut images, mut texts) = (SparseState::<f32, 64, 128>::new(-0.05)?, SparseState::<f32, 64, 128>::new(-0.05)?);
/// let (mut image_slots, mut text_slots) = ([0_usize; 2], [0_usize; 2]);
/// images.slots(&[0xdead_beef, 42], &mut image_slots)?; // any u64 ids
/// texts.slots(&[7, 1 << 40], &mut text_slots)?;
/// let p = DpmParams { tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch };
/// let (s, mut ds) = ([0.9_f32, 0.1, 0.2, 0.8], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 2 })];
/// dpm_bimodal(&s, image_slots.len(), &image_slots, &text_slots, &mut images.view(), &mut texts.view(),
///     dpm_core::Directions::both(p), BimodalOut::new(&mut ds), &mut scratch)?;
/// assert!(images.view().log_s(image_slots[0])?.is_some()); // visited
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SparseState<T, const N: usize, const M: usize> {
    state: State<T, N>,
    zeta_init: T,
    slot_of: FnvIndexMap<u64, u32, M>,
    /// The id in each used slot.
    id_of: [u64; N],
    /// The recency list of used slots: most recent at `head`.
    newer: [u32; N],
    older: [u32; N],
    head: u32,
    tail: u32,
}

impl<T: Real, const N: usize, const M: usize> SparseState<T, N, M> {
    const SLOTS: () = assert!(
        N >= 2 && M.is_power_of_two() && M / 2 >= N && M <= 65_536,
        "N >= 2 slots; M, the map's capacity, a power of two, at least 2 N, at most 65,536"
    );

    /// No id mapped; every slot never visited with `zeta = zeta_init`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] (`what: "zeta_init"`) if `zeta_init`
    /// is NaN or infinite.
    pub fn new(zeta_init: T) -> Result<Self, Error> {
        let () = Self::SLOTS;
        super::check_zeta_init(zeta_init)?;
        Ok(SparseState {
            state: State::new(zeta_init),
            zeta_init,
            slot_of: FnvIndexMap::new(),
            id_of: [0; N],
            newer: [NONE; N],
            older: [NONE; N],
            head: NONE,
            tail: NONE,
        })
    }

    /// The slots of `ids`, in order, into `out`: an id already mapped keeps
    /// its slot; a new one takes a free slot or, when all are mapped, the
    /// slot of the id seen least recently among those not in this call,
    /// which is evicted. The ids of the call are then the most recently
    /// seen, in their order. A repeated id gets the same slot (a step then
    /// refuses the repeat, as for any ids).
    ///
    /// O(`ids.len()`) expected (hash lookups).
    ///
    /// # Errors
    ///
    /// [`Error::LengthMismatch`] if `out` is not `ids.len()` long
    /// (`what: "out"`) or `ids` is longer than `N`, repeats counted
    /// (`what: "ids"`, `expected: N`). Nothing is changed on `Err`.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::SparseState;
    /// let mut st = SparseState::<f64, 2, 4>::new(0.0)?;
    /// let mut slot = [0; 1];
    /// for id in [10, 20, 10, 30] { // 30 evicts 20, the least recently seen
    ///     st.slots(&[id], &mut slot)?;
    /// }
    /// assert_eq!((st.slot(10), st.slot(20), st.slot(30)), (Some(0), None, Some(1)));
    /// let mut two = [0; 2];
    /// st.slots(&[40, 10], &mut two)?; // 40 evicts 30, not 10: 10 is in the call
    /// assert_eq!((two, st.slot(30)), ([1, 0], None));
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
        // The call's mapped ids first, so that none of them is the least
        // recently seen when a new id of the call needs a slot: at most
        // `N - (mapped ids of the call)` evictions take the tail.
        for id in ids {
            if let Some(&s) = self.slot_of.get(id) {
                self.unlink(s);
                self.push_front(s);
            }
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

    /// A free slot, or the least recently seen one (unlinked and
    /// evicted), reset and now mapped to `id`.
    fn take(&mut self, id: u64) -> u32 {
        // Slots are handed out in order and never freed: `0..len` are in use.
        let used = self.slot_of.len();
        let s = if used < N {
            #[allow(clippy::cast_possible_truncation)] // N < M <= 2^16
            {
                used as u32
            }
        } else {
            let s = self.tail;
            self.unlink(s);
            self.slot_of.swap_remove(&self.id_of[s as usize]);
            s
        };
        let (mut v, k) = (self.state.view(), s as usize);
        // In range and finite: no setter can refuse.
        let _ = (v.set_log_s(k, None), v.set_z(k, None));
        let _ = v.set_zeta(k, self.zeta_init);
        self.id_of[k] = id;
        // At most N < M ids: the map has room.
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
