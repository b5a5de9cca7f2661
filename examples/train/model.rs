//! The two-tower head: one linear map per view, `z = W v`, trained by
//! plain SGD from the gradient the crate gives for the raw outputs.

/// SplitMix64: seeded, portable, enough for shuffles and initialisation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Standard normal (Box-Muller; `libm`, so the same bits on every host).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// One tower: `W` is `d_out x d_in`, row-major.
#[derive(Clone)]
pub struct Tower {
    pub w: Vec<f32>,
    pub d_out: usize,
    pub d_in: usize,
}

impl Tower {
    /// `W ~ N(0, 1 / d_in)`.
    pub fn random(rng: &mut Rng, d_out: usize, d_in: usize) -> Self {
        let scale = 1.0 / (d_in as f64).sqrt();
        let w = (0..d_out * d_in)
            .map(|_| (rng.normal() * scale) as f32)
            .collect();
        Tower { w, d_out, d_in }
    }

    /// `Z = V W^T` for `rows` inputs (`rows x d_in` in, `rows x d_out` out).
    pub fn forward(&self, v: &[f32], rows: usize, z: &mut [f32]) {
        for r in 0..rows {
            let vr = &v[r * self.d_in..(r + 1) * self.d_in];
            for (o, zo) in z[r * self.d_out..(r + 1) * self.d_out]
                .iter_mut()
                .enumerate()
            {
                let wo = &self.w[o * self.d_in..(o + 1) * self.d_in];
                *zo = wo.iter().zip(vr).map(|(a, b)| a * b).sum();
            }
        }
    }

    /// `W -= lr dZ^T V`: the chain rule from `dL/dZ` to `dL/dW`, then the
    /// SGD step.
    pub fn sgd(&mut self, dz: &[f32], v: &[f32], rows: usize, lr: f32) {
        for r in 0..rows {
            let vr = &v[r * self.d_in..(r + 1) * self.d_in];
            for o in 0..self.d_out {
                let g = lr * dz[r * self.d_out + o];
                for (w, x) in self.w[o * self.d_in..(o + 1) * self.d_in]
                    .iter_mut()
                    .zip(vr)
                {
                    *w -= g * x;
                }
            }
        }
    }
}
