//! Held-out cross-view retrieval: each test wine's view A queries the view
//! B of all test wines (and the reverse); recall@k is the fraction whose
//! own partner ranks in the top k.

use crate::data::{DA, DB, Views};
use crate::model::Tower;
use dpm_core::Error;
use dpm_core::embed::{l2_normalize, scores_forward};

#[derive(Clone, Copy, Debug, Default)]
pub struct Recall {
    pub at1: f64,
    pub at10: f64,
}

/// Recall@1 and @10, the mean of both query directions. Ties are broken
/// uniformly at random, in expectation: a partner with `g` candidates
/// scoring higher and `t` others tied with it is in the top `k` with
/// probability `clamp(k - g, 0, t + 1) / (t + 1)`. (Counting only strictly
/// higher scores would credit a collapsed head, all scores equal, with
/// recall 1.) `Err` if a tower's outputs cannot be normalised.
pub fn recall(a: &Tower, b: &Tower, test: &Views) -> Result<Recall, Error> {
    let (n, d) = (test.n, a.d_out);
    let embed = |t: &Tower, v: &[f32], d_in: usize| {
        debug_assert_eq!(t.d_in, d_in);
        let mut z = vec![0.0; n * d];
        t.forward(v, n, &mut z);
        let (mut x, mut norms) = (vec![0.0; n * d], vec![0.0; n]);
        l2_normalize(&z, n, d, &mut x, &mut norms).map(|()| x)
    };
    let (xa, xb) = (embed(a, &test.a, DA)?, embed(b, &test.b, DB)?);
    let mut s = vec![0.0_f32; n * n];
    scores_forward(&xa, &xb, n, n, d, &mut s)?;
    let (mut hits1, mut hits10) = (0.0_f64, 0.0_f64);
    for i in 0..n {
        let pos = s[i * n + i];
        let row = (0..n).filter(|&j| j != i).map(|j| s[i * n + j]);
        let col = (0..n).filter(|&j| j != i).map(|j| s[j * n + i]);
        for (higher, tied) in [rank(pos, row), rank(pos, col)] {
            hits1 += in_top(1, higher, tied);
            hits10 += in_top(10, higher, tied);
        }
    }
    let queries = (2 * n) as f64;
    Ok(Recall {
        at1: hits1 / queries,
        at10: hits10 / queries,
    })
}

/// How many of `others` score above `pos`, and how many equal it.
fn rank(pos: f32, others: impl Iterator<Item = f32>) -> (usize, usize) {
    others.fold((0, 0), |(g, t), v| {
        (g + usize::from(v > pos), t + usize::from(v == pos))
    })
}

/// The probability that a partner behind `higher` and among `tied` others
/// lands in the top `k` under a uniformly random tie-break.
fn in_top(k: usize, higher: usize, tied: usize) -> f64 {
    k.saturating_sub(higher).min(tied + 1) as f64 / (tied + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::{in_top, rank};

    #[test]
    fn ties_count_in_expectation() {
        assert_eq!(rank(0.5, [0.9, 0.5, 0.1, 0.5].into_iter()), (1, 2));
        // Behind one, tied with two: top-1 never, top-2 one time in three.
        assert_eq!(in_top(1, 1, 2), 0.0);
        assert!((in_top(2, 1, 2) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(in_top(10, 1, 2), 1.0);
        // A collapsed head (all 270 others tied) is at chance, not 1.
        assert!((in_top(10, 0, 270) - 10.0 / 271.0).abs() < 1e-12);
    }
}
