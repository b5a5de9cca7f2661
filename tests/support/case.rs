//! The golden case schema (`tests/golden/README.md`), as far as a
//! replay needs it. Fields a replay does not read are ignored.
#![allow(dead_code, non_snake_case)]

use serde::{Deserialize, Serialize};

/// One case file.
#[derive(Deserialize)]
pub struct Case {
    pub kind: String,
    pub name: String,
    #[serde(rename = "B")]
    pub b: usize,
    pub d: usize,
    #[serde(rename = "N")]
    pub n: Option<usize>,
    pub hyper: Hyper,
    /// Which block holds the plain math; absent in a user's own file.
    pub math_block: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
pub struct Hyper {
    pub temperature: f64,
    pub gamma: Option<f64>,
    pub neg_zeta_init: Option<f64>,
    pub xi_init: Option<f64>,
    pub theta: Option<f64>,
    pub eta_init: Option<f64>,
    pub start_epochs: Option<usize>,
    pub eta_I_ratio: Option<f64>,
    pub vanilla: Option<bool>,
}

#[derive(Deserialize)]
pub struct Step {
    pub epoch: usize,
    pub max_epoch: usize,
    #[serde(default)]
    pub xi_refresh_before: bool,
    pub image_ids: Vec<usize>,
    pub text_ids: Vec<usize>,
    pub image_features: Vec<Vec<f64>>,
    pub text_features: Vec<Vec<f64>>,
    pub sim: Vec<Vec<f64>>,
    pub state_before: Option<SparseState>,
    pub outputs: Option<Outputs>,
    pub fixed: Option<Block>,
    pub fixed_noclamp: Option<Block>,
    pub noeps: Option<Block>,
}

#[derive(Deserialize)]
pub struct Block {
    pub state_before: SparseState,
    pub outputs: Outputs,
}

/// Recorded outputs of a step (the replay writes the same names).
#[derive(Deserialize, Serialize, Clone, Debug)]
pub struct Outputs {
    pub total_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights_image: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights_text: Option<Vec<Vec<f64>>>,
    pub grad_sim: Vec<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_image_features: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_text_features: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_I: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_T: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_after: Option<SparseState>,
}

/// The state fields a log-domain implementation holds (the reference's
/// shifted `s`, `b` are not among them).
#[derive(Deserialize, Serialize, Clone, Debug, Default)]
pub struct SparseState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_s_I_true: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_s_T_true: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_I: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_T: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeta_I: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeta_T: Option<Sparse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xi_I: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xi_T: Option<f64>,
}

/// `a[k] = value[p]` if `k == index[p]`, else `fill` (null: never visited).
#[derive(Deserialize, Serialize, Clone, Debug)]
pub struct Sparse {
    pub len: usize,
    pub fill: Option<f64>,
    pub index: Vec<usize>,
    pub value: Vec<Option<f64>>,
}

impl Sparse {
    pub fn dense(&self) -> Result<Vec<Option<f64>>, String> {
        if self.index.len() != self.value.len() {
            return Err("sparse vector: index and value differ in length".into());
        }
        let mut a = vec![self.fill; self.len];
        for (&i, &v) in self.index.iter().zip(&self.value) {
            *a.get_mut(i).ok_or("sparse vector: index out of range")? = v;
        }
        Ok(a)
    }

    /// The entries listed in `index` of a dense vector.
    pub fn from_dense(a: &[Option<f64>], fill: Option<f64>, index: Vec<usize>) -> Sparse {
        let value = index.iter().map(|&i| a[i]).collect();
        Sparse {
            len: a.len(),
            fill,
            index,
            value,
        }
    }
}

/// Every case of `tests/golden`, by file name, in name order. Panics if
/// the folder or a case is missing: a clone without its data must fail,
/// not skip.
pub fn golden() -> Vec<(String, Case)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the golden cases)", dir.display()));
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 28, "the 28 golden cases in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let case = Case::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, case)
        })
        .collect()
}

impl Case {
    pub fn parse(text: &str) -> Result<Case, String> {
        let case: Case = serde_json::from_str(text).map_err(|e| format!("not a case file: {e}"))?;
        case.check()?;
        Ok(case)
    }

    fn check(&self) -> Result<(), String> {
        if !matches!(self.kind.as_str(), "dgcl" | "gcl" | "infonce") {
            return Err(format!(
                "unknown kind {:?} (dgcl, gcl or infonce)",
                self.kind
            ));
        }
        if self.steps.is_empty() {
            return Err("no steps".into());
        }
        if self.kind != "infonce" && self.n.is_none() {
            return Err(format!("kind {} needs N", self.kind));
        }
        for (k, st) in self.steps.iter().enumerate() {
            let b = self.b;
            let square = st.sim.len() == b && st.sim.iter().all(|r| r.len() == b);
            if !square {
                return Err(format!("step {k}: sim is not {b} x {b}"));
            }
            let d = self.d;
            for (what, m) in [
                ("image_features", &st.image_features),
                ("text_features", &st.text_features),
            ] {
                if m.len() != b || m.iter().any(|r| r.len() != d) {
                    return Err(format!("step {k}: {what} is not {b} x {d}"));
                }
            }
            if st.image_ids.len() != b || st.text_ids.len() != b {
                return Err(format!("step {k}: image_ids and text_ids need {b} ids"));
            }
        }
        if self.kind != "infonce" && self.first_state().is_none() {
            return Err("the first step has no state_before".into());
        }
        Ok(())
    }

    /// The block of a step that holds the plain math (README `math_block`).
    pub fn math<'a>(&self, st: &'a Step) -> (Option<&'a SparseState>, Option<&'a Outputs>) {
        let block = match self.math_block.as_deref() {
            Some("fixed") => st.fixed.as_ref(),
            Some("fixed_noclamp") => st.fixed_noclamp.as_ref(),
            Some("noeps") => st.noeps.as_ref(),
            _ => None,
        };
        match block {
            Some(b) => (Some(&b.state_before), Some(&b.outputs)),
            None => (st.state_before.as_ref(), st.outputs.as_ref()),
        }
    }

    pub fn first_state(&self) -> Option<&SparseState> {
        self.math(&self.steps[0]).0
    }
}
