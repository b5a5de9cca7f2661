//! The tiled step from features (`embed::dpm_bimodal_tiled`, f32) at
//! B = 256, d = 64 on populations of 1,024 (issue 15, item 4): the inputs
//! drawn here from the generator's stream (features, ids of both
//! populations, every id's zeta), everything the step touches in static
//! RAM, the outputs checked against the host's f64 values.

use crate::check::Tally;
use crate::expected::T256;
use crate::inputs::Rng;
use crate::stack;
use core::sync::atomic::{AtomicBool, Ordering};
use dpm_core::embed::{Features, TiledOut, dpm_bimodal_tiled};
use dpm_core::{DpmParams, Error, FirstVisit, Losses, Offset, StateView, ZetaStep};

const B: usize = 256;
const D: usize = 64;
const N: usize = 1024;

/// A population's state as the five slices of a [`StateView`].
pub struct Pop {
    log_s: [f32; N],
    s_flags: [u8; N],
    zeta: [f32; N],
    z: [f32; N],
    z_flags: [u8; N],
}

impl Pop {
    const EMPTY: Pop = Pop {
        log_s: [0.0; N],
        s_flags: [0; N],
        zeta: [0.0; N],
        z: [0.0; N],
        z_flags: [0; N],
    };

    fn view(&mut self) -> StateView<'_, f32> {
        StateView::new(
            &mut self.log_s,
            &mut self.s_flags,
            &mut self.zeta,
            &mut self.z,
            &mut self.z_flags,
        )
        .expect("consistent state")
    }
}

/// Everything the step reads and writes: features, gradients, ids,
/// scratch and both states.
pub struct Buffers {
    x: [f32; B * D],
    y: [f32; B * D],
    dx: [f32; B * D],
    dy: [f32; B * D],
    image_ids: [usize; B],
    text_ids: [usize; B],
    scratch: [f32; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: B, d: D })],
    image: Pop,
    text: Pop,
}

/// Static RAM taken by the step, in bytes.
pub struct Ram {
    /// Features, gradients and ids.
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
    image_ids: [0; B],
    text_ids: [0; B],
    scratch: [0.0; dpm_core::scratch_len(dpm_core::Scratch::Tiled { b: B, d: D })],
    image: Pop::EMPTY,
    text: Pop::EMPTY,
};
/// The id permutation the inputs are drawn with (not read by the step).
static mut PERM: [usize; N] = [0; N];

fn params() -> dpm_core::Directions<DpmParams<f32>> {
    // T256.params[0]: images anchor; [1]: texts anchor.
    let [image, text] = T256.params.map(|[tau, gamma, xi, theta, eta]| DpmParams {
        tau,
        gamma,
        offset: Offset::Xi(xi),
        zeta_step: Some(ZetaStep { theta, eta }),
        first_visit: FirstVisit::Batch,
    });
    dpm_core::Directions { image, text }
}

/// The measured call (not inlined: its stack is all below the caller's).
#[inline(never)]
fn step(buf: &mut Buffers) -> Result<Losses<f32>, Error> {
    dpm_bimodal_tiled(
        &buf.x,
        &buf.y,
        B,
        D,
        Features::Normalized,
        &buf.image_ids,
        &buf.text_ids,
        &mut buf.image.view(),
        &mut buf.text.view(),
        params(),
        TiledOut::new(&mut buf.dx, &mut buf.dy),
        &mut buf.scratch,
    )
}

/// Runs the scenario once (a second call panics); returns the stack of
/// the step and the static RAM it used.
pub fn run(t: &mut Tally) -> (usize, Ram) {
    static TAKEN: AtomicBool = AtomicBool::new(false);
    assert!(!TAKEN.swap(true, Ordering::Relaxed), "run once");
    assert!(
        (T256.b, T256.d, T256.n) == (B, D, N),
        "T256 does not fit the buffers"
    );
    let (at, perm_at): (*mut Buffers, *mut [usize; N]) = (&raw mut BUFFERS, &raw mut PERM);
    // SAFETY: `TAKEN` has stopped every call but the first, and no other
    // code names `BUFFERS` or `PERM`: these are the only references to them.
    let (buf, perm) = unsafe { (&mut *at, &mut *perm_at) };
    Rng(T256.seed).tiled(
        perm,
        &mut buf.image_ids,
        &mut buf.text_ids,
        &mut buf.x,
        &mut buf.y,
        T256.scale,
        &mut buf.image.zeta,
        &mut buf.text.zeta,
    );

    let sp = stack::sp();
    stack::paint(sp);
    let loss = step(buf);
    let used = stack::used(sp);
    let ram = Ram {
        buffers: size_of::<Buffers>() - size_of_val(&buf.scratch) - 2 * size_of::<Pop>(),
        scratch: size_of_val(&buf.scratch),
        states: 2 * size_of::<Pop>(),
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
    let image_state = (T256.image_log_s, T256.image_z, T256.image_zeta);
    t.state(&buf.image.view(), &buf.image_ids, image_state);
    let text_state = (T256.text_log_s, T256.text_z, T256.text_zeta);
    t.state(&buf.text.view(), &buf.text_ids, text_state);
    (used, ram)
}
