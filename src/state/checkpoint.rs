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
//! | 7 | reserved, 0 |
//! | 8..16 | population size `n`, `u64` |
//! | 16..24 | sequence number, `u64` (0 from [`StateView::save`]) |
//! | then, per id `0..n` | `u` (`log_s`), `zeta`, `z` (each a value of the precision), then a flag byte: bit 0 `u` is set, bit 1 `z` is set, other bits 0 |
//! | last 4 | CRC-32 (ISO-HDLC, the zlib and PNG one) of every byte before it, `u32` |
//!
//! The values of a never-visited `u` or `z` are written as 0 (they are
//! ignored), so equal states give equal bytes. [`checkpoint_len`] gives
//! the length: `28 + n (3 p + 1)` bytes for `p` bytes per value.
//!
//! A checkpoint is checked whole before anything is loaded, in this
//! order: the header's length, magic, version, precision byte (4 or 8)
//! and reserved byte, the length the header implies, the checksum; then
//! (by [`StateView::load`]) the view's precision and population, the flag
//! bytes and the values (finite: the steps refuse NaN and infinities in
//! the state). So a corrupted byte 4-7 is reported as the field it hits
//! when that field's value is not allowed, and as `"checksum"` otherwise.

use super::{SEEN, StateView};
use crate::{Error, Real, check};
use core::mem::size_of;

const MAGIC: [u8; 4] = *b"DPMC";
const VERSION: u16 = 1;
const HEADER: usize = 24;
const CRC_LEN: usize = 4;
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
}

fn bad(what: &'static str) -> Error {
    Error::BadCheckpoint { what }
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Checks a checkpoint's framing and checksum (not its values, nor which
/// population or precision it is for) and reads its header.
///
/// # Errors
///
/// [`Error::BadCheckpoint`] with `what`: `"length"` (shorter than a
/// header, or than the length the header implies: a truncated write),
/// `"magic"` (not a checkpoint), `"version"` (another format version),
/// `"precision"` (neither 4 nor 8), `"reserved"` (a reserved byte not
/// 0), `"checksum"` (the CRC-32 does not match: a corrupted or cut
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
    if buf[7] != 0 {
        return Err(bad("reserved"));
    }
    let population = u64_at(buf, 8);
    let per_id = 3 * usize::from(precision) + 1;
    // A population that does not fit in memory cannot be in `buf`.
    let len = usize::try_from(population)
        .ok()
        .and_then(|n| n.checked_mul(per_id))
        .and_then(|p| p.checked_add(HEADER + CRC_LEN))
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
        let n = self.population();
        let len = checkpoint_len::<T>(n);
        check::at_least("buf", buf.len(), len)?;
        let (a, c) = (&self.anchors, &self.candidates);
        for id in 0..n {
            let checks = [
                ("log_s", a.flags[id] & SEEN != 0, a.log_s[id]),
                ("zeta", true, c.zeta[id]),
                ("z", c.flags[id] & SEEN != 0, c.z[id]),
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
        buf[7] = 0;
        buf[8..16].copy_from_slice(&(n as u64).to_le_bytes());
        buf[16..24].copy_from_slice(&seq.to_le_bytes());
        let body = &mut buf[HEADER..len - CRC_LEN];
        for (id, rec) in body.chunks_exact_mut(3 * p + 1).enumerate() {
            let (u_set, z_set) = (a.flags[id] & SEEN != 0, c.flags[id] & SEEN != 0);
            put(if u_set { a.log_s[id] } else { T::ZERO }, &mut rec[..p]);
            put(c.zeta[id], &mut rec[p..2 * p]);
            put(
                if z_set { c.z[id] } else { T::ZERO },
                &mut rec[2 * p..3 * p],
            );
            rec[3 * p] = if u_set { U_SET } else { 0 } | if z_set { Z_SET } else { 0 };
        }
        let crc = CRC.checksum(&buf[..len - CRC_LEN]);
        buf[len - CRC_LEN..].copy_from_slice(&crc.to_le_bytes());
        Ok(len)
    }

    /// Replaces this population's whole state by the checkpoint at the
    /// front of `buf` (bytes after it are ignored); returns its sequence
    /// number. The checkpoint is checked whole first.
    ///
    /// # Errors
    ///
    /// Those of [`inspect_checkpoint`], then [`Error::BadCheckpoint`] with
    /// `what`: `"precision"` (saved from the other of `f32` and `f64`),
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
        self.load_inspected(buf, info)
    }

    /// [`StateView::load`] of `buf`, whose framing and checksum
    /// [`inspect_checkpoint`] accepted with `info`.
    fn load_inspected(&mut self, buf: &[u8], info: CheckpointInfo) -> Result<u64, Error> {
        let p = size_of::<T>();
        if usize::from(info.precision) != p {
            return Err(bad("precision"));
        }
        let n = self.population();
        if info.population != n as u64 {
            return Err(bad("population"));
        }
        let body = &buf[HEADER..info.len - CRC_LEN];
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
        Ok(info.seq)
    }

    /// Where the next checkpoint of this population goes in an A/B pair of
    /// slots: the slot that does NOT hold the newest checkpoint this view
    /// can load (valid, of its precision and population), and the sequence
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
        match newest(slots, |i| self.fits(i)) {
            Some((slot, info)) => (1 - slot, info.seq.wrapping_add(1)),
            None => (0, 1),
        }
    }

    /// A checkpoint of this view's precision and population.
    fn fits(&self, info: &CheckpointInfo) -> bool {
        usize::from(info.precision) == size_of::<T>() && info.population == self.population() as u64
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
        let (slot, info) = newest(slots, |i| self.fits(i)).ok_or(bad("slots"))?;
        let seq = self.load_inspected(slots[slot], info)?;
        Ok((slot, seq))
    }
}
