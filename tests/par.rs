//! The parallel step (`dpm_core::par`, SPEC section 3) against the serial
//! public step, bit for bit, with rayon pools of 1, 2 and 4 threads built here: seeded
//! random cases (B not a multiple of the lanes or the 4-row blocks, and
//! more rows than one wave of 32 blocks; f32 and f64; DPM with zeta step
//! and `h`, DPM vanilla without, SogCLR, InfoNCE; weights on and off; the
//! rescaling paths forced), every golden case through the state, the same
//! refusals with nothing written, and batches against problems run one by
//! one.
#![cfg(feature = "std")]

#[path = "support/case.rs"]
mod case;
#[path = "support/dense.rs"]
mod dense;
#[path = "support/outs.rs"]
mod outs;
#[path = "support/pools.rs"]
mod pools;
#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;
#[path = "support/run.rs"]
mod run;

use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Losses, Offset, Real, SogClrParams, ZetaStep, par,
};
use outs::Outs;
use pools::{THREADS, pool};
use pop::Pop;
use rng::Rng;

/// The loss of one bimodal step.
#[derive(Clone, Copy, Debug)]
enum Loss<T> {
    Dpm(dpm_core::Directions<DpmParams<T>>),
    SogClr(SogClrParams<T>),
    InfoNce(T),
}

/// Everything a step reads and writes, so that two runs can start from
/// the same bits and be compared bit for bit.
#[derive(Clone)]
struct Case<T> {
    b: usize,
    s: Vec<T>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    images: Pop<T>,
    texts: Pop<T>,
    loss: Loss<T>,
    weights: bool,
    h: bool,
}

/// The outputs and state after a step, as bits.
#[derive(Debug, PartialEq, Eq)]
struct After {
    result: Result<[u64; 3], Error>,
    ds: Vec<u64>,
    weights_image: Vec<u64>,
    weights_text: Vec<u64>,
    h_image: Vec<u64>,
    h_text: Vec<u64>,
    images: Vec<u64>,
    texts: Vec<u64>,
}

fn bits<T: Real>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| x.to_f64().to_bits()).collect()
}

impl<T: Real> Case<T> {
    /// Runs the step (`parallel`: `dpm_core::par` on the current pool)
    /// with outputs preset to a marker value and scratch of `scratch_len`.
    fn run(&self, parallel: bool, scratch_len: usize) -> After {
        let mut c = self.clone();
        let bb = c.b * c.b;
        let mark = T::from_f64(7.25);
        let mut ds = vec![mark; bb];
        let (mut wi, mut wt) = (vec![mark; bb], vec![mark; bb]);
        let (mut hi, mut ht) = (vec![mark; c.b], vec![mark; c.b]);
        let mut scratch = vec![T::ZERO; scratch_len];
        let out = BimodalOut {
            ds: &mut ds,
            weights_image: c.weights.then_some(&mut wi[..]),
            weights_text: c.weights.then_some(&mut wt[..]),
            h_image: c.h.then_some(&mut hi[..]),
            h_text: c.h.then_some(&mut ht[..]),
        };
        let (ii, ti) = (&c.image_ids[..], &c.text_ids[..]);
        let (mut iv, mut tv) = (c.images.view(), c.texts.view());
        let (s, sc) = (&c.s[..], &mut scratch[..]);
        let r: Result<Losses<T>, Error> = match (c.loss, parallel) {
            (Loss::Dpm(p), false) => {
                dpm_core::dpm_bimodal(s, ii.len(), ii, ti, &mut iv, &mut tv, p, out, sc)
            }
            (Loss::Dpm(p), true) => {
                par::dpm_bimodal(s, ii.len(), ii, ti, &mut iv, &mut tv, p, out, sc)
            }
            (Loss::SogClr(p), false) => dpm_core::sogclr_bimodal(
                s,
                ii.len(),
                ii,
                ti,
                &mut iv,
                &mut tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
            (Loss::SogClr(p), true) => par::sogclr_bimodal(
                s,
                ii.len(),
                ii,
                ti,
                &mut iv,
                &mut tv,
                dpm_core::Directions::both(p),
                out,
                sc,
            ),
            (Loss::InfoNce(tau), false) => dpm_core::infonce_bimodal(s, c.b, tau, out, sc),
            (Loss::InfoNce(tau), true) => par::infonce_bimodal(s, c.b, tau, out, sc),
        };
        After {
            result: r
                .map(|l| [l.total, l.image_to_text, l.text_to_image].map(|v| v.to_f64().to_bits())),
            ds: bits(&ds),
            weights_image: bits(&wi),
            weights_text: bits(&wt),
            h_image: bits(&hi),
            h_text: bits(&ht),
            images: c.images.bits(),
            texts: c.texts.bits(),
        }
    }

    fn serial(&self) -> After {
        self.run(
            false,
            dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: self.b }),
        )
    }

    fn parallel(&self) -> After {
        self.run(
            true,
            par::scratch_len(dpm_core::Scratch::Bimodal { b: self.b }),
        )
    }
}

/// A seeded case: cosine-like scores, about half the ids visited.
fn random_case<T: Real>(rng: &mut Rng, b: usize, loss: Loss<T>, weights: bool) -> Case<T> {
    let n = 2 * b + 5;
    Case {
        b,
        s: rng
            .scores(b, b, |r| r)
            .into_iter()
            .map(T::from_f64)
            .collect(),
        image_ids: rng.distinct(b, n),
        text_ids: rng.distinct(b, n),
        images: Pop::random(rng, n),
        texts: Pop::random(rng, n),
        loss,
        weights,
        h: true,
    }
}

fn dpm<T: Real>(tau: f64, gamma: f64, offset: Offset<T>, step: bool) -> Loss<T> {
    let p = DpmParams {
        tau: T::from_f64(tau),
        gamma: T::from_f64(gamma),
        offset,
        zeta_step: step.then(|| ZetaStep {
            theta: T::from_f64(0.9),
            eta: T::from_f64(1e-3),
        }),
        first_visit: FirstVisit::Batch,
    };
    Loss::Dpm(dpm_core::Directions::both(p))
}

/// The losses a random case runs: DPM with a zeta step (Xi, then a stale
/// xi and a tiny gamma that force the direct rescaling paths), DPM vanilla
/// without, SogCLR (zero history), InfoNCE.
fn losses<T: Real>() -> Vec<Loss<T>> {
    vec![
        dpm(0.05, 0.8, Offset::Xi(T::from_f64(0.1)), true),
        dpm(0.01, 1e-3, Offset::Xi(T::from_f64(-2.0)), true),
        dpm(1.0, 0.5, Offset::Vanilla, false),
        Loss::SogClr(SogClrParams {
            tau: T::from_f64(0.07),
            gamma: T::from_f64(0.9),
            first_visit: FirstVisit::ZeroHistory,
        }),
        Loss::InfoNce(T::from_f64(0.05)),
    ]
}

fn serial_equals_parallel<T: Real>(seed: u64, sizes: &[usize]) {
    let mut rng = Rng::new(seed);
    let pools: Vec<_> = THREADS.iter().map(|&k| (k, pool(k))).collect();
    let mut checked = 0;
    for &b in sizes {
        for loss in losses::<T>() {
            for weights in [false, true] {
                let case = random_case::<T>(&mut rng, b, loss, weights);
                let want = case.serial();
                assert!(want.result.is_ok(), "b {b} {loss:?}: {:?}", want.result);
                for (k, pool) in &pools {
                    let got = pool.install(|| case.parallel());
                    assert!(
                        got == want,
                        "b {b}, {k} threads, {loss:?}, weights {weights}: parallel != serial"
                    );
                    checked += 1;
                }
            }
        }
    }
    println!("{checked} parallel runs equal to the serial step bit for bit");
}

/// The batch sizes of the random cases, with `large` last: left out when
/// `DPM_TEST_EMULATED` is set (CI's aarch64 run under qemu-user, where it
/// alone would take ten minutes; B = 257 already spans several waves).
fn sizes(large: usize) -> Vec<usize> {
    let mut v = vec![2, 3, 17, 100, 257];
    if std::env::var_os("DPM_TEST_EMULATED").is_none() {
        v.push(large);
    }
    v
}

#[test]
fn random_f32_bit_identical() {
    serial_equals_parallel::<f32>(0x9a7a_11e1, &sizes(1024));
}

#[test]
fn random_f64_bit_identical() {
    serial_equals_parallel::<f64>(0x9a7a_11e2, &sizes(600));
}

/// Ties of both zeros: scores and zetas exact zeros of random sign (and
/// some -1), so that every row's and column's maximum is a tie of +0 and
/// -0, which `max` orders differently on x86 and NEON. Whatever sign a
/// target's max keeps, the parallel ranges give the serial bits.
#[test]
fn signed_zero_ties_bit_identical() {
    let mut rng = Rng::new(0x5167);
    for b in [17, 257] {
        for loss in losses::<f32>() {
            let mut c = random_case::<f32>(&mut rng, b, loss, true);
            let zero = |rng: &mut Rng| match rng.below(5) {
                0 => -1.0,
                1 | 2 => 0.0,
                _ => -0.0,
            };
            c.s.iter_mut().for_each(|s| *s = zero(&mut rng));
            for pop in [&mut c.images, &mut c.texts] {
                pop.zeta.iter_mut().for_each(|z| *z = zero(&mut rng));
            }
            let want = c.serial();
            assert!(want.result.is_ok(), "b {b} {loss:?}: {:?}", want.result);
            for k in THREADS {
                assert!(
                    pool(k).install(|| c.parallel()) == want,
                    "b {b}, {k} threads, {loss:?}"
                );
            }
        }
    }
}

/// A case whose anchors all have a history far lighter than the batch,
/// with a tiny gamma and a negligible offset: `log_den - max` is about
/// `ln(gamma) + ln(sum exp(a - max)) < -5`, so the weights (and `h`
/// terms) take the direct exp pass of the kernels.
fn light_history(rng: &mut Rng, b: usize) -> Case<f64> {
    let mut c = random_case::<f64>(rng, b, dpm(0.01, 1e-3, Offset::Xi(1.0), true), true);
    for pop in [&mut c.images, &mut c.texts] {
        pop.s_flags.iter_mut().for_each(|f| *f = 1);
        pop.log_s.iter_mut().for_each(|u| *u = -60.0);
    }
    c
}

#[test]
fn direct_rescaling_paths_bit_identical() {
    let mut rng = Rng::new(7);
    for b in [17, 100, 300] {
        let c = light_history(&mut rng, b);
        let want = c.serial();
        // The direct pass really runs: for some row, the weights' sum over
        // `sum exp(a - max)` is `exp(max - log_den) > e^5`.
        let tau = 0.01;
        let w: Vec<f64> = want
            .weights_image
            .iter()
            .map(|&x| f64::from_bits(x))
            .collect();
        let deepest = (0..b)
            .map(|i| {
                let a: Vec<f64> = (0..b)
                    .filter(|&j| j != i)
                    .map(|j| (c.s[i * b + j] - c.s[i * b + i] - c.texts.zeta[c.text_ids[j]]) / tau)
                    .collect();
                let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let ls = a.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
                w[i * b..(i + 1) * b].iter().sum::<f64>().ln() - ls
            })
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(deepest > 5.5, "b {b}: max - log_den at most {deepest}");
        for k in THREADS {
            assert!(
                pool(k).install(|| c.parallel()) == want,
                "b {b}, {k} threads"
            );
        }
    }
}

/// Bad inputs: the parallel step refuses what the serial one refuses,
/// with the same error, and writes nothing.
#[test]
fn refusals_match_and_write_nothing() {
    let mut rng = Rng::new(0xbad);
    let base = random_case::<f32>(&mut rng, 17, losses::<f32>()[0], true);
    type Mutation = Box<dyn Fn(&mut Case<f32>)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        ("duplicate id", Box::new(|c| c.text_ids[5] = c.text_ids[9])),
        ("id out of range", Box::new(|c| c.image_ids[3] = 10_000)),
        ("NaN score", Box::new(|c| c.s[40] = f32::NAN)),
        ("infinite score", Box::new(|c| c.s[288] = f32::INFINITY)),
        (
            "zeta not finite",
            Box::new(|c| {
                let id = c.image_ids[2];
                c.images.zeta[id] = f32::INFINITY;
            }),
        ),
        (
            "tau <= 0",
            Box::new(|c| {
                if let Loss::Dpm(p) = &mut c.loss {
                    p.text.tau = 0.0;
                }
            }),
        ),
        (
            "B < 2",
            Box::new(|c| {
                c.b = 1;
                c.s.truncate(1);
                c.image_ids.truncate(1);
                c.text_ids.truncate(1);
            }),
        ),
    ];
    let pools: Vec<_> = THREADS.iter().map(|&k| pool(k)).collect();
    for (what, mutate) in &mutations {
        let mut c = base.clone();
        mutate(&mut c);
        let want = c.serial();
        assert!(want.result.is_err(), "{what}: the serial step accepted it");
        // Nothing written: outputs keep the marker, the state its bits.
        let marked = |v: &[u64]| v.iter().all(|&x| f64::from_bits(x) == 7.25);
        assert!(marked(&want.ds) && marked(&want.weights_image) && marked(&want.h_text));
        assert_eq!(
            (&want.images, &want.texts),
            (&c.images.bits(), &c.texts.bits())
        );
        for pool in &pools {
            let got = pool.install(|| c.parallel());
            assert_eq!(got.result, want.result, "{what}");
            assert!(got == want, "{what}: the parallel step wrote something");
        }
    }
    // Scratch for the serial step is too short for the parallel one.
    let short = dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 17 });
    let got = pool(2).install(|| base.run(true, short));
    assert_eq!(
        got.result,
        Err(Error::LengthMismatch {
            what: "scratch",
            expected: par::scratch_len(dpm_core::Scratch::Bimodal { b: 17 }),
            found: short
        })
    );
    assert_eq!(got.images, base.images.bits());
    assert!(got.ds.iter().all(|&x| f64::from_bits(x) == 7.25));
}

/// Every output and the state after every step of a replay, as text
/// (`{:?}` of an `f64` round-trips, `-0.0` included: equal text is equal
/// bits).
fn replayed<T: dpm_core::Real>(case: &case::Case, engine: run::Engine) -> Vec<String> {
    run::replay::<T>(case, engine)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|r| format!("{:?} {:?} {:?}", r.outputs, r.after, r.scores))
        .collect()
}

fn golden_bit_identical<T: dpm_core::Real>() {
    let cases = case::golden();
    let pools: Vec<_> = THREADS.iter().map(|&k| (k, pool(k))).collect();
    for (name, case) in &cases {
        let want = replayed::<T>(case, run::Engine::Serial);
        for (k, pool) in &pools {
            let got = pool.install(|| replayed::<T>(case, run::Engine::Par));
            for (step, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    g == w,
                    "{name} step {step}, {k} threads: parallel != serial"
                );
            }
            assert_eq!(got.len(), want.len());
        }
    }
    println!("{} golden cases equal bit for bit", cases.len());
}

#[test]
fn golden_f64_bit_identical() {
    golden_bit_identical::<f64>();
}

#[test]
fn golden_f32_bit_identical() {
    golden_bit_identical::<f32>();
}

/// `run_batch` over mixed problems (DPM, SogCLR, InfoNCE, one refused)
/// gives what running them one by one with the serial functions gives,
/// bit for bit, on 1, 2 and 4 threads.
#[test]
fn batch_equals_problems_one_by_one() {
    let mut rng = Rng::new(0xba7c4);
    let mut cases: Vec<Case<f32>> = [5, 64, 130, 33, 300, 9]
        .iter()
        .zip(losses::<f32>().into_iter().cycle())
        .map(|(&b, loss)| random_case(&mut rng, b, loss, b % 2 == 0))
        .collect();
    cases[5].s[3] = f32::NAN; // refused, the others still run
    let want: Vec<After> = cases.iter().map(Case::serial).collect();
    assert!(want[5].result.is_err() && want[..5].iter().all(|a| a.result.is_ok()));
    for k in THREADS {
        let mut runs: Vec<Case<f32>> = cases.clone();
        let mut bufs: Vec<Bufs> = runs.iter().map(|c| Bufs::fresh(c.b)).collect();
        let mut views: Vec<_> = runs
            .iter_mut()
            .map(|c| (c.images.view(), c.texts.view()))
            .collect();
        let mut problems: Vec<par::Problem<'_, '_, f32>> = cases
            .iter()
            .zip(bufs.iter_mut())
            .zip(views.iter_mut())
            .map(|((c, buf), (iv, tv))| buf.problem(c, iv, tv))
            .collect();
        let mut results = vec![Ok(Losses::default()); problems.len()];
        pool(k)
            .install(|| par::run_batch(&mut problems, &mut results))
            .unwrap();
        drop(problems);
        drop(views);
        for (q, ((r, buf), c)) in results.iter().zip(&bufs).zip(&runs).enumerate() {
            let got = buf.after(c, *r);
            assert!(
                got == want[q],
                "problem {q}, {k} threads: batch != one by one"
            );
        }
    }
    // Results not as long as the problems: nothing runs.
    let mut c = cases[0].clone();
    let mut buf = Bufs::fresh(c.b);
    let (mut iv, mut tv) = (c.images.view(), c.texts.view());
    let mut problems = [buf.problem(&cases[0], &mut iv, &mut tv)];
    let mut results = [];
    assert_eq!(
        par::run_batch(&mut problems, &mut results),
        Err(Error::LengthMismatch {
            what: "results",
            expected: 1,
            found: 0
        })
    );
    assert!(buf.ds.iter().all(|&x| x == 7.25));
    assert_eq!(c.images.bits(), cases[0].images.bits());
}

/// Outputs and scratch of one problem of a batch, every output 7.25
/// until a step writes it.
type Bufs = Outs<f32>;

impl Bufs {
    fn fresh(b: usize) -> Self {
        Outs::filled(b, 7.25)
    }

    fn problem<'p, 'v>(
        &'p mut self,
        c: &'p Case<f32>,
        image: &'p mut dpm_core::StateView<'v, f32>,
        text: &'p mut dpm_core::StateView<'v, f32>,
    ) -> par::Problem<'p, 'v, f32> {
        let out = BimodalOut {
            ds: &mut self.ds,
            weights_image: c.weights.then_some(&mut self.wi[..]),
            weights_text: c.weights.then_some(&mut self.wt[..]),
            h_image: c.h.then_some(&mut self.hi[..]),
            h_text: c.h.then_some(&mut self.ht[..]),
        };
        let (scores, image_ids, text_ids) = (&c.s[..], &c.image_ids[..], &c.text_ids[..]);
        let scratch = &mut self.scratch[..];
        match c.loss {
            Loss::Dpm(params) => par::Problem::Dpm {
                scores,
                b: c.b,
                image_ids,
                text_ids,
                image,
                text,
                params,
                out,
                scratch,
            },
            Loss::SogClr(params) => par::Problem::SogClr {
                scores,
                b: c.b,
                image_ids,
                text_ids,
                image,
                text,
                params: dpm_core::Directions::both(params),
                out,
                scratch,
            },
            Loss::InfoNce(tau) => par::Problem::InfoNce {
                scores,
                b: c.b,
                tau,
                out,
                scratch,
            },
        }
    }

    /// The problem's outputs and state, as [`Case::run`] reports them.
    fn after(&self, c: &Case<f32>, r: Result<Losses<f32>, Error>) -> After {
        After {
            result: r
                .map(|l| [l.total, l.image_to_text, l.text_to_image].map(|v| v.to_f64().to_bits())),
            ds: bits(&self.ds),
            weights_image: bits(&self.wi),
            weights_text: bits(&self.wt),
            h_image: bits(&self.hi),
            h_text: bits(&self.ht),
            images: c.images.bits(),
            texts: c.texts.bits(),
        }
    }
}
