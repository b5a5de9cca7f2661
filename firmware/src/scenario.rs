//! The shape of the generated data in `expected.rs`.

/// An expected value (dpm_core's f64 result) and its error bound.
pub type E = (f64, f64);

/// One step: its inputs and every output it is checked on.
pub struct Step {
    /// Dataset ids of the batch (image `k` and text `k` share `ids[k]`).
    pub ids: &'static [usize],
    /// Raw image features, `b x d`.
    pub x: &'static [f32],
    /// Raw text features, `b x d`.
    pub y: &'static [f32],
    /// Total, image-to-text and text-to-image loss.
    pub loss: &'static [E],
    /// `S`, at indices `0, stride, 2 stride, ...`.
    pub scores: &'static [E],
    /// `dS`, at the same indices.
    pub ds: &'static [E],
    pub dx: &'static [E],
    pub dy: &'static [E],
    pub h_image: &'static [E],
    pub h_text: &'static [E],
    /// State after the step, per batch position.
    pub image_log_s: &'static [E],
    pub image_z: &'static [E],
    pub image_zeta: &'static [E],
    pub text_log_s: &'static [E],
    pub text_z: &'static [E],
    pub text_zeta: &'static [E],
}

/// Several steps on two populations of `n` samples.
pub struct Scenario {
    pub name: &'static str,
    pub b: usize,
    pub d: usize,
    pub n: usize,
    pub stride: usize,
    pub steps: &'static [Step],
}

/// The tiled step at a size whose inputs are too large to store: drawn on
/// the device from `seed` (`inputs.rs`), `dX`, `dY` checked at every
/// `stride`-th index, the rest whole.
pub struct Tiled {
    pub name: &'static str,
    pub seed: u64,
    pub b: usize,
    pub d: usize,
    pub n: usize,
    /// Features are uniform times `scale`, used as given
    /// (`Features::Normalized`).
    pub scale: f32,
    pub stride: usize,
    /// `[tau, gamma, xi, theta, eta]` of the image-to-text and the
    /// text-to-image direction (`Xi`, `Batch`).
    pub params: [[f32; 5]; 2],
    /// The total loss.
    pub loss: &'static [E],
    pub dx: &'static [E],
    pub dy: &'static [E],
    pub image_log_s: &'static [E],
    pub image_z: &'static [E],
    pub image_zeta: &'static [E],
    pub text_log_s: &'static [E],
    pub text_z: &'static [E],
    pub text_zeta: &'static [E],
}
