//! Every length and pointer edge of the sparse state's `extern "C"`
//! functions (SPEC section 7: refusals, nothing written on error; section
//! 1: sparse checkpoints; `src/capi/sparse.rs`, `sparse_checkpoint.rs`), in
//! both precisions, in the manner of `capi_edges.rs`: each call returns a
//! status code (never panics: a panic in an `extern "C"` function aborts
//! this test binary), a refused call writes nothing (no storage byte, no
//! output, no buffer), and an accepted call that only reads the state
//! (slot, view, save, next slot) leaves every byte of the storage as it
//! was.
//!
//! Lengths are probed at 0, 1, one below and one above the true length,
//! at the first count whose size in bytes passes `isize::MAX`, and at
//! `SIZE_MAX` (a batch of ids also at the capacity and one more; `init`'s
//! `bytes` also at the other precision's size); pointers at NULL and
//! misaligned (by one byte, and by half the alignment: 4 bytes, aligned
//! for a `float` but not for the struct); outputs over the storage and
//! over the other arrays of the call (refused), and just beside them
//! (accepted). The storage also NULL, misaligned (a live state's bytes
//! copied there, so that only the alignment check can refuse it), never
//! initialised (zeros, a byte pattern, random bytes, a first word one bit
//! from the magic), and initialised in the other precision: every
//! function refuses those with `DPM_ERR_BAD_POINTER`.
//!
//! The storage is caller memory as a C program has it: a `Vec<u64>` with
//! room for either precision's struct and [`SPARE`] words more, so that a
//! length past the struct is still memory the test owns, and a write
//! there shows.
//!
//! Natively every comparison of the storage is of the whole `Vec<u64>`.
//! Under Miri it cannot be once the library wrote the storage:
//! `dpm_sparse_init_*` leaves the id map's entry array uninitialised (a
//! typed write of `heapless`'s empty map), and each entry the map writes
//! has padding bytes, so reading those words as `u64` is undefined
//! behaviour that Miri stops at. There the state is compared as a
//! caller sees it ([`Seen`]): whether its precision's functions accept
//! it, the slots of two ids, the bytes of a view's five arrays, and
//! every byte of the `Vec` outside the struct. Storage the library never
//! wrote (zeros, patterns) is compared whole under Miri too. Under Miri
//! a few accepted checkpoint calls that repeat others are left out, and
//! `f64` runs a subset of the probes (see [`miri_subset`]): a checkpoint
//! of 256 slots costs about a second there.
//!
//! The last four tests hold what these probes found in the library on
//! 2026-12-05, each fixed since: outputs in the C struct's tail past the
//! Rust state were accepted; a view died at the next call, even one that
//! only reads the state; the read-only functions made a `&mut` of the
//! state; and a refused load after evictions rewrites the id map's bytes
//! (nothing observable: the docs now say so, and the test checks that).
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use dpm_core::capi::*;
use std::mem::{align_of, size_of};
use std::ptr::{copy_nonoverlapping, null, null_mut};

#[path = "support/c_sparse.rs"]
mod c_sparse;
use c_sparse::{Sparse, v};

/// The slots of every state of this library build.
const CAP: usize = DPM_SPARSE_CAPACITY;
/// Words (or elements, bytes) every buffer has beyond what the calls use.
const SPARE: usize = 8;
/// The ids mapped in a live state, at slots 0, 1, 2: the ends of the
/// `u64` range and one between.
const LIVE_IDS: [u64; 3] = [u64::MAX, 0, 0xdead_beef];
const K: usize = LIVE_IDS.len();
/// An id no state of these tests maps.
const NEVER: u64 = 0x5eed_5eed;
/// The storage's bytes before a state is written, and a refused call's
/// outputs: values no call writes.
const PATTERN: u64 = 0xa5a5_a5a5_a5a5_a5a5;
const UNTOUCHED: usize = usize::MAX / 0xff * 0xa5;
const UNTOUCHED32: u32 = 0xa5a5_a5a5;
/// The sequence number of the checkpoints the tests save.
const SEQ: u64 = 5;

/// The `k`-th id of the batches (never one of [`LIVE_IDS`] or [`NEVER`]).
fn new_id(k: usize) -> u64 {
    0x1_0000 + k as u64
}

/// Ids whose slots [`Seen`] records: a live one, and the first of the
/// batches (which a probe that wrote the map would most likely map). Few:
/// under Miri each lookup costs 5 ms, and [`Seen`] is taken hundreds of
/// times.
const WATCHED: [u64; 2] = [0xdead_beef, 0x1_0000];

/// Under Miri, `f64` skips most accepted calls that are slow there (a
/// checkpoint of 256 slots is saved, checked or loaded in about a
/// second each, a batch of 256 new ids takes 2.5 s): the `_f64`
/// functions share every body of checks with the `_f32` ones (generic
/// over the precision), which run every probe; `f64` still probes every
/// pointer, every refused length and every storage, with its 8-byte
/// elements, and one accepted call of each function. Natively both
/// precisions run every probe.
fn miri_subset<T>() -> bool {
    cfg!(miri) && size_of::<T>() == 8
}

/// The codes a function may return.
fn is_status(rc: i32) -> bool {
    rc == DPM_OK || rc == DPM_ERR_BAD_POINTER || (1..=14).contains(&rc)
}

/// Lengths to probe for an array of `len` elements of `size` bytes.
fn lengths(len: usize, size: usize) -> Vec<usize> {
    let past_isize = (isize::MAX as usize) / size + 1;
    vec![0, 1, len.saturating_sub(1), len + 1, past_isize, usize::MAX]
}

/// What a pointer argument is replaced by: itself, NULL, or moved by
/// that many bytes (misaligned).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ptr {
    Live,
    Null,
    Odd(usize),
}

fn ptr_of<P>(p: *mut P, how: Ptr) -> *mut P {
    match how {
        Ptr::Live => p,
        Ptr::Null => null_mut(),
        Ptr::Odd(by) => p.cast::<u8>().wrapping_add(by).cast(),
    }
}

/// NULL and the two misalignments of a `P`: by one byte and by half its
/// alignment (which is 8 for the storage, the ids, the slots and `seq`).
fn bad_ptrs<P>() -> Vec<Ptr> {
    let mut v = vec![Ptr::Null, Ptr::Odd(1)];
    if align_of::<P>() > 2 {
        v.push(Ptr::Odd(align_of::<P>() / 2));
    }
    v
}

/// The bytes of `sizeof(DpmSparseF32)` or `F64` for a precision of
/// `prec` bytes.
fn struct_bytes(prec: usize) -> usize {
    if prec == 4 {
        dpm_sparse_bytes_f32()
    } else {
        dpm_sparse_bytes_f64()
    }
}

/// The last word of the state inside the struct: where the library's
/// overlap checks end (`size_of::<DpmSparseOf<T>>()`, short of `sizeof`
/// as C sees it: see [`outputs_in_the_tail_of_the_c_struct_are_refused`]).
fn last_word<T>() -> usize {
    size_of::<DpmSparseOf<T>>() - 8
}

/// The words of every storage: room for either precision's struct, and
/// [`SPARE`] more.
fn store_words() -> usize {
    dpm_sparse_bytes_f32().max(dpm_sparse_bytes_f64()) / 8 + SPARE
}

/// Caller storage for a sparse state.
#[derive(Clone)]
struct Store {
    w: Vec<u64>,
    /// Where the state starts in `w`, in bytes (0; 1 or 4 for the
    /// misaligned storages).
    off: usize,
    /// The precision (bytes per value) the library initialised it in,
    /// if it wrote it: Miri then cannot read all of its bytes.
    lib: Option<usize>,
}

/// A copy of a storage's words and, under Miri, of what is seen of it.
#[derive(Clone)]
struct Snap {
    w: Vec<u64>,
    seen: Option<Seen>,
}

/// What a caller sees of a state in a storage (see the module docs).
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    /// The bytes of the storage outside the struct.
    outside: Vec<u8>,
    /// The code of `dpm_sparse_slot_*` in the state's precision.
    accepts: i32,
    /// The slot of each of [`WATCHED`].
    slots: Vec<usize>,
    /// The bytes of a view's five arrays.
    arrays: Vec<u8>,
}

impl Store {
    /// Every byte `byte` (by `write_bytes`: under Miri, a loop over the
    /// words costs seconds).
    fn filled(byte: u8) -> Self {
        let mut w = vec![0_u64; store_words()];
        // SAFETY: the Vec's own words.
        unsafe { w.as_mut_ptr().write_bytes(byte, w.len()) };
        Store {
            w,
            off: 0,
            lib: None,
        }
    }

    /// Random bytes: a block of random words, repeated.
    fn random() -> Self {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let block: Vec<u64> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        let mut s = Store::filled(0);
        for chunk in s.w.chunks_mut(64) {
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        s
    }

    /// A state in `T` with [`LIVE_IDS`] mapped (slots 0, 1, 2), over the
    /// pattern.
    fn live<T: Sparse>() -> Self {
        let mut s = Store::filled(0xa5);
        // SAFETY: room for the struct (store_words).
        assert_eq!(unsafe { T::INIT(s.at(), T::BYTES(), v(-0.05)) }, DPM_OK);
        s.lib = Some(size_of::<T>());
        let mut out = [UNTOUCHED; K];
        // SAFETY: an initialised state, K ids and K slots.
        let rc = unsafe { T::SLOTS(s.at(), LIVE_IDS.as_ptr(), K, out.as_mut_ptr()) };
        assert_eq!((rc, out), (DPM_OK, [0, 1, 2]));
        s
    }

    /// The state's address (misaligned for the misaligned storages).
    fn at<T>(&mut self) -> *mut DpmSparseOf<T> {
        self.byte_at(0).cast()
    }

    /// The address `k` bytes into the state.
    fn byte_at(&mut self, k: usize) -> *mut u8 {
        self.w.as_mut_ptr().cast::<u8>().wrapping_add(self.off + k)
    }

    fn snap(&self) -> Snap {
        Snap {
            w: self.w.clone(),
            seen: (cfg!(miri) && self.lib.is_some()).then(|| self.seen()),
        }
    }

    /// Every byte as in `before` (under Miri, for a state the library
    /// wrote, what a caller sees of it).
    fn assert_same(&self, before: &Snap, ctx: &str) {
        if let Some(seen) = &before.seen {
            assert!(self.seen() == *seen, "{ctx}: the state changed");
        } else if self.w != before.w {
            let k = (0..self.w.len()).find(|&k| self.w[k] != before.w[k]);
            let k = k.expect("a word differs");
            panic!(
                "{ctx}: the storage changed, first at byte {} of the state ({:#x} -> {:#x})",
                8 * k as isize - self.off as isize,
                before.w[k],
                self.w[k]
            );
        }
    }

    /// What a caller sees of the state (see [`Seen`]).
    fn seen(&self) -> Seen {
        let prec = self.lib.expect("a state the library wrote");
        let (bytes, all) = (struct_bytes(prec), 8 * self.w.len());
        let src = self.w.as_ptr().cast::<u8>();
        // SAFETY: the bytes before and after the struct, which the test
        // wrote (a call that wrote them uninitialised is what Miri finds).
        let outside = unsafe {
            let before = std::slice::from_raw_parts(src, self.off);
            let after =
                std::slice::from_raw_parts(src.add(self.off + bytes), all - self.off - bytes);
            [before, after].concat()
        };
        // The state, copied bytewise to an aligned storage of its own.
        let mut copy = vec![0_u64; self.w.len()];
        // SAFETY: `off + bytes <= all`; distinct allocations.
        unsafe { copy_nonoverlapping(src.add(self.off), copy.as_mut_ptr().cast(), bytes) };
        let (accepts, slots, arrays) = if prec == 4 {
            seen_in::<f32>(&mut copy)
        } else {
            seen_in::<f64>(&mut copy)
        };
        Seen {
            outside,
            accepts,
            slots,
            arrays,
        }
    }
}

/// [`Seen`] of the state of precision `T` at the front of `w`.
fn seen_in<T: Sparse>(w: &mut [u64]) -> (i32, Vec<usize>, Vec<u8>) {
    let p = w.as_mut_ptr().cast::<DpmSparseOf<T>>();
    let mut k = UNTOUCHED;
    // SAFETY: a copy of a state in storage of either precision's size.
    let accepts = unsafe { T::SLOT(p, NEVER, &mut k) };
    let slots = WATCHED
        .iter()
        .map(|&id| {
            let mut k = UNTOUCHED;
            // SAFETY: as above.
            unsafe { T::SLOT(p, id, &mut k) };
            k
        })
        .collect();
    let mut arrays = Vec::new();
    let mut view = blank_view::<T>();
    // SAFETY: as above; the view is read before any other call.
    if unsafe { T::VIEW(p, &mut view) } == DPM_OK {
        let n = view.n;
        let sz = size_of::<T>();
        for (a, len) in [
            (view.log_s.cast::<u8>(), n * sz),
            (view.s_flags, n),
            (view.zeta.cast(), n * sz),
            (view.z.cast(), n * sz),
            (view.z_flags, n),
        ] {
            // SAFETY: the view's arrays, inside `w`.
            arrays.extend_from_slice(unsafe { std::slice::from_raw_parts(a, len) });
        }
    }
    (accepts, slots, arrays)
}

/// What the storage argument is, for the probes of a bad storage.
#[derive(Clone, Copy, Debug)]
enum St {
    /// NULL (the live state beside it).
    Null,
    /// A live state's bytes copied that many bytes past an aligned
    /// address, which is passed.
    Odd(usize),
    /// Never initialised: zero bytes, the pattern, random bytes.
    Zeros,
    Pattern,
    Random,
    /// Zero bytes but for a first word one bit from this precision's
    /// magic (the first word of an initialised state).
    NearMagic(u64),
    /// A live state of the other precision.
    Other,
}

/// Every storage the functions must refuse.
fn bad_storages<T: Sparse>() -> Vec<St> {
    let odd = bad_ptrs::<DpmSparseOf<T>>()
        .into_iter()
        .filter_map(|p| match p {
            Ptr::Odd(by) => Some(St::Odd(by)),
            _ => None,
        });
    [St::Null]
        .into_iter()
        .chain(odd)
        .chain([
            St::Zeros,
            St::Pattern,
            St::Random,
            St::NearMagic(1),
            St::NearMagic(1 << 40),
            St::Other,
        ])
        .collect()
}

/// A live state in `T` and one in the other precision, each made once
/// per test.
struct Fixture {
    live: Store,
    other: Store,
    /// Their snapshots, taken once: under Miri each costs a [`Seen`].
    snaps: [Snap; 2],
}

impl Fixture {
    fn new<T: Sparse>() -> Self {
        let (live, other) = (Store::live::<T>(), Store::live::<T::Other>());
        let snaps = [live.snap(), other.snap()];
        Fixture { live, other, snaps }
    }

    /// A copy of the live state, and its snapshot.
    fn fresh(&self) -> (Store, Snap) {
        (self.live.clone(), self.snaps[0].clone())
    }

    /// The storage `st` describes, the pointer to pass, and its snapshot.
    fn bad<T: Sparse>(&self, st: St) -> (Store, *mut DpmSparseOf<T>, Snap) {
        let mut s = match st {
            St::Null => self.live.clone(),
            St::Odd(by) => {
                let mut s = Store::filled(0xa5);
                (s.off, s.lib) = (by, self.live.lib);
                // SAFETY: both hold store_words(); `by + BYTES` fits.
                unsafe {
                    copy_nonoverlapping(
                        self.live.w.as_ptr().cast::<u8>(),
                        s.byte_at(0),
                        T::BYTES(),
                    );
                }
                s
            }
            St::Zeros => Store::filled(0),
            St::Pattern => Store::filled(0xa5),
            St::Random => Store::random(),
            St::NearMagic(bit) => {
                let mut s = Store::filled(0);
                s.w[0] = self.live.w[0] ^ bit;
                s
            }
            St::Other => self.other.clone(),
        };
        let p = if matches!(st, St::Null) {
            null_mut()
        } else {
            s.at()
        };
        let snap = match st {
            St::Null => self.snaps[0].clone(),
            St::Other => self.snaps[1].clone(),
            _ => s.snap(),
        };
        (s, p, snap)
    }
}

/// A view no call wrote: NULL arrays, `n` 12345.
fn blank_view<T>() -> DpmStateOf<T> {
    DpmStateOf {
        log_s: null_mut(),
        s_flags: null_mut(),
        zeta: null_mut(),
        z: null_mut(),
        z_flags: null_mut(),
        n: 12345,
    }
}

fn view_fields<T>(v: &DpmStateOf<T>) -> [usize; 6] {
    [
        v.log_s.addr(),
        v.s_flags.addr(),
        v.zeta.addr(),
        v.z.addr(),
        v.z_flags.addr(),
        v.n,
    ]
}

/// A view's arrays as offsets from `start`, and its `n`.
fn view_offsets<T>(v: &DpmStateOf<T>, start: usize) -> [usize; 6] {
    let mut f = view_fields(v);
    for a in &mut f[..5] {
        *a = a.wrapping_sub(start);
    }
    f
}

/// The slot `s` gives `id` (`SIZE_MAX` if unmapped).
fn slot_of<T: Sparse>(s: &mut Store, id: u64) -> usize {
    let mut k = UNTOUCHED;
    // SAFETY: a live state.
    assert_eq!(unsafe { T::SLOT(s.at(), id, &mut k) }, DPM_OK);
    k
}

/// A checkpoint of `s` (sequence number `seq`) at the front of a
/// `u64`-aligned buffer with [`SPARE`] words after it.
fn checkpoint<T: Sparse>(s: &mut Store, seq: u64) -> Vec<u64> {
    let ck = T::CHECKPOINT_LEN();
    let mut buf = vec![0_u64; ck.div_ceil(8) + SPARE];
    // SAFETY: a live state; the buffer holds ck bytes.
    let rc = unsafe { T::SAVE(s.at(), seq, buf.as_mut_ptr().cast(), ck) };
    assert_eq!(rc, DPM_OK);
    buf
}

fn bytes_of(w: &mut [u64]) -> *mut u8 {
    w.as_mut_ptr().cast()
}

/// The live state with one id more ([`new_id`]`(0)`, at slot [`K`]).
fn grown<T: Sparse>(fx: &Fixture) -> Store {
    let mut s = fx.live.clone();
    let mut k = UNTOUCHED;
    // SAFETY: a live state, one id, one slot.
    assert_eq!(unsafe { T::SLOTS(s.at(), &new_id(0), 1, &mut k) }, DPM_OK);
    assert_eq!(k, K);
    s
}

/// The live state after two batches of new ids that evicted its own and
/// two of the first batch, and every id it has seen.
fn evicted<T: Sparse>(fx: &Fixture) -> (Store, Vec<u64>) {
    let mut s = fx.live.clone();
    let ids: Vec<u64> = (0..CAP + 2).map(new_id).collect();
    let mut o = vec![0; CAP];
    // SAFETY: a live state, CAP ids and slots, then 2.
    unsafe {
        assert_eq!(T::SLOTS(s.at(), ids.as_ptr(), CAP, o.as_mut_ptr()), DPM_OK);
        let rc = T::SLOTS(s.at(), ids[CAP..].as_ptr(), 2, o.as_mut_ptr());
        assert_eq!(rc, DPM_OK);
    }
    let seen = LIVE_IDS.into_iter().chain(ids).collect();
    (s, seen)
}

/// The slot of each of `ids` in `s`.
fn slots_of<T: Sparse>(s: &mut Store, ids: &[u64]) -> Vec<usize> {
    ids.iter().map(|&id| slot_of::<T>(s, id)).collect()
}

/// The CRC of a crafted checkpoint of `ck` bytes made valid again.
fn reseal(b: &mut [u8], ck: usize) {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&b[..ck - 4]);
    b[ck - 4..ck].copy_from_slice(&crc.to_le_bytes());
}

/// A checkpoint of `T` with a valid CRC whose slot 1 holds slot 0's id:
/// refused after the map was rebuilt.
fn repeated_id<T: Sparse>(good: &[u64]) -> Vec<u64> {
    let (ck, p) = (T::CHECKPOINT_LEN(), size_of::<T>());
    let id_at = |k: usize| 24 + CAP * (3 * p + 1) + 16 + p + 16 * k;
    let mut w = good.to_vec();
    // SAFETY: the buffer's own bytes.
    let b = unsafe { std::slice::from_raw_parts_mut(bytes_of(&mut w), ck) };
    let id0: [u8; 8] = b[id_at(0)..id_at(0) + 8].try_into().unwrap();
    assert_eq!(u64::from_le_bytes(id0), LIVE_IDS[0], "the map's offsets");
    b[id_at(1)..id_at(1) + 8].copy_from_slice(&id0);
    reseal(b, ck);
    w
}

#[test]
fn size_functions() {
    assert!(CAP.is_power_of_two() && CAP >= 2);
    assert_eq!(dpm_sparse_capacity(), CAP);
    assert_eq!(dpm_sparse_bytes_f32(), 8 * (9 * CAP + 8));
    assert_eq!(dpm_sparse_bytes_f64(), 8 * (11 * CAP + 8));
    assert_eq!(dpm_sparse_checkpoint_len_f32(), 48 + 29 * CAP);
    assert_eq!(dpm_sparse_checkpoint_len_f64(), 52 + 41 * CAP);
    assert!(align_of::<DpmSparseF32>() <= 8 && align_of::<DpmSparseF64>() <= 8);
    assert!(size_of::<DpmSparseF32>() <= dpm_sparse_bytes_f32());
    assert!(size_of::<DpmSparseF64>() <= dpm_sparse_bytes_f64());
}

#[test]
fn init_every_length_and_pointer() {
    init::<f32>();
}

#[test]
fn init_every_length_and_pointer_f64() {
    init::<f64>();
}

/// `init` over a storage: every `bytes` but the library's size refused
/// (`DPM_ERR_LENGTH_MISMATCH`), NULL and misaligned storage, a zeta not
/// finite; accepted over any bytes (a live state of either precision
/// included), writing nothing past the struct.
fn init<T: Sparse>() {
    let b = T::BYTES();
    let z = v::<T>(-0.05);
    let mut cases = 0;
    let mut sizes = lengths(b, 1);
    sizes.extend([<T::Other as Sparse>::BYTES(), b]);
    for n in sizes {
        let mut s = Store::filled(0xa5);
        let before = s.snap();
        // SAFETY: room for the struct; another `n` is refused unwritten.
        let rc = unsafe { T::INIT(s.at(), n, z) };
        let ctx = format!("init, bytes {n}: {rc}");
        assert!(is_status(rc), "{ctx}");
        if n == b {
            assert_eq!(rc, DPM_OK, "{ctx}");
            s.lib = Some(size_of::<T>());
            assert_empty::<T>(&mut s, Some(&before), z, &ctx);
        } else {
            assert_eq!(rc, DPM_ERR_LENGTH_MISMATCH, "{ctx}");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    for how in bad_ptrs::<DpmSparseOf<T>>() {
        let mut s = Store::filled(0xa5);
        let before = s.snap();
        // SAFETY: refused before any write.
        let rc = unsafe { T::INIT(ptr_of(s.at(), how), b, z) };
        let ctx = format!("init, storage {how:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // Not finite; and every fault at once (refused, whichever is named).
    let faults = [
        (Ptr::Live, b, f32::NAN, DPM_ERR_INVALID_PARAMETER),
        (Ptr::Live, b, f32::INFINITY, DPM_ERR_INVALID_PARAMETER),
        (Ptr::Live, b, f32::NEG_INFINITY, DPM_ERR_INVALID_PARAMETER),
        (Ptr::Live, b + 1, f32::NAN, 0),
        (Ptr::Null, b + 1, f32::NAN, 0),
        (Ptr::Odd(1), usize::MAX, f32::INFINITY, 0),
    ];
    for (how, n, zeta, code) in faults {
        let mut s = Store::filled(0xa5);
        let before = s.snap();
        // SAFETY: as above.
        let rc = unsafe { T::INIT(ptr_of(s.at(), how), n, v(zeta)) };
        let ctx = format!("init, storage {how:?}, bytes {n}, zeta {zeta}: {rc}");
        assert!(is_status(rc) && rc != DPM_OK, "{ctx}");
        if code != 0 {
            assert_eq!(rc, code, "{ctx}");
        }
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // Over a live state of either precision: an empty state in `T`.
    let fx = Fixture::new::<T>();
    for (mut s, prec) in [
        (fx.live.clone(), size_of::<T>()),
        (fx.other.clone(), size_of::<T::Other>()),
    ] {
        // Under Miri, the words past the struct can be compared only if
        // the test wrote them (not the other precision's larger state).
        let ours = !cfg!(miri) || struct_bytes(prec) <= b;
        let before = Store {
            lib: None,
            ..s.clone()
        }
        .snap();
        // SAFETY: room for the struct.
        assert_eq!(unsafe { T::INIT(s.at(), b, z) }, DPM_OK);
        s.lib = Some(size_of::<T>());
        let before = ours.then_some(&before);
        assert_empty::<T>(&mut s, before, z, "init over a live state");
        cases += 1;
    }
    assert_eq!(cases, 8 + bad_ptrs::<DpmSparseOf<T>>().len() + 6 + 2);
}

/// `s` holds an empty state in `T` (every id unmapped, every slot never
/// visited with `zeta`, refused by the other precision), and its words
/// past the struct are those of `before` (if given).
fn assert_empty<T: Sparse>(s: &mut Store, before: Option<&Snap>, zeta: T, ctx: &str) {
    let b = T::BYTES() / 8;
    if let Some(before) = before {
        assert!(s.w[b..] == before.w[b..], "{ctx}: written past the struct");
    }
    for id in WATCHED {
        assert_eq!(slot_of::<T>(s, id), usize::MAX, "{ctx}: id {id} mapped");
    }
    let mut k = UNTOUCHED;
    // SAFETY: a state in T, which the other precision refuses unread.
    let rc = unsafe { <T::Other as Sparse>::SLOT(s.at(), NEVER, &mut k) };
    assert_eq!((rc, k), (DPM_ERR_BAD_POINTER, UNTOUCHED), "{ctx}");
    let mut view = blank_view::<T>();
    // SAFETY: a state in T; its arrays read before any other call.
    unsafe {
        assert_eq!(T::VIEW(s.at(), &mut view), DPM_OK, "{ctx}");
        let n = view.n;
        assert_eq!(n, CAP, "{ctx}");
        let zs = std::slice::from_raw_parts(view.zeta, n);
        assert!(zs.iter().all(|&x| x == zeta), "{ctx}: zeta");
        let flags = [
            std::slice::from_raw_parts(view.s_flags, n),
            std::slice::from_raw_parts(view.z_flags, n),
        ];
        assert!(flags.iter().all(|f| f.iter().all(|&x| x == 0)), "{ctx}");
    }
}

#[test]
fn slots_every_length_and_pointer() {
    slots::<f32>();
}

#[test]
fn slots_every_length_and_pointer_f64() {
    slots::<f64>();
}

/// `slots`: `len` at every edge and at the capacity and one more, each
/// array NULL and misaligned (ignored at `len = 0`), the slots over the
/// ids and either array over the storage (refused) or just after them
/// (accepted), and every bad storage.
fn slots<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let ids: Vec<u64> = (0..CAP + SPARE).map(new_id).collect();
    let fresh = vec![UNTOUCHED; CAP + SPARE];
    let mut cases = 0;
    let mut probes: Vec<(usize, Ptr, Ptr)> = lengths(K, 8)
        .into_iter()
        .chain([K, CAP, CAP + 1])
        .filter(|&len| len != CAP || !miri_subset::<T>())
        .map(|len| (len, Ptr::Live, Ptr::Live))
        .collect();
    for len in [K, 0] {
        probes.extend(bad_ptrs::<u64>().into_iter().map(|p| (len, p, Ptr::Live)));
        probes.extend(bad_ptrs::<usize>().into_iter().map(|p| (len, Ptr::Live, p)));
    }
    for &(len, hi, ho) in &probes {
        let (mut s, before) = fx.fresh();
        let (mut i, mut o) = (ids.clone(), fresh.clone());
        // SAFETY: CAP + SPARE ids and slots; longer lengths and bad
        // pointers are refused before a slice is formed.
        let rc = unsafe {
            T::SLOTS(
                s.at(),
                ptr_of(i.as_mut_ptr(), hi),
                len,
                ptr_of(o.as_mut_ptr(), ho),
            )
        };
        let ctx = format!("slots, len {len}, ids {hi:?}, slots {ho:?}: {rc}");
        assert!(is_status(rc), "{ctx}");
        assert!(i == ids, "{ctx}: ids written");
        let live = hi == Ptr::Live && ho == Ptr::Live;
        if len == 0 || live && len <= CAP {
            assert_eq!(rc, DPM_OK, "{ctx}");
            // New ids take the free slots, then evict the live ids.
            let want: Vec<usize> = (0..len).map(|k| (K + k) % CAP).collect();
            assert_eq!(o[..len], want[..], "{ctx}");
            assert!(o[len..] == fresh[len..], "{ctx}: written past len");
            if len == 0 {
                s.assert_same(&before, &ctx);
            } else {
                assert_eq!(slot_of::<T>(&mut s, new_id(0)), K, "{ctx}");
            }
        } else {
            let code = if live && len == CAP + 1 {
                DPM_ERR_LENGTH_MISMATCH
            } else {
                DPM_ERR_BAD_POINTER
            };
            assert_eq!(rc, code, "{ctx}");
            assert!(o == fresh, "{ctx}: slots written");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    // The slots over the ids (in one buffer of words), or just after them.
    for at in [0, 1, K - 1, K] {
        let (mut s, before) = fx.fresh();
        let mut u: Vec<u64> = (0..2 * K + SPARE).map(new_id).collect();
        let u0 = u.clone();
        let base = u.as_mut_ptr();
        // SAFETY: both inside `u`; overlapping ones are refused.
        let rc = unsafe { T::SLOTS(s.at(), base, K, base.wrapping_add(at).cast()) };
        let ctx = format!("slots {at} ids into the ids: {rc}");
        if at == K {
            assert_eq!(rc, DPM_OK, "{ctx}");
            assert_eq!(u[K..2 * K], [3, 4, 5].map(|k| k as u64), "{ctx}");
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            assert!(u == u0, "{ctx}: ids written");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    // Either array over the storage (at its first byte, 64 bytes in, its
    // last word), or just past it.
    let b = T::BYTES();
    for ids_over in [true, false] {
        for at in [0, 64, last_word::<T>(), b] {
            let (mut s, before) = fx.fresh();
            let mut o = fresh.clone();
            let over = s.byte_at(at);
            // SAFETY: inside the storage's words (K words from `b` are
            // spare); overlapping ones are refused.
            let rc = unsafe {
                if ids_over {
                    T::SLOTS(s.at(), over.cast(), K, o.as_mut_ptr())
                } else {
                    T::SLOTS(s.at(), ids.as_ptr(), K, over.cast())
                }
            };
            let ctx = format!("slots, ids over the storage {ids_over}, at byte {at}: {rc}");
            if at == b {
                assert_eq!(rc, DPM_OK, "{ctx}");
                let got = if ids_over {
                    o[..K].to_vec()
                } else {
                    s.w[b / 8..b / 8 + K].iter().map(|&x| x as usize).collect()
                };
                // The spare words hold one id, repeated: one new slot.
                let want = if ids_over { [K; K] } else { [3, 4, 5] };
                assert_eq!(got, want, "{ctx}");
            } else {
                assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
                assert!(o == fresh, "{ctx}: slots written");
                s.assert_same(&before, &ctx);
            }
            cases += 1;
        }
    }
    for st in bad_storages::<T>() {
        let (s, p, before) = fx.bad::<T>(st);
        let mut o = fresh.clone();
        // SAFETY: refused unread (what this test checks).
        let rc = unsafe { T::SLOTS(p, ids.as_ptr(), K, o.as_mut_ptr()) };
        let ctx = format!("slots, storage {st:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        assert!(o == fresh, "{ctx}: slots written");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    let lens = if miri_subset::<T>() { 8 } else { 9 };
    let ptrs = 2 * (bad_ptrs::<u64>().len() + bad_ptrs::<usize>().len());
    assert_eq!(cases, lens + ptrs + 4 + 8 + bad_storages::<T>().len());
}

#[test]
fn slot_every_pointer() {
    slot::<f32>();
}

#[test]
fn slot_every_pointer_f64() {
    slot::<f64>();
}

/// `slot`: mapped, unmapped and edge ids answered without a write to the
/// state; the output NULL, misaligned or over the storage refused, just
/// past it accepted; every bad storage.
fn slot<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let b = T::BYTES();
    let mut cases = 0;
    let answers = LIVE_IDS
        .into_iter()
        .zip(0..)
        .chain([(NEVER, usize::MAX), (new_id(0), usize::MAX)]);
    for (id, want) in answers {
        let (mut s, before) = fx.fresh();
        let mut o = [UNTOUCHED; 2];
        // SAFETY: a live state, one slot.
        let rc = unsafe { T::SLOT(s.at(), id, o.as_mut_ptr()) };
        let ctx = format!("slot of {id:#x}: {rc}");
        assert_eq!((rc, o), (DPM_OK, [want, UNTOUCHED]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    for how in bad_ptrs::<usize>() {
        let (mut s, before) = fx.fresh();
        let mut o = [UNTOUCHED; 2];
        // SAFETY: refused before any write.
        let rc = unsafe { T::SLOT(s.at(), 0, ptr_of(o.as_mut_ptr(), how)) };
        let ctx = format!("slot, output {how:?}: {rc}");
        assert_eq!((rc, o), (DPM_ERR_BAD_POINTER, [UNTOUCHED; 2]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    for at in [0, 64, last_word::<T>(), b] {
        let (mut s, before) = fx.fresh();
        let over = s.byte_at(at).cast::<usize>();
        // SAFETY: inside the storage's words; overlaps are refused.
        let rc = unsafe { T::SLOT(s.at(), LIVE_IDS[2], over) };
        let ctx = format!("slot, output at byte {at} of the storage: {rc}");
        if at == b {
            assert_eq!((rc, s.w[b / 8]), (DPM_OK, 2), "{ctx}");
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    for st in bad_storages::<T>() {
        let (s, p, before) = fx.bad::<T>(st);
        let mut o = UNTOUCHED;
        // SAFETY: refused unread.
        let rc = unsafe { T::SLOT(p, LIVE_IDS[0], &mut o) };
        let ctx = format!("slot, storage {st:?}: {rc}");
        assert_eq!((rc, o), (DPM_ERR_BAD_POINTER, UNTOUCHED), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    assert_eq!(
        cases,
        5 + bad_ptrs::<usize>().len() + 4 + bad_storages::<T>().len()
    );
}

#[test]
fn view_every_pointer() {
    view::<f32>();
}

#[test]
fn view_every_pointer_f64() {
    view::<f64>();
}

/// `view`: five disjoint, aligned arrays of the capacity inside the
/// struct, the same each time, the state unchanged; the output NULL,
/// misaligned or over the storage refused, just past it accepted; every
/// bad storage.
fn view<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let b = T::BYTES();
    let sz = size_of::<T>();
    let mut cases = 0;
    let (mut s, before) = fx.fresh();
    let (mut first, mut second) = (blank_view::<T>(), blank_view::<T>());
    // SAFETY: a live state; two views, only their addresses compared
    // (the arrays read before the second call).
    unsafe {
        assert_eq!(T::VIEW(s.at(), &mut first), DPM_OK);
        assert_eq!(first.n, CAP);
        let zeta = std::slice::from_raw_parts(first.zeta, CAP);
        assert!(zeta.iter().all(|&x| x == v(-0.05)));
        assert_eq!(T::VIEW(s.at(), &mut second), DPM_OK);
    }
    assert_eq!(view_fields(&first), view_fields(&second));
    s.assert_same(&before, "view");
    let start = s.at::<T>().addr();
    let f = view_fields(&first);
    let spans = [
        (f[0], CAP * sz),
        (f[1], CAP),
        (f[2], CAP * sz),
        (f[3], CAP * sz),
        (f[4], CAP),
    ];
    for (k, &(a, len)) in spans.iter().enumerate() {
        assert!(
            start <= a && a + len <= start + b,
            "array {k} outside the struct"
        );
        let align = if len == CAP { 1 } else { sz };
        assert_eq!(a % align, 0, "array {k} misaligned");
        for &(c, l) in &spans[k + 1..] {
            assert!(a + len <= c || c + l <= a, "arrays overlap");
        }
    }
    cases += 1;
    for how in bad_ptrs::<DpmStateOf<T>>() {
        let (mut s, before) = fx.fresh();
        let mut o = [PATTERN; SPARE];
        let at = ptr_of(o.as_mut_ptr().cast::<DpmStateOf<T>>(), how);
        // SAFETY: refused before any write.
        let rc = unsafe { T::VIEW(s.at(), at) };
        let ctx = format!("view, output {how:?}: {rc}");
        assert_eq!((rc, o), (DPM_ERR_BAD_POINTER, [PATTERN; SPARE]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    for at in [0, 64, last_word::<T>(), b] {
        let (mut s, before) = fx.fresh();
        let over = s.byte_at(at).cast::<DpmStateOf<T>>();
        // SAFETY: inside the storage's words (a view is 6 words, SPARE
        // past the struct); overlaps are refused.
        let rc = unsafe { T::VIEW(s.at(), over) };
        let ctx = format!("view, output at byte {at} of the storage: {rc}");
        if at == b {
            assert_eq!(rc, DPM_OK, "{ctx}");
            // SAFETY: written by the call.
            let got = unsafe { over.read() };
            let here = s.at::<T>().addr();
            assert_eq!(
                view_offsets(&got, here),
                view_offsets(&first, start),
                "{ctx}"
            );
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    for st in bad_storages::<T>() {
        let (s, p, before) = fx.bad::<T>(st);
        let mut o = blank_view::<T>();
        // SAFETY: refused unread.
        let rc = unsafe { T::VIEW(p, &mut o) };
        let ctx = format!("view, storage {st:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        assert_eq!(view_fields(&o), view_fields(&blank_view::<T>()), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    assert_eq!(
        cases,
        1 + bad_ptrs::<DpmStateOf<T>>().len() + 4 + bad_storages::<T>().len()
    );
}

#[test]
fn save_every_length_and_pointer() {
    save::<f32>();
}

#[test]
fn save_every_length_and_pointer_f64() {
    save::<f64>();
}

/// `save`: `buf_len` at every edge with `buf` live, NULL and one byte
/// on (a byte buffer has no alignment); `buf` over the storage; a state
/// with a NaN (`DPM_ERR_NON_FINITE`); every bad storage. Only the
/// checkpoint's bytes are written, and the state never.
fn save<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let (b, ck) = (T::BYTES(), T::CHECKPOINT_LEN());
    let mut cases = 0;
    let fresh = vec![0xa5_u8; ck + SPARE];
    let mut s = fx.live.clone();
    let mut reference = fresh.clone();
    // SAFETY: a live state, a buffer of ck + SPARE bytes.
    let rc = unsafe { T::SAVE(s.at(), u64::MAX, reference.as_mut_ptr(), ck) };
    assert_eq!(rc, DPM_OK);
    assert_eq!(
        (&reference[..4], &reference[16..24]),
        (&b"DPMC"[..], &u64::MAX.to_le_bytes()[..])
    );
    assert!(reference[ck..] == fresh[ck..]);
    let mut probes: Vec<(usize, Ptr)> =
        lengths(ck, 1).into_iter().map(|l| (l, Ptr::Live)).collect();
    probes.extend([(ck, Ptr::Null), (0, Ptr::Null), (ck, Ptr::Odd(1))]);
    if miri_subset::<T>() {
        probes.retain(|&(len, how)| !(len == ck + 1 || how == Ptr::Odd(1)));
    }
    for &(len, how) in &probes {
        let (mut s, before) = fx.fresh();
        let mut buf = fresh.clone();
        let bp = ptr_of(buf.as_mut_ptr(), how);
        // SAFETY: a buffer of ck + SPARE bytes; longer lengths are
        // refused before a slice is formed.
        let rc = unsafe { T::SAVE(s.at(), u64::MAX, bp, len) };
        let ctx = format!("save, buf {how:?} with length {len}: {rc}");
        assert!(is_status(rc), "{ctx}");
        let code = if how == Ptr::Null && len > 0 || len > isize::MAX as usize {
            DPM_ERR_BAD_POINTER
        } else if len < ck {
            DPM_ERR_LENGTH_MISMATCH
        } else {
            DPM_OK
        };
        assert_eq!(rc, code, "{ctx}");
        if rc == DPM_OK {
            let by = if let Ptr::Odd(by) = how { by } else { 0 };
            assert!(
                buf[by..by + ck] == reference[..ck],
                "{ctx}: not the checkpoint"
            );
            assert!(
                buf[..by] == fresh[..by] && buf[by + ck..] == fresh[by + ck..],
                "{ctx}: written past it"
            );
        } else {
            assert!(buf == fresh, "{ctx}: buffer written");
        }
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // Over the storage (its first byte, its last word), or just past it:
    // the overlap is found before the length.
    for (at, len, code) in [
        (0, ck, DPM_ERR_BAD_POINTER),
        (last_word::<T>(), 64, DPM_ERR_BAD_POINTER),
        (b, 64, DPM_ERR_LENGTH_MISMATCH),
    ] {
        let (mut s, before) = fx.fresh();
        let over = s.byte_at(at);
        // SAFETY: inside the storage's words; all refused unwritten.
        let rc = unsafe { T::SAVE(s.at(), 0, over, len) };
        let ctx = format!("save, buf at byte {at} of the storage, length {len}: {rc}");
        assert_eq!(rc, code, "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // A NaN written through a view into a mapped slot's zeta.
    let mut s = fx.live.clone();
    let mut view = blank_view::<T>();
    // SAFETY: a live state; slot 0 of its view written before any other call.
    unsafe {
        assert_eq!(T::VIEW(s.at(), &mut view), DPM_OK);
        view.zeta.write(v(f32::NAN));
    }
    let before = s.snap();
    let mut buf = fresh.clone();
    // SAFETY: a live state, a buffer of ck + SPARE bytes.
    let rc = unsafe { T::SAVE(s.at(), 0, buf.as_mut_ptr(), ck) };
    assert_eq!(rc, DPM_ERR_NON_FINITE, "save of a NaN");
    assert!(buf == fresh, "save of a NaN: buffer written");
    s.assert_same(&before, "save of a NaN");
    cases += 1;
    for st in bad_storages::<T>() {
        let (s, p, before) = fx.bad::<T>(st);
        let mut buf = fresh.clone();
        // SAFETY: refused unread.
        let rc = unsafe { T::SAVE(p, 0, buf.as_mut_ptr(), ck) };
        let ctx = format!("save, storage {st:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        assert!(buf == fresh, "{ctx}: buffer written");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    let lens = if miri_subset::<T>() { 7 } else { 9 };
    assert_eq!(cases, lens + 3 + 1 + bad_storages::<T>().len());
}

#[test]
fn load_every_length_and_pointer() {
    load::<f32>();
}

#[test]
fn load_every_length_and_pointer_f64() {
    load::<f64>();
}

/// `load`: `buf_len` at every edge with `buf` live and NULL; `seq` NULL
/// (accepted), misaligned, over the checkpoint or the storage, just past
/// the checkpoint (accepted); `buf` over the storage; checkpoints that
/// are not this state's (a flipped byte, the other precision, a dense
/// state's, an id in two slots with a valid CRC); every bad storage. A
/// refused load changes neither the state nor `seq`.
fn load<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let (b, ck) = (T::BYTES(), T::CHECKPOINT_LEN());
    let cw = ck.div_ceil(8);
    let mut cases = 0;
    let mut good = checkpoint::<T>(&mut grown::<T>(&fx), SEQ);
    let loaded = |s: &mut Store, ctx: &str| {
        assert_eq!(slot_of::<T>(s, new_id(0)), K, "{ctx}: not loaded");
    };
    // (buf_len, buf, seq, code): `seq` at its own word unless said.
    let mut probes: Vec<(usize, Ptr, Ptr, i32)> = lengths(ck, 1)
        .into_iter()
        .map(|len| {
            let code = match len {
                l if l > isize::MAX as usize => DPM_ERR_BAD_POINTER,
                l if l < ck => DPM_ERR_BAD_CHECKPOINT,
                _ => DPM_OK,
            };
            (len, Ptr::Live, Ptr::Live, code)
        })
        .collect();
    probes.extend([
        (ck, Ptr::Live, Ptr::Live, DPM_OK),
        (ck, Ptr::Null, Ptr::Live, DPM_ERR_BAD_POINTER),
        (0, Ptr::Null, Ptr::Live, DPM_ERR_BAD_CHECKPOINT),
        (ck, Ptr::Live, Ptr::Null, DPM_OK),
    ]);
    probes.extend(
        bad_ptrs::<u64>()
            .into_iter()
            .skip(1)
            .map(|p| (ck, Ptr::Live, p, DPM_ERR_BAD_POINTER)),
    );
    if miri_subset::<T>() {
        probes.retain(|&(len, _, sp, code)| code != DPM_OK || len == ck && sp == Ptr::Live);
    }
    for &(len, bh, sh, code) in &probes {
        let (mut s, before) = fx.fresh();
        let mut buf = good.clone();
        let mut seq = [PATTERN; 2];
        // SAFETY: a checkpoint in cw + SPARE words; longer lengths and
        // bad pointers are refused before a slice is formed.
        let rc = unsafe {
            T::LOAD(
                s.at(),
                ptr_of(bytes_of(&mut buf), bh),
                len,
                ptr_of(seq.as_mut_ptr(), sh),
            )
        };
        let ctx = format!("load, buf {bh:?} with length {len}, seq {sh:?}: {rc}");
        assert!(is_status(rc), "{ctx}");
        assert_eq!(rc, code, "{ctx}");
        assert!(buf == good, "{ctx}: buffer written");
        if rc == DPM_OK {
            let want = if sh == Ptr::Live { SEQ } else { PATTERN };
            assert_eq!(seq, [want, PATTERN], "{ctx}");
            loaded(&mut s, &ctx);
        } else {
            assert_eq!(seq, [PATTERN; 2], "{ctx}: seq written");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    // `seq` over the checkpoint, over the storage, or just past the
    // checkpoint; the checkpoint over the storage, or just past it (then
    // too short).
    let mut outputs = vec![
        ("seq in the checkpoint", 1),
        ("seq in the storage", 64),
        ("seq past the checkpoint", cw),
    ];
    if cfg!(miri) {
        outputs.pop(); // an accepted load (a second), beside `seq`'s own
    }
    let n_outputs = outputs.len();
    for (what, at) in outputs {
        let (mut s, before) = fx.fresh();
        let mut buf = good.clone();
        let bp = bytes_of(&mut buf);
        let seq = if at == 64 {
            s.byte_at(64).cast::<u64>()
        } else {
            buf.as_mut_ptr().wrapping_add(at)
        };
        // SAFETY: inside the buffer or the storage; overlaps refused.
        let rc = unsafe { T::LOAD(s.at(), bp, ck, seq) };
        let ctx = format!("load, {what}: {rc}");
        if at == cw {
            assert_eq!((rc, buf[cw]), (DPM_OK, SEQ), "{ctx}");
            loaded(&mut s, &ctx);
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            assert!(buf == good, "{ctx}: buffer written");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    for (at, len, code) in [(0, ck, DPM_ERR_BAD_POINTER), (b, 8, DPM_ERR_BAD_CHECKPOINT)] {
        let (mut s, before) = fx.fresh();
        let mut seq = PATTERN;
        let over = s.byte_at(at);
        // SAFETY: inside the storage's words; refused.
        let rc = unsafe { T::LOAD(s.at(), over, len, &mut seq) };
        let ctx = format!("load, buf at byte {at} of the storage, length {len}: {rc}");
        assert_eq!((rc, seq), (code, PATTERN), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // Checkpoints this state cannot load: under Miri, the one refused
    // last (an id in two slots: after the ids went into the map, which is
    // rebuilt); under the Miri subset, none (SparseState::load's checks,
    // shared by both precisions).
    if !miri_subset::<T>() {
        let mut flipped = good.clone();
        flipped[4] ^= 0x40;
        let (mut other, mut dense) = (Vec::new(), Vec::new());
        if !cfg!(miri) {
            other = checkpoint::<T::Other>(&mut fx.other.clone(), SEQ);
            dense = vec![0_u8; T::STATE_CHECKPOINT_LEN(CAP)];
            let mut s = fx.live.clone();
            let mut view = blank_view::<T>();
            // SAFETY: a live state; its view saved before any other call.
            unsafe {
                assert_eq!(T::VIEW(s.at(), &mut view), DPM_OK);
                let rc = T::STATE_SAVE(&view, SEQ, dense.as_mut_ptr(), dense.len());
                assert_eq!(rc, DPM_OK);
            }
        }
        let mut repeated = repeated_id::<T>(&good);
        let other_len = <T::Other as Sparse>::CHECKPOINT_LEN();
        let mut not_ours: Vec<(&str, *const u8, usize)> = vec![
            ("a flipped byte", bytes_of(&mut flipped), ck),
            ("the other precision's", bytes_of(&mut other), other_len),
            ("a dense state's", dense.as_ptr(), dense.len()),
            ("an id in two slots", bytes_of(&mut repeated), ck),
        ];
        if cfg!(miri) {
            not_ours.drain(..3);
        }
        for (what, bp, len) in not_ours {
            let (mut s, before) = fx.fresh();
            let mut seq = PATTERN;
            // SAFETY: a buffer of `len` bytes.
            let rc = unsafe { T::LOAD(s.at(), bp, len, &mut seq) };
            let ctx = format!("load of {what}: {rc}");
            assert_eq!((rc, seq), (DPM_ERR_BAD_CHECKPOINT, PATTERN), "{ctx}");
            s.assert_same(&before, &ctx);
            cases += 1;
        }
        // The same after evictions, which reorder the map's entries: the
        // refusal rebuilds the map from the slots' ids, the same map to a
        // caller (each id's slot, the checkpoint: compared here) but in
        // other bytes (see `a_refused_load_after_evictions_leaves_every_byte`).
        if !cfg!(miri) {
            let (mut s, ids) = evicted::<T>(&fx);
            let before = (checkpoint::<T>(&mut s, 0), slots_of::<T>(&mut s, &ids));
            let mut seq = PATTERN;
            // SAFETY: a buffer of ck bytes.
            let rc = unsafe { T::LOAD(s.at(), bytes_of(&mut repeated), ck, &mut seq) };
            let ctx = format!("load of an id in two slots, after evictions: {rc}");
            assert_eq!((rc, seq), (DPM_ERR_BAD_CHECKPOINT, PATTERN), "{ctx}");
            let after = (checkpoint::<T>(&mut s, 0), slots_of::<T>(&mut s, &ids));
            assert!(after == before, "{ctx}: the state changed");
            cases += 1;
        }
    }
    for st in bad_storages::<T>() {
        let (s, p, before) = fx.bad::<T>(st);
        let mut seq = PATTERN;
        // SAFETY: refused unread.
        let rc = unsafe { T::LOAD(p, bytes_of(&mut good), ck, &mut seq) };
        let ctx = format!("load, storage {st:?}: {rc}");
        assert_eq!((rc, seq), (DPM_ERR_BAD_POINTER, PATTERN), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    let lens = 6 + 4 + bad_ptrs::<u64>().len() - 1;
    let (lens, contents) = match (miri_subset::<T>(), cfg!(miri)) {
        (true, _) => (lens - 2, 0),
        (false, true) => (lens, 1),
        (false, false) => (lens, 5),
    };
    let n = lens + n_outputs + 2 + contents + bad_storages::<T>().len();
    assert_eq!(cases, n);
}

#[test]
fn next_slot_every_length_and_pointer() {
    next_slot::<f32>();
}

#[test]
fn next_slot_every_length_and_pointer_f64() {
    next_slot::<f64>();
}

/// One A/B call's buffers and outputs.
struct Pair {
    a: Vec<u64>,
    b: Vec<u64>,
    slot: [u32; 2],
    seq: [u64; 2],
}

impl Pair {
    /// Both slots holding `good`, the outputs untouched.
    fn new(good: &[u64]) -> Self {
        Pair {
            a: good.to_vec(),
            b: good.to_vec(),
            slot: [UNTOUCHED32; 2],
            seq: [PATTERN; 2],
        }
    }
}

/// The probes of the A/B slots' lengths and pointers in `T`: (slot 0 for
/// A or 1 for B, its length, its pointer); the other slot is live and
/// empty. Under Miri, of the accepted lengths (a checkpoint checked, and
/// loaded, at about a second each), `ck` in slot A and `ck + 1` in slot
/// B; under the Miri subset, `ck` in slot A only.
fn ab_probes<T>(ck: usize) -> Vec<(usize, usize, Ptr)> {
    let mut probes = Vec::new();
    for which in 0..2 {
        let lens = lengths(ck, 1).into_iter().chain([ck]);
        probes.extend(lens.map(|len| (which, len, Ptr::Live)));
        probes.extend([(which, ck, Ptr::Null), (which, 0, Ptr::Null)]);
    }
    if cfg!(miri) {
        let kept = if miri_subset::<T>() {
            &[(0, ck)][..]
        } else {
            &[(0, ck), (1, ck + 1)]
        };
        probes.retain(|&(which, len, how)| {
            len < ck || len > ck + 1 || how == Ptr::Null || kept.contains(&(which, len))
        });
    }
    probes
}

/// `next_slot`: each slot's length at every edge, NULL; `slot` and `seq`
/// NULL (required), misaligned, over each other, a slot or the storage;
/// the slots over each other and over the storage (both only read:
/// accepted); every bad storage. The state never changes.
fn next_slot<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let (b, ck) = (T::BYTES(), T::CHECKPOINT_LEN());
    let cw = ck.div_ceil(8);
    let mut cases = 0;
    let good = checkpoint::<T>(&mut fx.live.clone(), SEQ);
    for (which, len, how) in ab_probes::<T>(ck) {
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        let lens = if which == 0 { (len, 0) } else { (0, len) };
        let pick = |k: usize| if k == which { how } else { Ptr::Live };
        // SAFETY: slots of cw + SPARE words; longer lengths and NULL are
        // refused before a slice is formed.
        let rc = unsafe {
            T::NEXT_SLOT(
                s.at(),
                ptr_of(bytes_of(&mut p.a), pick(0)),
                lens.0,
                ptr_of(bytes_of(&mut p.b), pick(1)),
                lens.1,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx = format!("next slot, slot {which} {how:?} with length {len}: {rc}");
        assert!(is_status(rc), "{ctx}");
        assert!(p.a == good && p.b == good, "{ctx}: a slot written");
        if how == Ptr::Null && len > 0 || len > isize::MAX as usize {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
        } else {
            assert_eq!(rc, DPM_OK, "{ctx}");
            // Into the other slot than the one holding a checkpoint.
            let want = if len >= ck {
                (1 - which as u32, SEQ + 1)
            } else {
                (0, 1)
            };
            assert_eq!(
                (p.slot, p.seq),
                ([want.0, UNTOUCHED32], [want.1, PATTERN]),
                "{ctx}"
            );
        }
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // The outputs: each NULL and misaligned, over each other, over a
    // slot or the storage; `slot` just past slot A (accepted).
    enum Out {
        Slot(Ptr),
        Seq(Ptr),
        SlotOverSeq,
        SlotInA,
        SeqInB,
        SlotInStorage,
        SeqInStorage,
        SlotPastA,
    }
    let mut outs: Vec<Out> = bad_ptrs::<u32>().into_iter().map(Out::Slot).collect();
    outs.extend(bad_ptrs::<u64>().into_iter().map(Out::Seq));
    outs.extend([
        Out::SlotOverSeq,
        Out::SlotInA,
        Out::SeqInB,
        Out::SlotInStorage,
        Out::SeqInStorage,
        Out::SlotPastA,
    ]);
    let n_outs = outs.len();
    for out in outs {
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        let (mut slot, mut seq) = (p.slot.as_mut_ptr(), p.seq.as_mut_ptr());
        let name = match out {
            Out::Slot(how) => {
                slot = ptr_of(slot, how);
                format!("slot {how:?}")
            }
            Out::Seq(how) => {
                seq = ptr_of(seq, how);
                format!("seq {how:?}")
            }
            Out::SlotOverSeq => {
                slot = seq.cast();
                "slot over seq".into()
            }
            Out::SlotInA => {
                slot = p.a.as_mut_ptr().wrapping_add(1).cast();
                "slot in slot A".into()
            }
            Out::SeqInB => {
                seq = p.b.as_mut_ptr().wrapping_add(2);
                "seq in slot B".into()
            }
            Out::SlotInStorage => {
                slot = s.byte_at(64).cast();
                "slot in the storage".into()
            }
            Out::SeqInStorage => {
                seq = s.byte_at(last_word::<T>()).cast();
                "seq in the storage".into()
            }
            Out::SlotPastA => {
                slot = p.a.as_mut_ptr().wrapping_add(cw).cast();
                "slot past slot A".into()
            }
        };
        // SAFETY: every output inside a buffer of the test; all but the
        // last refused unwritten.
        let rc = unsafe {
            T::NEXT_SLOT(
                s.at(),
                bytes_of(&mut p.a),
                ck,
                bytes_of(&mut p.b),
                ck,
                slot,
                seq,
            )
        };
        let ctx = format!("next slot, {name}: {rc}");
        if matches!(out, Out::SlotPastA) {
            // Both slots hold sequence number SEQ: either may be named.
            assert_eq!((rc, p.seq[0]), (DPM_OK, SEQ + 1), "{ctx}");
            assert!(p.a[cw] as u32 <= 1, "{ctx}");
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            assert!(p.a == good && p.b == good, "{ctx}: a slot written");
            assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
        }
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    // Slots over each other, and slot A over the storage: only read.
    // Under Miri, not over the storage: undefined behaviour there (see
    // `the_read_only_functions_take_a_pointer_from_a_shared_reference`).
    let overs = if cfg!(miri) {
        &[false][..]
    } else {
        &[false, true]
    };
    for &a_over_storage in overs {
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        let (a, la) = if a_over_storage {
            (s.byte_at(0).cast_const(), b)
        } else {
            (bytes_of(&mut p.a).cast_const(), ck)
        };
        // SAFETY: the storage and a slot, both only read.
        let rc = unsafe {
            T::NEXT_SLOT(
                s.at(),
                a,
                la,
                a,
                la,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx =
            format!("next slot, both slots the same, over the storage {a_over_storage}: {rc}");
        assert_eq!(rc, DPM_OK, "{ctx}");
        let want = if a_over_storage { 1 } else { SEQ + 1 };
        assert_eq!(p.seq[0], want, "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    for st in bad_storages::<T>() {
        let (s, st_p, before) = fx.bad::<T>(st);
        let mut p = Pair::new(&good);
        // SAFETY: refused unread.
        let rc = unsafe {
            T::NEXT_SLOT(
                st_p,
                bytes_of(&mut p.a),
                ck,
                null(),
                0,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx = format!("next slot, storage {st:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    let lens = ab_probes::<T>(ck).len();
    let n = lens + n_outs + overs.len() + bad_storages::<T>().len();
    assert_eq!(cases, n);
}

#[test]
fn load_newest_every_length_and_pointer() {
    load_newest::<f32>();
}

#[test]
fn load_newest_every_length_and_pointer_f64() {
    load_newest::<f64>();
}

/// `load_newest`: each slot's length at every edge, NULL; `slot` and
/// `seq` NULL (optional: accepted), misaligned, over each other, a slot
/// or the storage; a slot over the storage; the newer slot's checkpoint
/// refused after its CRC (the older one then not tried); every bad
/// storage. A refused call changes neither the state nor an output.
fn load_newest<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let ck = T::CHECKPOINT_LEN();
    let mut cases = 0;
    let good = checkpoint::<T>(&mut grown::<T>(&fx), SEQ);
    let loaded = |s: &mut Store, ctx: &str| {
        assert_eq!(slot_of::<T>(s, new_id(0)), K, "{ctx}: not loaded");
    };
    for (which, len, how) in ab_probes::<T>(ck) {
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        let lens = if which == 0 { (len, 0) } else { (0, len) };
        let pick = |k: usize| if k == which { how } else { Ptr::Live };
        // SAFETY: as for next slot.
        let rc = unsafe {
            T::LOAD_NEWEST(
                s.at(),
                ptr_of(bytes_of(&mut p.a), pick(0)),
                lens.0,
                ptr_of(bytes_of(&mut p.b), pick(1)),
                lens.1,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx = format!("load newest, slot {which} {how:?} with length {len}: {rc}");
        assert!(is_status(rc), "{ctx}");
        assert!(p.a == good && p.b == good, "{ctx}: a slot written");
        let code = if how == Ptr::Null && len > 0 || len > isize::MAX as usize {
            DPM_ERR_BAD_POINTER
        } else if len < ck {
            DPM_ERR_BAD_CHECKPOINT
        } else {
            DPM_OK
        };
        assert_eq!(rc, code, "{ctx}");
        if rc == DPM_OK {
            let want = ([which as u32, UNTOUCHED32], [SEQ, PATTERN]);
            assert_eq!((p.slot, p.seq), want, "{ctx}");
            loaded(&mut s, &ctx);
        } else {
            assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    // The outputs (slot A live, B empty): NULL accepted, the rest refused.
    let mut outs: Vec<(String, usize)> = Vec::new();
    for (k, how) in bad_ptrs::<u32>().into_iter().enumerate() {
        outs.push((format!("slot {how:?}"), k));
    }
    let n_slot = outs.len();
    for (k, how) in bad_ptrs::<u64>().into_iter().enumerate() {
        outs.push((format!("seq {how:?}"), n_slot + k));
    }
    let extra = [
        "both NULL",
        "slot over seq",
        "slot in slot A",
        "seq in the storage",
        "slot A over the storage",
    ];
    let base = outs.len();
    outs.extend(
        extra
            .iter()
            .enumerate()
            .map(|(k, e)| (e.to_string(), base + k)),
    );
    let accepted = |name: &str| name.ends_with("Null") || name == "both NULL";
    if cfg!(miri) {
        // Of the accepted ones (each loads, a second), both NULL only.
        outs.retain(|(name, _)| !accepted(name) || name == "both NULL");
    }
    let n_outs = outs.len();
    let slot_ptrs = bad_ptrs::<u32>();
    let seq_ptrs = bad_ptrs::<u64>();
    for (name, k) in outs {
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        let (mut slot, mut seq) = (p.slot.as_mut_ptr(), p.seq.as_mut_ptr());
        let mut a = bytes_of(&mut p.a).cast_const();
        if k < n_slot {
            slot = ptr_of(slot, slot_ptrs[k]);
        } else if k < base {
            seq = ptr_of(seq, seq_ptrs[k - n_slot]);
        } else {
            match k - base {
                0 => (slot, seq) = (null_mut(), null_mut()),
                1 => slot = seq.cast(),
                2 => slot = p.a.as_mut_ptr().wrapping_add(1).cast(),
                3 => seq = s.byte_at(64).cast(),
                _ => a = s.byte_at(0).cast_const(),
            }
        }
        // SAFETY: every pointer inside a buffer of the test; refused
        // unwritten unless NULL.
        let rc = unsafe { T::LOAD_NEWEST(s.at(), a, ck, bytes_of(&mut p.b), 0, slot, seq) };
        let ctx = format!("load newest, {name}: {rc}");
        if accepted(&name) {
            assert_eq!(rc, DPM_OK, "{ctx}");
            loaded(&mut s, &ctx);
            let untouched = |x: u64| x == PATTERN || x == SEQ;
            assert!(p.seq.iter().all(|&x| untouched(x)), "{ctx}");
        } else {
            assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
            assert!(p.a == good && p.b == good, "{ctx}: a slot written");
            assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
            s.assert_same(&before, &ctx);
        }
        cases += 1;
    }
    // The newer slot (B, sequence number SEQ + 1) holds an id in two
    // slots behind a valid CRC: refused, and A not tried.
    if !miri_subset::<T>() {
        let mut newer = repeated_id::<T>(&checkpoint::<T>(&mut grown::<T>(&fx), SEQ + 1));
        let (mut s, before) = fx.fresh();
        let mut p = Pair::new(&good);
        // SAFETY: two slots of ck bytes.
        let rc = unsafe {
            T::LOAD_NEWEST(
                s.at(),
                bytes_of(&mut p.a),
                ck,
                bytes_of(&mut newer),
                ck,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx = format!("load newest, the newer slot corrupt behind its CRC: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_CHECKPOINT, "{ctx}");
        assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    for st in bad_storages::<T>() {
        let (s, st_p, before) = fx.bad::<T>(st);
        let mut p = Pair::new(&good);
        // SAFETY: refused unread.
        let rc = unsafe {
            T::LOAD_NEWEST(
                st_p,
                bytes_of(&mut p.a),
                ck,
                null(),
                0,
                p.slot.as_mut_ptr(),
                p.seq.as_mut_ptr(),
            )
        };
        let ctx = format!("load newest, storage {st:?}: {rc}");
        assert_eq!(rc, DPM_ERR_BAD_POINTER, "{ctx}");
        assert_eq!((p.slot, p.seq), ([UNTOUCHED32; 2], [PATTERN; 2]), "{ctx}");
        s.assert_same(&before, &ctx);
        cases += 1;
    }
    let lens = ab_probes::<T>(ck).len();
    let newer = usize::from(!miri_subset::<T>());
    assert_eq!(cases, lens + n_outs + newer + bad_storages::<T>().len());
}

/// Found here (2026-12-05), fixed since (`storage_span` spans the C
/// struct): an output or a save buffer in the last
/// bytes of the struct as C sees it (`sizeof(DpmSparseF32)`, that is
/// `dpm_sparse_bytes_f32()`), past the Rust state inside it
/// (`size_of::<DpmSparseOf<T>>()`: 544 bytes short in `float`, 1568 in
/// `double`, at the default capacity), is accepted and written: the
/// overlap checks span the Rust state only (`storage_span`), where the
/// docs refuse any output "overlapping `*st`". Nothing of the state is
/// lost (the library never reads those bytes); the code is wrong.
#[test]
fn outputs_in_the_tail_of_the_c_struct_are_refused() {
    tail::<f32>();
    tail::<f64>();
}

fn tail<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let ck = T::CHECKPOINT_LEN();
    let good = checkpoint::<T>(&mut fx.live.clone(), SEQ);
    let mut wrong = Vec::new();
    for at in [size_of::<DpmSparseOf<T>>(), T::BYTES() - 8] {
        for call in [
            "slots",
            "slot",
            "view",
            "save",
            "load",
            "next slot",
            "load newest",
        ] {
            let (mut s, before) = fx.fresh();
            let out = s.byte_at(at);
            let ids = [new_id(0)];
            let mut p = Pair::new(&good);
            let (a, b) = (bytes_of(&mut p.a), bytes_of(&mut p.b));
            // SAFETY: every pointer inside the storage's words or a
            // buffer of the test.
            let rc = unsafe {
                match call {
                    "slots" => T::SLOTS(s.at(), ids.as_ptr(), 1, out.cast()),
                    "slot" => T::SLOT(s.at(), 0, out.cast()),
                    "view" => T::VIEW(s.at(), out.cast()),
                    "save" => T::SAVE(s.at(), 0, out, 8),
                    "load" => T::LOAD(s.at(), a, ck, out.cast()),
                    "next slot" => T::NEXT_SLOT(s.at(), a, ck, b, 0, &mut p.slot[0], out.cast()),
                    _ => T::LOAD_NEWEST(s.at(), a, ck, b, 0, &mut p.slot[0], out.cast()),
                }
            };
            let ctx = format!("{call}, output at byte {at} of {}: {rc}", T::BYTES());
            if rc != DPM_ERR_BAD_POINTER {
                wrong.push(ctx);
            } else {
                s.assert_same(&before, &ctx);
            }
        }
    }
    assert!(wrong.is_empty(), "accepted:\n{}", wrong.join("\n"));
}

/// `dpm_sparse_load_*` refusing a checkpoint whose id map repeats an id
/// (behind a valid CRC), after evictions (which reorder the id map's
/// entries): nothing observable changes, as its docs say: every id keeps
/// its slot and the state saves to the same checkpoint. (Its bytes may:
/// the map is rebuilt from the slots' ids, in slot order; found here on
/// 2026-12-05, and the docs now say so.)
#[test]
fn a_refused_load_after_evictions_changes_nothing_observable() {
    refused_load_after_evictions::<f32>();
    refused_load_after_evictions::<f64>();
}

fn refused_load_after_evictions<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let mut repeated = repeated_id::<T>(&checkpoint::<T>(&mut grown::<T>(&fx), SEQ));
    let (mut s, seen) = evicted::<T>(&fx);
    let (slots, saved) = (slots_of::<T>(&mut s, &seen), checkpoint::<T>(&mut s, SEQ));
    // SAFETY: a live state, a buffer of ck bytes.
    let rc = unsafe {
        T::LOAD(
            s.at(),
            bytes_of(&mut repeated),
            T::CHECKPOINT_LEN(),
            null_mut(),
        )
    };
    assert_eq!(rc, DPM_ERR_BAD_CHECKPOINT);
    assert_eq!(slots_of::<T>(&mut s, &seen), slots, "an id moved");
    assert!(
        checkpoint::<T>(&mut s, SEQ) == saved,
        "the state saves differently"
    );
}

/// Found here (2026-12-05), fixed since (the view's pointers are made
/// without a reference; the read-only calls take a shared one), under
/// Miri only (Stacked Borrows, CI's
/// model, and Tree Borrows alike): the docs keep a view valid "until the
/// next `dpm_sparse_*` call that writes `*st` (`init`, `slots`, `load`,
/// `load_newest`)", but a write through it after a `slot`, `view`,
/// `save` or `next_slot` is undefined behaviour: its pointers derive from
/// the `&mut` of the state that `dpm_sparse_view_*` makes (`state` in
/// `src/capi/sparse.rs`), which the next call's own `&mut` of the state
/// (every function makes one; the read-only ones through `cast_mut`)
/// invalidates. Natively nothing shows (a C caller is outside Rust's
/// aliasing model; a Rust caller, or cross-language LTO, is not).
#[test]
fn a_view_outlives_the_calls_that_only_read_the_state() {
    view_outlives::<f32>();
    view_outlives::<f64>();
}

fn view_outlives<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let ck = T::CHECKPOINT_LEN();
    let good = checkpoint::<T>(&mut fx.live.clone(), SEQ);
    for call in ["slot", "view", "save", "next slot"] {
        let mut s = fx.live.clone();
        let (mut view, mut other) = (blank_view::<T>(), blank_view::<T>());
        let mut p = Pair::new(&good);
        let mut buf = vec![0_u8; ck];
        let mut k = UNTOUCHED;
        // SAFETY: a live state; the view used as its docs allow.
        unsafe {
            assert_eq!(T::VIEW(s.at(), &mut view), DPM_OK);
            view.zeta.write(v(0.5)); // as a step writes it
            let (a, b) = (bytes_of(&mut p.a), bytes_of(&mut p.b));
            let rc = match call {
                "slot" => T::SLOT(s.at(), 0, &mut k),
                "view" => T::VIEW(s.at(), &mut other),
                "save" => T::SAVE(s.at(), 0, buf.as_mut_ptr(), ck),
                _ => T::NEXT_SLOT(s.at(), a, ck, b, 0, &mut p.slot[0], &mut p.seq[0]),
            };
            assert_eq!(rc, DPM_OK, "{call}");
            view.zeta.write(v(0.25)); // still valid: nothing wrote the state
            assert_eq!(T::VIEW(s.at(), &mut other), DPM_OK);
            assert_eq!(other.zeta.read(), v(0.25), "{call}");
        }
    }
}

/// Found here (2026-12-05), fixed since (`state_ref`), under Miri
/// (Stacked Borrows, CI's
/// model): `slot`, `save` and `next_slot` take `const DpmSparseF32 *`
/// and only read the state, but make a `&mut` of it
/// (`state(st.cast_mut())`): given a pointer from a shared reference, as
/// a Rust caller may pass, that is undefined behaviour (a unique retag of
/// memory it may only read). The same `&mut` makes `next_slot` with a
/// slot over the storage (both only read, so accepted) undefined
/// behaviour under Miri with any pointer: reading the slot pops it.
#[test]
fn the_read_only_functions_take_a_pointer_from_a_shared_reference() {
    shared::<f32>();
    shared::<f64>();
}

fn shared<T: Sparse>() {
    let fx = Fixture::new::<T>();
    let ck = T::CHECKPOINT_LEN();
    let mut good = checkpoint::<T>(&mut fx.live.clone(), SEQ);
    let s = fx.live.clone();
    let whole: &[u64] = &s.w;
    let st = whole.as_ptr().cast::<DpmSparseOf<T>>();
    let (mut k, mut slot, mut seq) = (UNTOUCHED, UNTOUCHED32, PATTERN);
    let mut buf = vec![0_u64; ck.div_ceil(8) + SPARE];
    // SAFETY: a live state, only read; buffers of the test.
    unsafe {
        assert_eq!(T::SLOT(st, LIVE_IDS[2], &mut k), DPM_OK);
        assert_eq!(k, 2);
        assert_eq!(T::SAVE(st, SEQ, bytes_of(&mut buf), ck), DPM_OK);
        assert!(buf == good);
        let a = bytes_of(&mut good);
        let rc = T::NEXT_SLOT(st, a, ck, null(), 0, &mut slot, &mut seq);
        assert_eq!((rc, slot, seq), (DPM_OK, 1, SEQ + 1));
        let over = st.cast::<u8>();
        let rc = T::NEXT_SLOT(st, over, T::BYTES(), null(), 0, &mut slot, &mut seq);
        assert_eq!((rc, slot, seq), (DPM_OK, 0, 1));
    }
}
