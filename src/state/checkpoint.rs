//! Checkpoints: a population's state as bytes, to keep in flash or on
//! disk across resets, and two slots (A/B) so that a write cut short
//! never loses the previous checkpoint.
//!
//! The format (version 1), little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `b"DPMC"` |
//! | 4..6 | version, `u16` (1) |
//! | 6 | precision: bytes per value, 4 (`f32`) or 8 (`f64`) |
//! | 7 | kind: 0 a population's slots ([`StateView::save`]), 1 a [`SparseState`](super::SparseState) with its id map; other values reserved |
//! | 8..16 | population size `n`, `u64` |
//! | 16..24 | sequence number, `u64` (0 from [`StateView::save`]) |
//! | then, per id `0..n` | `u` (`log_s`), `zeta`, `z` (each a value of the precision), then a flag byte: bit 0 `u` is set, bit 1 `z` is set, other bits 0 |
//! | then, for kind 1 only | the id map: `count`, the number of mapped ids, `u64` (at most `n`; the slots `0..count` are the mapped ones); `head` and `tail` of the recency list, `u32` each (`u32::MAX`: none, when `count` is 0); `zeta_init` (a value of the precision: what a slot is reset to when an id takes it); then per slot `0..n` its id (`u64`), the next more recently seen slot (`newer`) and the next less recently seen one (`older`), `u32` each (`u32::MAX`: none; an unmapped slot holds id 0 and two `u32::MAX`) |
//! | last 4 | CRC-32 (ISO-HDLC, the zlib and PNG one) of every byte before it, `u32` |
//!
//! The values of a never-visited `u` or `z` are written as 0 (they are
//! ignored), so equal states give equal bytes. [`checkpoint_len`] gives
//! the length: `28 + n (3 p + 1)` bytes for `p` bytes per value;
//! [`sparse_checkpoint_len`] that of kind 1: `44 + p + n (3 p + 17)`.
//!
//! A checkpoint is checked whole before anything is loaded, in this
//! order: the header's length, magic, version, precision byte (4 or 8)
//! and kind byte (0 or 1, else `"reserved"`), the length the header
//! implies, the checksum; then (by [`StateView::load`]) the kind, the
//! view's precision and population, the flag bytes and the values
//! (finite: the steps refuse NaN and infinities in the state); and for a
//! sparse checkpoint ([`SparseState::load`](super::SparseState::load))
//! `zeta_init` (finite, else `"value"`), the count, the recency list and
//! the ids. So a corrupted byte 4-7 is reported as the field it hits
//! when that field's value is not allowed, and as `"checksum"` otherwise.

use super::{SEEN, StateView};
use crate::{Error, Real, check};
use core::mem::size_of;

const MAGIC: [u8; 4] = *b"DPMC";
const VERSION: u16 = 1;
const HEADER: usize = 24;
const CRC_LEN: usize = 4;
/// The kind byte (7).
const PLAIN: u8 = 0;
const SPARSE: u8 = 1;
/// A sparse checkpoint's id map: `count`, `head`, `tail` (16 bytes),
/// `zeta_init` (a value), then per slot the id, `newer`, `older`.
const MAP_HEADER: usize = 16;
const MAP_ENTRY: usize = 16;
/// Flag-byte bits: `u` set, `z` set.
const U_SET: u8 = 1;
const Z_SET: u8 = 2;

/// CRC-32/ISO-HDLC with a 256-entry table (1 KiB of flash).
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Bytes of a checkpoint of a population of `n` samples in `T` (`f32` or
/// `f64`): `28 + n (3 size_of::<T>() + 1)`, saturating at `usize::MAX`
/// (no buffer is that long, so such a save is refused).
///
/// # Example
///
/// ```
/// use dpm_core::{checkpoint_len, State};
/// let mut st = State::<f32, 4>::new(-0.05);
/// let mut buf = [0_u8; checkpoint_len::<f32>(4)];
/// assert_eq!(buf.len(), 28 + 4 * 13);
/// assert_eq!(st.view().save(&mut buf)?, buf.len());
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[must_use]
pub const fn checkpoint_len<T>(n: usize) -> usize {
    n.saturating_mul(3 * size_of::<T>() + 1)
        .saturating_add(HEADER + CRC_LEN)
}

/// Bytes of a checkpoint of a [`SparseState`](super::SparseState) of `n`
/// slots in `T` (`f32` or `f64`), with its id map: [`checkpoint_len`]
/// plus `16 + p + 16 n` for `p = size_of::<T>()`, that is
/// `44 + p + n (3 p + 17)`,
/// saturating at `usize::MAX` (no buffer is that long, so such a save is
/// refused).
///
/// # Example
///
/// ```
/// use dpm_core::{sparse_checkpoint_len, SparseState};
/// let mut st = SparseState::<f32, 4, 8>::new(-0.05)?;
/// st.slots(&[7, 1 << 40], &mut [0; 2])?;
/// let mut buf = [0_u8; sparse_checkpoint_len::<f32>(4)];
/// assert_eq!(buf.len(), 48 + 4 * 29);
/// assert_eq!(st.save(&mut buf)?, buf.len());
/// assert_eq!(sparse_checkpoint_len::<f64>(usize::MAX), usize::MAX);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[must_use]
pub const fn sparse_checkpoint_len<T>(n: usize) -> usize {
    checkpoint_len::<T>(n)
        .saturating_add(n.saturating_mul(MAP_ENTRY))
        .saturating_add(MAP_HEADER + size_of::<T>())
}

/// What the header of a valid checkpoint says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// Bytes per value: 4 (`f32`) or 8 (`f64`).
    pub precision: u8,
    /// The population size.
    pub population: u64,
    /// The sequence number it was saved with.
    pub seq: u64,
    /// Its length in bytes (a buffer may hold more after it).
    pub len: usize,
    /// A [`SparseState`](super::SparseState)'s checkpoint, with its id
    /// map (kind 1), rather than a [`StateView`]'s (kind 0).
    pub sparse: bool,
}

pub(super) fn bad(what: &'static str) -> Error {
    Error::BadCheckpoint { what }
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// Checks a checkpoint's framing and checksum (not its values, nor which
/// population or precision it is for) and reads its header.
///
/// # Errors
///
/// [`Error::BadCheckpoint`] with `what`: `"length"` (shorter than a
/// header, or than the length the header implies: a truncated write),
/// `"magic"` (not a checkpoint), `"version"` (another format version),
/// `"precision"` (neither 4 nor 8), `"reserved"` (a kind byte neither
/// 0 nor 1), `"checksum"` (the CRC-32 does not match: a corrupted or cut
/// write).
///
/// # Example
///
/// ```
/// use dpm_core::{checkpoint_len, inspect_checkpoint, Error, State};
/// let mut buf = [0_u8; checkpoint_len::<f64>(2)];
/// State::<f64, 2>::new(0.0).view().save(&mut buf)?;
/// assert_eq!(inspect_checkpoint(&buf)?.population, 2);
/// buf[30] ^= 1; // a flipped bit
/// assert_eq!(inspect_checkpoint(&buf), Err(Error::BadCheckpoint { what: "checksum" }));
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn inspect_checkpoint(buf: &[u8]) -> Result<CheckpointInfo, Error> {
    if buf.len() < HEADER + CRC_LEN {
        return Err(bad("length"));
    }
    if buf[..4] != MAGIC {
        return Err(bad("magic"));
    }
    if u16::from_le_bytes([buf[4], buf[5]]) != VERSION {
        return Err(bad("version"));
    }
    let precision = buf[6];
    if precision != 4 && precision != 8 {
        return Err(bad("precision"));
    }
    let sparse = match buf[7] {
        PLAIN => false,
        SPARSE => true,
        _ => return Err(bad("reserved")),
    };
    let population = u64_at(buf, 8);
    let (per_id, fixed) = if sparse {
        (
            3 * usize::from(precision) + 1 + MAP_ENTRY,
            HEADER + CRC_LEN + MAP_HEADER + usize::from(precision),
        )
    } else {
        (3 * usize::from(precision) + 1, HEADER + CRC_LEN)
    };
    // A population that does not fit in memory cannot be in `buf`.
    let len = usize::try_from(population)
        .ok()
        .and_then(|n| n.checked_mul(per_id))
        .and_then(|p| p.checked_add(fixed))
        .filter(|&len| len <= buf.len())
        .ok_or(bad("length"))?;
    let body = len - CRC_LEN;
    let stored = u32::from_le_bytes([buf[body], buf[body + 1], buf[body + 2], buf[body + 3]]);
    if CRC.checksum(&buf[..body]) != stored {
        return Err(bad("checksum"));
    }
    Ok(CheckpointInfo {
        precision,
        population,
        seq: u64_at(buf, 16),
        len,
        sparse,
    })
}

/// `b` is a later sequence number than `a` in serial-number arithmetic
/// (RFC 1982): at most `2^63 - 1` ahead, so counting on past `u64::MAX`
/// (to 0) still gives the newer one.
fn later(b: u64, a: u64) -> bool {
    #[allow(clippy::cast_possible_wrap)] // the wrap is the point
    let ahead = b.wrapping_sub(a) as i64;
    ahead > 0
}

/// Of two slots (A and B), the one holding the newest valid checkpoint
/// that `fits` (A on a tie), with its header.
fn newest(
    slots: [&[u8]; 2],
    fits: impl Fn(&CheckpointInfo) -> bool,
) -> Option<(usize, CheckpointInfo)> {
    let [a, b] = slots.map(|s| inspect_checkpoint(s).ok().filter(&fits));
    match (a, b) {
        (Some(a), Some(b)) if later(b.seq, a.seq) => Some((1, b)),
        (Some(a), _) => Some((0, a)),
        (None, Some(b)) => Some((1, b)),
        (None, None) => None,
    }
}

/// Where the next checkpoint goes in an A/B pair, among those that `fits`
/// (see [`StateView::next_checkpoint_slot`]).
pub(super) fn next_slot(slots: [&[u8]; 2], fits: impl Fn(&CheckpointInfo) -> bool) -> (usize, u64) {
    match newest(slots, fits) {
        Some((slot, info)) => (1 - slot, info.seq.wrapping_add(1)),
        None => (0, 1),
    }
}

/// The newest checkpoint of an A/B pair that `fits`, loaded by `load`
/// (see [`StateView::load_newest`]); returns the slot and the sequence
/// number.
pub(super) fn load_newest_with(
    slots: [&[u8]; 2],
    fits: impl Fn(&CheckpointInfo) -> bool,
    load: impl FnOnce(&[u8], CheckpointInfo) -> Result<u64, Error>,
) -> Result<(usize, u64), Error> {
    let (slot, info) = newest(slots, fits).ok_or(bad("slots"))?;
    let seq = load(slots[slot], info)?;
    Ok((slot, seq))
}

/// A checkpoint of the kind (`sparse`), precision (`T`) and population
/// (`n`) of the state that would load it.
pub(super) fn fits<T>(info: &CheckpointInfo, n: usize, sparse: bool) -> bool {
    info.sparse == sparse
        && usize::from(info.precision) == size_of::<T>()
        && info.population == n as u64
}

/// A population's values and flags, read-only: what a checkpoint saves.
pub(super) struct Slots<'a, T> {
    pub(super) log_s: &'a [T],
    pub(super) s_flags: &'a [u8],
    pub(super) zeta: &'a [T],
    pub(super) z: &'a [T],
    pub(super) z_flags: &'a [u8],
}

/// A sparse state's id map, as saved: the slots `0..count` are mapped,
/// `id_of`, `newer` and `older` are `n` long.
pub(super) struct IdMap<'a, T> {
    /// Finite: [`SparseState::new`](super::SparseState::new) and `load`
    /// accept no other.
    pub(super) zeta_init: T,
    pub(super) count: usize,
    pub(super) head: u32,
    pub(super) tail: u32,
    pub(super) id_of: &'a [u64],
    pub(super) newer: &'a [u32],
    pub(super) older: &'a [u32],
}

/// No slot, in the recency list and its saved form.
pub(super) const NONE: u32 = u32::MAX;

/// The id map section of a sparse checkpoint that [`inspect_checkpoint`]
/// accepted, read in place (no copy).
#[derive(Clone, Copy)]
pub(super) struct MapBytes<'a> {
    bytes: &'a [u8],
    n: usize,
    /// Bytes per value.
    p: usize,
}

impl<'a> MapBytes<'a> {
    /// The id map of `buf`, a sparse checkpoint whose header is `info`,
    /// of a population `n` equal to `info.population`.
    pub(super) fn new(buf: &'a [u8], info: &CheckpointInfo, n: usize) -> Self {
        let p = usize::from(info.precision);
        let start = HEADER + n * (3 * p + 1);
        MapBytes {
            bytes: &buf[start..info.len - CRC_LEN],
            n,
            p,
        }
    }

    /// What a slot is reset to when an id takes it (`p` is
    /// `size_of::<T>()`, checked by [`StateView::check_slots`]).
    pub(super) fn zeta_init<T: Real>(self) -> T {
        get(&self.bytes[MAP_HEADER..MAP_HEADER + self.p])
    }

    fn entry(self, slot: usize) -> usize {
        MAP_HEADER + self.p + slot * MAP_ENTRY
    }

    pub(super) fn head(self) -> u32 {
        u32_at(self.bytes, 8)
    }

    pub(super) fn tail(self) -> u32 {
        u32_at(self.bytes, 12)
    }

    pub(super) fn id(self, slot: usize) -> u64 {
        u64_at(self.bytes, self.entry(slot))
    }

    pub(super) fn newer(self, slot: usize) -> u32 {
        u32_at(self.bytes, self.entry(slot) + 8)
    }

    pub(super) fn older(self, slot: usize) -> u32 {
        u32_at(self.bytes, self.entry(slot) + 12)
    }

    /// Checks the count and the recency list (not that the ids are
    /// distinct) in O(n), with no memory: returns the count.
    ///
    /// The list from `head` must visit exactly `count` slots, each below
    /// `count`, each one's `newer` the slot before it, and end (`older`
    /// none) at `tail`. Then no slot is visited twice (the first repeat
    /// `s_i = s_j`, `i < j`, would have `newer(s_j) = s_(j-1)` equal to
    /// `newer(s_i)`: none when `i = 1`, else `s_(i-1)`, an earlier
    /// repeat), so it visits each of `0..count` once: a single doubly
    /// linked list over the mapped slots, with no cycle. Unmapped slots
    /// must hold id 0 and no links (as saved).
    pub(super) fn check(self) -> Result<usize, Error> {
        let count = usize::try_from(u64_at(self.bytes, 0))
            .ok()
            .filter(|&c| c <= self.n)
            .ok_or(bad("count"))?;
        for k in count..self.n {
            if self.id(k) != 0 || self.newer(k) != NONE || self.older(k) != NONE {
                return Err(bad("links"));
            }
        }
        let (mut prev, mut s) = (NONE, self.head());
        for _ in 0..count {
            // NONE (u32::MAX) is never below count <= n < 2^32.
            if s as usize >= count || self.newer(s as usize) != prev {
                return Err(bad("links"));
            }
            prev = s;
            s = self.older(s as usize);
        }
        if s != NONE || self.tail() != prev {
            return Err(bad("links"));
        }
        Ok(count)
    }
}

/// A value in `p` little-endian bytes (`p` is `size_of::<T>()`, 4 or 8).
fn put<T: Real>(v: T, out: &mut [u8]) {
    if size_of::<T>() == 4 {
        // A f32 widened to f64 and back is exact.
        #[allow(clippy::cast_possible_truncation)]
        out.copy_from_slice(&(v.to_f64() as f32).to_le_bytes());
    } else {
        out.copy_from_slice(&v.to_f64().to_le_bytes());
    }
}

fn get<T: Real>(b: &[u8]) -> T {
    if size_of::<T>() == 4 {
        T::from_f64(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    } else {
        let mut a = [0; 8];
        a.copy_from_slice(b);
        T::from_f64(f64::from_le_bytes(a))
    }
}

/// Writes the checkpoint of `s` (with the id map `map`: a sparse one)
/// into the front of `buf`: [`StateView::save_seq`] and
/// [`SparseState::save_seq`](super::SparseState::save_seq). `buf` is
/// untouched on `Err`.
pub(super) fn save<T: Real>(
    s: &Slots<'_, T>,
    map: Option<&IdMap<'_, T>>,
    seq: u64,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let n = s.zeta.len();
    let len = if map.is_some() {
        sparse_checkpoint_len::<T>(n)
    } else {
        checkpoint_len::<T>(n)
    };
    check::at_least("buf", buf.len(), len)?;
    for id in 0..n {
        let checks = [
            ("log_s", s.s_flags[id] & SEEN != 0, s.log_s[id]),
            ("zeta", true, s.zeta[id]),
            ("z", s.z_flags[id] & SEEN != 0, s.z[id]),
        ];
        for (what, used, v) in checks {
            if used && !v.is_finite() {
                return Err(Error::NonFinite { what, index: id });
            }
        }
    }
    let p = size_of::<T>();
    let buf = &mut buf[..len];
    buf[..4].copy_from_slice(&MAGIC);
    buf[4..6].copy_from_slice(&VERSION.to_le_bytes());
    #[allow(clippy::cast_possible_truncation)] // 4 or 8
    {
        buf[6] = p as u8;
    }
    buf[7] = if map.is_some() { SPARSE } else { PLAIN };
    buf[8..16].copy_from_slice(&(n as u64).to_le_bytes());
    buf[16..24].copy_from_slice(&seq.to_le_bytes());
    let (body, rest) = buf[HEADER..len - CRC_LEN].split_at_mut(n * (3 * p + 1));
    for (id, rec) in body.chunks_exact_mut(3 * p + 1).enumerate() {
        let (u_set, z_set) = (s.s_flags[id] & SEEN != 0, s.z_flags[id] & SEEN != 0);
        put(if u_set { s.log_s[id] } else { T::ZERO }, &mut rec[..p]);
        put(s.zeta[id], &mut rec[p..2 * p]);
        put(
            if z_set { s.z[id] } else { T::ZERO },
            &mut rec[2 * p..3 * p],
        );
        rec[3 * p] = if u_set { U_SET } else { 0 } | if z_set { Z_SET } else { 0 };
    }
    if let Some(m) = map {
        let (head, entries) = rest.split_at_mut(MAP_HEADER + p);
        head[..8].copy_from_slice(&(m.count as u64).to_le_bytes());
        head[8..12].copy_from_slice(&m.head.to_le_bytes());
        head[12..16].copy_from_slice(&m.tail.to_le_bytes());
        put(m.zeta_init, &mut head[MAP_HEADER..]);
        for (k, e) in entries.chunks_exact_mut(MAP_ENTRY).enumerate() {
            // An unmapped slot as `MapBytes::check` wants it.
            let (id, newer, older) = if k < m.count {
                (m.id_of[k], m.newer[k], m.older[k])
            } else {
                (0, NONE, NONE)
            };
            e[..8].copy_from_slice(&id.to_le_bytes());
            e[8..12].copy_from_slice(&newer.to_le_bytes());
            e[12..].copy_from_slice(&older.to_le_bytes());
        }
    }
    let crc = CRC.checksum(&buf[..len - CRC_LEN]);
    buf[len - CRC_LEN..].copy_from_slice(&crc.to_le_bytes());
    Ok(len)
}

impl<T: Real> StateView<'_, T> {
    /// Writes this population's state as a checkpoint (sequence number 0)
    /// into the front of `buf`; returns its length,
    /// [`checkpoint_len`]`::<T>(n)`. The format is in
    /// [`inspect_checkpoint`]'s module docs and the README.
    ///
    /// # Errors
    ///
    /// [`Error::LengthMismatch`] (`what: "buf"`) if `buf` is shorter than
    /// the checkpoint; [`Error::NonFinite`] (`what` `"log_s"`, `"zeta"` or
    /// `"z"`, `index` the id) if a value the state uses is NaN or
    /// infinite (a checkpoint that [`StateView::load`] would refuse is
    /// never written). `buf` is untouched on `Err`.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, State};
    /// let mut a = State::<f32, 8>::new(-0.05);
    /// a.view().set_log_s(3, Some(1.5))?;
    /// let mut buf = vec![0_u8; checkpoint_len::<f32>(8)];
    /// a.view().save(&mut buf)?;
    /// let mut b = State::<f32, 8>::new(0.0);
    /// b.view().load(&buf)?;
    /// assert_eq!(b.view().log_s(3)?, Some(1.5));
    /// assert_eq!(b.view().zeta(0)?, -0.05);
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn save(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.save_seq(0, buf)
    }

    /// [`StateView::save`] with the sequence number `seq`, for A/B slots
    /// ([`StateView::next_checkpoint_slot`]).
    ///
    /// # Errors
    ///
    /// As [`StateView::save`].
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, inspect_checkpoint, State};
    /// let mut buf = [0_u8; checkpoint_len::<f64>(2)];
    /// State::<f64, 2>::new(0.0).view().save_seq(41, &mut buf)?;
    /// assert_eq!(inspect_checkpoint(&buf)?.seq, 41);
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn save_seq(&self, seq: u64, buf: &mut [u8]) -> Result<usize, Error> {
        save(&self.slots(), None, seq, buf)
    }

    /// This view's values and flags, read-only.
    fn slots(&self) -> Slots<'_, T> {
        let (a, c) = (&self.anchors, &self.candidates);
        Slots {
            log_s: a.log_s,
            s_flags: a.flags,
            zeta: c.zeta,
            z: c.z,
            z_flags: c.flags,
        }
    }

    /// Replaces this population's whole state by the checkpoint at the
    /// front of `buf` (bytes after it are ignored); returns its sequence
    /// number. The checkpoint is checked whole first.
    ///
    /// # Errors
    ///
    /// Those of [`inspect_checkpoint`], then [`Error::BadCheckpoint`] with
    /// `what`: `"kind"` (a [`SparseState`](super::SparseState)'s checkpoint:
    /// load it with [`SparseState::load`](super::SparseState::load)),
    /// `"precision"` (saved from the other of `f32` and `f64`),
    /// `"population"` (saved from a population of another size), `"flags"`
    /// (a flag byte with bits other than 0 and 1), `"value"` (a value the
    /// state would use is NaN or infinite). On `Err` the state is
    /// untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, Error, State};
    /// let mut buf = [0_u8; checkpoint_len::<f32>(4)];
    /// State::<f32, 4>::new(1.0).view().save(&mut buf)?;
    /// let mut other = State::<f64, 4>::new(0.0);
    /// assert_eq!(other.view().load(&buf), Err(Error::BadCheckpoint { what: "precision" }));
    /// let mut cut = State::<f32, 4>::new(0.0);
    /// assert_eq!(cut.view().load(&buf[..40]), Err(Error::BadCheckpoint { what: "length" }));
    /// assert_eq!(cut.view().zeta(0)?, 0.0); // untouched
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn load(&mut self, buf: &[u8]) -> Result<u64, Error> {
        let info = inspect_checkpoint(buf)?;
        self.load_inspected(buf, &info)
    }

    /// [`StateView::load`] of `buf`, whose framing and checksum
    /// [`inspect_checkpoint`] accepted with `info`.
    fn load_inspected(&mut self, buf: &[u8], info: &CheckpointInfo) -> Result<u64, Error> {
        if info.sparse {
            return Err(bad("kind"));
        }
        self.check_slots(buf, info)?;
        self.load_slots(buf);
        Ok(info.seq)
    }

    /// Checks the slots of `buf` (a checkpoint [`inspect_checkpoint`]
    /// accepted with `info`, of either kind) for this view: precision,
    /// population, flags, values. Changes nothing.
    pub(super) fn check_slots(&self, buf: &[u8], info: &CheckpointInfo) -> Result<(), Error> {
        let p = size_of::<T>();
        if usize::from(info.precision) != p {
            return Err(bad("precision"));
        }
        let n = self.population();
        if info.population != n as u64 {
            return Err(bad("population"));
        }
        let body = &buf[HEADER..HEADER + n * (3 * p + 1)];
        for rec in body.chunks_exact(3 * p + 1) {
            let flags = rec[3 * p];
            if flags & !(U_SET | Z_SET) != 0 {
                return Err(bad("flags"));
            }
            let finite = |k: usize| get::<T>(&rec[k * p..(k + 1) * p]).is_finite();
            if !finite(1)
                || (flags & U_SET != 0 && !finite(0))
                || (flags & Z_SET != 0 && !finite(2))
            {
                return Err(bad("value"));
            }
        }
        Ok(())
    }

    /// Replaces every value and flag by the slots of `buf`, which
    /// [`StateView::check_slots`] accepted.
    pub(super) fn load_slots(&mut self, buf: &[u8]) {
        let (p, n) = (size_of::<T>(), self.population());
        let body = &buf[HEADER..HEADER + n * (3 * p + 1)];
        let (a, c) = (&mut self.anchors, &mut self.candidates);
        for (id, rec) in body.chunks_exact(3 * p + 1).enumerate() {
            let (u_set, z_set) = (rec[3 * p] & U_SET != 0, rec[3 * p] & Z_SET != 0);
            // An unset value is ignored; it is stored as 0, as saved.
            a.log_s[id] = if u_set { get(&rec[..p]) } else { T::ZERO };
            c.zeta[id] = get(&rec[p..2 * p]);
            c.z[id] = if z_set {
                get(&rec[2 * p..3 * p])
            } else {
                T::ZERO
            };
            a.flags[id] = u8::from(u_set);
            c.flags[id] = u8::from(z_set);
        }
    }

    /// Where the next checkpoint of this population goes in an A/B pair of
    /// slots: the slot that does NOT hold the newest checkpoint this view
    /// can load (valid, not sparse, of its precision and population), and the sequence
    /// number to save with (one more than that one's, wrapping past
    /// `u64::MAX` to 0; slot 0 and number 1 when neither slot holds one).
    /// Save there ([`StateView::save_seq`]) and write the whole slot; until
    /// its last byte is written, [`StateView::load_newest`] still finds the
    /// previous checkpoint. Sequence numbers compare in serial-number
    /// arithmetic (RFC 1982), so the wrap keeps the order.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, State};
    /// let mut slots = [[0xff_u8; checkpoint_len::<f32>(2)]; 2]; // erased flash
    /// let mut st = State::<f32, 2>::new(0.0);
    /// for expected in [(0, 1), (1, 2), (0, 3)] {
    ///     let (slot, seq) = st.view().next_checkpoint_slot([&slots[0], &slots[1]]);
    ///     assert_eq!((slot, seq), expected);
    ///     st.view().save_seq(seq, &mut slots[slot])?;
    /// }
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    #[must_use]
    pub fn next_checkpoint_slot(&self, slots: [&[u8]; 2]) -> (usize, u64) {
        next_slot(slots, |i| fits::<T>(i, self.population(), false))
    }

    /// Loads the newest checkpoint of two slots (A/B) that this view can
    /// load (valid, of its precision and population: a checkpoint of
    /// another population in the pair is passed over); returns the slot
    /// (0 or 1) and its sequence number.
    ///
    /// # Errors
    ///
    /// [`Error::BadCheckpoint`] (`what: "slots"`) if neither slot holds
    /// such a checkpoint; `"flags"` or `"value"` (as [`StateView::load`])
    /// if the newest one holds what no state can (the older slot is then
    /// not tried: a checkpoint with a valid checksum and bad values was
    /// not written by [`StateView::save`]). On `Err` the state is
    /// untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{checkpoint_len, State};
    /// let mut slots = [[0xff_u8; checkpoint_len::<f32>(2)]; 2];
    /// let mut st = State::<f32, 2>::new(0.0);
    /// for zeta in [0.5, 0.25] {
    ///     st.view().set_zeta(0, zeta)?;
    ///     let (slot, seq) = st.view().next_checkpoint_slot([&slots[0], &slots[1]]);
    ///     st.view().save_seq(seq, &mut slots[slot])?;
    /// }
    /// slots[1][10] ^= 0x40; // the newer write (slot B) was cut or corrupted
    /// let mut after_reset = State::<f32, 2>::new(0.0);
    /// assert_eq!(after_reset.view().load_newest([&slots[0], &slots[1]])?, (0, 1));
    /// assert_eq!(after_reset.view().zeta(0)?, 0.5);
    /// # Ok::<(), dpm_core::Error>(())
    /// ```
    pub fn load_newest(&mut self, slots: [&[u8]; 2]) -> Result<(usize, u64), Error> {
        let n = self.population();
        load_newest_with(
            slots,
            |i| fits::<T>(i, n, false),
            |buf, info| self.load_inspected(buf, &info),
        )
    }
}
