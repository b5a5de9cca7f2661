//! An independent f64 evaluation of SPEC sections 2-4 on golden inputs,
//! written for clarity, and the error bound each output of the crate must
//! meet: SPEC section 7's rounding term `8 eps (1 + |args|)` plus the
//! first-order effect of the difference between the crate's inputs and the
//! golden ones (`d*` values below: f32 rounding of S, state carried through
//! earlier steps).
//!
//! Needs only `dense.rs` beside it: `firmware/gen` includes both, for the
//! bounds of the firmware's tiled step at B = 256, where central
//! differences over every feature would take minutes.
#![allow(dead_code)]

use super::dense::DenseState;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Dpm {
        vanilla: bool,
        /// (theta, eta_I, eta_T) when the zeta update runs.
        zeta_step: Option<(f64, f64, f64)>,
    },
    SogClr {
        zero_history: bool,
    },
    InfoNce,
}

pub struct Bimodal<'a> {
    pub b: usize,
    pub n: usize,
    pub tau: f64,
    pub gamma: f64,
    pub kind: Kind,
    /// Golden `S` and the `S` the crate was given, row-major.
    pub sim: &'a [f64],
    pub ours_sim: &'a [f64],
    pub image_ids: &'a [usize],
    pub text_ids: &'a [usize],
    /// Golden state before the step, and ours (None for InfoNCE).
    pub golden: Option<&'a DenseState>,
    pub ours: Option<&'a DenseState>,
    pub eps: f64,
    /// Absolute floor for values that underflow (smallest normal).
    pub tiny: f64,
}

/// Bounds per output; per-id vectors are by batch position.
#[derive(Default)]
pub struct Eval {
    /// The total loss (the bounds' own value, to check that a caller
    /// mapped its inputs as the crate does).
    pub loss: f64,
    pub loss_err: f64,
    pub w_image_err: Vec<f64>,
    pub w_text_err: Vec<f64>,
    pub grad_err: Vec<f64>,
    /// `h` of the images and of the texts as candidates (the zeta
    /// gradients; `z` after a first visit), by batch position.
    pub h_image: Vec<f64>,
    pub h_text: Vec<f64>,
    pub u_image: Vec<f64>,
    pub u_image_err: Vec<f64>,
    pub u_text: Vec<f64>,
    pub u_text_err: Vec<f64>,
    pub z_image_err: Vec<f64>,
    pub z_text_err: Vec<f64>,
    pub zeta_image_err: Vec<f64>,
    pub zeta_text_err: Vec<f64>,
}

fn logaddexp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// One direction, anchors x candidates, `s(anchor, cand)`.
struct Dir<'a> {
    s: &'a dyn Fn(usize, usize) -> f64,
    ds: &'a dyn Fn(usize, usize) -> f64,
    zeta: Vec<f64>,
    dzeta: Vec<f64>,
    u_old: Vec<Option<f64>>,
    du_old: Vec<f64>,
    /// (xi, dxi) in Xi mode.
    xi: Option<(f64, f64)>,
}

struct DirEval {
    w: Vec<f64>,
    w_err: Vec<f64>,
    row_err: Vec<f64>,
    row_sum: Vec<f64>,
    u: Vec<f64>,
    u_err: Vec<f64>,
    loss: f64,
    loss_err: f64,
    h: Vec<f64>,
    h_err: Vec<f64>,
}

fn eval_dir(p: &Bimodal, d: &Dir) -> DirEval {
    let (b, tau, g) = (p.b, p.tau, p.gamma);
    let rnd = |args: f64| 8.0 * p.eps * (1.0 + args);
    let m = (b - 1) as f64;
    let n = p.n as f64;
    let mut e = DirEval {
        w: vec![0.0; b * b],
        w_err: vec![0.0; b * b],
        row_err: vec![0.0; b],
        row_sum: vec![0.0; b],
        u: vec![0.0; b],
        u_err: vec![0.0; b],
        loss: 0.0,
        loss_err: 0.0,
        h: vec![0.0; b],
        h_err: vec![0.0; b],
    };
    let mut acc = vec![0.0; b];
    let mut acc_err = vec![0.0; b];
    for i in 0..b {
        let a: Vec<f64> = (0..b)
            .map(|c| ((d.s)(i, c) - (d.s)(i, i) - d.zeta[c]) / tau)
            .collect();
        let da: Vec<f64> = (0..b)
            .map(|c| ((d.ds)(i, c) + (d.ds)(i, i) + d.dzeta[c]) / tau)
            .collect();
        let negs = || (0..b).filter(move |&c| c != i);
        let mx = negs().map(|c| a[c]).fold(f64::NEG_INFINITY, f64::max);
        let l = mx + negs().map(|c| (a[c] - mx).exp()).sum::<f64>().ln();
        let dl = negs().map(|c| da[c]).fold(0.0, f64::max);
        let (u, du) = match (p.kind, d.u_old[i]) {
            (Kind::InfoNce, _) => (l, dl),
            (_, Some(uo)) => (
                logaddexp((1.0 - g).ln() + uo, g.ln() + l),
                dl.max(d.du_old[i]) + rnd(uo.abs() + l.abs()),
            ),
            (Kind::SogClr { zero_history: true }, None) => (g.ln() + l, dl),
            (_, None) => (l, dl),
        };
        let du = du + rnd(l.abs() + u.abs());
        let base = (m / (n - 1.0)).ln();
        let (log_off, doff) = match (p.kind, d.xi) {
            (Kind::Dpm { vanilla: false, .. }, Some((xi, dxi))) => (base - xi / tau, dxi / tau),
            (Kind::Dpm { .. }, _) => (base - d.zeta[i] / tau, d.dzeta[i] / tau),
            (Kind::SogClr { .. }, _) => (f64::NEG_INFINITY, 0.0),
            (Kind::InfoNce, _) => (0.0, 0.0),
        };
        let log_den = logaddexp(log_off, u);
        let dden = doff.max(du);
        let mut loss_i = 0.0;
        let mut loss_i_err = 0.0;
        for c in 0..b {
            let k = i * b + c;
            if c != i {
                let w = (a[c] - log_den).exp();
                let err = w * (rnd(a[c].abs() + log_den.abs()) + da[c] + dden).exp_m1() + p.tiny;
                let dd = (d.s)(i, c) - (d.s)(i, i);
                e.w[k] = w;
                e.w_err[k] = err;
                e.row_err[i] += err;
                e.row_sum[i] += w;
                loss_i += w * dd;
                loss_i_err +=
                    err * dd.abs() + w * ((d.ds)(i, c) + (d.ds)(i, i)) + rnd(0.0) * (w * dd).abs();
            } else if let Kind::InfoNce = p.kind {
                let w = (-log_den).exp();
                e.w[k] = w;
                e.w_err[k] = w * (rnd(log_den.abs()) + dden).exp_m1() + p.tiny;
            }
        }
        if let Kind::InfoNce = p.kind {
            loss_i = log_den;
            loss_i_err = rnd(log_den.abs()) + dden;
        }
        e.loss += loss_i / b as f64;
        e.loss_err += loss_i_err / b as f64;
        e.u[i] = u;
        e.u_err[i] = du;
        if let Kind::Dpm { .. } = p.kind {
            let zp = d.zeta[i] / tau;
            let log_dt = logaddexp(-(n - 1.0).ln() - zp, u - m.ln());
            let ddt = (d.dzeta[i] / tau).max(du) + rnd(zp.abs() + u.abs() + n.ln());
            for c in 0..b {
                let (t, dt_in) = if c != i {
                    (a[c] - log_dt, da[c])
                } else {
                    (-zp - log_dt, d.dzeta[i] / tau)
                };
                let term = t.exp();
                acc[c] += term;
                acc_err[c] += term * (rnd(t.abs() + log_dt.abs()) + dt_in + ddt).exp_m1();
            }
        }
    }
    e.loss_err += rnd(0.0) * e.loss.abs();
    let f = n / (n - 1.0) / b as f64;
    for c in 0..b {
        e.h[c] = 1.0 - f * acc[c];
        e.h_err[c] = f * acc_err[c] + rnd(0.0) * (1.0 + f * acc[c]);
    }
    e
}

/// Bounds for both directions of a bimodal step, and the state updates.
pub fn eval_bimodal(p: &Bimodal) -> Eval {
    let b = p.b;
    let s0 = |i: usize, j: usize| p.sim[i * b + j];
    let d0 = |i: usize, j: usize| (p.ours_sim[i * b + j] - p.sim[i * b + j]).abs();
    let s1 = |j: usize, i: usize| p.sim[i * b + j];
    let d1 = |j: usize, i: usize| (p.ours_sim[i * b + j] - p.sim[i * b + j]).abs();
    let uses_state = !matches!(p.kind, Kind::InfoNce);
    let uses_zeta = matches!(p.kind, Kind::Dpm { .. });
    let pick = |f: &dyn Fn(&DenseState) -> f64| -> (f64, f64) {
        match (p.golden, p.ours) {
            (Some(g), Some(o)) => (f(g), (f(o) - f(g)).abs()),
            _ => (0.0, 0.0),
        }
    };
    // (values, deviations) of golden zeta for the candidates of a side.
    let zetas = |ids: &[usize], image: bool| -> (Vec<f64>, Vec<f64>) {
        ids.iter()
            .map(|&id| {
                if !uses_zeta {
                    return (0.0, 0.0);
                }
                pick(&|s: &DenseState| if image { s.zeta_I[id] } else { s.zeta_T[id] })
            })
            .unzip()
    };
    let us = |ids: &[usize], image: bool| -> (Vec<Option<f64>>, Vec<f64>) {
        ids.iter()
            .map(|&id| {
                let (Some(g), Some(o)) = (p.golden, p.ours) else {
                    return (None, 0.0);
                };
                if !uses_state {
                    return (None, 0.0);
                }
                let (gv, ov) = if image {
                    (g.log_s_I[id], o.log_s_I[id])
                } else {
                    (g.log_s_T[id], o.log_s_T[id])
                };
                match (gv, ov) {
                    (Some(gv), Some(ov)) => (Some(gv), (ov - gv).abs()),
                    (None, None) => (None, 0.0),
                    _ => (gv, f64::INFINITY),
                }
            })
            .unzip()
    };
    let (zt, dzt) = zetas(p.text_ids, false);
    let (zi, dzi) = zetas(p.image_ids, true);
    let (ui, dui) = us(p.image_ids, true);
    let (ut, dut) = us(p.text_ids, false);
    let xi_t = pick(&|s: &DenseState| s.xi_T);
    let xi_i = pick(&|s: &DenseState| s.xi_I);
    let e0 = eval_dir(
        p,
        &Dir {
            s: &s0,
            ds: &d0,
            zeta: zt,
            dzeta: dzt,
            u_old: ui,
            du_old: dui,
            xi: Some(xi_t),
        },
    );
    let e1 = eval_dir(
        p,
        &Dir {
            s: &s1,
            ds: &d1,
            zeta: zi,
            dzeta: dzi,
            u_old: ut,
            du_old: dut,
            xi: Some(xi_i),
        },
    );

    let rnd = |args: f64| 8.0 * p.eps * (1.0 + args);
    let (scale, weight) = match p.kind {
        Kind::InfoNce => (0.5 / (b as f64 * p.tau), 0.5),
        _ => (1.0 / b as f64, 1.0),
    };
    let mut out = Eval {
        loss: weight * (e0.loss + e1.loss),
        h_image: e1.h.clone(),
        h_text: e0.h.clone(),
        loss_err: weight * (e0.loss_err + e1.loss_err)
            + rnd(0.0) * weight * (e0.loss.abs() + e1.loss.abs()),
        w_image_err: e0.w_err.clone(),
        w_text_err: vec![0.0; b * b],
        grad_err: vec![0.0; b * b],
        ..Eval::default()
    };
    for i in 0..b {
        for j in 0..b {
            // weights_text[i][j] belongs to text anchor j, image candidate i.
            out.w_text_err[i * b + j] = e1.w_err[j * b + i];
            out.grad_err[i * b + j] = if i != j {
                let g = scale * (e0.w[i * b + j] + e1.w[j * b + i]);
                // Each direction's part of dS is one exp, 0 below the
                // smallest normal number (SPEC section 7): the floor applies
                // to each part, not to the weight it is a fraction of.
                scale * (e0.w_err[i * b + j] + e1.w_err[j * b + i]) + rnd(0.0) * g + 2.0 * p.tiny
            } else {
                let g = scale * (e0.row_sum[i] + e1.row_sum[i]);
                // InfoNCE: the reference (autograd of cross-entropy) forms
                // p_ii - 1, which loses up to one f64 eps absolute when p_ii
                // is near 1; the crate sums the negatives' weights instead.
                // The bound adds that error of the reference itself.
                let reference = if let Kind::InfoNce = p.kind {
                    2.0 * f64::EPSILON * scale
                } else {
                    0.0
                };
                scale * (e0.row_err[i] + e1.row_err[i]) + rnd(0.0) * g + p.tiny + reference
            };
        }
    }
    out.u_image = e0.u.clone();
    out.u_image_err = e0.u_err.clone();
    out.u_text = e1.u.clone();
    out.u_text_err = e1.u_err.clone();
    if let (Kind::Dpm { zeta_step, .. }, Some(g), Some(o)) = (p.kind, p.golden, p.ours) {
        // Texts are the candidates of direction 0, images of direction 1.
        let sides = [
            (
                &e0,
                p.text_ids,
                &g.z_T,
                &o.z_T,
                &g.zeta_T,
                &o.zeta_T,
                zeta_step.map(|(t, _, et)| (t, et)),
            ),
            (
                &e1,
                p.image_ids,
                &g.z_I,
                &o.z_I,
                &g.zeta_I,
                &o.zeta_I,
                zeta_step.map(|(t, ei, _)| (t, ei)),
            ),
        ];
        let mut res = Vec::new();
        for (e, ids, gz, oz, gzeta, ozeta, step) in sides {
            let mut z_err = vec![0.0; b];
            let mut zeta_err = vec![0.0; b];
            for (pos, &id) in ids.iter().enumerate() {
                let dzeta_old = (ozeta[id] - gzeta[id]).abs();
                let Some((theta, eta)) = step else {
                    z_err[pos] = match (gz[id], oz[id]) {
                        (Some(a), Some(b)) => (a - b).abs() + rnd(0.0) * a.abs(),
                        _ => 0.0,
                    };
                    zeta_err[pos] = dzeta_old + rnd(0.0) * gzeta[id].abs();
                    continue;
                };
                let (h, dh) = (e.h[pos], e.h_err[pos]);
                let (z, dz) = match (gz[id], oz[id]) {
                    (Some(zo), Some(oo)) => {
                        let z = (1.0 - theta) * zo + theta * h;
                        let dz = (1.0 - theta) * (oo - zo).abs() + theta * dh;
                        (
                            z,
                            dz + rnd(0.0) * ((1.0 - theta) * zo.abs() + theta * h.abs() + z.abs()),
                        )
                    }
                    (None, None) => (h, dh),
                    _ => (h, f64::INFINITY),
                };
                z_err[pos] = dz;
                zeta_err[pos] =
                    dzeta_old + eta * dz + rnd(0.0) * (gzeta[id].abs() + 2.0 * eta * z.abs());
            }
            res.push((z_err, zeta_err));
        }
        let (zi_err, zetai_err) = res.pop().unwrap();
        let (zt_err, zetat_err) = res.pop().unwrap();
        out.z_text_err = zt_err;
        out.zeta_text_err = zetat_err;
        out.z_image_err = zi_err;
        out.zeta_image_err = zetai_err;
    }
    out
}
