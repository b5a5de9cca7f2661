//! The data every rank can regenerate: the pairs of each rank in each
//! step, their raw features, and a population's state arrays.

use dpm_core::StateView;

/// Pairs in the data set (ids `0..N` on both sides); rank `r` of `R`
/// owns the ids `id % R == r` (a distributed sampler's shard) and keeps
/// their state at local index `id / R`.
pub const N: usize = 8192;

/// The sizes every rank must agree on.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    pub b: usize,
    pub d: usize,
    pub steps: usize,
    pub ranks: usize,
}

impl Cfg {
    /// Pairs per rank.
    pub fn per(&self) -> usize {
        self.b / self.ranks
    }

    /// The global ids of rank `r`'s pairs in step `t`: distinct (7 is odd
    /// and `N / R` a power of two), revisited across steps.
    pub fn own_ids(&self, r: usize, t: usize) -> Vec<usize> {
        let local = N / self.ranks;
        (0..self.per())
            .map(|j| ((t * 131 + j * 7) % local) * self.ranks + r)
            .collect()
    }

    /// The batch of step `t`: every rank's pairs, in rank order.
    pub fn batch_ids(&self, t: usize) -> Vec<usize> {
        (0..self.ranks).flat_map(|r| self.own_ids(r, t)).collect()
    }
}

/// A value in `[-1, 1)` from a key (splitmix64).
fn noise(key: u64) -> f32 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    #[allow(clippy::cast_precision_loss)]
    let u = (z >> 40) as f32 / (1_u64 << 24) as f32;
    2.0 * u - 1.0
}

/// Raw rows of `ids` at step `t`: images (`side` 0) and their texts
/// (`side` 1) share a base vector per id, so positives are aligned, as
/// in training.
pub fn rows(ids: &[usize], t: usize, d: usize, side: u64) -> Vec<f32> {
    let mut out = Vec::with_capacity(ids.len() * d);
    for &id in ids {
        for k in 0..d {
            let key = ((id as u64) << 20) | k as u64;
            let base = noise(key);
            let jitter = noise(key ^ ((t as u64 + 1) << 44) ^ ((side + 1) << 60));
            out.push(base + 0.4 * jitter);
        }
    }
    out
}

/// A population's five state arrays (`n` entries).
#[derive(Clone)]
pub struct Pop {
    pub log_s: Vec<f32>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<f32>,
    pub z: Vec<f32>,
    pub z_flags: Vec<u8>,
}

impl Pop {
    pub fn new(n: usize, zeta_init: f32) -> Self {
        Pop {
            log_s: vec![0.0; n],
            s_flags: vec![0; n],
            zeta: vec![zeta_init; n],
            z: vec![0.0; n],
            z_flags: vec![0; n],
        }
    }

    pub fn view(&mut self) -> StateView<'_, f32> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .expect("five arrays of one length")
    }

    /// `u`, `zeta`, `z` of entry `k` (0 where never set).
    pub fn values(&self, k: usize) -> [f32; 3] {
        let u = if self.s_flags[k] != 0 {
            self.log_s[k]
        } else {
            0.0
        };
        let z = if self.z_flags[k] != 0 { self.z[k] } else { 0.0 };
        [u, self.zeta[k], z]
    }
}
