//! One direction over an `R x C` layout (SPEC sections 2 and 3b) on the
//! same SIMD passes as the bimodal step's row direction: the unimodal
//! two-view path, a custom layout, or one direction of a bimodal batch.

use super::{
    anchor::{self, Logs, Prev},
    bimodal::{self, Maxima, OutputsItem, OutputsOrder, SumsOrder},
    panels::Stored,
    passes::{self, Block, Losses, Wants},
    rows::Mat,
    schedule::{self, Sched},
    spec::Spec,
    workspace::{General, Pair},
};
use crate::{
    Layout, Real,
    lanes::{
        Lanes,
        dispatch::{Isa, Kernel, on},
        sum::Scan,
    },
    state::AnchorState,
    sum::ScaledSum,
};
use core::marker::PhantomData;

/// The shape of the direction.
#[derive(Clone, Copy)]
pub(crate) struct Shape<'a> {
    pub layout: Layout<'a>,
    pub rows: usize,
    pub cols: usize,
}

/// The maxima pass, among the precondition checks (it writes only
/// scratch): gathers the candidates' zeta (0 without zeta, or for an id
/// out of range, which the checks refuse) and checks the scores.
pub(crate) fn prepare<T: Real>(
    isa: Isa,
    s: &[T],
    shape: Shape<'_>,
    zeta: Option<&[T]>,
    cand_ids: &[usize],
    tau: T,
    ws: &mut General<'_, T>,
) -> Scan<T> {
    if zeta.is_some() {
        bimodal::gather(ws.zeta, zeta, cand_ids);
    } else {
        ws.zeta.fill(T::ZERO);
    }
    let m = mat(s, shape, ws.zeta, tau, T::ONE);
    let mut whole = Stored {
        s,
        ds: &mut [],
        rows: shape.rows,
        cols: shape.cols,
    };
    on(
        isa,
        Maxima {
            m,
            panels: &mut whole,
            sched: Sched::Serial,
            rowmax: &mut *ws.rows.max,
            colmax: &mut [],
            slots: &mut *ws.slots,
            slot_len: 0,
        },
    )
}

fn mat<'a, T: Real>(s: &'a [T], shape: Shape<'a>, zeta: &'a [T], tau: T, sigma: T) -> Mat<'a, T> {
    Mat {
        s,
        row0: 0,
        rows: shape.rows,
        cols: shape.cols,
        layout: shape.layout,
        zeta_r: zeta,
        inv_tau_r: T::ONE / tau,
        col: None,
        sigma,
    }
}

/// Runs the direction after [`prepare`] and the checks: writes `dS`, the
/// weights if asked for, the anchors' `u`, and `h` of each candidate into
/// `ws.h.sum` (when the kind computes it). Returns the weighted loss.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Real>(
    isa: Isa,
    s: &[T],
    shape: Shape<'_>,
    max_abs: T,
    spec: Spec<T>,
    anchor_ids: &[usize],
    anchors: Option<&mut AnchorState<'_, T>>,
    ds: &mut [T],
    weights: Option<&mut [T]>,
    ws: General<'_, T>,
) -> T {
    on(
        isa,
        Step {
            s,
            shape,
            sigma: anchor::sigma(max_abs, shape.rows.max(shape.cols)),
            spec,
            anchor_ids,
            anchors,
            ds,
            weights,
            ws,
        },
    )
}

struct Step<'a, 's, 'v, 'w, T> {
    s: &'a [T],
    shape: Shape<'a>,
    sigma: T,
    spec: Spec<T>,
    anchor_ids: &'a [usize],
    anchors: Option<&'s mut AnchorState<'v, T>>,
    ds: &'a mut [T],
    weights: Option<&'a mut [T]>,
    ws: General<'w, T>,
}

impl<T: Real> Kernel<T> for Step<'_, '_, '_, '_, T> {
    type Output = T;

    // The three passes and the statistics between them, in order: one
    // function, as `bimodal::Step::run`, so that they read top to bottom.
    #[allow(clippy::too_many_lines)]
    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) -> T {
        let Step {
            s,
            shape,
            sigma,
            spec,
            anchor_ids,
            mut anchors,
            ds,
            mut weights,
            ws,
        } = self;
        let General {
            zeta,
            mut rows,
            h,
            slots,
        } = ws;
        let (r, c) = (shape.rows, shape.cols);
        let m = mat(s, shape, zeta, spec.tau, sigma);
        let losses = Losses {
            row: !spec.is_info_nce(),
            col: false,
        };

        // Pass 2: sums.
        {
            let mut order = SumsOrder::<L> {
                sum: &mut *rows.sum,
                loss: &mut *rows.loss,
                cols: None,
                b: c,
                _l: PhantomData,
            };
            let maxima = (losses, &*rows.max, &[][..]);
            bimodal::sums_rows(Sched::Serial, &m, 0..r, maxima, &mut order, (slots, 0));
        }

        // The anchors' statistics.
        let logs = Logs::new(&spec, r);
        h.sum.fill(T::ZERO);
        h.comp.fill(T::ZERO);
        let mut h_sums = crate::lanes::sum::ColumnSums {
            part: &mut [],
            sum: &mut *h.sum,
            comp: &mut *h.comp,
        };
        let mut loss = ScaledSum::ZERO;
        #[allow(clippy::needless_range_loop)] // `i` indexes five things
        for i in 0..r {
            let pos = shape.layout.positive(i, c);
            let prev = anchors
                .as_deref()
                .map_or(Prev::Stateless, |st| Prev::of(st, anchor_ids[i]));
            let sum = rows.sum[i] * T::UNSCALE;
            let m_i = shape.layout.negatives(i, c);
            let a = anchor::stats(&spec, &logs, m_i, rows.max[i], sum, zeta[pos], prev);
            if let Some(st) = anchors.as_deref_mut() {
                anchor::store(st, anchor_ids[i], a.u);
            }
            bimodal::set(&mut rows, i, &a, &logs, spec.wants_h());
            bimodal::add_row_loss(&mut loss, &spec, &a, rows.loss[i], sigma, spec.norm_rows(r));
            if spec.wants_h() {
                h_sums.add_at(pos, a.h_pos);
            }
        }

        // Pass 3: outputs.
        let wants = Wants {
            h_row: spec.wants_h(),
            h_col: false,
            h_row_direct: rows.h_shift.iter().any(|&v| v < T::INFINITY),
            h_col_direct: false,
        };
        let row_sh = bimodal::shifts(&rows);
        {
            let mut order = OutputsOrder::<L> {
                cols: c,
                ds: &mut *ds,
                weights_row: weights.as_deref_mut(),
                weights_col: None,
                h_col: None,
                h_row: spec.wants_h().then_some(Pair {
                    sum: h_sums.sum,
                    comp: h_sums.comp,
                }),
                _l: PhantomData,
            };
            let m = &m;
            let compute = |it: &mut OutputsItem<'_, T>, slot: &mut [T]| {
                L::enter(
                    #[cfg_attr(dpm_inline, inline(always))]
                    || {
                        let out = Block {
                            ds: &mut *it.ds,
                            weights_row: it.weights_row.as_deref_mut(),
                            weights_col: None,
                            h_col: None,
                        };
                        passes::outputs::<L>(m, it.rows.clone(), &row_sh, None, wants, out, slot);
                    },
                );
            };
            schedule::run(Sched::Serial, 0..r, slots, c, &mut order, &compute);
        }
        // The positives: minus the sum of the row's weights (SPEC section
        // 2), and InfoNCE's positive weight.
        for i in 0..r {
            let pos = shape.layout.positive(i, c);
            ds[i * c + pos] = -rows.ds_sum[i];
        }
        if let Some(w) = weights {
            for i in 0..r {
                w[i * c + shape.layout.positive(i, c)] = rows.w_pos[i];
            }
        }
        if spec.wants_h() {
            for v in 0..c {
                h.sum[v] = logs.h_out(&spec, h.sum[v] - h.comp[v]);
            }
        }
        crate::lanes::exp::flush(loss.value() * spec.weight)
    }
}
