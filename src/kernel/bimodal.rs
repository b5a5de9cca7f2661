//! A bimodal step on the SIMD passes (SPEC sections 2 and 3): the row
//! direction (image anchors) and the column direction (text anchors) of
//! one row-major `B x B` matrix, in three passes over its rows
//! ([`super::passes`]) with the anchors' statistics
//! ([`super::anchor`]) between the second and the third.
//!
//! [`prepare`] runs among the precondition checks (it writes only
//! scratch): the candidates' zeta and the diagonal gathered, and the
//! maxima pass, which is also the check of the scores. [`run`] does the
//! rest once the checks passed.

use super::{
    anchor::{self, Logs, Out, Prev},
    panels::{Panels, ranges as panel_ranges},
    passes::{self, Block, Losses, Shifts, Wants},
    rows::{Cols, Mat},
    schedule::{self, Order, Sched, take},
    spec::Spec,
    workspace::{Anchors, Bimodal, Pair},
};
use crate::{
    Layout, Real,
    lanes::{
        Lanes,
        dispatch::{Isa, Kernel, on},
        exp::flush,
        iter::{chunks, ld},
        sum::{Check, ColumnSums, Scan},
    },
    state::AnchorState,
    sum::ScaledSum,
};
use core::{marker::PhantomData, ops::Range};

/// The first pass and what it needs: gathers the candidates' zeta
/// (`zeta[0]` the texts', indexed by `cand_ids[0]`; 0 for an id out of
/// range, which the checks then refuse, or without zeta) and the diagonal
/// into `ws`, and computes both directions' maxima and the check of the
/// scores, reading `S` from `panels`.
#[allow(clippy::too_many_arguments)] // both directions' inputs, named
pub(crate) fn prepare<T: Real, P: Panels<T>>(
    isa: Isa,
    sched: Sched,
    panels: &mut P,
    b: usize,
    zeta: [Option<&[T]>; 2],
    cand_ids: [&[usize]; 2],
    tau: [T; 2],
    ws: &mut Bimodal<'_, T>,
) -> Scan<T> {
    gather_both(panels, zeta, cand_ids, ws);
    let m = mat(&[], b, ws.zeta_t, ws.zeta_i, ws.diag, tau, T::ONE);
    on(
        isa,
        Maxima {
            m,
            panels,
            sched,
            rowmax: &mut *ws.rows.max,
            colmax: &mut *ws.cols.max,
            slots: &mut *ws.slots,
            slot_len: 2 * b,
        },
    )
}

pub(crate) fn mat<'a, T: Real>(
    s: &'a [T],
    b: usize,
    zeta_t: &'a [T],
    zeta_i: &'a [T],
    diag: &'a [T],
    tau: [T; 2],
    sigma: T,
) -> Mat<'a, T> {
    Mat {
        s,
        row0: 0,
        rows: b,
        cols: b,
        layout: Layout::Diagonal,
        zeta_r: zeta_t,
        inv_tau_r: T::ONE / tau[0],
        col: Some(Cols {
            zeta: zeta_i,
            diag,
            inv_tau: T::ONE / tau[1],
        }),
        sigma,
    }
}

/// Both directions' candidates' zeta (`zeta[0]` by `cand_ids[0]` into
/// `ws.zeta_t`, `zeta[1]` into `ws.zeta_i`) and the diagonal of `S`:
/// what every bimodal first pass starts from.
pub(crate) fn gather_both<T: Real, P: Panels<T>>(
    panels: &mut P,
    zeta: [Option<&[T]>; 2],
    cand_ids: [&[usize]; 2],
    ws: &mut Bimodal<'_, T>,
) {
    gather(ws.zeta_t, zeta[0], cand_ids[0]);
    gather(ws.zeta_i, zeta[1], cand_ids[1]);
    panels.diag(ws.diag);
}

/// `out[k] = zeta[ids[k]]` (0 for an id out of range), or 0 without zeta.
pub(crate) fn gather<T: Real>(out: &mut [T], zeta: Option<&[T]>, ids: &[usize]) {
    match zeta {
        Some(z) => {
            for (o, &id) in out.iter_mut().zip(ids) {
                *o = z.get(id).copied().unwrap_or(T::ZERO);
            }
        }
        None => out.fill(T::ZERO),
    }
}

/// The maxima pass (`colmax` empty for one direction) over the rows
/// `panels` gives (`m.s` is not read: each panel's rows replace it).
pub(crate) struct Maxima<'a, 'w, T, P> {
    pub m: Mat<'a, T>,
    pub panels: &'w mut P,
    pub sched: Sched,
    pub rowmax: &'w mut [T],
    pub colmax: &'w mut [T],
    pub slots: &'w mut [T],
    pub slot_len: usize,
}

pub(crate) struct MaximaOrder<'w, L: Lanes> {
    pub rowmax: &'w mut [L::Scalar],
    pub colmax: &'w mut [L::Scalar],
    pub check: Check<L>,
}

pub(crate) struct MaximaItem<'w, L: Lanes> {
    rows: Range<usize>,
    rowmax: &'w mut [L::Scalar],
    check: Check<L>,
}

impl<'w, L: Lanes> Order<L::Scalar> for MaximaOrder<'w, L> {
    type Item = MaximaItem<'w, L>;

    fn make(&mut self, rows: Range<usize>) -> Self::Item {
        MaximaItem {
            rowmax: take(&mut self.rowmax, rows.len()),
            rows,
            check: Check::new(),
        }
    }

    fn flush(&mut self, item: Self::Item, slot: &mut [L::Scalar]) {
        let colmax = &mut *self.colmax;
        L::enter(
            #[cfg_attr(dpm_inline, inline(always))]
            || merge_max::<L>(colmax, &slot[..colmax.len()]),
        );
        self.check.merge(item.check);
    }
}

/// `into[j] = max(into[j], part[j])`: the lane maximum keeps its left
/// operand only when it is strictly larger, so merging consecutive row
/// ranges in order gives the bits of one pass over all rows (signs of
/// zero included) on every target.
fn merge_max<L: Lanes>(into: &mut [L::Scalar], part: &[L::Scalar]) {
    let ninf = L::Scalar::NEG_INFINITY;
    chunks::<L>(
        into.len(),
        #[cfg_attr(dpm_inline, inline(always))]
        |j, n| {
            ld::<L>(into, j, n, ninf)
                .max(ld::<L>(part, j, n, ninf))
                .store(&mut into[j..j + n]);
        },
    );
}

impl<T: Real, P: Panels<T>> Kernel<T> for Maxima<'_, '_, T, P> {
    type Output = Scan<T>;

    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) -> Scan<T> {
        let Maxima {
            m,
            panels,
            sched,
            rowmax,
            colmax,
            slots,
            slot_len,
        } = self;
        let rows = m.rows;
        colmax.fill(T::NEG_INFINITY);
        let mut order = MaximaOrder::<L> {
            rowmax,
            colmax,
            check: Check::new(),
        };
        for (r0, r1) in panel_ranges(rows, panels.height()) {
            let m = &Mat {
                s: panels.scores(r0, r1),
                row0: r0,
                ..m
            };
            maxima_rows(sched, m, r0..r1, &mut order, (slots, slot_len));
        }
        order.check.finish()
    }
}

/// The maxima pass over rows `rows` of `m` (its rows from `m.row0`) into
/// `order`, on the schedule's slots (`slot_len` each).
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn maxima_rows<L: Lanes>(
    sched: Sched,
    m: &Mat<'_, L::Scalar>,
    rows: Range<usize>,
    order: &mut MaximaOrder<'_, L>,
    (slots, slot_len): (&mut [L::Scalar], usize),
) {
    let width = order.colmax.len();
    let compute = |it: &mut MaximaItem<'_, L>, slot: &mut [L::Scalar]| {
        L::enter(
            #[cfg_attr(dpm_inline, inline(always))]
            || {
                let colmax = &mut slot[..width];
                passes::maxima::<L>(m, it.rows.clone(), it.rowmax, colmax, &mut it.check);
            },
        );
    };
    schedule::run(sched, rows, slots, slot_len, order, &compute);
}

/// The sums pass over rows `rows` of `m` (its rows from `m.row0`) into
/// `order`, relative to the maxima `(rowmax, colmax)`; each of `slots`
/// is `slot_len` long (`2 cols` for the columns' partial sums, 0 when
/// the step has no column direction).
#[cfg_attr(dpm_inline, inline(always))]
pub(crate) fn sums_rows<L: Lanes>(
    sched: Sched,
    m: &Mat<'_, L::Scalar>,
    rows: Range<usize>,
    (losses, rowmax, colmax): (Losses, &[L::Scalar], &[L::Scalar]),
    order: &mut SumsOrder<'_, L>,
    (slots, slot_len): (&mut [L::Scalar], usize),
) {
    let compute = |it: &mut SumsItem<'_, L::Scalar>, slot: &mut [L::Scalar]| {
        L::enter(
            #[cfg_attr(dpm_inline, inline(always))]
            || {
                passes::sums::<L>(
                    m,
                    it.rows.clone(),
                    rowmax,
                    colmax,
                    losses,
                    it.sum,
                    it.loss,
                    slot,
                );
            },
        );
    };
    schedule::run(sched, rows, slots, slot_len, order, &compute);
}

/// One direction of the step: its parameters, anchors' ids and state,
/// weights out. The candidates' zeta went in through [`prepare`].
pub(crate) struct Dir<'a, 's, 'v, T> {
    pub spec: Spec<T>,
    pub anchor_ids: &'a [usize],
    pub anchors: Option<&'s mut AnchorState<'v, T>>,
    pub weights: Option<&'s mut [T]>,
}

/// Runs both directions after [`prepare`] and the checks, reading `S`
/// from `panels` and writing `dS` into them: writes `dS`, the weights
/// asked for, the anchors' state, and `h` of both directions' candidates
/// into `ws.h_text.sum` (row direction) and `ws.h_image` (column
/// direction), each when its direction computes `h`. Returns the
/// directions' weighted losses. `max_abs`: the largest `|S|`. `sums`:
/// [`Sums::Done`] when [`super::online::prepare`] ran the sums pass.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Real, P: Panels<T>>(
    isa: Isa,
    sched: Sched,
    panels: &mut P,
    b: usize,
    (max_abs, sums): (T, Sums),
    (d_row, d_col): (Dir<'_, '_, '_, T>, Dir<'_, '_, '_, T>),
    ws: Bimodal<'_, T>,
) -> [T; 2] {
    on(
        isa,
        Step {
            sched,
            panels,
            b,
            sigma: anchor::sigma(max_abs, b),
            sums,
            d_row,
            d_col,
            ws,
        },
    )
}

/// Whether [`run`] runs the sums pass.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sums {
    /// After [`prepare`]: run it.
    Run,
    /// [`super::online::prepare`] ran it (and left the maxima, the sums
    /// and the loss sums in the workspace).
    Done,
}

struct Step<'a, 'p, 's1, 'v1, 's2, 'v2, 'w, T, P> {
    sched: Sched,
    panels: &'p mut P,
    b: usize,
    sigma: T,
    sums: Sums,
    d_row: Dir<'a, 's1, 'v1, T>,
    d_col: Dir<'a, 's2, 'v2, T>,
    ws: Bimodal<'w, T>,
}

impl<T: Real, P: Panels<T>> Kernel<T> for Step<'_, '_, '_, '_, '_, '_, '_, T, P> {
    type Output = [T; 2];

    #[allow(clippy::too_many_lines)] // the pass order, in one place
    #[cfg_attr(dpm_inline, inline(always))]
    fn run<L: Lanes<Scalar = T>>(self) -> [T; 2] {
        let Step {
            sched,
            panels,
            b,
            sigma,
            sums,
            d_row,
            d_col,
            ws,
        } = self;
        let Bimodal {
            zeta_t,
            zeta_i,
            diag,
            mut rows,
            mut cols,
            mut col_sum,
            mut col_loss,
            h_text,
            h_image,
            slots,
        } = ws;
        let tau = [d_row.spec.tau, d_col.spec.tau];
        let m = mat(&[], b, zeta_t, zeta_i, diag, tau, sigma);
        let losses = Losses {
            row: !d_row.spec.is_info_nce(),
            col: !d_col.spec.is_info_nce(),
        };

        // Pass 2: sums.
        if sums == Sums::Run {
            col_sum.clear();
            col_loss.clear();
            let mut order = SumsOrder::<L> {
                sum: &mut *rows.sum,
                loss: &mut *rows.loss,
                cols: Some((col_sum.reborrow(), col_loss.reborrow())),
                b,
                _l: PhantomData,
            };
            let maxima = (losses, &*rows.max, &*cols.max);
            for (r0, r1) in panel_ranges(b, panels.height()) {
                let m = &Mat {
                    s: panels.scores(r0, r1),
                    row0: r0,
                    ..m
                };
                sums_rows(sched, m, r0..r1, maxima, &mut order, (slots, 2 * b));
            }
        }

        // The anchors' statistics, in order: state, shifts, losses, the
        // positives' terms of h.
        let (spec_r, spec_c) = (d_row.spec, d_col.spec);
        let (logs_r, logs_c) = (Logs::new(&spec_r, b), Logs::new(&spec_c, b));
        h_text.sum.fill(T::ZERO);
        h_text.comp.fill(T::ZERO);
        h_image.fill(T::ZERO);
        let mut h_text_sums = ColumnSums {
            part: &mut [],
            sum: &mut *h_text.sum,
            comp: &mut *h_text.comp,
        };
        // (The positives' terms go into the pairs directly; the pass's
        // partial sums are flushed into them block by block.)
        let mut loss = [ScaledSum::ZERO; 2];
        let Dir {
            anchor_ids: image_ids,
            anchors: mut image_state,
            weights: mut weights_image,
            ..
        } = d_row;
        let Dir {
            anchor_ids: text_ids,
            anchors: mut text_state,
            weights: mut weights_text,
            ..
        } = d_col;
        for i in 0..b {
            let prev = image_state
                .as_deref()
                .map_or(Prev::Stateless, |st| Prev::of(st, image_ids[i]));
            let sum = rows.sum[i] * T::UNSCALE;
            let a = anchor::stats(&spec_r, &logs_r, b - 1, rows.max[i], sum, zeta_t[i], prev);
            if let Some(st) = image_state.as_deref_mut() {
                anchor::store(st, image_ids[i], a.u);
            }
            set(&mut rows, i, &a, &logs_r, spec_r.wants_h());
            add_row_loss(&mut loss[0], &spec_r, &a, rows.loss[i], sigma, b);
            if spec_r.wants_h() {
                h_text_sums.add_at(i, a.h_pos);
            }
        }
        for j in 0..b {
            let prev = text_state
                .as_deref()
                .map_or(Prev::Stateless, |st| Prev::of(st, text_ids[j]));
            let sum = (col_sum.sum[j] - col_sum.comp[j]) * T::UNSCALE;
            let a = anchor::stats(&spec_c, &logs_c, b - 1, cols.max[j], sum, zeta_i[j], prev);
            if let Some(st) = text_state.as_deref_mut() {
                anchor::store(st, text_ids[j], a.u);
            }
            set(&mut cols, j, &a, &logs_c, spec_c.wants_h());
            let col_l = col_loss.sum[j] - col_loss.comp[j];
            add_row_loss(&mut loss[1], &spec_c, &a, col_l, sigma, b);
            h_image[j] = a.h_pos;
        }

        // Pass 3: outputs.
        let wants = Wants {
            h_row: spec_r.wants_h(),
            h_col: spec_c.wants_h(),
            h_row_direct: rows.h_shift.iter().any(|&v| v < T::INFINITY),
            h_col_direct: cols.h_shift.iter().any(|&v| v < T::INFINITY),
        };
        {
            let row_sh = shifts(&rows);
            let col_sh = shifts(&cols);
            for (r0, r1) in panel_ranges(b, panels.height()) {
                let cells = r0 * b..r1 * b;
                let (s_panel, ds) = panels.outputs(r0, r1);
                let m = &Mat {
                    s: s_panel,
                    row0: r0,
                    ..m
                };
                let mut order = OutputsOrder::<L> {
                    cols: b,
                    ds: &mut *ds,
                    weights_row: weights_image.as_deref_mut().map(|w| &mut w[cells.clone()]),
                    weights_col: weights_text.as_deref_mut().map(|w| &mut w[cells.clone()]),
                    h_col: Some(&mut h_image[r0..r1]),
                    h_row: spec_r.wants_h().then_some(Pair {
                        sum: &mut *h_text_sums.sum,
                        comp: &mut *h_text_sums.comp,
                    }),
                    _l: PhantomData,
                };
                let compute = |it: &mut OutputsItem<'_, T>, slot: &mut [T]| {
                    L::enter(
                        #[cfg_attr(dpm_inline, inline(always))]
                        || {
                            let out = Block {
                                ds: &mut *it.ds,
                                weights_row: it.weights_row.as_deref_mut(),
                                weights_col: it.weights_col.as_deref_mut(),
                                h_col: it.h_col.as_deref_mut(),
                            };
                            passes::outputs::<L>(
                                m,
                                it.rows.clone(),
                                &row_sh,
                                Some(&col_sh),
                                wants,
                                out,
                                slot,
                            );
                        },
                    );
                };
                schedule::run(sched, r0..r1, slots, 2 * b, &mut order, &compute);
                // The positives: minus both directions' sums of weights
                // (SPEC section 2), and InfoNCE's positive weights.
                for i in r0..r1 {
                    ds[(i - r0) * b + i] = -(rows.ds_sum[i] + cols.ds_sum[i]);
                }
                for (w, a) in [
                    (weights_image.as_deref_mut(), &rows),
                    (weights_text.as_deref_mut(), &cols),
                ] {
                    if let Some(w) = w {
                        for i in r0..r1 {
                            w[i * b + i] = a.w_pos[i];
                        }
                    }
                }
                panels.done(r0, r1);
            }
        }

        // h = 1 - (n / (n-1)) (1 / B) sum (SPEC section 2).
        if spec_r.wants_h() {
            for j in 0..b {
                h_text.sum[j] = logs_r.h(h_text.sum[j] - h_text.comp[j]);
            }
        }
        if spec_c.wants_h() {
            for v in h_image.iter_mut() {
                *v = logs_c.h(*v);
            }
        }
        [
            flush(loss[0].value() * spec_r.weight),
            flush(loss[1].value() * spec_c.weight),
        ]
    }
}

/// Writes anchor `k`'s outputs-pass values.
pub(crate) fn set<T: Real>(
    v: &mut Anchors<'_, T>,
    k: usize,
    a: &anchor::Anchor<T>,
    logs: &Logs<T>,
    h: bool,
) {
    let o = Out::of(a, logs, h);
    v.shift[k] = o.shift;
    v.h_fac[k] = o.h_fac;
    v.h_min[k] = o.h_min;
    v.h_shift[k] = if o.direct_h { a.rel_dt } else { T::INFINITY };
    v.ds_sum[k] = a.ds_sum;
    v.rel_den[k] = a.rel_den;
    v.w_pos[k] = a.w_pos;
}

/// The per-anchor values of the outputs pass.
pub(crate) fn shifts<'a, T>(v: &'a Anchors<'_, T>) -> Shifts<'a, T> {
    Shifts {
        max: v.max,
        shift: v.shift,
        h_fac: v.h_fac,
        h_min: v.h_min,
        h_shift: v.h_shift,
        rel_den: v.rel_den,
    }
}

/// Adds an anchor's term of its direction's loss, divided by the
/// anchors' count `r`, to `loss`: InfoNCE's `log_den / r`, else `sum_j
/// w_j (S_j - S_pos) / r` from the pass's scaled sum `l = sum e 2^S gap
/// sigma`. A term may be below the smallest normal number; `loss` keeps
/// it (their sum need not be).
pub(crate) fn add_row_loss<T: Real>(
    loss: &mut ScaledSum<T>,
    spec: &Spec<T>,
    a: &anchor::Anchor<T>,
    l: T,
    sigma: T,
    r: usize,
) {
    let r = T::from_usize(r);
    if spec.is_info_nce() {
        loss.add_quotient(a.log_den, r, T::ONE);
        return;
    }
    // sum w gap = l 2^-S e^(-rel_den) / r / sigma.
    if let Some((x, e)) = scaled_loss(l, -a.rel_den, r, sigma) {
        loss.add_scaled(x, e);
    }
}

/// `l 2^-S e^z / r / sigma` (`sigma` a power of two) as `x 2^e`, `x`
/// rounded once and normal (`None` for 0): `l = m 2^k` exactly and `e^z =
/// e^f 2^n` with `|f| <= ln2 / 2`, so `m e^f / r` is a normal number
/// whatever the magnitudes, and the powers of two are applied in one
/// step when the loss is summed. (Multiplying the factors one after the
/// other flushed intermediate products: a loss of 1e-36 came back as 0.)
/// The checks bound the result (weights sum to at most `1 / gamma`), so
/// it does not overflow.
pub(crate) fn scaled_loss<T: Real>(l: T, z: T, r: T, sigma: T) -> Option<(T, i32)> {
    // (`z` is finite: the checks refuse what would make it NaN.)
    if l == T::ZERO || z < T::from_f64(-8192.0) {
        // e^z below 2^-11818: no finite l makes the product normal.
        return None;
    }
    let (m, k) = l.frexp();
    let (_, ks) = sigma.frexp(); // sigma = 2^(ks - 1)
    #[allow(clippy::cast_possible_truncation)] // |z log2 e| <= 11818
    let n = libm::round(z.to_f64().min(8192.0) * core::f64::consts::LOG2_E) as i32;
    let nt = T::from_f64(f64::from(n));
    // n ln2_hi is exact for |n| < 2^9 (f32), 2^11 (f64).
    let f = (z + nt * T::NEG_LN2_HI) + nt * T::NEG_LN2_LO;
    #[allow(clippy::cast_possible_truncation)] // S is 64 or 512
    let s = T::SCALE.to_f64() as i32;
    Some((m * f.exp() / r, k + n - s - (ks - 1)))
}

/// The column direction's slots: sums and loss sums.
pub(crate) type ColPairs<'w, T> = (Pair<'w, T>, Pair<'w, T>);

/// The sums pass: per row into `sum` and `loss`; the column direction's
/// sums and loss sums (bimodal, `b` columns) flushed from the slots.
pub(crate) struct SumsOrder<'w, L: Lanes> {
    pub sum: &'w mut [L::Scalar],
    pub loss: &'w mut [L::Scalar],
    pub cols: Option<ColPairs<'w, L::Scalar>>,
    pub b: usize,
    pub _l: PhantomData<L>,
}

pub(crate) struct SumsItem<'w, T> {
    pub rows: Range<usize>,
    pub sum: &'w mut [T],
    pub loss: &'w mut [T],
}

impl<'w, L: Lanes> Order<L::Scalar> for SumsOrder<'w, L> {
    type Item = SumsItem<'w, L::Scalar>;

    fn make(&mut self, rows: Range<usize>) -> Self::Item {
        SumsItem {
            sum: take(&mut self.sum, rows.len()),
            loss: take(&mut self.loss, rows.len()),
            rows,
        }
    }

    fn flush(&mut self, _: Self::Item, slot: &mut [L::Scalar]) {
        let Some((col_sum, col_loss)) = self.cols.as_mut() else {
            return;
        };
        let (col_part, loss_part) = slot[..2 * self.b].split_at_mut(self.b);
        L::enter(
            #[cfg_attr(dpm_inline, inline(always))]
            || {
                for (part, pair) in [(col_part, col_sum), (loss_part, col_loss)] {
                    ColumnSums {
                        part,
                        sum: &mut *pair.sum,
                        comp: &mut *pair.comp,
                    }
                    .flush::<L>();
                }
            },
        );
    }
}

/// The outputs pass.
pub(crate) struct OutputsOrder<'w, 'h, L: Lanes> {
    pub cols: usize,
    pub ds: &'w mut [L::Scalar],
    pub weights_row: Option<&'w mut [L::Scalar]>,
    pub weights_col: Option<&'w mut [L::Scalar]>,
    pub h_col: Option<&'w mut [L::Scalar]>,
    /// The row direction's `h` sums, when it computes `h`.
    pub h_row: Option<Pair<'h, L::Scalar>>,
    pub _l: PhantomData<L>,
}

pub(crate) struct OutputsItem<'w, T> {
    pub rows: Range<usize>,
    pub ds: &'w mut [T],
    pub weights_row: Option<&'w mut [T]>,
    pub weights_col: Option<&'w mut [T]>,
    pub h_col: Option<&'w mut [T]>,
}

impl<'w, L: Lanes> Order<L::Scalar> for OutputsOrder<'w, '_, L> {
    type Item = OutputsItem<'w, L::Scalar>;

    fn make(&mut self, rows: Range<usize>) -> Self::Item {
        let cells = rows.len() * self.cols;
        OutputsItem {
            ds: take(&mut self.ds, cells),
            weights_row: self.weights_row.as_mut().map(|w| take(w, cells)),
            weights_col: self.weights_col.as_mut().map(|w| take(w, cells)),
            h_col: self.h_col.as_mut().map(|h| take(h, rows.len())),
            rows,
        }
    }

    fn flush(&mut self, _: Self::Item, slot: &mut [L::Scalar]) {
        if let Some(pair) = self.h_row.as_mut() {
            let part = &mut slot[..self.cols];
            L::enter(
                #[cfg_attr(dpm_inline, inline(always))]
                || {
                    ColumnSums {
                        part,
                        sum: &mut *pair.sum,
                        comp: &mut *pair.comp,
                    }
                    .flush::<L>();
                },
            );
        }
    }
}
