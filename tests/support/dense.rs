//! A bimodal state widened to f64, dense over the population: what the
//! reference bounds (`reference.rs`) read and the replays (`run.rs`) keep.
#![allow(non_snake_case)]

/// A state widened to f64 (for error bounds): per id, `None` = never
/// visited.
#[derive(Clone, Debug)]
pub struct DenseState {
    pub log_s_I: Vec<Option<f64>>,
    pub log_s_T: Vec<Option<f64>>,
    pub z_I: Vec<Option<f64>>,
    pub z_T: Vec<Option<f64>>,
    pub zeta_I: Vec<f64>,
    pub zeta_T: Vec<f64>,
    pub xi_I: f64,
    pub xi_T: f64,
}
