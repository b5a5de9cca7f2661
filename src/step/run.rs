//! A bimodal step: every precondition checked, then one engine runs both
//! directions and the zeta updates.

use super::{
    BimodalOut, Losses, cap,
    checks::{self, Algo},
    engine::{Engine, SCALAR},
    zeta,
};
use crate::{
    AnchorState, CandidateState, Error, Layout, Real, StateView,
    kernel::{
        bimodal::{self, Dir},
        panels::Stored,
        scalar::{self, Batch, Scores, Sink},
        spec::Spec,
        workspace::Bimodal,
    },
    lanes::{dispatch::isa, exp::flush},
};

type Ids<'a> = Option<(&'a [usize], &'a [usize])>;

#[allow(clippy::too_many_arguments, clippy::too_many_lines)] // checks, then one call per engine
pub(crate) fn run<T: Real>(
    engine: Engine,
    algos: [Algo<T>; 2],
    scores: &[T],
    b: usize,
    ids: Ids<'_>,
    states: Option<(&mut StateView<'_, T>, &mut StateView<'_, T>)>,
    out: BimodalOut<'_, T>,
    scratch: &mut [T],
) -> Result<Losses<T>, Error> {
    #[cfg(feature = "std")]
    if engine.off_pool() {
        return rayon::scope(|_| run(engine, algos, scores, b, ids, states, out, scratch));
    }
    // ---- checks: no output or state is written above "writes" ----
    if b < 2 {
        return Err(Error::BatchTooSmall { len: b });
    }
    let (image_ids, text_ids) = ids.unwrap_or((&[], &[]));
    if ids.is_some() {
        checks::ids_len(image_ids, text_ids, b)?;
    }
    let bb = checks::cells("scores", b, b)?;
    checks::len("scores", scores.len(), bb)?;
    checks::len("ds", out.ds.len(), bb)?;
    for (what, w) in [
        ("weights_image", &out.weights_image),
        ("weights_text", &out.weights_text),
    ] {
        if let Some(w) = w {
            checks::len(what, w.len(), bb)?;
        }
    }
    for (what, h) in [("h_image", &out.h_image), ("h_text", &out.h_text)] {
        if let Some(h) = h {
            checks::len(what, h.len(), b)?;
        }
    }
    checks::at_least("scratch", scratch.len(), engine.scratch_len(b))?;

    let (mut image, mut text) = match states {
        Some((i, t)) => (Some(i.split()), Some(t.split())),
        None => (None, None),
    };
    let (mut ia, mut ic) = halves(&mut image);
    let (mut ta, mut tc) = halves(&mut text);
    let dpm = [
        matches!(algos[0], Algo::Dpm(_)),
        matches!(algos[1], Algo::Dpm(_)),
    ];
    let isa = isa();
    let simd = engine.simd();
    let mut ws = simd.then(|| Bimodal::carve(&mut scratch[..engine.scratch_len(b)], b));
    // The SIMD engines' first pass over S (maxima of both directions) is
    // the finiteness and magnitude check of the scores; it writes only
    // scratch.
    let scan = match ws.as_mut() {
        Some(ws) => bimodal::prepare(
            isa,
            engine.sched(),
            &mut Stored {
                s: scores,
                ds: &mut [],
                rows: b,
                cols: b,
            },
            b,
            [
                tc.as_deref().filter(|_| dpm[0]).map(|c| &*c.zeta),
                ic.as_deref().filter(|_| dpm[1]).map(|c| &*c.zeta),
            ],
            [text_ids, image_ids],
            [algos[0].tau(), algos[1].tau()],
            ws,
        ),
        None => checks::scan(scores),
    };
    let max_abs_score = checks::scores("scores", scores, scan)?;
    checks::bimodal(
        algos,
        b,
        max_abs_score,
        (image_ids, text_ids),
        (ia.as_deref_mut(), tc.as_deref_mut().filter(|_| dpm[0])),
        (ta.as_deref_mut(), ic.as_deref_mut().filter(|_| dpm[1])),
        [out.h_text.is_some(), out.h_image.is_some()],
    )?;

    // ---- writes ----
    let BimodalOut {
        ds,
        mut weights_image,
        mut weights_text,
        h_image,
        h_text,
    } = out;
    let specs = [
        plan(algos[0], tc.as_deref(), h_text.is_some()),
        plan(algos[1], ic.as_deref(), h_image.is_some()),
    ];
    let losses = if let Some(ws) = ws {
        let [to_text, to_image] = bimodal::run(
            isa,
            engine.sched(),
            &mut Stored {
                s: scores,
                ds,
                rows: b,
                cols: b,
            },
            b,
            (max_abs_score, bimodal::Sums::Run),
            (
                Dir {
                    spec: specs[0],
                    anchor_ids: image_ids,
                    anchors: ia,
                    weights: weights_image.as_deref_mut(),
                },
                Dir {
                    spec: specs[1],
                    anchor_ids: text_ids,
                    anchors: ta,
                    weights: weights_text.as_deref_mut(),
                },
            ),
            ws,
        );
        // `h` is in the workspace, by name.
        let ws = Bimodal::carve(&mut scratch[..engine.scratch_len(b)], b);
        finish(algos[0], specs[0], tc, text_ids, ws.h_text.sum, h_text);
        finish(algos[1], specs[1], ic, image_ids, ws.h_image, h_image);
        [to_text, to_image]
    } else {
        let (h, acc) = scratch[..SCALAR * b].split_at_mut(b);
        let mut one = Scalar {
            algos,
            specs,
            b,
            h,
            acc,
        };
        let to_text = one.direction(
            0,
            Scores::rows(scores, b),
            (image_ids, text_ids),
            ia,
            tc.filter(|_| dpm[0]),
            &mut *ds,
            weights_image.as_deref_mut(),
            h_text,
        );
        let to_image = one.direction(
            1,
            Scores::transposed(scores, b),
            (text_ids, image_ids),
            ta,
            ic.filter(|_| dpm[1]),
            ds,
            weights_text.as_deref_mut(),
            h_image,
        );
        [to_text, to_image]
    };
    let [to_text, to_image] = losses;
    if let Some(w) = weights_image {
        cap::rows(w, b, algos[0].gamma());
    }
    if let Some(w) = weights_text {
        cap::columns(w, b, algos[1].gamma());
    }
    Ok(Losses {
        // Two normal numbers of opposite signs can cancel into the
        // subnormal range (SPEC section 7: no subnormal out).
        total: flush(to_text + to_image),
        image_to_text: to_text,
        text_to_image: to_image,
    })
}

/// The scalar engine: each direction on the reference kernel, one after
/// the other (the second adds its `dS`), each followed by its zeta update
/// (a direction reads only its own candidates' zeta).
struct Scalar<'s, T> {
    algos: [Algo<T>; 2],
    specs: [Spec<T>; 2],
    b: usize,
    h: &'s mut [T],
    acc: &'s mut [T],
}

impl<T: Real> Scalar<'_, T> {
    #[allow(clippy::too_many_arguments)]
    fn direction(
        &mut self,
        k: usize,
        scores: Scores<'_, T>,
        (anchor_ids, cand_ids): (&[usize], &[usize]),
        anchors: Option<&mut AnchorState<'_, T>>,
        candidates: Option<&mut CandidateState<'_, T>>,
        ds: &mut [T],
        weights: Option<&mut [T]>,
        h_out: Option<&mut [T]>,
    ) -> T {
        let b = self.b;
        let batch = Batch {
            layout: Layout::Diagonal,
            rows: b,
            cols: b,
            anchor_ids,
            cand_ids,
        };
        let zeta = candidates.as_deref().map(|c| &*c.zeta);
        let sink = Sink {
            ds,
            add: k == 1,
            weights,
            h: Some(&mut *self.h),
            h_acc: &mut *self.acc,
        };
        let loss = scalar::run(&self.specs[k], &batch, scores, anchors, zeta, sink);
        let spec = self.specs[k];
        finish(self.algos[k], spec, candidates, cand_ids, self.h, h_out);
        loss
    }
}

type Halves<'s, 'v, T> = (
    Option<&'s mut AnchorState<'v, T>>,
    Option<&'s mut CandidateState<'v, T>>,
);

fn halves<'s, 'v, T>(
    split: &'s mut Option<(&mut AnchorState<'v, T>, &mut CandidateState<'v, T>)>,
) -> Halves<'s, 'v, T> {
    match split {
        Some((a, c)) => (Some(&mut **a), Some(&mut **c)),
        None => (None, None),
    }
}

/// The kernel parameters of a direction of a bimodal batch. `h` is
/// computed when the direction updates zeta or `h_out` asks for it.
pub(crate) fn plan<T: Real>(
    algo: Algo<T>,
    candidates: Option<&CandidateState<'_, T>>,
    h_out: bool,
) -> Spec<T> {
    let dpm = matches!(algo, Algo::Dpm(_));
    let n = candidates
        .filter(|_| dpm)
        .map_or(0, CandidateState::population);
    // Bimodal InfoNCE is the mean of its directions (CLIP's convention).
    let weight = if matches!(algo, Algo::InfoNce { .. }) {
        T::from_f64(0.5)
    } else {
        T::ONE
    };
    algo.spec(n, weight, h_out)
}

/// After a kernel left the finished `h` in `h`: copies it to `h_out` and
/// runs the zeta update, if the direction has them.
pub(crate) fn finish<T: Real>(
    algo: Algo<T>,
    spec: Spec<T>,
    candidates: Option<&mut CandidateState<'_, T>>,
    cand_ids: &[usize],
    h: &[T],
    h_out: Option<&mut [T]>,
) {
    if !spec.wants_h() {
        return;
    }
    if let Some(out) = h_out {
        out.copy_from_slice(h);
    }
    if let (Some(step), Some(c)) = (algo.zeta_step(), candidates) {
        zeta::commit(c, cand_ids, h, step);
    }
}
