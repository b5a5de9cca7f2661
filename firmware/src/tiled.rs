//! The tiled step from features (`embed::dpm_bimodal_tiled`, f32) at
//! B = 256, d = 64 on populations of 1,024 (issue 15, item 4): the inputs
//! drawn here from the generator's stream, everything the step touches in
//! static RAM, the outputs checked against the host's f64 values.

use crate::check::Tally;
use crate::expected::T256;
use crate::inputs::Rng;
use crate::stack;
use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled, tiled_scratch_len};
use dpm_core::{DpmParams, Error, FirstVisit, Losses, Offset, State, ZetaStep};

const B: usize = 256;
const D: usize = 64;
const N: usize = 1024;

/// The step's buffers: features, gradients, ids and scratch.
pub struct Buffers {
    x: [f32; B * D],
    y: [f32; B * D],
    dx: [f32; B * D],
    dy: [f32; B * D],
    ids: [usize; B],
    scratch: [f32; tiled_scratch_len(B, D)],
}

/// Static RAM taken by the step, in bytes.
pub struct Ram {
    pub buffers: usize,
    pub scratch: usize,
    pub states: usize,
}

/// In `.bss` (zero-initialised by the reset handler), not on the stack.
static mut BUFFERS: Buffers = Buffers {
    x: [0.0; B * D],
    y: [0.0; B * D],
    dx: [0.0; B * D],
    dy: [0.0; B * D],
    ids: [0; B],
    scratch: [0.0; tiled_scratch_len(B, D)],
};

fn params() -> [DpmParams<f32>; 2] {
    let [tau, gamma, xi, theta, eta] = T256.params;
    let p = DpmParams {
        tau,
        gamma,
        offset: Offset::Xi(xi),
        zeta_step: Some(ZetaStep { theta, eta }),
        first_visit: FirstVisit::Batch,
    };
    [p, p]
}

/// The measured call (not inlined: its stack is all below the caller's).
#[inline(never)]
fn step(
    buf: &mut Buffers,
    image: &mut State<f32, N>,
    text: &mut State<f32, N>,
) -> Result<Losses<f32>, Error> {
    dpm_bimodal_tiled(
        &buf.x,
        &buf.y,
        B,
        D,
        Features::Normalized,
        &buf.ids,
        &buf.ids,
        &mut image.view(),
        &mut text.view(),
        params(),
        TiledOut::new(&mut buf.dx, &mut buf.dy),
        &mut buf.scratch,
    )
}

/// Runs the scenario once (a second call panics: the buffers are taken);
/// returns the stack of the step and the static RAM it used.
pub fn run(t: &mut Tally) -> (usize, Ram) {
    assert!(
        (T256.b, T256.d, T256.n) == (B, D, N),
        "T256 does not fit the buffers"
    );
    let image = cortex_m::singleton!(: State<f32, N> = State::new(crate::expected::ZETA_INIT).expect("a finite zeta_init"))
        .expect("run once");
    let text = cortex_m::singleton!(: State<f32, N> = State::new(crate::expected::ZETA_INIT).expect("a finite zeta_init"))
        .expect("run once");
    let at: *mut Buffers = &raw mut BUFFERS;
    // SAFETY: the singletons above have panicked unless this is the first
    // call, and no other code names `BUFFERS`: this is the only reference
    // to it.
    let buf: &'static mut Buffers = unsafe { &mut *at };
    let mut perm = [0_usize; N];
    Rng(T256.seed).step(&mut perm, &mut buf.ids, &mut buf.x, &mut buf.y, T256.scale);

    let sp = stack::sp();
    stack::paint(sp);
    let loss = step(buf, image, text);
    let used = stack::used(sp);
    let ram = Ram {
        buffers: core::mem::size_of::<Buffers>() - core::mem::size_of_val(&buf.scratch),
        scratch: core::mem::size_of_val(&buf.scratch),
        states: 2 * core::mem::size_of::<State<f32, N>>(),
    };
    let Ok(loss) = loss else {
        cortex_m_semihosting::hprintln!("T256: the step refused its input: {:?}", loss);
        t.failed += 1;
        return (used, ram);
    };
    if cfg!(feature = "sabotage") {
        buf.dx[0] *= 2.0; // a deliberate mismatch in this scenario's checks
    }
    t.values("loss", &[loss.total], 1, T256.loss);
    t.values("dx", &buf.dx, T256.stride, T256.dx);
    t.values("dy", &buf.dy, T256.stride, T256.dy);
    for (view, log_s, z, zeta) in [
        (
            image.view(),
            T256.image_log_s,
            T256.image_z,
            T256.image_zeta,
        ),
        (text.view(), T256.text_log_s, T256.text_z, T256.text_zeta),
    ] {
        for (k, &id) in buf.ids.iter().enumerate() {
            t.one("log_s", id, view.log_s(id).ok().flatten(), log_s[k]);
            t.one("z", id, view.z(id).ok().flatten(), z[k]);
            t.one("zeta", id, view.zeta(id).ok(), zeta[k]);
        }
    }
    (used, ram)
}
