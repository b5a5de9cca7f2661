//! The inputs of every firmware scenario, drawn from a fixed splitmix64
//! stream. The firmware and the host generator (`gen/`, which includes this
//! file) draw the same values bit for bit, so a scenario too large to store
//! (the tiled step at B = 256) is drawn on the device instead of read from
//! `expected.rs`.

/// splitmix64: a fixed, portable stream.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1), 24 bits: exact in f32.
    pub fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32) / (1u64 << 23) as f32 - 1.0
    }

    /// Distinct ids out of `0..perm.len()`: a partial Fisher-Yates shuffle
    /// of `perm`, which it first fills with `0..n`.
    pub fn ids(&mut self, perm: &mut [usize], ids: &mut [usize]) {
        for (k, p) in perm.iter_mut().enumerate() {
            *p = k;
        }
        let n = perm.len();
        for i in 0..ids.len() {
            let j = i + (self.next() % (n - i) as u64) as usize;
            perm.swap(i, j);
        }
        ids.copy_from_slice(&perm[..ids.len()]);
    }

    /// One step's inputs: distinct ids ([`Rng::ids`]), then the image rows
    /// `x` (uniform times `scale`), then the text rows `y = x + 0.6 scale
    /// u` (aligned pairs: the positives stand out). `scale` should be a
    /// power of two (exact).
    pub fn step(
        &mut self,
        perm: &mut [usize],
        ids: &mut [usize],
        x: &mut [f32],
        y: &mut [f32],
        scale: f32,
    ) {
        self.ids(perm, ids);
        for v in x.iter_mut() {
            *v = self.unit() * scale;
        }
        for (w, &v) in y.iter_mut().zip(x.iter()) {
            *w = v + 0.6 * self.unit() * scale;
        }
    }

    /// The tiled scenario's inputs: [`Rng::step`] (the images' ids and
    /// the features), then the texts' own ids (another permutation: pair
    /// `k` is image `image_ids[k]` and text `text_ids[k]`), then every
    /// id's `zeta` of the images and of the texts, uniform in [-1/8, 1/8).
    #[allow(clippy::too_many_arguments)]
    pub fn tiled(
        &mut self,
        perm: &mut [usize],
        image_ids: &mut [usize],
        text_ids: &mut [usize],
        x: &mut [f32],
        y: &mut [f32],
        scale: f32,
        zeta_image: &mut [f32],
        zeta_text: &mut [f32],
    ) {
        self.step(perm, image_ids, x, y, scale);
        self.ids(perm, text_ids);
        for v in zeta_image.iter_mut().chain(zeta_text.iter_mut()) {
            *v = 0.125 * self.unit();
        }
    }
}
