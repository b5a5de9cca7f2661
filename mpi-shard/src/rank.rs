//! One rank's share of a step: its pairs' anchor rows in both directions
//! against the gathered features (`dpm_core::shard::dpm_rows`, in chunks
//! of `CHUNK` rows, so that a rank holds `CHUNK x b` scores, never
//! `b x b`), the reductions, and `shard::finish` for the ids it owns.

use crate::data::{Cfg, N, Pop, rows};
use crate::guard::stage;
use dpm_core::embed::{l2_normalize, l2_normalize_backward, scores_backward, scores_forward};
use dpm_core::shard::{Block, RowsOut, dpm_rows, finish};
use dpm_core::{Directions, DpmParams, Scratch, scratch_len};
use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

/// Rows of a block computed at once.
pub const CHUNK: usize = 128;

/// What a rank keeps of a step: the summed losses `[image, text, total]`,
/// the gradients of its own raw rows, `h` of the candidates it owns.
pub struct Own {
    pub losses: [f32; 3],
    pub dx: Vec<f32>,
    pub dy: Vec<f32>,
    pub h_image: Vec<f32>,
    pub h_text: Vec<f32>,
    /// Elements this rank sent into collectives in the step.
    pub sent: usize,
}

/// A rank: its communicator, sizes and the state of the ids it owns.
pub struct Rank<'w> {
    pub world: &'w SimpleCommunicator,
    pub cfg: Cfg,
    pub r: usize,
    pub images: Pop,
    pub texts: Pop,
}

impl Rank<'_> {
    /// The largest zeta of a population over all ranks (`xi`, SPEC
    /// section 1): a max all-reduce, exact, so the same on every rank and
    /// in the single-process run.
    pub fn xi(&mut self, xi_init: f32) -> [f32; 2] {
        let mine = [
            self.images.view().refresh_xi(xi_init),
            self.texts.view().refresh_xi(xi_init),
        ];
        let mut all = [0.0_f32; 2];
        self.world
            .all_reduce_into(&mine[..], &mut all[..], SystemOperation::max());
        all
    }

    /// Step `t` with `params` (`image`: image anchors against texts).
    #[allow(clippy::too_many_lines)] // the step's stages in order
    pub fn step(&mut self, t: usize, params: Directions<DpmParams<f32>>) -> Own {
        let Cfg { b, d, .. } = self.cfg;
        let (per, r, world) = (self.cfg.per(), self.r, self.world);
        let ids = self.cfg.own_ids(r, t);
        let local: Vec<usize> = ids.iter().map(|id| id / self.cfg.ranks).collect();
        let mut sent = 0;

        // Own rows, normalised, then everyone's.
        stage(2);
        let (xr, yr) = (rows(&ids, t, d, 0), rows(&ids, t, d, 1));
        let (mut xn, mut yn, mut norms) = (vec![0.0; per * d], vec![0.0; per * d], vec![0.0; per]);
        l2_normalize(&xr, per, d, &mut xn, &mut norms).expect("finite nonzero rows");
        l2_normalize(&yr, per, d, &mut yn, &mut norms).expect("finite nonzero rows");
        let (mut x, mut y) = (vec![0.0_f32; b * d], vec![0.0_f32; b * d]);
        world.all_gather_into(&xn[..], &mut x[..]);
        world.all_gather_into(&yn[..], &mut y[..]);
        // The batch's candidates' zeta, each rank giving its own ids'.
        let own_zeta = |p: &Pop| local.iter().map(|&l| p.zeta[l]).collect::<Vec<f32>>();
        let (zi, zt) = (own_zeta(&self.images), own_zeta(&self.texts));
        let (mut cand_i, mut cand_t) = (Pop::new(b, 0.0), Pop::new(b, 0.0));
        world.all_gather_into(&zi[..], &mut cand_i.zeta[..]);
        world.all_gather_into(&zt[..], &mut cand_t.zeta[..]);
        sent += 2 * per * d + 2 * per;

        // The block's rows in chunks: images against all texts, texts
        // against all images. `red` packs what is summed across ranks:
        // h_sum of the texts, of the images, the two losses, dX, dY (of
        // the normalised rows).
        stage(3);
        let mut red = vec![0.0_f32; 2 * b + 2 + 2 * b * d];
        let cand_ids: Vec<usize> = (0..b).collect();
        let mut scratch = vec![
            0.0;
            scratch_len(Scratch::Step {
                rows: CHUNK,
                cols: b
            })
        ];
        let (mut s, mut ds, mut h) = (vec![0.0; CHUNK * b], vec![0.0; CHUNK * b], vec![0.0; b]);
        let (mut dx_c, mut d_all) = (vec![0.0; CHUNK * d], vec![0.0; b * d]);
        for dir in 0..2 {
            // dir 0: image anchors (own rows of X) against Y; dir 1: text
            // anchors (own rows of Y) against X.
            let (mine, theirs, anchors, cands, p) = if dir == 0 {
                (&xn, &y, &mut self.images, &mut cand_t, params.image)
            } else {
                (&yn, &x, &mut self.texts, &mut cand_i, params.text)
            };
            let (h_at, loss_at) = (dir * b, 2 * b + dir);
            let (own_grad, other_grad) = if dir == 0 { (0, 1) } else { (1, 0) };
            for c0 in (0..per).step_by(CHUNK) {
                let rows_c = CHUNK.min(per - c0);
                let (sc, dsc) = (&mut s[..rows_c * b], &mut ds[..rows_c * b]);
                let mine_c = &mine[c0 * d..(c0 + rows_c) * d];
                scores_forward(mine_c, theirs, rows_c, b, d, sc).expect("unit rows");
                let block = Block {
                    b,
                    start: r * per + c0,
                    rows: rows_c,
                };
                let out = RowsOut {
                    ds: &mut *dsc,
                    weights: None,
                    h_sum: &mut h,
                };
                let mut av = anchors.view();
                let mut cv = cands.view();
                let loss = dpm_rows(
                    sc,
                    block,
                    &local[c0..c0 + rows_c],
                    av.split().0,
                    &cand_ids,
                    cv.split().1,
                    N,
                    p,
                    out,
                    &mut scratch,
                )
                .expect("the sharded step refused its block");
                red[loss_at] += loss;
                red[h_at..h_at + b]
                    .iter_mut()
                    .zip(&h)
                    .for_each(|(a, v)| *a += v);
                // dMine = dS Theirs (own rows), dTheirs = dS^T Mine (all rows).
                let dx_cc = &mut dx_c[..rows_c * d];
                scores_backward(dsc, mine_c, theirs, rows_c, b, d, dx_cc, &mut d_all)
                    .expect("finite");
                let grad = |k: usize| 2 * b + 2 + k * b * d;
                let at = grad(own_grad) + (r * per + c0) * d;
                red[at..at + rows_c * d]
                    .iter_mut()
                    .zip(dx_cc.iter())
                    .for_each(|(a, v)| *a += v);
                let at = grad(other_grad);
                red[at..at + b * d]
                    .iter_mut()
                    .zip(&d_all)
                    .for_each(|(a, v)| *a += v);
            }
        }

        stage(4);
        let mut sum = vec![0.0_f32; red.len()];
        world.all_reduce_into(&red[..], &mut sum[..], SystemOperation::sum());
        sent += red.len();

        // The ids this rank owns: h and the zeta step, then the gradients
        // of its raw rows.
        let own = r * per..(r + 1) * per;
        let (mut h_image, mut h_text) = (vec![0.0; per], vec![0.0; per]);
        // Each direction's parameters carry its candidates' zeta step.
        let steps = [params.image.zeta_step, params.text.zeta_step]
            .map(|s| s.expect("the run has zeta steps"));
        let mut tv = self.texts.view();
        let texts_h = &sum[own.start..own.end];
        finish(
            &local,
            texts_h,
            b,
            N,
            tv.split().1,
            steps[0],
            Some(&mut h_text),
        )
        .expect("finish, texts");
        let mut iv = self.images.view();
        let images_h = &sum[b + own.start..b + own.end];
        finish(
            &local,
            images_h,
            b,
            N,
            iv.split().1,
            steps[1],
            Some(&mut h_image),
        )
        .expect("finish, images");
        let grad_own = |k: usize| {
            let at = 2 * b + 2 + k * b * d + own.start * d;
            &sum[at..at + per * d]
        };
        let (mut dx, mut dy) = (vec![0.0; per * d], vec![0.0; per * d]);
        l2_normalize_backward(&xr, grad_own(0), per, d, &mut dx).expect("finite");
        l2_normalize_backward(&yr, grad_own(1), per, d, &mut dy).expect("finite");
        let (li, lt) = (sum[2 * b], sum[2 * b + 1]);
        Own {
            losses: [li, lt, li + lt],
            dx,
            dy,
            h_image,
            h_text,
            sent,
        }
    }
}
