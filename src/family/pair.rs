//! Pair losses on the energy of a positive and of a negative candidate
//! (SPEC section 5).

use crate::check;
use crate::{Error, Real, lse::log_add_exp};

/// A pair loss on `F+ = F(x, y)` (the positive's energy) and
/// `F- = F(x, ybar)` (a negative's); lower energy = more compatible.
/// `[t]+ = max(t, 0)`.
///
/// | variant | loss |
/// |---|---|
/// | `Simple { margin }` | `[F+]+ + [m - F-]+` |
/// | `Hinge { margin }` | `[m + F+ - F-]+` |
/// | `Log` | `ln(1 + exp(F+ - F-))` (a softplus) |
/// | `SquareSquare { margin }` | `([F+]+)^2 + ([m - F-]+)^2` |
///
/// At a kink (`F+ = 0`, `F- = m`, `m + F+ - F- = 0`) the derivative used
/// is 0 (SPEC section 5).
///
/// # Example
///
/// ```
/// use dpm_core::family::PairLoss;
/// let loss = PairLoss::Hinge { margin: 1.0_f32 };
/// assert_ne!(loss, PairLoss::Log);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PairLoss<T> {
    /// `[F+]+ + [m - F-]+`.
    Simple {
        /// `m > 0`.
        margin: T,
    },
    /// `[m + F+ - F-]+`.
    Hinge {
        /// `m > 0`.
        margin: T,
    },
    /// `ln(1 + exp(F+ - F-))`, no margin.
    Log,
    /// `([F+]+)^2 + ([m - F-]+)^2`.
    SquareSquare {
        /// `m > 0`.
        margin: T,
    },
}

/// A pair loss's value and its two partial derivatives.
///
/// # Example
///
/// ```
/// use dpm_core::family::{pair_loss, PairLoss, PairOut};
/// let out = pair_loss(PairLoss::Simple { margin: 1.0_f64 }, 0.5, 2.0)?;
/// assert_eq!(out, PairOut { loss: 0.5, d_positive: 1.0, d_negative: 0.0 });
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairOut<T> {
    /// The loss.
    pub loss: T,
    /// `d loss / d F(x, y)`, the positive's energy.
    pub d_positive: T,
    /// `d loss / d F(x, ybar)`, the negative's energy.
    pub d_negative: T,
}

/// Evaluates a [`PairLoss`] at `F(x, y) = positive`, `F(x, ybar) =
/// negative`, with both partial derivatives.
///
/// Derivatives (`1[t > 0]` is 1 where `t > 0` and 0 otherwise, so a kink
/// gets 0):
///
/// - simple: `(1[F+ > 0], -1[m - F- > 0])`;
/// - hinge: `(1[t > 0], -1[t > 0])`, `t = m + F+ - F-`;
/// - log: `(s, -s)`, `s = sigmoid(F+ - F-)`;
/// - square-square: `(2 [F+]+, -2 [m - F-]+)`.
///
/// Range: `loss >= 0`. The log loss is a stable softplus,
/// `max(d, 0) + ln(1 + exp(-|d|))`, and its sigmoid is evaluated on the
/// side where `exp` cannot overflow: differences of `+-1e30` give
/// `(1e30, 1, -1)` and `(0, 0, 0)` (to rounding) in `f32` and `f64`.
///
/// # Errors
///
/// [`Error::InvalidParameter`] (`margin` not finite and positive),
/// [`Error::NonFinite`] (`what` is `"positive"` or `"negative"`, `index`
/// 0), [`Error::OutOfRange`] (`|F+|` or `|F-|` or the margin above
/// `MAX / 64`, or a square-square term whose square would exceed it).
///
/// # Example
///
/// ```
/// use dpm_core::family::{pair_loss, PairLoss};
/// let out = pair_loss(PairLoss::Hinge { margin: 1.0_f64 }, 0.5, 1.0)?;
/// assert_eq!((out.loss, out.d_positive, out.d_negative), (0.5, 1.0, -1.0));
/// let far = pair_loss(PairLoss::Log, 1e30_f32, -1e30)?; // no overflow
/// assert_eq!((far.loss, far.d_positive), (2e30, 1.0));
/// // At the kink F+ = 0 the simple loss's derivative is 0.
/// assert_eq!(pair_loss(PairLoss::Simple { margin: 1.0 }, 0.0, 2.0)?.d_positive, 0.0);
/// # Ok::<(), dpm_core::Error>(())
/// ```
pub fn pair_loss<T: Real>(
    loss: PairLoss<T>,
    positive: T,
    negative: T,
) -> Result<PairOut<T>, Error> {
    check::finite("positive", positive)?;
    check::finite("negative", negative)?;
    check::guard("positive", positive.abs())?;
    check::guard("negative", negative.abs())?;
    let margin = match loss {
        PairLoss::Simple { margin }
        | PairLoss::Hinge { margin }
        | PairLoss::SquareSquare { margin } => {
            if !(margin.is_finite() && margin > T::ZERO) {
                return Err(Error::InvalidParameter { what: "margin" });
            }
            check::guard("margin", margin)?;
            margin
        }
        PairLoss::Log => T::ZERO,
    };
    let (z, one, two) = (T::ZERO, T::ONE, T::from_f64(2.0));
    let step = |t: T| if t > z { one } else { z };
    let pos = positive.max(z);
    let neg = (margin - negative).max(z);
    Ok(match loss {
        PairLoss::Simple { .. } => PairOut {
            loss: pos + neg,
            d_positive: step(positive),
            d_negative: -step(margin - negative),
        },
        PairLoss::Hinge { .. } => {
            let t = margin + positive - negative;
            PairOut {
                loss: t.max(z),
                d_positive: step(t),
                d_negative: -step(t),
            }
        }
        PairLoss::Log => {
            let d = positive - negative;
            let s = sigmoid(d);
            PairOut {
                loss: log_add_exp(z, d),
                d_positive: s,
                d_negative: -s,
            }
        }
        PairLoss::SquareSquare { .. } => {
            let big = pos.max(neg);
            if big > one && big > check::limit::<T>() / big {
                return Err(Error::OutOfRange { what: "square" });
            }
            PairOut {
                loss: pos * pos + neg * neg,
                d_positive: two * pos,
                d_negative: -two * neg,
            }
        }
    })
}

/// `1 / (1 + exp(-d))`, with `exp` of a non-positive argument only.
fn sigmoid<T: Real>(d: T) -> T {
    if d >= T::ZERO {
        T::ONE / (T::ONE + (-d).exp())
    } else {
        let e = d.exp();
        e / (T::ONE + e)
    }
}
