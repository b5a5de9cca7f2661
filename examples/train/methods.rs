//! The three objectives, each a `Trainer` that owns its towers, its
//! per-sample state and its buffers, and takes one SGD step per batch from
//! the crate's closed-form `dS`.

use crate::data::{DA, DB, Views};
use crate::model::Tower;
use dpm_core::embed::{
    FeatureOut, Features, dpm_bimodal_from_features, l2_normalize, l2_normalize_backward,
    scores_backward, scores_forward,
};
use dpm_core::schedule::nuclr_eta;
use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Offset, SogClrParams, StateView, ZetaStep,
    infonce_bimodal, sogclr_bimodal,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Dpm,
    SogClr,
    InfoNce,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Dpm, Method::SogClr, Method::InfoNce];

    pub fn name(self) -> &'static str {
        match self {
            Method::Dpm => "DPM",
            Method::SogClr => "SogCLR",
            Method::InfoNce => "InfoNCE",
        }
    }
}

/// Settings shared by the methods that keep state.
#[derive(Clone, Copy, Debug)]
pub struct Hyper {
    pub tau: f32,
    pub lr: f32,
    /// Moving-average rate of DPM and SogCLR.
    pub gamma: f32,
    /// DPM: zeta momentum, step size and start (also `xi_init`).
    pub theta: f32,
    pub eta: f32,
    pub zeta_init: f32,
}

/// One population's state (all training samples of one view), over Vecs.
pub struct Population {
    log_s: Vec<f32>,
    s_flags: Vec<u8>,
    zeta: Vec<f32>,
    z: Vec<f32>,
    z_flags: Vec<u8>,
}

impl Population {
    fn new(n: usize, zeta_init: f32) -> Self {
        Population {
            log_s: vec![0.0; n],
            s_flags: vec![0; n],
            zeta: vec![zeta_init; n],
            z: vec![0.0; n],
            z_flags: vec![0; n],
        }
    }

    fn view(&mut self) -> StateView<'_, f32> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .expect("five slices of one length n >= 2, zeroed flags")
    }

    /// `(mean, min, max)` of zeta over the samples visited as candidates.
    pub fn zeta_stats(&self) -> Option<(f32, f32, f32)> {
        let touched = self
            .zeta
            .iter()
            .zip(&self.z_flags)
            .filter(|(_, f)| **f != 0);
        let (mut sum, mut count) = (0.0_f64, 0_usize);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for (&z, _) in touched {
            sum += f64::from(z);
            count += 1;
            lo = lo.min(z);
            hi = hi.max(z);
        }
        (count > 0).then(|| ((sum / count as f64) as f32, lo, hi))
    }
}

pub struct Trainer {
    pub method: Method,
    pub hyper: Hyper,
    pub tower_a: Tower,
    pub tower_b: Tower,
    pub pop_a: Population,
    pub pop_b: Population,
    xi: (f32, f32),
    eta: f32,
    buf: Buffers,
}

/// Every per-step buffer, sized once for the largest batch.
struct Buffers {
    va: Vec<f32>,
    vb: Vec<f32>,
    za: Vec<f32>,
    zb: Vec<f32>,
    xa: Vec<f32>,
    xb: Vec<f32>,
    norms: Vec<f32>,
    s: Vec<f32>,
    ds: Vec<f32>,
    dxa: Vec<f32>,
    dxb: Vec<f32>,
    dza: Vec<f32>,
    dzb: Vec<f32>,
    scratch: Vec<f32>,
}

impl Trainer {
    pub fn new(
        method: Method,
        hyper: Hyper,
        init: (&Tower, &Tower),
        n: usize,
        batch: usize,
    ) -> Self {
        let d = init.0.d_out;
        let scratch = dpm_core::scratch_len(dpm_core::Scratch::Features { b: batch, d }).max(
            dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: batch }),
        );
        Trainer {
            method,
            hyper,
            tower_a: init.0.clone(),
            tower_b: init.1.clone(),
            pop_a: Population::new(n, hyper.zeta_init),
            pop_b: Population::new(n, hyper.zeta_init),
            xi: (hyper.zeta_init, hyper.zeta_init),
            eta: hyper.eta,
            buf: Buffers {
                va: vec![0.0; batch * DA],
                vb: vec![0.0; batch * DB],
                za: vec![0.0; batch * d],
                zb: vec![0.0; batch * d],
                xa: vec![0.0; batch * d],
                xb: vec![0.0; batch * d],
                norms: vec![0.0; batch],
                s: vec![0.0; batch * batch],
                ds: vec![0.0; batch * batch],
                dxa: vec![0.0; batch * d],
                dxb: vec![0.0; batch * d],
                dza: vec![0.0; batch * d],
                dzb: vec![0.0; batch * d],
                scratch: vec![0.0; scratch],
            },
        }
    }

    /// One pass over `train` in the given order (batches of `batch`, the
    /// last one shorter); returns the mean batch loss. `epoch` counts from
    /// 0 of `epochs`, for DPM's zeta step-size schedule. An `Err` is the
    /// crate refusing a step (extreme options drove the weights
    /// or scores out of range); nothing panics.
    pub fn epoch(
        &mut self,
        train: &Views,
        order: &[usize],
        batch: usize,
        epoch: (usize, usize),
    ) -> Result<f64, Error> {
        // The authors' schedule: cosine decay, / 10 from half-way, / 100
        // from three quarters; both views alike (ratio 1), no warm-up.
        self.eta = nuclr_eta(epoch.0, epoch.1, 0, self.hyper.eta, 1.0)
            .expect("finite schedule parameters")
            .1;
        // The offset bounds, refreshed once per epoch as the authors do.
        self.xi = (
            self.pop_a.view().refresh_xi(self.hyper.zeta_init),
            self.pop_b.view().refresh_xi(self.hyper.zeta_init),
        );
        let (mut sum, mut steps) = (0.0_f64, 0_usize);
        for ids in order.chunks(batch).filter(|c| c.len() >= 2) {
            sum += f64::from(self.step(train, ids)?);
            steps += 1;
        }
        Ok(sum / steps as f64)
    }

    fn step(&mut self, train: &Views, ids: &[usize]) -> Result<f32, Error> {
        let (b, d, h) = (ids.len(), self.tower_a.d_out, self.hyper);
        let f = &mut self.buf;
        for (r, &id) in ids.iter().enumerate() {
            f.va[r * DA..(r + 1) * DA].copy_from_slice(&train.a[id * DA..(id + 1) * DA]);
            f.vb[r * DB..(r + 1) * DB].copy_from_slice(&train.b[id * DB..(id + 1) * DB]);
        }
        let (va, vb) = (&f.va[..b * DA], &f.vb[..b * DB]);
        let (za, zb) = (&mut f.za[..b * d], &mut f.zb[..b * d]);
        self.tower_a.forward(va, b, za);
        self.tower_b.forward(vb, b, zb);
        let (bb, bd) = (b * b, b * d);
        let (dza, dzb) = (&mut f.dza[..bd], &mut f.dzb[..bd]);

        let loss = if self.method == Method::Dpm {
            // Direction A -> B has B's zeta as candidates: B's xi and eta.
            let zeta_step = Some(ZetaStep {
                theta: h.theta,
                eta: self.eta,
            });
            let p = |xi| DpmParams {
                tau: h.tau,
                gamma: h.gamma,
                offset: Offset::Xi(xi),
                zeta_step,
                first_visit: FirstVisit::Batch,
            };
            let out = FeatureOut::new(&mut f.s[..bb], &mut f.ds[..bb], &mut *dza, &mut *dzb);
            dpm_bimodal_from_features(
                za,
                zb,
                b,
                d,
                Features::Raw,
                ids,
                ids,
                &mut self.pop_a.view(),
                &mut self.pop_b.view(),
                dpm_core::Directions {
                    image: p(self.xi.1),
                    text: p(self.xi.0),
                },
                out,
                &mut f.scratch,
            )?
            .total
        } else {
            let (xa, xb) = (&mut f.xa[..bd], &mut f.xb[..bd]);
            let norms = &mut f.norms[..b];
            l2_normalize(za, b, d, xa, norms)?;
            l2_normalize(zb, b, d, xb, norms)?;
            let (s, ds) = (&mut f.s[..bb], &mut f.ds[..bb]);
            scores_forward(xa, xb, b, b, d, s)?;
            let scratch = &mut f.scratch;
            let loss = if self.method == Method::SogClr {
                let p = SogClrParams {
                    tau: h.tau,
                    gamma: h.gamma,
                    first_visit: FirstVisit::Batch,
                };
                sogclr_bimodal(
                    s,
                    ids.len(),
                    ids,
                    ids,
                    &mut self.pop_a.view(),
                    &mut self.pop_b.view(),
                    dpm_core::Directions::both(p),
                    BimodalOut::new(ds),
                    scratch,
                )
            } else {
                infonce_bimodal(s, b, h.tau, BimodalOut::new(ds), scratch)
            }?
            .total;
            if self.method == Method::InfoNce {
                // Put InfoNCE's gradient on the scale of the other two: they
                // return d/dS of tau x (sum of both directions' log-partition
                // terms), InfoNCE that of the mean of its directions, 1/tau
                // inside. Without this the same lr would step InfoNCE 2/tau
                // (20 x at tau = 0.1) further.
                ds.iter_mut().for_each(|g| *g *= 2.0 * h.tau);
            }
            let (dxa, dxb) = (&mut f.dxa[..bd], &mut f.dxb[..bd]);
            scores_backward(ds, xa, xb, b, b, d, dxa, dxb)?;
            l2_normalize_backward(za, dxa, b, d, dza)?;
            l2_normalize_backward(zb, dxb, b, d, dzb)?;
            loss
        };
        // dL/dW = dZ^T V, then the SGD step.
        self.tower_a.sgd(dza, va, b, h.lr);
        self.tower_b.sgd(dzb, vb, b, h.lr);
        Ok(loss)
    }
}
