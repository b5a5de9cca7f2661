//! The bimodal steps from features in tiles (Flash-DPM; DPM, SogCLR,
//! InfoNCE): `S` and `dS` are never stored, only panels of their rows.
//!
//! - With SIMD lanes ([`panels`]): two passes over panels of `PANEL`
//!   rows of `S`, each computed from the normalised features when the
//!   pass needs it. The first ([`crate::kernel::online`]) runs the stored
//!   step's maxima and sums passes on each chunk of rows in turn, the
//!   column anchors' sums rescaled online when a later chunk raises their
//!   maximum; the second is the stored step's outputs pass
//!   ([`crate::kernel::bimodal`]), each panel's `dS` going into
//!   `dX = dS Y`, `dY = dS^T X` as soon as it is final. Every output is
//!   within SPEC section 7's bound of
//!   [`dpm_bimodal_from_features`](super::dpm_bimodal_from_features)'s
//!   (bit-identical for `B <= 24`, one chunk), and the same on every
//!   engine and thread count, bit for bit.
//! - On the scalar engine ([`work`]: `dpm_core::scalar`'s tiled steps,
//!   and every target without lanes): the scalar reference's passes over
//!   `TILE x TILE` tiles, each row, column, `h` and gradient sum getting
//!   its terms in the order of a pass over the stored matrix, so `dx`,
//!   `dy`, `h` and the state are bit-identical to the scalar step on the
//!   stored `S`; the losses, summed tile by tile, within a few roundings.

mod panels;
mod work;

use super::{
    Features,
    checks::{self, flush_all, flushed_tau_ok},
    normalize,
};
use crate::{
    Directions, DpmParams, Error, Losses, Real, SogClrParams, StateView, check,
    kernel::{
        bimodal::{self, Dir, gather},
        online,
        schedule::Sched,
        workspace::Bimodal,
    },
    lanes::exp::flush,
    lanes::{dispatch::isa, sum::Scan},
    state::{AnchorState, CandidateState},
    step::{
        Engine,
        checks::{self as step_checks, Algo},
        finish, plan,
    },
    sum::ScaledSum,
};
use panels::{FeaturePanels, PANEL};
pub(crate) use work::Src;
use work::{Fixed, Work};

/// Rows of `X` (and of `Y`) in one tile: a tile of `S` is `TILE x TILE`.
/// The two panels of normalised rows it reads take `2 TILE d` elements of
/// scratch.
pub const TILE: usize = 32;

/// Per-pair scratch: the diagonal, then per direction the candidates'
/// zeta, the anchors' maxima, compensated sums (2), four statistics,
/// compensated sums of `h` (2) and `h`.
const PER_PAIR: usize = 1 + 2 * 11;

/// Scratch of the tiled steps on `engine`: with SIMD lanes the stored
/// serial step's workspace, two panels of `S` and `dS` (`PANEL x b`,
/// serial and parallel alike), the normalised features (`2 b d`) and
/// `Y^T` packed (`products::pack_len`); on the scalar engine `23 b`
/// per-anchor values and two tile panels of `TILE x d`. Saturating.
pub(crate) const fn scratch_len(engine: Engine, b: usize, d: usize) -> usize {
    if crate::lanes::LANES && !matches!(engine, Engine::Scalar) {
        Engine::Simd
            .scratch_len(b)
            .saturating_add(b.saturating_mul(2 * PANEL))
            .saturating_add(b.saturating_mul(d).saturating_mul(2))
            .saturating_add(super::products::pack_len(b, d))
    } else {
        b.saturating_mul(PER_PAIR)
            .saturating_add(d.saturating_mul(2 * TILE))
    }
}

/// Two SIMD passes on panels of `S` computed from the features: the
/// online maxima and sums ([`online::prepare`]), then the stored step's
/// outputs pass ([`crate::kernel::bimodal::run`]). Checks as [`run`]'s
/// scalar path, in the same order.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)] // the stored step's order, in one place
fn on_panels<T: Real>(
    engine: Engine,
    algos: [Algo<T>; 2],
    src: Src<'_, T>,
    ids: Option<(&[usize], &[usize])>,
    (mut ia, mut ic): Halves<'_, '_, T>,
    (mut ta, mut tc): Halves<'_, '_, T>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let (image_ids, text_ids) = ids.unwrap_or((&[], &[]));
    let (b, d) = (src.b, src.d);
    let (ws_buf, rest) = scratch.split_at_mut(Engine::Simd.scratch_len(b));
    let (panels, rest) = rest.split_at_mut(2 * PANEL * b);
    let (s_panel, ds_panel) = panels.split_at_mut(PANEL * b);
    let (xn, rest) = rest.split_at_mut(b * d);
    let (yn, yp) = rest.split_at_mut(b * d);
    for i in 0..b {
        src.row(src.x, i, &mut xn[i * d..(i + 1) * d]);
        src.row(src.y, i, &mut yn[i * d..(i + 1) * d]);
    }
    super::products::pack(yn, b, d, yp);
    let h_asked = [out.h_text.is_some(), out.h_image.is_some()];
    let TiledOut {
        dx,
        dy,
        h_image,
        h_text,
    } = out;
    let mut feats = FeaturePanels {
        xn,
        yn,
        yp,
        b,
        d,
        s: s_panel,
        ds: ds_panel,
        dx,
        dy,
        flushed: false,
        par: engine.parallel(),
    };
    // The passes run serially on every engine: split into waves panel by
    // panel (a few dozen blocks of 4 rows each), the parallel step was
    // slower than the serial one at B = 1024 (77 against 38 ms, 2 vCPUs;
    // benches/tiled_par.rs). Its workers share the products, which are
    // most of the work.
    let (isa, sched) = (isa(), Sched::Serial);
    let taus = [algos[0].tau(), algos[1].tau()];
    let dpm = algos.map(|a| matches!(a, Algo::Dpm(_)));
    let mut ws = Bimodal::carve(&mut *ws_buf, b);
    // Pass 1, among the checks (it writes only scratch): the maxima and
    // sums of both directions, and the check of the scores.
    let scan = online::prepare(
        isa,
        sched,
        &mut feats,
        b,
        [
            tc.as_deref().filter(|_| dpm[0]).map(|c| &*c.zeta),
            ic.as_deref().filter(|_| dpm[1]).map(|c| &*c.zeta),
        ],
        [text_ids, image_ids],
        taus,
        algos.map(|a| matches!(a, Algo::InfoNce { .. })),
        &mut ws,
    );
    if feats.flushed {
        flushed_tau_ok(taus)?;
    }
    // Flushed scores are finite and normal or 0.
    let Scan::Finite { max_abs, .. } = scan else {
        return Err(Error::NonFinite {
            what: "scores",
            index: 0,
        });
    };
    lengths(ids, b, [&h_image, &h_text])?;
    step_checks::bimodal(
        algos,
        b,
        max_abs,
        (image_ids, text_ids),
        (ia.as_deref_mut(), tc.as_deref_mut()),
        (ta.as_deref_mut(), ic.as_deref_mut()),
        h_asked,
    )?;

    // ---- writes ----
    let specs = [
        plan(algos[0], tc.as_deref(), h_asked[0]),
        plan(algos[1], ic.as_deref(), h_asked[1]),
    ];
    feats.dx.fill(T::ZERO);
    feats.dy.fill(T::ZERO);
    let [to_text, to_image] = bimodal::run(
        isa,
        sched,
        &mut feats,
        b,
        (max_abs, bimodal::Sums::Done),
        (
            Dir {
                spec: specs[0],
                anchor_ids: image_ids,
                anchors: ia,
                weights: None,
            },
            Dir {
                spec: specs[1],
                anchor_ids: text_ids,
                anchors: ta,
                weights: None,
            },
        ),
        ws,
    );
    let ws = Bimodal::carve(ws_buf, b);
    finish(algos[0], specs[0], tc, text_ids, ws.h_text.sum, h_text);
    finish(algos[1], specs[1], ic, image_ids, ws.h_image, h_image);
    let FeaturePanels { dx, dy, .. } = feats;
    if src.features == Features::Raw {
        for i in 0..b {
            let span = i * d..(i + 1) * d;
            normalize::row_backward(&src.x[span.clone()], &mut dx[span.clone()]);
            normalize::row_backward(&src.y[span.clone()], &mut dy[span]);
        }
    }
    let _ = (flush_all(dx), flush_all(dy));
    Ok(Losses {
        total: flush(to_text + to_image),
        image_to_text: to_text,
        text_to_image: to_image,
    })
}

/// Where [`dpm_bimodal_tiled`] writes.
///
/// # Example
///
/// ```
/// use dpm_core::embed::TiledOut;
/// let (mut dx, mut dy, mut h) = ([0.0_f32; 6], [0.0_f32; 6], [0.0_f32; 2]);
/// let out = TiledOut { h_text: Some(&mut h), ..TiledOut::new(&mut dx, &mut dy) };
/// assert_eq!(out.dx.len(), 6);
/// ```
#[derive(Debug)]
pub struct TiledOut<'o, T> {
    /// `dL/dX` (or `dL/dV` for [`Features::Raw`]), `B x d`.
    pub dx: &'o mut [T],
    /// `dL/dY` (or its raw form), `B x d`.
    pub dy: &'o mut [T],
    /// Zeta gradient of the images, as [`BimodalOut::h_image`](crate::BimodalOut::h_image).
    pub h_image: Option<&'o mut [T]>,
    /// Zeta gradient of the texts, as [`BimodalOut::h_text`](crate::BimodalOut::h_text).
    pub h_text: Option<&'o mut [T]>,
}

impl<'o, T> TiledOut<'o, T> {
    /// `dX` and `dY` only.
    #[must_use]
    pub fn new(dx: &'o mut [T], dy: &'o mut [T]) -> Self {
        TiledOut {
            dx,
            dy,
            h_image: None,
            h_text: None,
        }
    }
}

/// The DPM (NUCLR) step on a bimodal batch of features, in tiles: the
/// same step as [`dpm_bimodal_from_features`](super::dpm_bimodal_from_features)
/// without storing `S` or `dS`. Scratch is [`scratch_len`](crate::scratch_len)`(Scratch::Tiled { b, d })`,
/// which grows like `b d`, not `b^2`: 9.50 MiB at b = 4096, d = 128, where
/// the stored step needs 200 MiB.
///
/// `x` (images) and `y` (texts) are `b x d` row-major, raw or normalised
/// ([`Features`]); ids, states and params are those of
/// [`dpm_bimodal`](crate::dpm_bimodal). Updates the states as it does,
/// writes `out.dx`, `out.dy` (and `h` where asked for) and returns the
/// [`Losses`].
///
/// Results: with SIMD lanes every output (`dx`, `dy`, `h`, the state, the
/// losses) is within SPEC section 7's bound of
/// `dpm_bimodal_from_features`'s (bit-identical up to `b = 24`); without
/// them, as [`crate::scalar::dpm_bimodal_tiled`]. `S` is computed twice
/// (register-blocked products on `Y^T` packed once per step): for both
/// directions' maxima and sums at once (the column sums rescaled online
/// when a later panel raises a column's maximum), then for the outputs,
/// each panel's `dS` going into `dX`, `dY` at once.
/// `dpm_core::par::dpm_bimodal_tiled` (feature `std`) is the same step on
/// all cores, bit for bit.
///
/// # Errors
///
/// Those of [`dpm_bimodal_from_features`](super::dpm_bimodal_from_features),
/// checked in the same order, so a batch with several faults is refused
/// with the same error; lengths are named by what is short: `out.dx`,
/// `out.dy`, `out.h_image`, `out.h_text` ([`Error::LengthMismatch`]; `h`
/// must be `b` long), `image_ids`, `text_ids` (not `b` long, as there)
/// and `scratch` (shorter than [`Scratch::Tiled`](crate::Scratch::Tiled)). One more refusal: `d = 0` with
/// [`Features::Normalized`] ([`Error::InvalidParameter`] `"d"`: every
/// score would be 0, and the passes would visit `b^2` entries while
/// reading no data; raw rows of length 0 are [`Error::ZeroNorm`], as
/// there). On `Err`, all of `out` and both states are untouched (the
/// scratch may be written).
///
/// # Example
///
/// ```
/// use dpm_core::embed::{dpm_bimodal_tiled, Features, TiledOut};
/// use dpm_core::{DpmParams, FirstVisit, Offset, State};
/// let (mut images, mut texts) = (State::<f32, 10>::new(-0.05), State::<f32, 10>::new(-0.05));
/// let x = [1.0_f32, 0.2, 0.1, 1.0]; // 2 images, d = 2, raw
/// let y = [0.9_f32, 0.0, 0.3, 1.1];
/// let p = DpmParams {
///     tau: 0.1, gamma: 0.9, offset: Offset::Xi(0.0), zeta_step: None,
///     first_visit: FirstVisit::Batch,
/// };
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let loss = dpm_bimodal_tiled(
///     &x, &y, 2, 2, Features::Raw, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// assert!(loss.total < 0.0);
/// // The raw gradient is orthogonal to its row.
/// assert!((dx[0] * x[0] + dx[1] * x[1]).abs() < 1e-6);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dpm_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<DpmParams<T>>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algos = [Algo::Dpm(params.image), Algo::Dpm(params.text)];
    let src = Src::new(x, y, b, d, features);
    run(
        Engine::Simd,
        algos,
        src,
        Some((image_ids, text_ids)),
        Some((image, text)),
        out,
        scratch,
    )
}

/// The SogCLR (GCL) step on a bimodal batch of features, in tiles: the
/// same step as [`sogclr_bimodal`](crate::sogclr_bimodal) on `S = X Y^T`,
/// then `dX`, `dY`, without storing `S` or `dS` (SPEC sections 4 and 6).
///
/// Arguments as [`dpm_bimodal_tiled`] with SogCLR's parameters; only `u`
/// of the states is read and written, `out.h_image` and `out.h_text` are
/// left untouched. Every output is within SPEC section 7's bound of
/// [`sogclr_bimodal`](crate::sogclr_bimodal) on the stored `S` followed by
/// the backward products, as [`dpm_bimodal_tiled`]'s is of its stored
/// step (on targets without lanes, as
/// [`crate::scalar::sogclr_bimodal_tiled`]).
///
/// # Errors
///
/// As [`dpm_bimodal_tiled`].
///
/// # Example
///
/// ```
/// use dpm_core::embed::{sogclr_bimodal_tiled, Features, TiledOut};
/// use dpm_core::{FirstVisit, SogClrParams, State};
/// let (mut images, mut texts) = (State::<f64, 4>::new(0.0), State::<f64, 4>::new(0.0));
/// let p = SogClrParams { tau: 0.1, gamma: 0.9, first_visit: FirstVisit::Batch };
/// let x = [1.0, 0.0, 0.0, 1.0]; // B = 2, d = 2, unit rows
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let loss = sogclr_bimodal_tiled(
///     &x, &x, 2, 2, Features::Normalized, &[0, 1], &[0, 1],
///     &mut images.view(), &mut texts.view(), dpm_core::Directions::both(p),
///     TiledOut::new(&mut dx, &mut dy), &mut scratch,
/// )?;
/// // First visit, one negative per row: each weight is exactly 1.
/// assert!((loss.total - 2.0 * -1.0).abs() < 1e-12);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sogclr_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    image_ids: &[usize],
    text_ids: &[usize],
    image: &mut StateView<'_, T>,
    text: &mut StateView<'_, T>,
    params: Directions<SogClrParams<T>>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algos = [Algo::SogClr(params.image), Algo::SogClr(params.text)];
    let src = Src::new(x, y, b, d, features);
    run(
        Engine::Simd,
        algos,
        src,
        Some((image_ids, text_ids)),
        Some((image, text)),
        out,
        scratch,
    )
}

/// InfoNCE / CLIP on a bimodal batch of features, in tiles: the same
/// loss as [`infonce_bimodal`](crate::infonce_bimodal) on `S = X Y^T`
/// (the mean of both directions' softmax cross-entropies), then `dX`,
/// `dY`, without storing `S` or `dS` (SPEC sections 4 and 6). No state;
/// `out.h_image` and `out.h_text` are left untouched. Every output is
/// within SPEC section 7's bound of
/// [`infonce_bimodal`](crate::infonce_bimodal) on the stored `S`
/// followed by the backward products, as [`dpm_bimodal_tiled`]'s is of
/// its stored step (on targets without lanes, as
/// [`crate::scalar::infonce_bimodal_tiled`]).
///
/// # Errors
///
/// As [`dpm_bimodal_tiled`], without the ids' and the state's.
///
/// # Example
///
/// ```
/// use dpm_core::embed::{infonce_bimodal_tiled, Features, TiledOut};
/// let x = [1.0_f64, 0.0, 0.0, 1.0]; // B = 2, d = 2: S = I
/// let (mut dx, mut dy) = ([0.0; 4], [0.0; 4]);
/// let mut scratch = [0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: 2, d: 2 })];
/// let out = TiledOut::new(&mut dx, &mut dy);
/// let loss = infonce_bimodal_tiled(&x, &x, 2, 2, Features::Normalized, 1.0, out, &mut scratch)?;
/// let expected = (1.0_f64.exp() + 1.0).ln() - 1.0;
/// assert!((loss.total - expected).abs() < 1e-15);
/// # Ok::<(), dpm_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn infonce_bimodal_tiled<T: Real>(
    x: &[T],
    y: &[T],
    b: usize,
    d: usize,
    features: Features,
    tau: T,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    let algo = Algo::InfoNce { tau };
    let src = Src::new(x, y, b, d, features);
    run(Engine::Simd, [algo, algo], src, None, None, out, scratch)
}

pub(crate) type Views<'s, 'a, 'b, T> = Option<(&'s mut StateView<'a, T>, &'s mut StateView<'b, T>)>;

/// A bimodal step in tiles: every check, then the SIMD passes on panels
/// of `S` ([`panels`]) where the engine runs them, else the scalar
/// engine's passes over tiles ([`work`]). `ids` and `states` are `None`
/// for InfoNCE.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Real>(
    engine: Engine,
    algos: [Algo<T>; 2],
    src: Src<'_, T>,
    ids: Option<(&[usize], &[usize])>,
    states: Views<'_, '_, '_, T>,
    out: TiledOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    #[cfg(feature = "std")]
    if engine.off_pool() {
        return rayon::scope(|_| run(engine, algos, src, ids, states, out, scratch));
    }
    // ---- checks: nothing but scratch is written above "writes" ----
    let (b, d) = (src.b, src.d);
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    let cells = check::cells("x", b, d)?;
    check::len("x", src.x.len(), cells)?;
    check::len("y", src.y.len(), cells)?;
    check::len("dx", out.dx.len(), cells)?;
    check::len("dy", out.dy.len(), cells)?;
    let need = scratch_len(engine, b, d);
    check::at_least("scratch", scratch.len(), need)?;
    checks::features(src.x, src.y, d, src.features, &algos)?;
    if d == 0 {
        // Every S would be 0, and each pass would still visit B^2
        // entries while reading no feature: work without data.
        return Err(Error::InvalidParameter { what: "d" });
    }

    let (image_ids, text_ids) = ids.unwrap_or((&[], &[]));
    let dpm = algos.map(|a| matches!(a, Algo::Dpm(_)));
    let (mut image, mut text) = match states {
        Some((i, t)) => (Some(i.split()), Some(t.split())),
        None => (None, None),
    };
    let (mut ia, mut ic) = match image.as_mut() {
        Some((a, c)) => (Some(&mut **a), Some(&mut **c).filter(|_| dpm[1])),
        None => (None, None),
    };
    let (mut ta, mut tc) = match text.as_mut() {
        Some((a, c)) => (Some(&mut **a), Some(&mut **c).filter(|_| dpm[0])),
        None => (None, None),
    };
    let taus = [algos[0].tau(), algos[1].tau()];
    if engine.simd() {
        return on_panels(
            engine,
            algos,
            src,
            ids,
            (ia, ic),
            (ta, tc),
            out,
            &mut scratch[..need],
        );
    }
    let mut w = Work::carve(&mut scratch[..need], src);
    // Pass 1, among the checks: zeta of the candidates (0 for an id out
    // of range: the checks refuse it before it is used; 0 without zeta),
    // the diagonal, the maxima of both directions, the largest |S|, any S
    // flushed.
    gather(w.dirs[0].zeta, tc.as_deref().map(|c| &*c.zeta), text_ids);
    gather(w.dirs[1].zeta, ic.as_deref().map(|c| &*c.zeta), image_ids);
    let (max_abs, flushed) = w.maxima(taus);
    if flushed {
        flushed_tau_ok(taus)?;
    }
    // Where the stored step checks them: after S (its lengths of ids and
    // h come with the step from S).
    lengths(ids, b, [&out.h_image, &out.h_text])?;
    let h_asked = [out.h_text.is_some(), out.h_image.is_some()];
    step_checks::bimodal(
        algos,
        b,
        max_abs,
        (image_ids, text_ids),
        (ia.as_deref_mut(), tc.as_deref_mut()),
        (ta.as_deref_mut(), ic.as_deref_mut()),
        h_asked,
    )?;

    // ---- writes ----
    let fixed = [
        Fixed::new(plan(algos[0], tc.as_deref(), h_asked[0]), b),
        Fixed::new(plan(algos[1], ic.as_deref(), h_asked[1]), b),
    ];
    let mut losses = [ScaledSum::ZERO; 2];
    w.sums(&fixed);
    w.dirs[0].stats(&fixed[0], b, ia, image_ids, &mut losses[0]);
    w.dirs[1].stats(&fixed[1], b, ta, text_ids, &mut losses[1]);
    let TiledOut {
        dx,
        dy,
        h_image,
        h_text,
    } = out;
    w.outputs(&fixed, &mut losses, dx, dy);
    let [d0, d1] = &mut w.dirs;
    let [l0, l1] = losses;
    let to_text = d0.finish(&fixed[0], algos[0], l0, (tc, text_ids), h_text);
    let to_image = d1.finish(&fixed[1], algos[1], l1, (ic, image_ids), h_image);
    Ok(Losses {
        total: flush(to_text + to_image),
        image_to_text: to_text,
        text_to_image: to_image,
    })
}

/// The lengths the stored step checks with `S`: both sides' ids (where
/// the step has them) and `h` (`[h_image, h_text]`, where asked for), `b`
/// each.
fn lengths<T>(
    ids: Option<(&[usize], &[usize])>,
    b: usize,
    h: [&Option<&mut [T]>; 2],
) -> Result<(), Error> {
    if let Some((image_ids, text_ids)) = ids {
        step_checks::ids_len(image_ids, text_ids, b)?;
    }
    for (what, h) in [("h_image", h[0]), ("h_text", h[1])] {
        if let Some(h) = h {
            check::len(what, h.len(), b)?;
        }
    }
    Ok(())
}

/// One population's halves as a step reads them: its anchors' state and
/// its candidates' (where the direction reads them).
type Halves<'s, 'v, T> = (
    Option<&'s mut AnchorState<'v, T>>,
    Option<&'s mut CandidateState<'v, T>>,
);
