//! The authors' zeta step-size schedule, for runs that mirror theirs.

use crate::{Error, Real, check};

/// The NUCLR reference's cosine schedule of the zeta step size, as
/// `(eta_image, eta_text)` for an epoch.
///
/// `0` for both before `start_epochs`. Then
/// `base = eta_init (1 + cos(pi (epoch - start) / (max_epoch - 1 - start))) / 2`,
/// divided by 10 from `max_epoch / 2` and by 100 from `3 max_epoch / 4`
/// (integer division, computed without overflow for every `usize`);
/// `eta_text` is that value, `eta_image` is `image_ratio` times it. A
/// degenerate schedule (`max_epoch - 1 <= start_epochs`) uses the
/// un-decayed `eta_init`.
///
/// # Errors
///
/// [`Error::NonFinite`] if `eta_init` or `image_ratio` is NaN or
/// infinite; [`Error::OutOfRange`] if `image_ratio * eta_text` would
/// overflow. Negative values are computed as given (a step refuses a
/// negative `eta`).
///
/// # Example
///
/// ```
/// use dpm_core::schedule::nuclr_eta;
/// assert_eq!(nuclr_eta(3, 30, 5, 5e-6_f64, 0.1)?, (0.0, 0.0));
/// let (ei, et) = nuclr_eta(5, 30, 5, 5e-6_f64, 0.1)?;
/// assert_eq!(et, 5e-6);
/// assert!((ei - 5e-7).abs() < 1e-20);
/// // The decay stages hold up to the largest epoch counts.
/// assert_eq!(nuclr_eta(usize::MAX - 1, usize::MAX, 0, 1.0_f64, 1.0)?.1, 0.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn nuclr_eta<T: Real>(
    epoch: usize,
    max_epoch: usize,
    start_epochs: usize,
    eta_init: T,
    image_ratio: T,
) -> Result<(T, T), Error> {
    check::finite("eta_init", eta_init)?;
    check::finite("image_ratio", image_ratio)?;
    if epoch < start_epochs {
        return Ok((T::ZERO, T::ZERO));
    }
    let span = max_epoch.saturating_sub(1).saturating_sub(start_epochs);
    let base = if span == 0 {
        eta_init.to_f64()
    } else {
        #[allow(clippy::cast_precision_loss)]
        let phase = (epoch - start_epochs) as f64 / span as f64;
        0.5 * eta_init.to_f64() * (1.0 + libm::cos(core::f64::consts::PI * phase))
    };
    // floor(3 m / 4) without forming 3 m: m = 4 q + r.
    let three_quarters = max_epoch / 4 * 3 + max_epoch % 4 * 3 / 4;
    let cur = if epoch < max_epoch / 2 {
        base
    } else if epoch < three_quarters {
        base / 10.0
    } else {
        base / 100.0
    };
    let text = T::from_f64(cur);
    let image = image_ratio * text;
    check::finite("image_ratio * eta", image).map_err(|_| Error::OutOfRange {
        what: "image_ratio * eta",
    })?;
    Ok((image, text))
}

#[cfg(test)]
mod tests {
    use super::nuclr_eta;

    /// `floor(3 m / 4)` as the reference computes it (`int(max_epoch *
    /// 3 / 4)`), against the overflow-free form, around every residue.
    #[test]
    fn three_quarters_stage_matches_the_plain_formula() {
        for m in (0..400).chain(usize::MAX / 3 - 8..usize::MAX / 3 + 8) {
            let q = m / 4 * 3 + m % 4 * 3 / 4;
            if let Some(three_m) = m.checked_mul(3) {
                assert_eq!(q, three_m / 4, "m = {m}");
            }
            // The last epoch before the stage is /10, the stage is /100.
            if q > m / 2 {
                let at = |e| nuclr_eta(e, m, 0, 1.0_f64, 1.0).unwrap().1;
                assert!(at(q - 1) >= at(q) * 9.0, "m = {m}");
            }
        }
    }
}
