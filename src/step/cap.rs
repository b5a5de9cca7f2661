//! SPEC section 7: each anchor's weights sum to at most `1 / gamma`.
//!
//! The exact weights do, but a computed weight is the exp of a rounded
//! `a - log_den`, and `|log_den|` grows with `|ln gamma|`: at gamma =
//! `MIN_POSITIVE` in f32 a lone weight came out 26 ulp above `1 / gamma`.
//! So, when weights are asked for, every anchor's computed sum is checked
//! after the kernel has written them, and an anchor whose sum passes
//! `(1 / gamma) (1 - 5 eps)` is scaled onto that value. The change is a
//! few ulp more than the rounding it undoes, inside the accuracy bound,
//! and it is the same for every engine. `dS` is not touched: it is the
//! gradient, not a probability.

use crate::{Real, lanes::exp::flush, sum::Sum};

/// Columns summed at once when the anchors are columns: one cache line
/// of f32 per row read, a small array on the stack.
const BLOCK: usize = 16;

/// The factor that brings an anchor whose weights sum to `sum` to at most
/// `1 / gamma`, or `None` when it already is.
///
/// `sum` is compensated (within `1.5 eps` of the exact sum for any row
/// shorter than `2^20`). With `target = fl(fl(1 / gamma) (1 - 5 eps))`: a
/// sum at most `target` is below `(1 - 2.5 eps) / gamma`; a larger one is
/// scaled by `fl(target / sum)`, and the products round up by at most
/// `eps / 2` each, so the new sum is below `(1 - 1.5 eps) / gamma`. The
/// weights move by at most `5 eps` beyond the rounding this undoes (SPEC
/// section 7 allows `8 eps` times the condition, at least 1). All in the
/// weights' own precision: no f64 on an FPU that has only f32.
fn factor<T: Real>(sum: T, gamma: T) -> Option<T> {
    let target = (T::ONE / gamma) * (T::ONE - T::from_f64(5.0) * T::EPSILON);
    (sum > target).then(|| target / sum)
}

/// Caps each row of the row-major `rows x cols` weights `w`.
pub(crate) fn rows<T: Real>(w: &mut [T], cols: usize, gamma: T) {
    if cols == 0 {
        return;
    }
    for row in w.chunks_exact_mut(cols) {
        let mut s = Sum::ZERO;
        for &v in row.iter() {
            s.add(v);
        }
        if let Some(f) = factor(s.value(), gamma) {
            for v in row.iter_mut() {
                *v = flush(*v * f);
            }
        }
    }
}

/// Caps each column of the row-major `b x b` weights `w` (the bimodal
/// step's `weights_text`, whose anchor `j` is column `j`).
pub(crate) fn columns<T: Real>(w: &mut [T], b: usize, gamma: T) {
    let mut j0 = 0;
    while j0 < b {
        let n = BLOCK.min(b - j0);
        let mut s = [Sum::ZERO; BLOCK];
        for row in w.chunks_exact(b) {
            for (acc, &v) in s.iter_mut().zip(&row[j0..j0 + n]) {
                acc.add(v);
            }
        }
        for (k, acc) in s[..n].iter().enumerate() {
            if let Some(f) = factor(acc.value(), gamma) {
                for row in w.chunks_exact_mut(b) {
                    row[j0 + k] = flush(row[j0 + k] * f);
                }
            }
        }
        j0 += n;
    }
}

#[cfg(test)]
mod tests {
    use super::{columns, rows};

    fn sum(v: impl Iterator<Item = f32>) -> f64 {
        v.map(f64::from).sum()
    }

    #[test]
    fn a_row_above_one_over_gamma_is_brought_below_it() {
        let gamma = 0.5_f32;
        // Sums 2 (1 ulp above the cap would do; this is many).
        let mut w = [1.0, 1.0 + 4.0 * f32::EPSILON, 0.0, 0.25, 0.25, 0.5];
        rows(&mut w, 3, gamma);
        assert!(sum(w[..3].iter().copied()) <= 2.0, "{w:?}");
        assert!((w[1] / w[0] - (1.0 + 4.0 * f32::EPSILON)).abs() < 2.0 * f32::EPSILON);
        // The second row (sum 1) is untouched.
        assert_eq!(
            [w[3], w[4], w[5]].map(f32::to_bits),
            [0.25_f32, 0.25, 0.5].map(f32::to_bits)
        );
    }

    #[test]
    fn a_column_above_one_over_gamma_is_brought_below_it() {
        // b = 20 crosses a block edge; column 17 sums 20.5 > 1 / 0.05.
        let b = 20;
        let gamma = 0.05_f32;
        let mut w = [0.01_f32; 400];
        for i in 0..b {
            w[i * b + 17] = if i == 0 { 1.5 } else { 1.0 };
        }
        let before = w;
        columns(&mut w, b, gamma);
        let col = |w: &[f32], j: usize| sum((0..b).map(|i| w[i * b + j]));
        assert!(col(&w, 17) <= 20.0, "{}", col(&w, 17));
        for j in (0..b).filter(|&j| j != 17) {
            assert!((0..b).all(|i| w[i * b + j].to_bits() == before[i * b + j].to_bits()));
        }
    }
}
