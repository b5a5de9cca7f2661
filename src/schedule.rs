//! The authors' zeta step-size schedule, for runs that mirror theirs.

use crate::Real;

/// The NUCLR reference's cosine schedule of the zeta step size, as
/// `(eta_image, eta_text)` for an epoch.
///
/// `0` for both before `start_epochs`. Then
/// `base = eta_init (1 + cos(pi (epoch - start) / (max_epoch - 1 - start))) / 2`,
/// divided by 10 from `max_epoch / 2` and by 100 from `3 max_epoch / 4`
/// (integer division); `eta_text` is that value, `eta_image` is
/// `image_ratio` times it. A degenerate schedule (`max_epoch - 1 <=
/// start_epochs`) uses the un-decayed `eta_init`.
///
/// # Example
///
/// ```
/// use dpm_core::schedule::nuclr_eta;
/// assert_eq!(nuclr_eta(3, 30, 5, 5e-6_f64, 0.1), (0.0, 0.0));
/// let (ei, et) = nuclr_eta(5, 30, 5, 5e-6_f64, 0.1);
/// assert_eq!(et, 5e-6);
/// assert!((ei - 5e-7).abs() < 1e-20);
/// ```
#[must_use]
pub fn nuclr_eta<T: Real>(
    epoch: usize,
    max_epoch: usize,
    start_epochs: usize,
    eta_init: T,
    image_ratio: T,
) -> (T, T) {
    if epoch < start_epochs {
        return (T::ZERO, T::ZERO);
    }
    let span = max_epoch.saturating_sub(1).saturating_sub(start_epochs);
    let base = if span == 0 {
        eta_init.to_f64()
    } else {
        #[allow(clippy::cast_precision_loss)]
        let phase = (epoch - start_epochs) as f64 / span as f64;
        0.5 * eta_init.to_f64() * (1.0 + libm::cos(core::f64::consts::PI * phase))
    };
    let cur = if epoch < max_epoch / 2 {
        base
    } else if epoch < max_epoch * 3 / 4 {
        base / 10.0
    } else {
        base / 100.0
    };
    let text = T::from_f64(cur);
    (image_ratio * text, text)
}
