//! dpm-core on a Cortex-M4F under QEMU (mps2-an386): bimodal DPM steps
//! from features (f32) on the fixed inputs of `expected.rs`, every output
//! and the touched state compared with dpm_core's f64 results computed on
//! the host (`firmware/gen`), and the stack of the step measured by
//! painting; then the tiled step at B = 256, d = 64 (`tiled.rs`), its
//! inputs drawn here, its buffers and states in static RAM. Halfway
//! through each scenario both states are checkpointed into A/B slots,
//! a write is cut short, the states are reset and loaded back, and the
//! run goes on (`checkpoint.rs`). Exits 0 if
//! every value is within its bound, 1 otherwise.
//!
//! No global allocator is defined: that this links at all shows the core
//! never allocates.
#![no_std]
#![no_main]

mod check;
mod checkpoint;
#[rustfmt::skip]
mod expected;
mod inputs;
mod scenario;
mod stack;
mod tiled;

use check::Tally;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use dpm_core::embed::{FeatureOut, Features, dpm_bimodal_from_features};
use dpm_core::{DpmParams, Error, FirstVisit, Losses, Offset, State, ZetaStep};
use panic_semihosting as _;
use scenario::Scenario;

const MAX_B: usize = 64;
/// Stack budget of one step (issue 5): 2 KiB for B <= 64, and for the
/// tiled step at B = 256 (its stack does not grow with B).
const STACK_BUDGET: usize = 2048;
const D: usize = 8;

/// The parameters of `expected::PARAMS` (same mapping as the generator).
fn params() -> dpm_core::Directions<DpmParams<f32>> {
    let [p, q] = expected::PARAMS;
    dpm_core::Directions {
        image: DpmParams {
            tau: p[0],
            gamma: p[1],
            offset: Offset::Xi(p[2]),
            zeta_step: Some(ZetaStep {
                theta: p[3],
                eta: p[4],
            }),
            first_visit: FirstVisit::Batch,
        },
        text: DpmParams {
            tau: q[0],
            gamma: q[1],
            offset: Offset::Vanilla,
            zeta_step: Some(ZetaStep {
                theta: q[3],
                eta: q[4],
            }),
            first_visit: FirstVisit::ZeroHistory,
        },
    }
}

/// Output buffers of the largest batch.
struct Buffers {
    scores: [f32; MAX_B * MAX_B],
    ds: [f32; MAX_B * MAX_B],
    dx: [f32; MAX_B * D],
    dy: [f32; MAX_B * D],
    h_image: [f32; MAX_B],
    h_text: [f32; MAX_B],
    scratch: [f32; dpm_core::scratch_len(dpm_core::Scratch::Features { b: MAX_B, d: D })],
}

/// The measured call: one step from features (not inlined, so that its
/// stack is all below the caller's stack pointer).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn step<const N: usize>(
    x: &[f32],
    y: &[f32],
    b: usize,
    ids: &[usize],
    image: &mut State<f32, N>,
    text: &mut State<f32, N>,
    buf: &mut Buffers,
) -> Result<Losses<f32>, Error> {
    let (bb, bd) = (b * b, b * D);
    let out = FeatureOut {
        h_image: Some(&mut buf.h_image[..b]),
        h_text: Some(&mut buf.h_text[..b]),
        ..FeatureOut::new(
            &mut buf.scores[..bb],
            &mut buf.ds[..bb],
            &mut buf.dx[..bd],
            &mut buf.dy[..bd],
        )
    };
    dpm_bimodal_from_features(
        x,
        y,
        b,
        D,
        Features::Raw,
        ids,
        ids,
        &mut image.view(),
        &mut text.view(),
        params(),
        out,
        &mut buf.scratch,
    )
}

/// Runs a scenario's steps; returns the largest stack use of a step.
fn run<const N: usize>(sc: &Scenario, t: &mut Tally) -> usize {
    assert!(
        sc.n == N && sc.d == D && sc.b <= MAX_B,
        "scenario does not fit"
    );
    let (mut image, mut text) = (
        State::<f32, N>::new(expected::ZETA_INIT),
        State::new(expected::ZETA_INIT),
    );
    let mut buf = Buffers {
        scores: [0.0; MAX_B * MAX_B],
        ds: [0.0; MAX_B * MAX_B],
        dx: [0.0; MAX_B * D],
        dy: [0.0; MAX_B * D],
        h_image: [0.0; MAX_B],
        h_text: [0.0; MAX_B],
        scratch: [0.0; dpm_core::scratch_len(dpm_core::Scratch::Features { b: MAX_B, d: D })],
    };
    let (b, mut max_stack) = (sc.b, 0);
    // Checkpoints after the steps `reset - 1` and `reset`, then a reset.
    let reset = sc.steps.len() / 2 - 1;
    let (mut flash, mut saves) = (checkpoint::Flash::erased(), 0);
    for (i, s) in sc.steps.iter().enumerate() {
        let sp = stack::sp();
        stack::paint(sp);
        let loss = step(s.x, s.y, b, s.ids, &mut image, &mut text, &mut buf);
        max_stack = max_stack.max(stack::used(sp));
        let Ok(loss) = loss else {
            hprintln!("{}: the step refused its input: {:?}", sc.name, loss);
            t.failed += 1;
            return max_stack;
        };
        if cfg!(feature = "sabotage") {
            buf.dx[3] *= 1.0 + 1e-4; // a deliberate mismatch
        }
        t.values(
            "loss",
            &[loss.total, loss.image_to_text, loss.text_to_image],
            1,
            s.loss,
        );
        t.values("scores", &buf.scores[..b * b], sc.stride, s.scores);
        t.values("ds", &buf.ds[..b * b], sc.stride, s.ds);
        t.values("dx", &buf.dx[..b * D], 1, s.dx);
        t.values("dy", &buf.dy[..b * D], 1, s.dy);
        t.values("h_image", &buf.h_image[..b], 1, s.h_image);
        t.values("h_text", &buf.h_text[..b], 1, s.h_text);
        let image_state = (s.image_log_s, s.image_z, s.image_zeta);
        t.state(&image.view(), s.ids, image_state);
        t.state(&text.view(), s.ids, (s.text_log_s, s.text_z, s.text_zeta));
        if i + 1 == reset || i == reset {
            flash
                .save(&mut image, &mut text)
                .expect("a state that the steps accepted");
            saves += 1;
        }
        if i == reset {
            flash.reset_and_load(sc.name, saves, &mut image, &mut text, t);
        }
    }
    max_stack
}

#[entry]
fn main() -> ! {
    let mut t = Tally::default();
    for (sc, stack) in [
        (&expected::B16, run::<32>(&expected::B16, &mut t)),
        (&expected::B64, run::<96>(&expected::B64, &mut t)),
    ] {
        hprintln!(
            "{}: B = {}, d = {}, n = {}, {} steps: stack of the step {} bytes",
            sc.name,
            sc.b,
            sc.d,
            sc.n,
            sc.steps.len(),
            stack
        );
        if stack > STACK_BUDGET {
            hprintln!("over the stack budget of {} bytes", STACK_BUDGET);
            t.failed += 1;
        }
    }
    let (stack, ram) = tiled::run(&mut t);
    let sc = &expected::T256;
    hprintln!(
        "{}: tiled, B = {}, d = {}, n = {}, 1 step: stack of the step {} bytes",
        sc.name,
        sc.b,
        sc.d,
        sc.n,
        stack
    );
    hprintln!(
        "{}: static RAM {} bytes: features and gradients {}, scratch {}, two states {}",
        sc.name,
        ram.buffers + ram.scratch + ram.states,
        ram.buffers,
        ram.scratch,
        ram.states
    );
    if stack > STACK_BUDGET {
        hprintln!("over the stack budget of {} bytes", STACK_BUDGET);
        t.failed += 1;
    }
    hprintln!(
        "checked {} values, {} mismatches, max |f32 - f64| / bound = {:.3} ({})",
        t.checked,
        t.failed,
        t.worst,
        t.worst_at
    );
    if t.failed == 0 {
        hprintln!("PASS");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("FAIL");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::wfi(); // not reached: QEMU exits above
    }
}
