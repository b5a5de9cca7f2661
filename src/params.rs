//! Parameters of one direction of a step.

use crate::{Error, Real};

/// Which log-mass stands for the part of the population a batch does not
/// see, in the weight denominator (SPEC section 2; `m` = negatives of the
/// row, `n` = population size).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Offset<T> {
    /// `log_off = ln(m / (n-1)) - xi / tau`, with `xi` the candidates'
    /// bound from [`StateView::refresh_xi`](crate::StateView::refresh_xi)
    /// (the authors' default).
    Xi(T),
    /// `log_off = ln(m / (n-1)) - zeta[pos] / tau`, with the zeta of the
    /// anchor's own positive (the authors' `vanilla` mode).
    Vanilla,
}

/// What an anchor's moving average starts from on its first visit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirstVisit {
    /// `u = L`: the first batch estimate is taken whole (SPEC section 2;
    /// the NUCLR reference).
    #[default]
    Batch,
    /// The history counts as zero mass: `u = ln(gamma) + L` (the SogCLR
    /// reference after its first epoch).
    ZeroHistory,
}

/// The zeta update that ends a DPM step (SPEC section 2):
/// `z = (1 - theta) z + theta h` (`z = h` on a first visit), then
/// `zeta -= eta z`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZetaStep<T> {
    /// Momentum of the gradient average, in `(0, 1]` and not subnormal.
    pub theta: T,
    /// Step size: `0`, or a finite positive normal number (the authors use
    /// `eta_I = 0.1 eta_T`).
    pub eta: T,
}

/// Parameters of one direction of a DPM (NUCLR) step.
///
/// # Example
///
/// ```
/// use dpm_core::{DpmParams, FirstVisit, Offset, ZetaStep};
/// let image_to_text = DpmParams {
///     tau: 0.01_f32,
///     gamma: 0.8,
///     offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 5e-6 }),
///     first_visit: FirstVisit::Batch,
/// };
/// // The other direction differs only in its candidates' xi and eta.
/// let text_to_image = DpmParams {
///     offset: Offset::Xi(0.0),
///     zeta_step: Some(ZetaStep { theta: 0.9, eta: 5e-7 }),
///     ..image_to_text
/// };
/// assert_eq!(text_to_image.tau, 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpmParams<T> {
    /// Temperature: `tau` and `1 / tau` positive normal numbers
    /// (`MIN_POSITIVE <= tau <= 1 / MIN_POSITIVE`).
    pub tau: T,
    /// Moving-average rate, in `(0, 1]` and not subnormal; `1` keeps no
    /// history.
    pub gamma: T,
    /// The offset mode (`xi` finite and not subnormal).
    pub offset: Offset<T>,
    /// The zeta update, or `None` to leave `z` and `zeta` untouched (the
    /// authors' warm-up epochs).
    pub zeta_step: Option<ZetaStep<T>>,
    /// First-visit rule of the moving average.
    pub first_visit: FirstVisit,
}

/// The parameters of a bimodal step's two directions, each named by the
/// population that is the anchor in it (SPEC section 3).
///
/// In the `image` direction the images are the anchors (the rows of `S`)
/// and the texts the candidates, so with DPM its [`Offset::Xi`] is the
/// texts' bound (`texts.refresh_xi`) and its [`ZetaStep`] updates the
/// texts' zeta (their step size `eta`); the `text` direction is the
/// reverse (the columns of `S`, the images' bound and step size).
///
/// # Example
///
/// ```
/// use dpm_core::{Directions, DpmParams, FirstVisit, Offset, State, ZetaStep};
/// let mut images = State::<f32, 100>::new(-0.05);
/// let mut texts = State::<f32, 100>::new(-0.05);
/// let p = DpmParams {
///     tau: 0.01_f32,
///     gamma: 0.8,
///     offset: Offset::Vanilla,
///     zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let params = Directions {
///     // Images anchor, texts are the candidates: the texts' xi and eta.
///     image: DpmParams {
///         offset: Offset::Xi(texts.view().refresh_xi(0.0)),
///         zeta_step: Some(ZetaStep { theta: 0.9, eta: 5e-6 }),
///         ..p
///     },
///     // Texts anchor, images are the candidates: the images' xi and eta.
///     text: DpmParams {
///         offset: Offset::Xi(images.view().refresh_xi(0.0)),
///         zeta_step: Some(ZetaStep { theta: 0.9, eta: 5e-7 }),
///         ..p
///     },
/// };
/// assert_eq!(params.text.tau, 0.01);
/// // The same parameters both ways (fresh states, or SogCLR):
/// let same = Directions::both(p);
/// assert_eq!(same.image, same.text);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Directions<P> {
    /// Used when the images are the anchors (the rows of `S`; the texts
    /// are the candidates).
    pub image: P,
    /// Used when the texts are the anchors (the columns of `S`; the
    /// images are the candidates).
    pub text: P,
}

impl<P: Copy> Directions<P> {
    /// `p` in both directions.
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::{Directions, FirstVisit, SogClrParams};
    /// let p = SogClrParams { tau: 0.1_f64, gamma: 0.9, first_visit: FirstVisit::Batch };
    /// assert_eq!(Directions::both(p).text.gamma, 0.9);
    /// ```
    #[must_use]
    pub const fn both(p: P) -> Self {
        Directions { image: p, text: p }
    }
}

impl<P> Directions<P> {
    /// `f` applied to each direction's parameters (for example to widen
    /// `f32` parameters to `f64`).
    ///
    /// # Example
    ///
    /// ```
    /// use dpm_core::Directions;
    /// let taus = Directions { image: 0.01_f32, text: 0.02 };
    /// assert_eq!(taus.map(f64::from).text, f64::from(0.02_f32));
    /// ```
    #[must_use]
    pub fn map<Q>(self, mut f: impl FnMut(P) -> Q) -> Directions<Q> {
        Directions {
            image: f(self.image),
            text: f(self.text),
        }
    }
}

/// Parameters of one direction of a SogCLR (GCL) step: `zeta = 0`, no
/// offset, no zeta update (SPEC section 4).
///
/// # Example
///
/// ```
/// use dpm_core::{FirstVisit, SogClrParams};
/// let p = SogClrParams { tau: 0.1_f64, gamma: 0.9, first_visit: FirstVisit::Batch };
/// assert_eq!(p.gamma, 0.9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SogClrParams<T> {
    /// Temperature: `tau` and `1 / tau` positive normal numbers
    /// (`MIN_POSITIVE <= tau <= 1 / MIN_POSITIVE`).
    pub tau: T,
    /// Moving-average rate, in `(0, 1]` and not subnormal.
    pub gamma: T,
    /// First-visit rule (the SogCLR reference uses `gamma = 1` in its first
    /// epoch, then [`FirstVisit::ZeroHistory`]).
    pub first_visit: FirstVisit,
}

/// `Ok` if `tau` and `1 / tau` are both positive normal numbers
/// (`MIN_POSITIVE <= tau <= 1 / MIN_POSITIVE`): a subnormal `tau` has an
/// infinite reciprocal, and a `tau` above `1 / MIN_POSITIVE` a subnormal
/// one (SPEC section 7).
pub(crate) fn check_tau<T: Real>(tau: T) -> Result<(), Error> {
    crate::check::normal_and_reciprocal("tau", tau)
}

/// `(0, 1]` and not subnormal (so that `1 / x` is finite and no product
/// with it is subnormal for that reason).
pub(crate) fn check_rate<T: Real>(what: &'static str, x: T) -> Result<(), Error> {
    if x >= T::MIN_POSITIVE && x <= T::ONE {
        Ok(())
    } else {
        Err(Error::InvalidParameter { what })
    }
}

impl<T: Real> DpmParams<T> {
    pub(crate) fn check(&self) -> Result<(), Error> {
        check_tau(self.tau)?;
        check_rate("gamma", self.gamma)?;
        if let Offset::Xi(xi) = self.offset
            && !(xi.is_finite() && (xi == T::ZERO || xi.abs() >= T::MIN_POSITIVE))
        {
            return Err(Error::InvalidParameter { what: "xi" });
        }
        if let Some(z) = self.zeta_step {
            z.check()?;
        }
        Ok(())
    }
}

impl<T: Real> ZetaStep<T> {
    /// `theta` in `(0, 1]`; `eta` 0 or a normal number.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check_rate("theta", self.theta)?;
        // 0 (no step) or a normal number: a subnormal eta only makes
        // subnormal products.
        let normal = self.eta >= T::MIN_POSITIVE && self.eta.is_finite();
        if !(self.eta == T::ZERO || normal) {
            return Err(Error::InvalidParameter { what: "eta" });
        }
        Ok(())
    }
}

impl<T: Real> SogClrParams<T> {
    pub(crate) fn check(&self) -> Result<(), Error> {
        check_tau(self.tau)?;
        check_rate("gamma", self.gamma)
    }
}
