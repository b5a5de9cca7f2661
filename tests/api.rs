//! Traits the public types promise (SPEC section 8, the crate's names),
//! and that every test file names the SPEC sections it checks.

use dpm_core::{
    AnchorState, BimodalOut, CandidateState, DpmParams, Error, Layout, Losses, State, StateView,
    StepOut,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn state_and_outputs_are_send_and_sync() {
    send_sync::<State<f32, 4>>();
    send_sync::<StateView<'static, f64>>();
    send_sync::<AnchorState<'static, f32>>();
    send_sync::<CandidateState<'static, f32>>();
    send_sync::<BimodalOut<'static, f32>>();
    send_sync::<StepOut<'static, f64>>();
    send_sync::<DpmParams<f32>>();
    send_sync::<Layout<'static>>();
    send_sync::<Losses<f64>>();
}

#[test]
fn error_is_a_copyable_core_error_with_a_message() {
    fn is_error<E: core::error::Error + Copy + Eq + Send + Sync + 'static>(_: E) {}
    let e = Error::DuplicateId {
        what: "image_ids",
        id: 3,
    };
    is_error(e);
    assert_eq!(e.to_string(), "`image_ids` holds id 3 twice");
    let boxed: Box<dyn std::error::Error> = Box::new(Error::InvalidParameter { what: "tau" });
    assert_eq!(boxed.to_string(), "parameter `tau` is outside its domain");
}

/// The numbers of "SPEC section(s) N, M and K" in `text`.
fn cited_sections(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (k, _) in text.match_indices("SPEC section") {
        let rest = text[k + "SPEC section".len()..].trim_start_matches('s');
        for word in rest.split_whitespace() {
            let w = word
                .trim_end_matches([',', ';', ':', ')', '.'])
                .trim_end_matches("'s");
            if w == "and" {
                continue;
            }
            let n = w.trim_end_matches('b');
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                break;
            }
            out.push(w.to_string());
            if word.ends_with([';', ':', ')', '.']) {
                break;
            }
        }
    }
    out
}

/// Every test file says in its header which SPEC sections it checks, and
/// each of them is a section of docs/SPEC.md.
#[test]
fn every_test_file_names_the_spec_sections_it_checks() {
    let root = env!("CARGO_MANIFEST_DIR");
    let spec = std::fs::read_to_string(format!("{root}/docs/SPEC.md")).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let header: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").trim())
            .collect();
        let sections = cited_sections(&header.join(" "));
        assert!(
            !sections.is_empty(),
            "{f:?} names no SPEC section in its header"
        );
        for s in sections {
            assert!(
                spec.contains(&format!("\n## {s}. ")),
                "{f:?} cites SPEC section {s}, which docs/SPEC.md does not have"
            );
        }
    }
}
