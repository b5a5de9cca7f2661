//! Held-out cross-view retrieval: each test wine's view A queries the view
//! B of all test wines (and the reverse); recall@k is the fraction whose
//! own partner ranks in the top k.

use crate::data::{DA, DB, Views};
use crate::model::Tower;
use dpm_core::embed::{l2_normalize, scores_forward};

#[derive(Clone, Copy, Debug, Default)]
pub struct Recall {
    pub at1: f64,
    pub at10: f64,
}

/// Recall@1 and @10, the mean of both query directions. A partner's rank
/// is the number of candidates scoring strictly higher.
pub fn recall(a: &Tower, b: &Tower, test: &Views) -> Recall {
    let (n, d) = (test.n, a.d_out);
    let embed = |t: &Tower, v: &[f32], d_in: usize| {
        debug_assert_eq!(t.d_in, d_in);
        let mut z = vec![0.0; n * d];
        t.forward(v, n, &mut z);
        let (mut x, mut norms) = (vec![0.0; n * d], vec![0.0; n]);
        l2_normalize(&z, n, d, &mut x, &mut norms).expect("nonzero outputs");
        x
    };
    let (xa, xb) = (embed(a, &test.a, DA), embed(b, &test.b, DB));
    let mut s = vec![0.0_f32; n * n];
    scores_forward(&xa, &xb, n, n, d, &mut s).expect("unit rows");
    let (mut hits1, mut hits10) = (0_usize, 0_usize);
    for i in 0..n {
        let pos = s[i * n + i];
        let by_row = (0..n).filter(|&j| s[i * n + j] > pos).count();
        let by_col = (0..n).filter(|&j| s[j * n + i] > pos).count();
        for rank in [by_row, by_col] {
            hits1 += usize::from(rank < 1);
            hits10 += usize::from(rank < 10);
        }
    }
    let queries = (2 * n) as f64;
    Recall {
        at1: hits1 as f64 / queries,
        at10: hits10 as f64 / queries,
    }
}
