//! The single-process step on the same data (every rank runs it), and
//! the comparison of a rank's share with it: within SPEC section 7's
//! bound, `max(1024, 64 cond) eps` of each compared vector's largest
//! value, `cond = 1 + (2 max|S| + max|zeta| + |xi|) / tau + max|u| + ln b`
//! (as the `tiled` fuzz target's); the worst difference is reported in
//! units of `eps` of that largest value.

use crate::data::{Cfg, N, Pop, rows};
use crate::rank::Own;
use dpm_core::embed::{FeatureOut, Features, dpm_bimodal_from_features};
use dpm_core::{Directions, DpmParams, Scratch, scratch_len};

/// The whole population's state, as one process would hold it.
pub struct Single {
    pub cfg: Cfg,
    pub images: Pop,
    pub texts: Pop,
}

/// This process's parameters of a step, and the `xi` of both runs: the
/// ranks', refreshed from the sharded state, and this process's.
#[derive(Clone, Copy)]
pub struct Run {
    pub params: Directions<DpmParams<f32>>,
    pub xi_rank: [f32; 2],
    pub xi_single: [f32; 2],
}

/// The worst difference seen, in units of `eps` of the compared value's
/// scale, and the bound it was held to.
#[derive(Default, Clone, Copy, Debug)]
pub struct Worst {
    pub eps: f64,
    pub bound: f64,
}

impl Single {
    pub fn xi(&mut self, xi_init: f32) -> [f32; 2] {
        [
            self.images.view().refresh_xi(xi_init),
            self.texts.view().refresh_xi(xi_init),
        ]
    }

    /// Step `t` of this process with `run.params`, then rank `r`'s share
    /// (`own`, and its states `locals`) compared with it; `Err` names the
    /// first value out of the bound.
    pub fn check(
        &mut self,
        t: usize,
        run: &Run,
        r: usize,
        own: &Own,
        locals: (&Pop, &Pop),
        worst: &mut Worst,
    ) -> Result<(), String> {
        let Run {
            params,
            xi_rank,
            xi_single,
        } = *run;
        let Cfg { b, d, .. } = self.cfg;
        let ids = self.cfg.batch_ids(t);
        let (x, y) = (rows(&ids, t, d, 0), rows(&ids, t, d, 1));
        let (mut s, mut ds, mut dx, mut dy) = (
            vec![0.0; b * b],
            vec![0.0; b * b],
            vec![0.0; b * d],
            vec![0.0; b * d],
        );
        let (mut hi, mut ht) = (vec![0.0; b], vec![0.0; b]);
        let mut scratch = vec![0.0; scratch_len(Scratch::Features { b, d })];
        let zeta_max = ids
            .iter()
            .map(|&i| self.images.zeta[i].abs().max(self.texts.zeta[i].abs()))
            .fold(0.0_f32, f32::max);
        let u_max = ids
            .iter()
            .map(|&i| self.images.log_s[i].abs().max(self.texts.log_s[i].abs()))
            .fold(0.0_f32, f32::max);
        let out = FeatureOut {
            h_image: Some(&mut hi),
            h_text: Some(&mut ht),
            ..FeatureOut::new(&mut s, &mut ds, &mut dx, &mut dy)
        };
        let l = dpm_bimodal_from_features(
            &x,
            &y,
            b,
            d,
            Features::Raw,
            &ids,
            &ids,
            &mut self.images.view(),
            &mut self.texts.view(),
            params,
            out,
            &mut scratch,
        )
        .map_err(|e| format!("the single-process step refused: {e}"))?;

        let xi = match params.image.offset {
            dpm_core::Offset::Xi(a) => a.abs().max(match params.text.offset {
                dpm_core::Offset::Xi(b) => b.abs(),
                dpm_core::Offset::Vanilla => 0.0,
            }),
            dpm_core::Offset::Vanilla => 0.0,
        };
        let s_max = s.iter().fold(0.0_f32, |m, v| m.max(v.abs()));
        let tau = params.image.tau.min(params.text.tau);
        #[allow(clippy::cast_precision_loss)]
        let cond = 1.0 + f64::from((2.0 * s_max + zeta_max + xi) / tau + u_max) + (b as f64).ln();
        let bound = (64.0 * cond).max(1024.0);
        worst.bound = worst.bound.max(bound);
        let per = self.cfg.per();
        let rows_r = r * per..(r + 1) * per;
        let mut cmp = |what: &str, got: &[f32], want: &[f32]| -> Result<(), String> {
            let scale = want.iter().fold(f32::MIN_POSITIVE, |m, v| m.max(v.abs()));
            let unit = f64::from(scale) * f64::from(f32::EPSILON);
            for (k, (g, w)) in got.iter().zip(want).enumerate() {
                let e = f64::from((g - w).abs()) / unit;
                worst.eps = worst.eps.max(e);
                if e > bound {
                    return Err(format!(
                        "step {t}, rank {r}: {what}[{k}] = {g:e}, single process {w:e} ({e:.0} eps of {scale:e}, bound {bound:.0})"
                    ));
                }
            }
            Ok(())
        };
        cmp("xi", &xi_rank, &xi_single)?;
        cmp(
            "losses",
            &own.losses,
            &[l.image_to_text, l.text_to_image, l.total],
        )?;
        cmp("dx", &own.dx, &dx[rows_r.start * d..rows_r.end * d])?;
        cmp("dy", &own.dy, &dy[rows_r.start * d..rows_r.end * d])?;
        cmp("h_image", &own.h_image, &hi[rows_r.clone()])?;
        cmp("h_text", &own.h_text, &ht[rows_r])?;
        // Every id this rank owns (its local entry l is id l R + r), and
        // whether each was visited, which must agree exactly.
        for (side, (mine, all)) in [(locals.0, &self.images), (locals.1, &self.texts)]
            .into_iter()
            .enumerate()
        {
            let n_local = N / self.cfg.ranks;
            let (mut got, mut want) = (
                Vec::with_capacity(3 * n_local),
                Vec::with_capacity(3 * n_local),
            );
            for l in 0..n_local {
                let id = l * self.cfg.ranks + r;
                if (mine.s_flags[l], mine.z_flags[l]) != (all.s_flags[id], all.z_flags[id]) {
                    return Err(format!(
                        "step {t}, rank {r}: visited flags of id {id} (side {side}) differ"
                    ));
                }
                got.extend(mine.values(l));
                want.extend(all.values(id));
            }
            cmp(
                if side == 0 {
                    "images' state"
                } else {
                    "texts' state"
                },
                &got,
                &want,
            )?;
        }
        Ok(())
    }
}
