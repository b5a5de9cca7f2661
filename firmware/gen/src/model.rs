//! One bimodal DPM step from features, generic over the element type, on
//! growable (host) state: the function both the f64 reference and the
//! host f32 cross-check evaluate.

use dpm_core::embed::{FeatureOut, Features, dpm_bimodal_from_features};
use dpm_core::{DpmParams, FirstVisit, Offset, Real, StateView, ZetaStep};

/// The state of one population over `Vec`s (the firmware uses
/// `dpm_core::State` arrays; the values are the same).
#[derive(Clone, Debug)]
pub struct Pop<T> {
    pub log_s: Vec<T>,
    pub s_flags: Vec<u8>,
    pub zeta: Vec<T>,
    pub z: Vec<T>,
    pub z_flags: Vec<u8>,
}

impl<T: Real> Pop<T> {
    pub fn new(n: usize, zeta_init: T) -> Self {
        Pop {
            log_s: vec![T::ZERO; n],
            s_flags: vec![0; n],
            zeta: vec![zeta_init; n],
            z: vec![T::ZERO; n],
            z_flags: vec![0; n],
        }
    }

    pub fn view(&mut self) -> StateView<'_, T> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .expect("consistent state")
    }
}

/// The parameters of both directions as f32 values (what the firmware
/// uses), widened exactly to `T`.
pub fn params<T: Real>(raw: &[[f32; 5]; 2]) -> dpm_core::Directions<DpmParams<T>> {
    let w = |v: f32| T::from_f64(f64::from(v));
    let one = |r: &[f32; 5], vanilla: bool, first: FirstVisit| DpmParams {
        tau: w(r[0]),
        gamma: w(r[1]),
        offset: if vanilla {
            Offset::Vanilla
        } else {
            Offset::Xi(w(r[2]))
        },
        zeta_step: Some(ZetaStep {
            theta: w(r[3]),
            eta: w(r[4]),
        }),
        first_visit: first,
    };
    dpm_core::Directions {
        image: one(&raw[0], false, FirstVisit::Batch),
        text: one(&raw[1], true, FirstVisit::ZeroHistory),
    }
}

/// Everything one step reads.
#[derive(Clone, Debug)]
pub struct StepIn<T> {
    pub features: Features,
    pub x: Vec<T>,
    pub y: Vec<T>,
    pub params: dpm_core::Directions<DpmParams<T>>,
    pub image: Pop<T>,
    pub text: Pop<T>,
}

/// Runs the step on a copy of the state; returns the outputs in the order
/// of [`layout`] and the state after the step. `ids`: of the images and
/// of the texts.
pub fn eval<T: Real>(
    inp: &StepIn<T>,
    b: usize,
    d: usize,
    ids: (&[usize], &[usize]),
) -> (Vec<f64>, Pop<T>, Pop<T>) {
    let (mut image, mut text) = (inp.image.clone(), inp.text.clone());
    let (mut s, mut ds) = (vec![T::ZERO; b * b], vec![T::ZERO; b * b]);
    let (mut dx, mut dy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
    let (mut h_image, mut h_text) = (vec![T::ZERO; b], vec![T::ZERO; b]);
    let mut scratch = vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })];
    let loss = dpm_bimodal_from_features(
        &inp.x,
        &inp.y,
        b,
        d,
        inp.features,
        ids.0,
        ids.1,
        &mut image.view(),
        &mut text.view(),
        inp.params,
        FeatureOut {
            h_image: Some(&mut h_image),
            h_text: Some(&mut h_text),
            ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy)
        },
        &mut scratch,
    )
    .expect("the scenario's inputs are valid");
    let mut out: Vec<f64> = [loss.total, loss.image_to_text, loss.text_to_image]
        .iter()
        .map(|&v| v.to_f64())
        .collect();
    for m in [&s, &ds, &dx, &dy, &h_image, &h_text] {
        out.extend(m.iter().map(|&v| v.to_f64()));
    }
    for (pop, ids) in [(&mut image, ids.0), (&mut text, ids.1)] {
        let view = pop.view();
        let touched = |f: &dyn Fn(usize) -> f64| ids.iter().map(|&id| f(id)).collect::<Vec<_>>();
        out.extend(touched(&|id| {
            view.log_s(id).unwrap().expect("visited").to_f64()
        }));
        out.extend(touched(&|id| {
            view.z(id).unwrap().expect("visited").to_f64()
        }));
        out.extend(touched(&|id| view.zeta(id).unwrap().to_f64()));
    }
    (out, image, text)
}

/// Offsets of the output groups of [`eval`]: loss (3), scores, ds (b^2
/// each), dx, dy (b d each), h of the images and texts (b each), then
/// log_s, z, zeta of the images' batch ids, then of the texts' (b each).
pub fn layout(b: usize, d: usize) -> Vec<(&'static str, usize, usize)> {
    let mut v = Vec::new();
    let mut at = 0;
    for (name, len) in [
        ("loss", 3),
        ("scores", b * b),
        ("ds", b * b),
        ("dx", b * d),
        ("dy", b * d),
        ("h_image", b),
        ("h_text", b),
        ("image_log_s", b),
        ("image_z", b),
        ("image_zeta", b),
        ("text_log_s", b),
        ("text_z", b),
        ("text_zeta", b),
    ] {
        v.push((name, at, len));
        at += len;
    }
    v
}
