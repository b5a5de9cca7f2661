//! Runs the inputs of a golden case through the crate, in `f32` or `f64`,
//! and writes outputs in the case schema. Shared by `tests/golden.rs` and
//! `examples/replay.rs`.
#![allow(dead_code, non_snake_case)]

use super::case::{Case, Outputs, Sparse, SparseState, Step};
use dpm_core::{
    BimodalOut, DpmParams, FirstVisit, Offset, Real, SogClrParams, StateView, ZetaStep,
    embed::{
        FeatureOut, Features, TiledOut, dpm_bimodal_from_features, dpm_bimodal_tiled,
        infonce_bimodal_tiled, scores_backward, scores_forward, sogclr_bimodal_tiled,
    },
    infonce_bimodal, scalar,
    schedule::nuclr_eta,
    sogclr_bimodal,
};

/// One population's state in caller-owned vectors.
pub struct Population<T> {
    log_s: Vec<T>,
    s_flags: Vec<u8>,
    zeta: Vec<T>,
    z: Vec<T>,
    z_flags: Vec<u8>,
}

impl<T: Real> Population<T> {
    /// From the case's sparse fields: `log_s_true` null = never visited,
    /// `z == 0` = never set (the reference's test).
    fn from_sparse(
        n: usize,
        log_s: Option<&Sparse>,
        zeta: Option<&Sparse>,
        z: Option<&Sparse>,
    ) -> Result<Self, String> {
        let mut p = Population {
            log_s: vec![T::ZERO; n],
            s_flags: vec![0; n],
            zeta: vec![T::ZERO; n],
            z: vec![T::ZERO; n],
            z_flags: vec![0; n],
        };
        let mut view = p.view()?;
        if let Some(sp) = log_s {
            for (id, v) in dense_of(sp, n)?.into_iter().enumerate() {
                view.set_log_s(id, v.map(T::from_f64))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(sp) = zeta {
            for (id, v) in dense_of(sp, n)?.into_iter().enumerate() {
                view.set_zeta(id, T::from_f64(v.ok_or("zeta: null value")?))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(sp) = z {
            for (id, v) in dense_of(sp, n)?.into_iter().enumerate() {
                let v = v.filter(|&v| v != 0.0).map(T::from_f64);
                view.set_z(id, v).map_err(|e| e.to_string())?;
            }
        }
        Ok(p)
    }

    pub fn view(&mut self) -> Result<StateView<'_, T>, String> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .map_err(|e| e.to_string())
    }

    pub fn log_s(&self) -> Vec<Option<f64>> {
        self.log_s
            .iter()
            .zip(&self.s_flags)
            .map(|(&v, &f)| (f == 1).then(|| v.to_f64()))
            .collect()
    }

    pub fn z(&self) -> Vec<Option<f64>> {
        self.z
            .iter()
            .zip(&self.z_flags)
            .map(|(&v, &f)| (f == 1).then(|| v.to_f64()))
            .collect()
    }

    pub fn zeta(&self) -> Vec<f64> {
        self.zeta.iter().map(|&v| v.to_f64()).collect()
    }
}

fn dense_of(sp: &Sparse, n: usize) -> Result<Vec<Option<f64>>, String> {
    if sp.len != n {
        return Err(format!(
            "state vector of length {}, expected N = {n}",
            sp.len
        ));
    }
    sp.dense()
}

pub use super::dense::DenseState;

/// The parameters a step ran with (f64; xi is ours, after any refresh).
#[derive(Clone, Copy, Debug, Default)]
pub struct StepParams {
    pub tau: f64,
    /// The gamma used (GCL epoch 0: 1).
    pub gamma: f64,
    /// New ids start from zero history (GCL after epoch 0).
    pub zero_history: bool,
    pub vanilla: bool,
    /// Some((theta, eta_I, eta_T)) when the zeta update runs.
    pub zeta_step: Option<(f64, f64, f64)>,
}

/// The result of one replayed step.
pub struct StepRun {
    pub params: StepParams,
    /// The scores the crate was given, widened back to f64.
    pub scores: Vec<f64>,
    pub outputs: Outputs,
    /// Our state before the step (after any xi refresh).
    pub before: Option<DenseState>,
    /// Our state after the step.
    pub after: Option<DenseState>,
}

/// Which kernels run the bimodal steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The public functions (SIMD lanes); DPM steps go through
    /// `dpm_bimodal_from_features`.
    Simd,
    /// `dpm_core::scalar`, the reference, on `S = X Y^T`.
    Scalar,
    /// The public functions on `S = X Y^T` (no features path).
    Serial,
    /// `dpm_core::par` on `S = X Y^T`, on the current rayon pool.
    #[cfg(feature = "std")]
    Par,
    /// `embed::{dpm,sogclr,infonce}_bimodal_tiled` from the features (they
    /// store neither weights nor `dS`, so those outputs are empty).
    Tiled,
}

#[cfg(feature = "std")]
use dpm_core::par;

type DpmFn<T> = fn(
    &[T],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, T>,
    &mut StateView<'_, T>,
    dpm_core::Directions<DpmParams<T>>,
    BimodalOut<'_, T>,
    &mut [T],
) -> Result<dpm_core::Losses<T>, dpm_core::Error>;

type SogClrFn<T> = fn(
    &[T],
    usize,
    &[usize],
    &[usize],
    &mut StateView<'_, T>,
    &mut StateView<'_, T>,
    dpm_core::Directions<SogClrParams<T>>,
    BimodalOut<'_, T>,
    &mut [T],
) -> Result<dpm_core::Losses<T>, dpm_core::Error>;

struct Replayer<'c, T> {
    case: &'c Case,
    engine: Engine,
    image: Population<T>,
    text: Population<T>,
    xi_I: T,
    xi_T: T,
}

impl<T: Real> Replayer<'_, T> {
    fn dense(&self) -> DenseState {
        DenseState {
            log_s_I: self.image.log_s(),
            log_s_T: self.text.log_s(),
            z_I: self.image.z(),
            z_T: self.text.z(),
            zeta_I: self.image.zeta(),
            zeta_T: self.text.zeta(),
            xi_I: self.xi_I.to_f64(),
            xi_T: self.xi_T.to_f64(),
        }
    }

    fn sparse(&self, d: &DenseState) -> SparseState {
        let case = self.case;
        let n = case.n.unwrap_or(0);
        let touched = |f: fn(&Step) -> &Vec<usize>| -> Vec<usize> {
            if n <= 4096 {
                return (0..n).collect();
            }
            let mut ids: Vec<usize> = case
                .steps
                .iter()
                .flat_map(|s| f(s).iter().copied())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let (ii, ti) = (touched(|s| &s.image_ids), touched(|s| &s.text_ids));
        let zero_fill =
            |z: &[Option<f64>]| z.iter().map(|v| Some(v.unwrap_or(0.0))).collect::<Vec<_>>();
        let some = |z: &[f64]| z.iter().map(|&v| Some(v)).collect::<Vec<_>>();
        let zeta_fill = case.hyper.neg_zeta_init.map(|v| -v);
        let mut st = SparseState {
            log_s_I_true: Some(Sparse::from_dense(&d.log_s_I, None, ii.clone())),
            log_s_T_true: Some(Sparse::from_dense(&d.log_s_T, None, ti.clone())),
            ..SparseState::default()
        };
        if case.kind == "dgcl" {
            st.z_I = Some(Sparse::from_dense(
                &zero_fill(&d.z_I),
                Some(0.0),
                ii.clone(),
            ));
            st.z_T = Some(Sparse::from_dense(
                &zero_fill(&d.z_T),
                Some(0.0),
                ti.clone(),
            ));
            st.zeta_I = Some(Sparse::from_dense(&some(&d.zeta_I), zeta_fill, ii));
            st.zeta_T = Some(Sparse::from_dense(&some(&d.zeta_T), zeta_fill, ti));
            st.xi_I = Some(d.xi_I);
            st.xi_T = Some(d.xi_T);
        }
        st
    }

    fn step(&mut self, st: &Step) -> Result<StepRun, String> {
        let case = self.case;
        let h = &case.hyper;
        let (b, d) = (case.b, case.d);
        let bb = b * b;
        // S is computed from the features, as a user's training step would:
        // in f32 the rounding of S from the features is part of the run.
        let flat = |m: &[Vec<f64>]| {
            m.iter()
                .flatten()
                .map(|&v| T::from_f64(v))
                .collect::<Vec<T>>()
        };
        let (x, y) = (flat(&st.image_features), flat(&st.text_features));
        let mut s = vec![T::ZERO; bb];
        let (mut ds, mut wi, mut wt) = (vec![T::ZERO; bb], vec![T::ZERO; bb], vec![T::ZERO; bb]);
        let (mut dx, mut dy) = (vec![T::ZERO; b * d], vec![T::ZERO; b * d]);
        #[cfg(feature = "std")]
        let scratch_len = dpm_core::scratch_len(dpm_core::Scratch::Features { b, d })
            .max(par::scratch_len(dpm_core::Scratch::Bimodal { b }));
        #[cfg(not(feature = "std"))]
        let scratch_len = dpm_core::scratch_len(dpm_core::Scratch::Features { b, d });
        let scratch_len = scratch_len.max(dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d }));
        let mut scratch = vec![T::ZERO; scratch_len];
        let refused = |e: dpm_core::Error| format!("the crate refused the step: {e}");
        let from_features = case.kind == "dgcl" && self.engine == Engine::Simd;
        let tiled = self.engine == Engine::Tiled;
        let simd = self.engine != Engine::Scalar;
        #[cfg(feature = "std")]
        let parallel = self.engine == Engine::Par;
        if !from_features {
            scores_forward(&x, &y, b, b, d, &mut s).map_err(refused)?;
        }
        let normalized = Features::Normalized;
        let out = BimodalOut {
            weights_image: Some(&mut wi),
            weights_text: Some(&mut wt),
            ..BimodalOut::new(&mut ds)
        };
        let tau = T::from_f64(h.temperature);
        let need = |v: Option<f64>, what: &str| v.ok_or(format!("hyper.{what} is missing"));
        let mut etas = None;
        let mut before = None;
        let mut params = StepParams {
            tau: h.temperature,
            gamma: 1.0,
            ..StepParams::default()
        };
        let loss = match case.kind.as_str() {
            #[cfg(feature = "std")]
            "infonce" if tiled => {
                let tout = TiledOut::new(&mut dx, &mut dy);
                infonce_bimodal_tiled(&x, &y, b, d, normalized, tau, tout, &mut scratch)
            }
            "infonce" if parallel => par::infonce_bimodal(&s, b, tau, out, &mut scratch),
            "infonce" if simd => infonce_bimodal(&s, b, tau, out, &mut scratch),
            "infonce" => scalar::infonce_bimodal(&s, b, tau, out, &mut scratch),
            kind => {
                if st.xi_refresh_before && kind == "dgcl" {
                    let xi_init = T::from_f64(need(h.xi_init, "xi_init")?);
                    self.xi_I = self.image.view()?.refresh_xi(xi_init);
                    self.xi_T = self.text.view()?.refresh_xi(xi_init);
                }
                before = Some(self.dense());
                let gamma = T::from_f64(need(h.gamma, "gamma")?);
                let (mut iv, mut tv) = (self.image.view()?, self.text.view()?);
                if kind == "gcl" {
                    // The reference: s = g for every id in epoch 0, then
                    // s = (1 - gamma) s + gamma g with s = 0 for new ids.
                    let (gamma, first_visit) = if st.epoch == 0 {
                        (T::ONE, FirstVisit::Batch)
                    } else {
                        (gamma, FirstVisit::ZeroHistory)
                    };
                    params.gamma = gamma.to_f64();
                    params.zero_history = first_visit == FirstVisit::ZeroHistory;
                    let p = SogClrParams {
                        tau,
                        gamma,
                        first_visit,
                    };
                    let sogclr: SogClrFn<T> = match self.engine {
                        Engine::Scalar => scalar::sogclr_bimodal::<T>,
                        Engine::Simd | Engine::Serial | Engine::Tiled => sogclr_bimodal::<T>,
                        #[cfg(feature = "std")]
                        Engine::Par => par::sogclr_bimodal::<T>,
                    };
                    if tiled {
                        let (ii, ti) = (&st.image_ids, &st.text_ids);
                        let tout = TiledOut::new(&mut dx, &mut dy);
                        sogclr_bimodal_tiled(
                            &x,
                            &y,
                            b,
                            d,
                            normalized,
                            ii,
                            ti,
                            &mut iv,
                            &mut tv,
                            dpm_core::Directions::both(p),
                            tout,
                            &mut scratch,
                        )
                    } else {
                        sogclr(
                            &s,
                            b,
                            &st.image_ids,
                            &st.text_ids,
                            &mut iv,
                            &mut tv,
                            dpm_core::Directions::both(p),
                            out,
                            &mut scratch,
                        )
                    }
                } else {
                    let start = need(h.start_epochs.map(|v| v as f64), "start_epochs")? as usize;
                    let (eta_i, eta_t) = nuclr_eta(
                        st.epoch,
                        st.max_epoch,
                        start,
                        need(h.eta_init, "eta_init")?,
                        need(h.eta_I_ratio, "eta_I_ratio")?,
                    )
                    .map_err(|e| format!("eta schedule: {e}"))?;
                    etas = Some((eta_i, eta_t));
                    let theta = T::from_f64(need(h.theta, "theta")?);
                    let on = st.epoch >= start;
                    let vanilla = h.vanilla.unwrap_or(false);
                    let dir = |xi: T, eta: f64| DpmParams {
                        tau,
                        gamma,
                        offset: if vanilla {
                            Offset::Vanilla
                        } else {
                            Offset::Xi(xi)
                        },
                        zeta_step: on.then(|| ZetaStep {
                            theta,
                            eta: T::from_f64(eta),
                        }),
                        first_visit: FirstVisit::Batch,
                    };
                    params.gamma = gamma.to_f64();
                    params.vanilla = vanilla;
                    params.zeta_step = on.then(|| (theta.to_f64(), eta_i, eta_t));
                    // Images anchor with the texts' xi and eta, and the reverse.
                    let p = dpm_core::Directions {
                        image: dir(self.xi_T, eta_t),
                        text: dir(self.xi_I, eta_i),
                    };
                    let (ii, ti) = (&st.image_ids, &st.text_ids);
                    let step: Option<DpmFn<T>> = match self.engine {
                        Engine::Simd | Engine::Tiled => None,
                        Engine::Scalar => Some(scalar::dpm_bimodal::<T>),
                        Engine::Serial => Some(dpm_core::dpm_bimodal::<T>),
                        #[cfg(feature = "std")]
                        Engine::Par => Some(par::dpm_bimodal::<T>),
                    };
                    if let Some(step) = step {
                        step(&s, b, ii, ti, &mut iv, &mut tv, p, out, &mut scratch)
                    } else if tiled {
                        let tout = TiledOut::new(&mut dx, &mut dy);
                        dpm_bimodal_tiled(
                            &x,
                            &y,
                            b,
                            d,
                            normalized,
                            ii,
                            ti,
                            &mut iv,
                            &mut tv,
                            p,
                            tout,
                            &mut scratch,
                        )
                    } else {
                        let fout = FeatureOut {
                            weights_image: out.weights_image,
                            weights_text: out.weights_text,
                            ..FeatureOut::new(&mut s, out.ds, &mut dx, &mut dy)
                        };
                        dpm_bimodal_from_features(
                            &x,
                            &y,
                            b,
                            d,
                            normalized,
                            ii,
                            ti,
                            &mut iv,
                            &mut tv,
                            p,
                            fout,
                            &mut scratch,
                        )
                    }
                }
            }
        }
        .map_err(refused)?;
        if !from_features && !tiled {
            scores_backward(&ds, &x, &y, b, b, d, &mut dx, &mut dy).map_err(refused)?;
        }
        let rows = |m: &[T]| -> Vec<Vec<f64>> {
            m.chunks(b)
                .map(|r| r.iter().map(|&v| v.to_f64()).collect())
                .collect()
        };
        let after = (case.kind != "infonce").then(|| self.dense());
        let outputs = Outputs {
            total_loss: loss.total.to_f64(),
            weights_image: (!tiled).then(|| rows(&wi)),
            weights_text: (!tiled).then(|| rows(&wt)),
            grad_sim: if tiled { Vec::new() } else { rows(&ds) },
            grad_image_features: Some(
                dx.chunks(d)
                    .map(|r| r.iter().map(|&v| v.to_f64()).collect())
                    .collect(),
            ),
            grad_text_features: Some(
                dy.chunks(d)
                    .map(|r| r.iter().map(|&v| v.to_f64()).collect())
                    .collect(),
            ),
            eta_I: etas.map(|e| e.0),
            eta_T: etas.map(|e| e.1),
            state_after: after.as_ref().map(|d| self.sparse(d)),
        };
        Ok(StepRun {
            params,
            scores: s.iter().map(|&v| v.to_f64()).collect(),
            outputs,
            before,
            after,
        })
    }
}

/// Replays every step of `case` in `T`, through the state, on `engine`.
pub fn replay<T: Real>(case: &Case, engine: Engine) -> Result<Vec<StepRun>, String> {
    let n = case.n.unwrap_or(2);
    let first = case.first_state().cloned().unwrap_or_default();
    let (image, text) = if case.kind == "infonce" {
        (
            Population::from_sparse(2, None, None, None)?,
            Population::from_sparse(2, None, None, None)?,
        )
    } else {
        (
            Population::from_sparse(
                n,
                first.log_s_I_true.as_ref(),
                first.zeta_I.as_ref(),
                first.z_I.as_ref(),
            )?,
            Population::from_sparse(
                n,
                first.log_s_T_true.as_ref(),
                first.zeta_T.as_ref(),
                first.z_T.as_ref(),
            )?,
        )
    };
    let mut r = Replayer {
        case,
        engine,
        image,
        text,
        xi_I: T::from_f64(first.xi_I.unwrap_or(0.0)),
        xi_T: T::from_f64(first.xi_T.unwrap_or(0.0)),
    };
    case.steps.iter().map(|st| r.step(st)).collect()
}
