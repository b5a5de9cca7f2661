//! Arbitrary ids (sensor ids, user ids, hashes) on a fixed number of
//! state slots: a `heapless` fixed-capacity map from id to slot, and the
//! least recently seen id evicted when a new one needs a slot.
//!
//! Its checkpoints ([`SparseState::save`], [`SparseState::load`], the
//! A/B slots) hold the slots and the id map: which id owns which slot
//! and the recency list, so that after a reset every id finds its slot
//! and the same id is evicted next. They are the checkpoints of a
//! [`StateView`] with a kind byte of 1 and the map as an extra section
//! (format in [`inspect_checkpoint`]'s module); a [`StateView`] refuses
//! them, and a [`SparseState`] refuses a [`StateView`]'s.

use super::checkpoint::{self, CheckpointInfo, IdMap, MapBytes, NONE, bad};
use super::{State, StateView, inspect_checkpoint};
use crate::{Error, Real};
use heapless::index_map::FnvIndexMap;

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
/// [`SparseState::view`] into an unmapped slot (a [`StateView`]
/// checkpoint loaded into it, say) never reaches a new id. To keep the
/// id map across a reset, checkpoint the sparse state itself
/// ([`SparseState::save`], [`SparseState::load`]).
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

    /// Makes the storage at `p` an empty state, as [`SparseState::new`]
    /// would, in place: no copy of the state passes through the stack
    /// (it may be large for a small stack). For storage the caller owns:
    /// the C ABI's `dpm_sparse_init_f32` and `_f64`.
    ///
    /// # Errors
    ///
    /// As [`SparseState::new`]; nothing is written on `Err`.
    ///
    /// # Safety
    ///
    /// `p` is non-NULL, aligned for `Self`, valid for writes of
    /// `size_of::<Self>()` bytes, and not accessed by anyone else during
    /// the call.
    #[cfg(feature = "capi")]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn init_at(p: *mut Self, zeta_init: T) -> Result<(), Error> {
        let () = Self::SLOTS;
        super::check_zeta_init(zeta_init)?;
        // SAFETY: `p` is valid for writes of one `Self` (the caller).
        // Zero bytes are a valid value of every field but the map (all
        // are numbers or arrays of numbers), whose layout is heapless's:
        // it is then written whole, as its `new` makes it.
        unsafe {
            p.write_bytes(0, 1);
            core::ptr::addr_of_mut!((*p).slot_of).write(FnvIndexMap::new());
        }
        // SAFETY: every field now holds a valid value; exclusive (the
        // caller).
        let s = unsafe { &mut *p };
        s.zeta_init = zeta_init;
        s.newer.fill(NONE);
        s.older.fill(NONE);
        (s.head, s.tail) = (NONE, NONE);
        let mut v = s.state.view();
        for k in 0..N {
            // In range and finite: cannot be refused.
            let _ = v.set_zeta(k, zeta_init);
        }
        Ok(())
    }

    /// Pointers to the slots' five arrays (as [`State::arrays_raw`]'s) of
    /// the sparse state at `p`, made without a reference to it.
    ///
    /// # Safety
    ///
    /// `p` points to a `SparseState` (not dereferenced).
    #[cfg(feature = "capi")]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn arrays_raw(p: *mut Self) -> super::owned::RawArrays<T> {
        // SAFETY: the field of the one SparseState at `p` (the caller).
        unsafe { State::arrays_raw(core::ptr::addr_of_mut!((*p).state)) }
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

    /// This state's id map, as saved.
    fn id_map(&self) -> IdMap<'_, T> {
        IdMap {
            zeta_init: self.zeta_init,
            count: self.slot_of.len(),
            head: self.head,
            tail: self.tail,
            id_of: &self.id_of,
            newer: &self.newer,
            older: &self.older,
        }
    }

    /// Writes this state (slots, id map, `zeta_init`) as a sparse checkpoint
    /// (sequence number 0) into the front of `buf`; returns its length,
    /// [`sparse_checkpoint_len`](crate::sparse_checkpoint_len)`::<T>(N)`.
    /// The format is that of [`StateView::save`] with a kind byte of 1 and
    /// the id map before the checksum (the module docs of
    /// [`inspect_checkpoint`] and SPEC section 1).
    ///
    /// # Errors
    ///
    /// [`Error::LengthMismatch`] (`what: "buf"`) if `buf` is shorter than
    /// the checkpoint; [`Error::NonFinite`] (`what` `"log_s"`, `"zeta"` or
    /// `"z"`, `index` the slot) if a value the state uses is NaN or
    /// infinite (written through [`SparseState::view`]'s setters, it
    /// cannot be). `buf` is untouched on `Err`.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{sparse_checkpoint_len, SparseState};
    /// let mut a = SparseState::<f32, 2, 4>::new(-0.05)?;
    /// for id in [10, 20, 10, 30] { // 30 evicts 20
    ///     a.slots(&[id], &mut [0])?;
    /// }
    /// let mut buf = [0_u8; sparse_checkpoint_len::<f32>(2)];
    /// a.save(&mut buf)?;
    /// let mut b = SparseState::<f32, 2, 4>::new(0.0)?;
    /// b.load(&buf)?;
    /// assert_eq!((b.slot(10), b.slot(20), b.slot(30)), (Some(0), None, Some(1)));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn save(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.save_seq(0, buf)
    }

    /// [`SparseState::save`] with the sequence number `seq`, for A/B slots
    /// ([`SparseState::next_checkpoint_slot`]).
    ///
    /// # Errors
    ///
    /// As [`SparseState::save`].
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{inspect_checkpoint, sparse_checkpoint_len, SparseState};
    /// let mut buf = [0_u8; sparse_checkpoint_len::<f64>(2)];
    /// SparseState::<f64, 2, 4>::new(0.0)?.save_seq(41, &mut buf)?;
    /// let info = inspect_checkpoint(&buf)?;
    /// assert_eq!((info.seq, info.sparse), (41, true));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn save_seq(&self, seq: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let () = Self::SLOTS;
        checkpoint::save(&self.state.slots(), Some(&self.id_map()), seq, buf)
    }

    /// Replaces this state, slots and id map, by the sparse checkpoint at
    /// the front of `buf` (bytes after it are ignored); returns its
    /// sequence number. Afterwards every id has the slot it had when it
    /// was saved, the slots hold the same values, the same ids are
    /// evicted in the same order, and a slot an id takes is reset to the
    /// saved `zeta_init` (which replaces this state's).
    ///
    /// All of it is checked before anything changes, in O(`N` + `M`) time
    /// and with no memory beyond the state's own: the framing and
    /// checksum, the slots (as [`StateView::load`]), the count, the
    /// recency list (a single doubly linked list over exactly the mapped
    /// slots, no cycle) and the ids (distinct: they are put into the map,
    /// and on a repeat the map is rebuilt from the ids it held).
    ///
    /// # Errors
    ///
    /// Those of [`inspect_checkpoint`], then [`Error::BadCheckpoint`] with
    /// `what`: `"kind"` (a [`StateView`]'s checkpoint, without an id map),
    /// `"precision"` (saved from the other of `f32` and `f64`),
    /// `"population"` (saved with another `N`), `"flags"` and `"value"`
    /// (as [`StateView::load`]; `"value"` also for a NaN or infinite
    /// `zeta_init`), `"count"` (more mapped ids than `N`),
    /// `"links"` (the recency list is not one doubly linked list from
    /// `head` to `tail` over the slots `0..count`, or an unmapped slot
    /// holds an id or links), `"id"` (an id in two slots). On `Err`
    /// nothing observable changed: [`SparseState::slot`] of every id,
    /// [`SparseState::len`], the slots' values and the eviction order.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, sparse_checkpoint_len, Error, SparseState, State};
    /// let mut buf = [0_u8; sparse_checkpoint_len::<f32>(4)];
    /// let mut a = SparseState::<f32, 4, 8>::new(-0.05)?;
    /// a.slots(&[0xdead_beef, 42], &mut [0; 2])?;
    /// a.save_seq(7, &mut buf)?;
    /// let mut b = SparseState::<f32, 4, 8>::new(-0.05)?;
    /// assert_eq!(b.load(&buf)?, 7);
    /// assert_eq!((b.slot(0xdead_beef), b.slot(42), b.len()), (Some(0), Some(1), 2));
    /// // A plain StateView checkpoint holds no id map: refused, b unchanged.
    /// let mut plain = [0_u8; checkpoint_len::<f32>(4)];
    /// State::<f32, 4>::new(0.0).view().save(&mut plain)?;
    /// assert_eq!(b.load(&plain), Err(Error::BadCheckpoint { what: "kind" }));
    /// assert_eq!(b.slot(42), Some(1));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn load(&mut self, buf: &[u8]) -> Result<u64, Error> {
        let info = inspect_checkpoint(buf)?;
        self.load_inspected(buf, &info)
    }

    /// [`SparseState::load`] of `buf`, whose framing and checksum
    /// [`inspect_checkpoint`] accepted with `info`.
    fn load_inspected(&mut self, buf: &[u8], info: &CheckpointInfo) -> Result<u64, Error> {
        let () = Self::SLOTS;
        if !info.sparse {
            return Err(bad("kind"));
        }
        // Precision, population (so the map section is N entries), values.
        self.state.view().check_slots(buf, info)?;
        let map = MapBytes::new(buf, info, N);
        let zeta_init = map.zeta_init::<T>();
        if !zeta_init.is_finite() {
            return Err(bad("value"));
        }
        let count = map.check()?;
        // The ids: into the map, which finds a repeat. On one, the map is
        // rebuilt from the untouched `id_of` (its mapped slots are
        // `0..len`), so that every id has its slot again.
        let old_len = self.slot_of.len();
        self.slot_of.clear();
        for k in 0..count {
            // At most N < M ids: the map has room.
            #[allow(clippy::cast_possible_truncation)] // k < N < 2^16
            if !matches!(self.slot_of.insert(map.id(k), k as u32), Ok(None)) {
                self.slot_of.clear();
                for (k, &id) in self.id_of[..old_len].iter().enumerate() {
                    let _ = self.slot_of.insert(id, k as u32);
                }
                return Err(bad("id"));
            }
        }
        self.state.view().load_slots(buf);
        for k in 0..N {
            self.id_of[k] = map.id(k);
            self.newer[k] = map.newer(k);
            self.older[k] = map.older(k);
        }
        (self.head, self.tail) = (map.head(), map.tail());
        self.zeta_init = zeta_init;
        Ok(info.seq)
    }

    /// Where the next checkpoint of this state goes in an A/B pair of
    /// slots, as [`StateView::next_checkpoint_slot`]: the slot that does
    /// NOT hold the newest sparse checkpoint this state can load (of its
    /// `T` and `N`), and the sequence number to save with
    /// ([`SparseState::save_seq`]).
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{sparse_checkpoint_len, SparseState};
    /// let mut slots = [[0xff_u8; sparse_checkpoint_len::<f32>(2)]; 2]; // erased flash
    /// let st = SparseState::<f32, 2, 4>::new(0.0)?;
    /// for expected in [(0, 1), (1, 2), (0, 3)] {
    ///     let (slot, seq) = st.next_checkpoint_slot([&slots[0], &slots[1]]);
    ///     assert_eq!((slot, seq), expected);
    ///     st.save_seq(seq, &mut slots[slot])?;
    /// }
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    #[must_use]
    pub fn next_checkpoint_slot(&self, slots: [&[u8]; 2]) -> (usize, u64) {
        checkpoint::next_slot(slots, |i| checkpoint::fits::<T>(i, N, true))
    }

    /// Loads the newest sparse checkpoint of two slots (A/B) that this
    /// state can load (valid, of its `T` and `N`), as
    /// [`StateView::load_newest`]; returns the slot (0 or 1) and its
    /// sequence number.
    ///
    /// # Errors
    ///
    /// [`Error::BadCheckpoint`] (`what: "slots"`) if neither slot holds
    /// such a checkpoint; those of [`SparseState::load`] after the
    /// checksum if the newest one holds what no state can (the older slot
    /// is then not tried). On `Err` nothing observable changed.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{sparse_checkpoint_len, SparseState};
    /// let mut slots = [[0xff_u8; sparse_checkpoint_len::<f32>(2)]; 2];
    /// let mut st = SparseState::<f32, 2, 4>::new(0.0)?;
    /// for id in [5, 6] {
    ///     st.slots(&[id], &mut [0])?;
    ///     let (slot, seq) = st.next_checkpoint_slot([&slots[0], &slots[1]]);
    ///     st.save_seq(seq, &mut slots[slot])?;
    /// }
    /// slots[1][10] ^= 0x40; // the newer write (slot B) was cut or corrupted
    /// let mut after_reset = SparseState::<f32, 2, 4>::new(0.0)?;
    /// assert_eq!(after_reset.load_newest([&slots[0], &slots[1]])?, (0, 1));
    /// assert_eq!((after_reset.slot(5), after_reset.slot(6)), (Some(0), None));
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn load_newest(&mut self, slots: [&[u8]; 2]) -> Result<(usize, u64), Error> {
        checkpoint::load_newest_with(
            slots,
            |i| checkpoint::fits::<T>(i, N, true),
            |buf, info| self.load_inspected(buf, &info),
        )
    }
}
