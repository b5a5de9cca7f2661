//! Seeded, reproducible inputs for the SIMD-vs-scalar tests and the
//! benches: realistic cosine score matrices and random per-sample state.
#![allow(dead_code)]

/// SplitMix64 (Steele, Lea & Flood 2014): small, seedable, good enough
/// for test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n
    }
}

/// `S = X Y^T` for `b` unit vectors in `dim` dimensions, `y_i` a noisy copy
/// of `x_i` (so positives score higher), row-major, in f64.
pub fn cosine_scores(rng: &mut Rng, b: usize, dim: usize) -> Vec<f64> {
    let unit = |v: &mut Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
    };
    let mut x = Vec::with_capacity(b);
    let mut y = Vec::with_capacity(b);
    for _ in 0..b {
        let mut xi: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        unit(&mut xi);
        let mut yi: Vec<f64> = xi
            .iter()
            .map(|v| v + 0.8 * rng.normal() / (dim as f64).sqrt())
            .collect();
        unit(&mut yi);
        x.push(xi);
        y.push(yi);
    }
    let mut s = vec![0.0; b * b];
    for i in 0..b {
        for j in 0..b {
            s[i * b + j] = x[i].iter().zip(&y[j]).map(|(a, c)| a * c).sum();
        }
    }
    s
}

/// `b` distinct ids below `n`.
pub fn distinct_ids(rng: &mut Rng, b: usize, n: usize) -> Vec<usize> {
    assert!(b <= n);
    let mut ids = Vec::with_capacity(b);
    let mut seen = std::collections::HashSet::new();
    while ids.len() < b {
        let id = rng.below(n);
        if seen.insert(id) {
            ids.push(id);
        }
    }
    ids
}

/// The scores training produces, as the project's benches and tests name
/// them: `x` and `u` with entries uniform in `[-1, 1]`, `y = x + sigma u`
/// entrywise, every row of `x` and `y` L2-normalised, `S = X Y^T`
/// (`b x b`, row-major, rounded to f32). `sigma = 100` makes unrelated
/// pairs; 1.0 and 0.3 make positives that stand out, as after some
/// training (at tau = 0.01 most of a row's exponentials then fall below
/// the smallest normal f32).
pub fn family_scores(rng: &mut Rng, b: usize, dim: usize, sigma: f64) -> Vec<f32> {
    let (x, y) = family_features(rng, b, dim, sigma);
    let mut s = vec![0.0_f32; b * b];
    for i in 0..b {
        for j in 0..b {
            let v: f64 = (0..dim).map(|k| x[i * dim + k] * y[j * dim + k]).sum();
            s[i * b + j] = v as f32;
        }
    }
    s
}

/// The features of [`family_scores`]: `(X, Y)`, `b x dim` each, row-major,
/// rows of unit length.
pub fn family_features(rng: &mut Rng, b: usize, dim: usize, sigma: f64) -> (Vec<f64>, Vec<f64>) {
    let mut x: Vec<f64> = (0..b * dim).map(|_| 2.0 * rng.uniform() - 1.0).collect();
    let mut y: Vec<f64> = x
        .iter()
        .map(|v| v + sigma * (2.0 * rng.uniform() - 1.0))
        .collect();
    for m in [&mut x, &mut y] {
        for row in m.chunks_mut(dim) {
            let n = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            row.iter_mut().for_each(|v| *v /= n);
        }
    }
    (x, y)
}
