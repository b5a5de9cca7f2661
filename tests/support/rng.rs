//! A tiny seeded generator (xorshift64*), so tests are reproducible
//! without a dependency.
#![allow(dead_code)]

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `k` distinct values below `n`.
    pub fn distinct(&mut self, k: usize, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let v = self.below(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// A cosine-like score matrix, rows x cols, with a bonus on `pos`.
    pub fn scores(&mut self, rows: usize, cols: usize, pos: impl Fn(usize) -> usize) -> Vec<f64> {
        let mut s: Vec<f64> = (0..rows * cols).map(|_| self.range(-0.4, 0.6)).collect();
        for r in 0..rows {
            s[r * cols + pos(r)] = self.range(0.5, 1.0);
        }
        s
    }
}
