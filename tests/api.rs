//! Traits the public types promise.

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
