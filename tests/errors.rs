//! Every precondition of SPEC section 7 is refused with its error, and on
//! every error all outputs and all state are bit-identical to before.
#![allow(clippy::float_cmp)]

#[path = "support/pop.rs"]
mod pop;
#[path = "support/rng.rs"]
mod rng;

use pop::Pop;

use dpm_core::{
    BimodalOut, DpmParams, Error, FirstVisit, Layout, Losses, Offset, Real, SogClrParams,
    StateView, StepOut, ZetaStep, dpm_bimodal, dpm_step, infonce_bimodal, infonce_step,
    sogclr_bimodal,
};

/// A valid bimodal call with visited state and sentinel-filled outputs.
struct Fixture<T> {
    s: Vec<T>,
    image_ids: Vec<usize>,
    text_ids: Vec<usize>,
    image: Pop<T>,
    text: Pop<T>,
    params: dpm_core::Directions<DpmParams<T>>,
    ds: Vec<T>,
    wi: Vec<T>,
    wt: Vec<T>,
    hi: Vec<T>,
    ht: Vec<T>,
    scratch: Vec<T>,
}

const B: usize = 4;
const N: usize = 10;

impl<T: Real> Fixture<T> {
    fn new() -> Self {
        let s = (0..B * B)
            .map(|k| {
                T::from_f64(if k % (B + 1) == 0 {
                    0.9
                } else {
                    0.1 * (k % 7) as f64 - 0.2
                })
            })
            .collect();
        let p = DpmParams {
            tau: T::from_f64(0.07),
            gamma: T::from_f64(0.8),
            offset: Offset::Xi(T::ZERO),
            zeta_step: Some(ZetaStep {
                theta: T::from_f64(0.9),
                eta: T::from_f64(0.01),
            }),
            first_visit: FirstVisit::Batch,
        };
        let mut f = Fixture {
            s,
            image_ids: vec![1, 3, 5, 7],
            text_ids: vec![2, 3, 9, 0],
            image: Pop::new(N, -0.05),
            text: Pop::new(N, -0.05),
            params: dpm_core::Directions::both(p),
            ds: vec![],
            wi: vec![],
            wt: vec![],
            hi: vec![],
            ht: vec![],
            scratch: vec![T::ZERO; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B })],
        };
        // One real step first, so the state holds visited values too.
        f.reset_outputs();
        f.call().unwrap();
        f.image_ids = vec![1, 4, 5, 8];
        f.reset_outputs();
        f
    }

    fn reset_outputs(&mut self) {
        let sentinel = T::from_f64(7.25);
        self.ds = vec![sentinel; B * B];
        self.wi = vec![sentinel; B * B];
        self.wt = vec![sentinel; B * B];
        self.hi = vec![sentinel; B];
        self.ht = vec![sentinel; B];
    }

    fn call(&mut self) -> Result<Losses<T>, Error> {
        let out = BimodalOut {
            ds: &mut self.ds,
            weights_image: Some(&mut self.wi),
            weights_text: Some(&mut self.wt),
            h_image: Some(&mut self.hi),
            h_text: Some(&mut self.ht),
        };
        dpm_bimodal(
            &self.s,
            self.image_ids.len(),
            &self.image_ids,
            &self.text_ids,
            &mut self.image.view(),
            &mut self.text.view(),
            self.params,
            out,
            &mut self.scratch,
        )
    }

    /// Every bit of every output and state array.
    fn snapshot(&self) -> Vec<u64> {
        // NaN as one pattern: widening a NaN may change its sign and payload
        // (Miri picks them at random), and a write would replace it anyway.
        #[allow(clippy::eq_op)]
        let f = |v: &[T]| {
            v.iter()
                .map(|&x| {
                    if x != x {
                        u64::MAX
                    } else {
                        x.to_f64().to_bits()
                    }
                })
                .collect::<Vec<_>>()
        };
        let mut all = Vec::new();
        for v in [&self.ds, &self.wi, &self.wt, &self.hi, &self.ht] {
            all.extend(f(v));
        }
        all.extend(self.image.bits());
        all.extend(self.text.bits());
        all
    }
}

type Mutation<T> = (&'static str, fn(&mut Fixture<T>), Error);

fn mutations<T: Real>() -> Vec<Mutation<T>> {
    let inv = |what| Error::InvalidParameter { what };
    vec![
        (
            "one pair",
            |f| (f.image_ids.truncate(1), f.text_ids.truncate(1)).1,
            Error::BatchTooSmall { len: 1 },
        ),
        (
            "text_ids short",
            |f| f.text_ids.truncate(3),
            Error::LengthMismatch {
                what: "text_ids",
                expected: 4,
                found: 3,
            },
        ),
        (
            "scores short",
            |f| f.s.truncate(15),
            Error::LengthMismatch {
                what: "scores",
                expected: 16,
                found: 15,
            },
        ),
        (
            "ds short",
            |f| f.ds.truncate(3),
            Error::LengthMismatch {
                what: "ds",
                expected: 16,
                found: 3,
            },
        ),
        (
            "weights long",
            |f| f.wt.push(T::ZERO),
            Error::LengthMismatch {
                what: "weights_text",
                expected: 16,
                found: 17,
            },
        ),
        (
            "h short",
            |f| f.hi.truncate(1),
            Error::LengthMismatch {
                what: "h_image",
                expected: 4,
                found: 1,
            },
        ),
        (
            "scratch short",
            |f| f.scratch.truncate(3),
            Error::LengthMismatch {
                what: "scratch",
                expected: dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: B }),
                found: 3,
            },
        ),
        (
            "image id >= n",
            |f| f.image_ids[2] = N,
            Error::IdOutOfRange {
                what: "image_ids",
                id: N,
                len: N,
            },
        ),
        (
            "text id >= n",
            |f| f.text_ids[0] = 99,
            Error::IdOutOfRange {
                what: "text_ids",
                id: 99,
                len: N,
            },
        ),
        (
            "image id twice",
            |f| f.image_ids[3] = 1,
            Error::DuplicateId {
                what: "image_ids",
                id: 1,
            },
        ),
        (
            "text id twice",
            |f| f.text_ids[1] = 0,
            Error::DuplicateId {
                what: "text_ids",
                id: 0,
            },
        ),
        ("tau = 0", |f| f.params.image.tau = T::ZERO, inv("tau")),
        (
            "tau < 0",
            |f| f.params.text.tau = T::from_f64(-1.0),
            inv("tau"),
        ),
        ("tau inf", |f| f.params.image.tau = T::INFINITY, inv("tau")),
        (
            "tau nan",
            |f| f.params.image.tau = T::from_f64(f64::NAN),
            inv("tau"),
        ),
        (
            "gamma = 0",
            |f| f.params.image.gamma = T::ZERO,
            inv("gamma"),
        ),
        (
            "gamma > 1",
            |f| f.params.text.gamma = T::from_f64(1.5),
            inv("gamma"),
        ),
        (
            "gamma subnormal",
            |f| f.params.image.gamma = T::MIN_POSITIVE / T::from_f64(4.0),
            inv("gamma"),
        ),
        (
            "theta = 0",
            |f| f.params.image.zeta_step.as_mut().unwrap().theta = T::ZERO,
            inv("theta"),
        ),
        (
            "theta > 1",
            |f| f.params.text.zeta_step.as_mut().unwrap().theta = T::from_f64(1.01),
            inv("theta"),
        ),
        (
            "eta < 0",
            |f| f.params.image.zeta_step.as_mut().unwrap().eta = T::from_f64(-1e-3),
            inv("eta"),
        ),
        (
            "eta inf",
            |f| f.params.text.zeta_step.as_mut().unwrap().eta = T::INFINITY,
            inv("eta"),
        ),
        (
            "xi nan",
            |f| f.params.text.offset = Offset::Xi(T::from_f64(f64::NAN)),
            inv("xi"),
        ),
        (
            "score nan",
            |f| f.s[6] = T::from_f64(f64::NAN),
            Error::NonFinite {
                what: "scores",
                index: 6,
            },
        ),
        (
            "score -inf",
            |f| f.s[0] = T::NEG_INFINITY,
            Error::NonFinite {
                what: "scores",
                index: 0,
            },
        ),
        (
            "zeta inf",
            |f| f.text.zeta[9] = T::INFINITY,
            Error::NonFinite {
                what: "zeta",
                index: 9,
            },
        ),
        (
            "visited log_s nan",
            |f| f.image.log_s[5] = T::from_f64(f64::NAN),
            Error::NonFinite {
                what: "log_s",
                index: 5,
            },
        ),
        (
            "visited z inf",
            |f| f.image.z[5] = T::NEG_INFINITY,
            Error::NonFinite {
                what: "z",
                index: 5,
            },
        ),
        (
            "huge score / tau",
            |f| f.params.image.tau = T::MIN_POSITIVE,
            Error::OutOfRange {
                what: "scores / tau",
            },
        ),
        (
            "huge score",
            |f| f.s[1] = T::MAX / T::from_f64(3.0),
            Error::OutOfRange {
                what: "scores / tau",
            },
        ),
        (
            "huge eta",
            |f| f.params.image.zeta_step.as_mut().unwrap().eta = T::MAX / T::from_f64(2.0),
            Error::OutOfRange { what: "eta" },
        ),
        (
            "huge log_s",
            |f| f.image.log_s[5] = T::MAX,
            Error::OutOfRange { what: "log_s" },
        ),
    ]
}

fn all_errors_leave_everything_untouched<T: Real>() {
    let fresh = Fixture::<T>::new();
    assert!(
        fresh.image.s_flags.contains(&1),
        "fixture has visited state"
    );
    for (name, mutate, want) in mutations::<T>() {
        let mut f = Fixture::<T>::new();
        mutate(&mut f);
        let before = f.snapshot();
        let got = f.call();
        assert_eq!(got.err(), Some(want), "{name}");
        assert_eq!(f.snapshot(), before, "{name}: something was written");
    }
    // Unvisited values are not read, so garbage there is no error.
    let mut f = Fixture::<T>::new();
    f.image.log_s[8] = T::from_f64(f64::NAN);
    assert!(f.call().is_ok());
}

#[test]
fn errors_f32() {
    all_errors_leave_everything_untouched::<f32>();
}

#[test]
fn errors_f64() {
    all_errors_leave_everything_untouched::<f64>();
}

#[test]
fn state_view_construction_errors() {
    let (mut u, mut f, mut zt, mut z, mut g) = (
        vec![0.0_f32; 1],
        vec![0; 1],
        vec![0.0; 1],
        vec![0.0; 1],
        vec![0; 1],
    );
    assert_eq!(
        StateView::new(&mut u, &mut f, &mut zt, &mut z, &mut g).err(),
        Some(Error::PopulationTooSmall { len: 1 })
    );
    let (mut u, mut f, mut zt, mut z, mut g) = (
        vec![0.0_f32; 3],
        vec![0, 2, 0],
        vec![0.0; 3],
        vec![0.0; 3],
        vec![0; 3],
    );
    assert_eq!(
        StateView::new(&mut u, &mut f, &mut zt, &mut z, &mut g).err(),
        Some(Error::CorruptState { id: 1 })
    );
    let mut pop = Pop::<f64>::new(4, -0.05);
    let mut view = pop.view();
    assert_eq!(
        view.set_log_s(4, Some(0.0)),
        Err(Error::IdOutOfRange {
            what: "id",
            id: 4,
            len: 4
        })
    );
    assert_eq!(
        view.set_log_s(1, Some(f64::NEG_INFINITY)),
        Err(Error::NonFinite {
            what: "value",
            index: 1
        })
    );
    assert_eq!(
        view.set_zeta(0, f64::NAN),
        Err(Error::NonFinite {
            what: "value",
            index: 0
        })
    );
    assert_eq!(view.log_s(1), Ok(None));
}

#[test]
fn general_layout_and_other_losses_refuse_without_writing() {
    let s = [
        0.9_f64, 0.1, 0.2, 0.3, 0.1, 0.8, 0.4, 0.0, 0.2, 0.3, 0.7, 0.1, 0.0, 0.1, 0.2, 0.9,
    ];
    let ids = [0, 1, 2, 3];
    let mut pop = Pop::<f64>::new(6, -0.05);
    let p = DpmParams {
        tau: 0.1,
        gamma: 0.9,
        offset: Offset::Vanilla,
        zeta_step: None,
        first_visit: FirstVisit::Batch,
    };
    let mut ds = [7.0; 16];
    let mut scratch = [7.0; dpm_core::scratch_len(dpm_core::Scratch::Bimodal { b: 4 })];
    let bad_pos = [1, 1, 2, 2];
    let excl = [
        false, true, false, false, // row 0 excludes its own positive
        false, false, false, false, false, false, false, false, false, false, false, false,
    ];
    let cases: [(Layout<'_>, Error); 3] = [
        (
            Layout::Custom {
                pos: &bad_pos,
                excluded: &excl,
            },
            Error::InvalidLayout { row: 0 },
        ),
        (
            Layout::Custom {
                pos: &[0, 1, 2],
                excluded: &excl,
            },
            Error::LengthMismatch {
                what: "pos",
                expected: 4,
                found: 3,
            },
        ),
        (
            Layout::Custom {
                pos: &[0, 1, 2, 9],
                excluded: &[false; 16],
            },
            Error::InvalidLayout { row: 3 },
        ),
    ];
    for (layout, want) in cases {
        let before = pop.clone();
        let mut view = pop.view();
        let (a, c) = view.split();
        let got = dpm_step(
            layout,
            &s,
            ids.len(),
            ids.len(),
            &ids,
            &ids,
            a,
            c,
            p,
            StepOut::new(&mut ds),
            &mut scratch,
        );
        assert_eq!(got.err(), Some(want));
        assert_eq!(ds, [7.0; 16]);
        assert_eq!(before, pop);
    }
    // Two-view needs an even square batch of at least 4.
    let mut view = pop.view();
    let (a, c) = view.split();
    let got = dpm_step(
        Layout::TwoView,
        &s[..9],
        ids[..3].len(),
        ids[..3].len(),
        &ids[..3],
        &ids[..3],
        a,
        c,
        p,
        StepOut::new(&mut ds[..9]),
        &mut scratch,
    );
    assert_eq!(got.err(), Some(Error::InvalidLayout { row: 0 }));
    assert_eq!(ds, [7.0; 16]);
    // InfoNCE and SogCLR share the checks.
    let got = infonce_step(
        Layout::Diagonal,
        &s,
        4,
        4,
        -1.0,
        StepOut::new(&mut ds),
        &mut scratch,
    );
    assert_eq!(got.err(), Some(Error::InvalidParameter { what: "tau" }));
    let got = infonce_bimodal(&s, 4, 0.1, BimodalOut::new(&mut ds[..15]), &mut scratch);
    assert_eq!(
        got.err(),
        Some(Error::LengthMismatch {
            what: "ds",
            expected: 16,
            found: 15
        })
    );
    let (mut i, mut t) = (Pop::<f64>::new(6, -0.05), Pop::<f64>::new(6, -0.05));
    let sp = SogClrParams {
        tau: 0.1,
        gamma: 0.0,
        first_visit: FirstVisit::Batch,
    };
    let got = sogclr_bimodal(
        &s,
        ids.len(),
        &ids,
        &ids,
        &mut i.view(),
        &mut t.view(),
        dpm_core::Directions::both(sp),
        BimodalOut::new(&mut ds),
        &mut scratch,
    );
    assert_eq!(got.err(), Some(Error::InvalidParameter { what: "gamma" }));
    assert_eq!(ds, [7.0; 16]);
    assert!(i.s_flags.iter().all(|&f| f == 0));
}
