//! The parallel tiled steps (`dpm_core::par::*_tiled`, SPEC section 6)
//! against the serial tiled steps (`dpm_core::embed::*_tiled`), bit for
//! bit, with rayon pools
//! of 1, 2 and 4 threads built here: DPM, SogCLR and InfoNCE, f32 and
//! f64, raw and normalised features, B below one panel, across several
//! panels (96 rows) and not a multiple of the
//! lanes, the 4-row blocks or the 6-row register blocks; aligned features
//! at a small tau (exps far below 1); the same refusals with nothing
//! written, and a scratch long enough for the serial step but not for
//! this one refused.
#![cfg(feature = "std")]

#[path = "support/pools.rs"]
mod pools;
#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use dpm_core::embed::{
    Features, TiledOut, dpm_bimodal_tiled, infonce_bimodal_tiled, sogclr_bimodal_tiled,
};
use dpm_core::{DpmParams, Error, FirstVisit, Losses, Offset, Real, SogClrParams, ZetaStep, par};
use pools::{THREADS, pool};
use pop::Pop;
use rng::Rng;

#[derive(Clone, Copy, Debug)]
enum Step<T> {
    Dpm(dpm_core::Directions<DpmParams<T>>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

fn steps<T: Real>(tau: f64) -> Vec<Step<T>> {
    let p = |tau: f64, gamma: f64, offset: Offset<T>| DpmParams {
        tau: T::from_f64(tau),
        gamma: T::from_f64(gamma),
        offset,
        zeta_step: Some(ZetaStep {
            theta: T::from_f64(0.9),
            eta: T::from_f64(0.05),
        }),
        first_visit: FirstVisit::Batch,
    };
    vec![
        Step::Dpm(dpm_core::Directions {
            image: p(tau, 0.8, Offset::Xi(T::from_f64(0.125))),
            text: DpmParams {
                first_visit: FirstVisit::ZeroHistory,
                ..p(1.4 * tau, 0.9, Offset::Vanilla)
            },
        }),
        Step::SogClr(SogClrParams {
            tau: T::from_f64(tau),
            gamma: T::from_f64(0.9),
            first_visit: FirstVisit::Batch,
        }),
        Step::InfoNce(T::from_f64(tau)),
    ]
}

/// What a step gives or changes: its losses (or its error), the bits of
/// `dx`, `dy`, `h_image`, `h_text` (set to 7 before the call), and both
/// states after it.
type Got<T> = (Result<Vec<u64>, Error>, Vec<u64>, [Pop<T>; 2]);

fn bits<T: Real>(v: &[T]) -> impl Iterator<Item = u64> + '_ {
    v.iter().map(|&x| x.to_f64().to_bits())
}

struct Case<T> {
    x: Vec<T>,
    y: Vec<T>,
    b: usize,
    d: usize,
    kind: Features,
    ids: (Vec<usize>, Vec<usize>),
    pops: [Pop<T>; 2],
}

impl<T: Real> Case<T> {
    fn random(rng: &mut Rng, b: usize, d: usize, kind: Features, sigma: f64) -> Self {
        let x: Vec<f64> = (0..b * d).map(|_| rng.range(-1.0, 1.0)).collect();
        let y: Vec<f64> = x.iter().map(|v| v + sigma * rng.range(-1.0, 1.0)).collect();
        let unit = |v: Vec<f64>| -> Vec<T> {
            let mut v = v;
            if kind == Features::Normalized {
                for row in v.chunks_mut(d) {
                    let n = row.iter().map(|e| e * e).sum::<f64>().sqrt();
                    row.iter_mut().for_each(|e| *e /= n);
                }
            }
            v.into_iter().map(T::from_f64).collect()
        };
        let n = 2 * b + 3;
        Case {
            x: unit(x),
            y: unit(y),
            b,
            d,
            kind,
            ids: (rng.distinct(b, n), rng.distinct(b, n)),
            pops: [Pop::random(rng, n), Pop::random(rng, n)],
        }
    }

    /// The step, serial or parallel (on the current pool), with `short`
    /// elements of scratch fewer than it asks for.
    fn run(&self, parallel: bool, step: Step<T>, short: usize) -> Got<T> {
        let (b, d, kind) = (self.b, self.d, self.kind);
        let (x, y) = (&self.x[..], &self.y[..]);
        let seven = T::from_f64(7.0);
        let (mut dx, mut dy) = (vec![seven; b * d], vec![seven; b * d]);
        let (mut hi, mut ht) = (vec![seven; b], vec![seven; b]);
        let len = if parallel {
            par::scratch_len(dpm_core::Scratch::Tiled { b, d })
        } else {
            dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d })
        };
        // Stale scratch must not be read: the parallel step's starts as
        // NaN, the serial step's as 0.
        let fill = T::from_f64(if parallel { f64::NAN } else { 0.0 });
        let mut scratch = vec![fill; len - short];
        let mut pops = self.pops.clone();
        let [pi, pt] = &mut pops;
        let out = TiledOut {
            h_image: Some(&mut hi),
            h_text: Some(&mut ht),
            ..TiledOut::new(&mut dx, &mut dy)
        };
        let (iv, tv, sc) = (&mut pi.view(), &mut pt.view(), &mut scratch[..]);
        let (i, t) = (&self.ids.0[..], &self.ids.1[..]);
        let losses: Result<Losses<T>, Error> = match (parallel, step) {
            (false, Step::Dpm(p)) => dpm_bimodal_tiled(x, y, b, d, kind, i, t, iv, tv, p, out, sc),
            (true, Step::Dpm(p)) => {
                par::dpm_bimodal_tiled(x, y, b, d, kind, i, t, iv, tv, p, out, sc)
            }
            (false, Step::SogClr(p)) => sogclr_bimodal_tiled(
                x,
                y,
                b,
                d,
                kind,
                i,
                t,
                iv,
                tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
            (true, Step::SogClr(p)) => par::sogclr_bimodal_tiled(
                x,
                y,
                b,
                d,
                kind,
                i,
                t,
                iv,
                tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
            (false, Step::InfoNce(tau)) => infonce_bimodal_tiled(x, y, b, d, kind, tau, out, sc),
            (true, Step::InfoNce(tau)) => {
                par::infonce_bimodal_tiled(x, y, b, d, kind, tau, out, sc)
            }
        };
        let losses = losses.map(|l| bits(&[l.total, l.image_to_text, l.text_to_image]).collect());
        let outs = [&dx[..], &dy, &hi, &ht];
        (losses, outs.iter().flat_map(|v| bits(v)).collect(), pops)
    }

    /// `got` is a refusal with `err` that wrote nothing.
    fn refused(&self, got: &Got<T>, err: Error) {
        assert_eq!(got.0, Err(err));
        assert!(
            got.1.iter().all(|&v| v == 7.0_f64.to_bits()),
            "an output was written"
        );
        assert!(same(&got.2, &self.pops), "a state was written");
    }
}

/// Both populations equal bit for bit (signs of zero included).
fn same<T: Real>(a: &[Pop<T>; 2], b: &[Pop<T>; 2]) -> bool {
    a.iter().zip(b).all(|(p, q)| {
        let f = |v: &[T], w: &[T]| bits(v).eq(bits(w));
        f(&p.log_s, &q.log_s)
            && f(&p.zeta, &q.zeta)
            && f(&p.z, &q.z)
            && p.s_flags == q.s_flags
            && p.z_flags == q.z_flags
    })
}

fn serial_equals_parallel<T: Real>(seed: u64, sizes: &[(usize, usize)]) {
    let mut rng = Rng::new(seed);
    let pools: Vec<_> = THREADS.iter().map(|&k| (k, pool(k))).collect();
    for &(b, d) in sizes {
        for kind in [Features::Raw, Features::Normalized] {
            // Unrelated features at tau 0.1, aligned ones at tau 0.02.
            for (sigma, tau) in [(3.0, 0.1), (0.3, 0.02)] {
                let case = Case::<T>::random(&mut rng, b, d, kind, sigma);
                for step in steps::<T>(tau) {
                    let want = case.run(false, step, 0);
                    assert!(
                        want.0.is_ok(),
                        "b {b} d {d} {kind:?} {step:?}: {:?}",
                        want.0
                    );
                    for (k, pool) in &pools {
                        let got = pool.install(|| case.run(true, step, 0));
                        assert!(
                            got.0 == want.0 && got.1 == want.1 && same(&got.2, &want.2),
                            "b {b} d {d} {kind:?} sigma {sigma} {step:?}, {k} threads"
                        );
                    }
                }
            }
        }
    }
}

/// Below one chunk of the online pass (24 rows), past one chunk, past one
/// panel (96 rows, serial and parallel alike), ragged ends everywhere,
/// and more `dY` rows than one task's 48.
const SIZES: [(usize, usize); 6] = [(2, 1), (7, 5), (25, 3), (97, 17), (200, 8), (301, 33)];

#[test]
fn par_tiled_is_bit_identical_to_the_serial_tiled_step_f32() {
    serial_equals_parallel::<f32>(71, &SIZES);
}

#[test]
fn par_tiled_is_bit_identical_to_the_serial_tiled_step_f64() {
    serial_equals_parallel::<f64>(72, &SIZES);
}

#[test]
fn par_tiled_refuses_what_the_serial_step_refuses_and_writes_nothing() {
    let mut rng = Rng::new(73);
    let (b, d) = (130, 6);
    let base = Case::<f32>::random(&mut rng, b, d, Features::Raw, 1.0);
    let mut nan = Case::<f32>::random(&mut rng, b, d, Features::Raw, 1.0);
    nan.y[5 * d + 2] = f32::NAN;
    let mut dup = Case::<f32>::random(&mut rng, b, d, Features::Raw, 1.0);
    dup.ids.0[b - 1] = dup.ids.0[0];
    let mut zero = Case::<f32>::random(&mut rng, b, d, Features::Raw, 1.0);
    zero.x[7 * d..8 * d].fill(0.0);
    let bad_tau = |tau: f32| {
        steps::<f32>(0.1)
            .into_iter()
            .map(move |s| match s {
                Step::Dpm(mut p) => {
                    p.text.tau = tau;
                    Step::Dpm(p)
                }
                Step::SogClr(p) => Step::SogClr(SogClrParams { tau, ..p }),
                Step::InfoNce(_) => Step::InfoNce(tau),
            })
            .collect::<Vec<_>>()
    };
    let mut faults: Vec<(&Case<f32>, Step<f32>)> = Vec::new();
    for c in [&nan, &dup, &zero] {
        faults.extend(steps::<f32>(0.1).into_iter().map(|s| (c, s)));
    }
    for tau in [0.0, -1.0, 1e-40, f32::NAN] {
        faults.extend(bad_tau(tau).into_iter().map(|s| (&base, s)));
    }
    let pools: Vec<_> = THREADS.iter().map(|&k| pool(k)).collect();
    let mut refusals = 0;
    for (c, step) in faults {
        let want = c.run(false, step, 0);
        // InfoNCE has no ids: a duplicate id is no fault there.
        if matches!(step, Step::InfoNce(_)) && std::ptr::eq(c, &dup) {
            assert!(want.0.is_ok());
            continue;
        }
        let Err(e) = want.0 else {
            panic!("{step:?}: the serial step accepted a fault");
        };
        for pool in &pools {
            c.refused(&pool.install(|| c.run(true, step, 0)), e);
            refusals += 1;
        }
    }
    assert_eq!(refusals, 3 * (3 * 3 - 1 + 4 * 3));
    // Long enough for the serial step, short for this one.
    let serial = dpm_core::scratch_len(dpm_core::Scratch::Tiled { b, d });
    let need = par::scratch_len(dpm_core::Scratch::Tiled { b, d });
    if serial == need {
        return; // no lanes: the serial scalar engine's scratch
    }
    for step in steps::<f32>(0.1) {
        let got = pool(2).install(|| base.run(true, step, need - serial));
        let e = Error::LengthMismatch {
            what: "scratch",
            expected: need,
            found: serial,
        };
        base.refused(&got, e);
    }
}
