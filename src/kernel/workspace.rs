//! Caller scratch, carved once into named per-anchor and per-column
//! vectors. The passes and the caller read results by name (`h_text`,
//! `h_image`), never by offset.

/// Vectors of one anchor per element: a direction's row anchors (or, in
/// a bimodal step, its column anchors).
pub(crate) struct Anchors<'a, T> {
    /// The largest `a` of each anchor (the maxima pass).
    pub max: &'a mut [T],
    /// `sum exp(a - max) 2^S` (the sums pass; row anchors).
    pub sum: &'a mut [T],
    /// `sum exp(a - max) 2^S (S - S_pos) sigma` (the sums pass; row anchors).
    pub loss: &'a mut [T],
    /// `dS` of a negative is `exp((a - max) - shift)` (statistics).
    pub shift: &'a mut [T],
    /// A term of `h` is `dS * h_fac` where `dS >= h_min`...
    pub h_fac: &'a mut [T],
    /// ... see [`super::anchor::Out`].
    pub h_min: &'a mut [T],
    /// `rel_dt` where the terms of `h` are computed directly, `+inf`
    /// elsewhere.
    pub h_shift: &'a mut [T],
    /// `sum_negatives w * ds_scale`, minus the positive's `dS`.
    pub ds_sum: &'a mut [T],
    /// `log_den - max` (weights: `exp((a - max) - rel_den)`).
    pub rel_den: &'a mut [T],
    /// InfoNCE: the positive's weight.
    pub w_pos: &'a mut [T],
}

/// Compensated sums over rows, one per column: `sum - comp` is the value.
pub(crate) struct Pair<'a, T> {
    pub sum: &'a mut [T],
    pub comp: &'a mut [T],
}

/// The workspace of a bimodal step.
pub(crate) struct Bimodal<'a, T> {
    /// Zeta of the text in column `j` (row direction's candidates).
    pub zeta_t: &'a mut [T],
    /// Zeta of the image in row `i` (column direction's candidates).
    pub zeta_i: &'a mut [T],
    /// `S[j][j]`.
    pub diag: &'a mut [T],
    /// The row direction's anchors (images).
    pub rows: Anchors<'a, T>,
    /// The column direction's anchors (texts); `sum` and `loss` unused
    /// (their sums are the column pairs below).
    pub cols: Anchors<'a, T>,
    /// The column anchors' `sum exp(c - max) 2^S` over rows.
    pub col_sum: Pair<'a, T>,
    /// The column anchors' loss sums over rows.
    pub col_loss: Pair<'a, T>,
    /// The texts' `h` (row direction's candidates): sums over rows, then
    /// `h` itself in `h_text.sum`.
    pub h_text: Pair<'a, T>,
    /// The images' `h` (column direction's candidates): sums, then `h`.
    pub h_image: &'a mut [T],
    /// The schedule's slots, [`SLOT`] vectors of `b` each.
    pub slots: &'a mut [T],
}

/// Vectors of `b` per slot: partial column sums (or maxima) of one block,
/// and a second partial (column losses) or a row buffer.
pub(crate) const SLOT: usize = 2;

/// Vectors of `b` of a bimodal workspace before its slots.
pub(crate) const BIMODAL: usize = 3 + 2 * ANCHORS + 2 * 3 + 1;

/// Vectors of [`Anchors`].
const ANCHORS: usize = 10;

/// Elements of a bimodal workspace with `slots` slots, saturating.
pub(crate) const fn bimodal_len(b: usize, slots: usize) -> usize {
    b.saturating_mul(BIMODAL + SLOT * slots)
}

/// Cuts `n` vectors of `len` off the front of `rest` (a slice cursor, as
/// [`super::schedule::take`]).
#[allow(clippy::mut_mut)]
pub(crate) fn cut<'a, T, const N: usize>(rest: &mut &'a mut [T], len: usize) -> [&'a mut [T]; N] {
    core::array::from_fn(|_| super::schedule::take(rest, len))
}

impl<'a, T> Anchors<'a, T> {
    #[allow(clippy::mut_mut)] // a slice cursor
    fn carve(rest: &mut &'a mut [T], len: usize) -> Self {
        let [
            max,
            sum,
            loss,
            shift,
            h_fac,
            h_min,
            h_shift,
            ds_sum,
            rel_den,
            w_pos,
        ] = cut(rest, len);
        Anchors {
            max,
            sum,
            loss,
            shift,
            h_fac,
            h_min,
            h_shift,
            ds_sum,
            rel_den,
            w_pos,
        }
    }
}

impl<'a, T> Pair<'a, T> {
    #[allow(clippy::mut_mut)] // a slice cursor
    fn carve(rest: &mut &'a mut [T], len: usize) -> Self {
        let [sum, comp] = cut(rest, len);
        Pair { sum, comp }
    }

    /// The same pair, borrowed for a shorter time.
    pub(crate) fn reborrow(&mut self) -> Pair<'_, T> {
        Pair {
            sum: &mut *self.sum,
            comp: &mut *self.comp,
        }
    }
}

impl<T: crate::Real> Pair<'_, T> {
    /// Every sum 0.
    pub(crate) fn clear(&mut self) {
        self.sum.fill(T::ZERO);
        self.comp.fill(T::ZERO);
    }
}

impl<'a, T> Bimodal<'a, T> {
    /// Carves `scratch` (at least [`bimodal_len`]`(b, 1)` elements; every
    /// element past the fixed vectors becomes slots).
    pub(crate) fn carve(scratch: &'a mut [T], b: usize) -> Self {
        let mut rest = scratch;
        let [zeta_t, zeta_i, diag] = cut(&mut rest, b);
        let rows = Anchors::carve(&mut rest, b);
        let cols = Anchors::carve(&mut rest, b);
        let col_sum = Pair::carve(&mut rest, b);
        let col_loss = Pair::carve(&mut rest, b);
        let h_text = Pair::carve(&mut rest, b);
        let [h_image] = cut(&mut rest, b);
        Bimodal {
            zeta_t,
            zeta_i,
            diag,
            rows,
            cols,
            col_sum,
            col_loss,
            h_text,
            h_image,
            slots: rest,
        }
    }
}

/// The workspace of one direction over an `R x C` layout.
pub(crate) struct General<'a, T> {
    /// Zeta of the candidate in each column.
    pub zeta: &'a mut [T],
    /// The row anchors.
    pub rows: Anchors<'a, T>,
    /// `h` of each candidate column: sums over rows, then `h` in `h.sum`.
    pub h: Pair<'a, T>,
    /// The schedule's slot ([`SLOT`] vectors of `C`).
    pub slots: &'a mut [T],
}

/// Elements of a general workspace, saturating: `(3 + SLOT) C + 10 R`.
pub(crate) const fn general_len(rows: usize, cols: usize) -> usize {
    cols.saturating_mul(3 + SLOT)
        .saturating_add(rows.saturating_mul(ANCHORS))
}

impl<'a, T> General<'a, T> {
    /// Carves `scratch` (at least [`general_len`] elements).
    pub(crate) fn carve(scratch: &'a mut [T], rows: usize, cols: usize) -> Self {
        let mut rest = scratch;
        let [zeta] = cut(&mut rest, cols);
        let anchors = Anchors::carve(&mut rest, rows);
        let h = Pair::carve(&mut rest, cols);
        General {
            zeta,
            rows: anchors,
            h,
            slots: rest,
        }
    }
}
