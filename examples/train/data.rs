//! The data: UCI red-wine physicochemistry (1599 wines x 11 measurements,
//! shipped inside `linfa-datasets`), cut into two views of each wine.
//!
//! View A is the first six columns (fixed and volatile acidity, citric
//! acid, residual sugar, chlorides, free SO2), view B the other five (total
//! SO2, density, pH, sulphates, alcohol). The views share no column but are
//! tied through chemistry (fixed acidity with pH and density, free with
//! total SO2, chlorides with sulphates, sugar with density), so a wine's B
//! is findable from its A only by learning those links: a small, real
//! cross-modal retrieval task.

use crate::model::Rng;
use std::collections::BTreeSet;

pub const DA: usize = 6;
pub const DB: usize = 5;
const COLS: usize = DA + DB;
/// Salt of the split's generator: the held-out set is the same for every
/// `--seed`.
const SPLIT_SEED: u64 = 0x5EED_5711;

/// `n` samples of both views, row-major `n x DA` and `n x DB`, standardised.
pub struct Views {
    pub n: usize,
    pub a: Vec<f32>,
    pub b: Vec<f32>,
}

pub struct Data {
    pub rows: usize,
    pub unique: usize,
    pub train: Views,
    pub test: Views,
}

/// Loads the wines, drops exact duplicate rows (240 of them: a duplicate
/// in the test split would make its retrieval a tie), splits 80/20 and
/// standardises both splits with the training split's mean and deviation.
pub fn load() -> Data {
    let ds = linfa_datasets::winequality();
    let records = ds.records();
    let rows = records.nrows();
    let mut seen = BTreeSet::new();
    let mut wines: Vec<[f64; COLS]> = Vec::new();
    for r in records.outer_iter() {
        let mut w = [0.0; COLS];
        for (dst, src) in w.iter_mut().zip(r.iter()) {
            *dst = *src;
        }
        if seen.insert(w.map(f64::to_bits)) {
            wines.push(w);
        }
    }
    let unique = wines.len();
    Rng::new(SPLIT_SEED).shuffle(&mut wines);
    let n_test = unique / 5;
    let (test, train) = wines.split_at(n_test);

    let mut mean = [0.0_f64; COLS];
    let mut std = [0.0_f64; COLS];
    for c in 0..COLS {
        mean[c] = train.iter().map(|w| w[c]).sum::<f64>() / train.len() as f64;
        let var = train.iter().map(|w| (w[c] - mean[c]).powi(2)).sum::<f64>() / train.len() as f64;
        std[c] = var.sqrt().max(1e-12);
    }
    let views = |set: &[[f64; COLS]]| {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for w in set {
            for c in 0..COLS {
                let v = ((w[c] - mean[c]) / std[c]) as f32;
                if c < DA { a.push(v) } else { b.push(v) }
            }
        }
        Views { n: set.len(), a, b }
    };
    Data {
        rows,
        unique,
        train: views(train),
        test: views(test),
    }
}
