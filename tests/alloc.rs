//! A full step allocates nothing (SPEC section 7, memory and time): a
//! counting global allocator sees no allocation from this thread while
//! the steps run.

use dpm_core::{
    BimodalOut, DpmParams, FirstVisit, Layout, Offset, SogClrParams, StateView, StepOut, ZetaStep,
    dpm_bimodal, dpm_step, infonce_bimodal, sogclr_bimodal,
};
#[path = "support/outs.rs"]
mod outs;

use outs::Outs;
use std::{
    alloc::{GlobalAlloc, Layout as AllocLayout, System},
    cell::Cell,
};

struct Counting;

thread_local! {
    // const-initialised and without destructor: using it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_during(|| {
        let v = std::hint::black_box(vec![1_u8; 10]);
        drop(v);
    });
    assert_eq!(n, 1);
}

#[test]
fn full_steps_allocate_nothing() {
    const B: usize = 64;
    const N: usize = 1000;
    let s: Vec<f32> = (0..B * B)
        .map(|k| ((k * 37 % 101) as f32 / 101.0) * 2.0 - 1.0)
        .collect();
    let ids: Vec<usize> = (0..B).map(|k| k * 7 % N).collect();
    let mk = || {
        (
            vec![0.0_f32; N],
            vec![0_u8; N],
            vec![-0.05_f32; N],
            vec![0.0_f32; N],
            vec![0_u8; N],
        )
    };
    let (mut a, mut b) = (mk(), mk());
    let mut image = StateView::new(&mut a.0, &mut a.1, &mut a.2, &mut a.3, &mut a.4).unwrap();
    let mut text = StateView::new(&mut b.0, &mut b.1, &mut b.2, &mut b.3, &mut b.4).unwrap();
    let mut o = Outs::<f32>::new(B);
    let p = DpmParams {
        tau: 0.01,
        gamma: 0.8,
        offset: Offset::Xi(0.0),
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 1e-3,
        }),
        first_visit: FirstVisit::Batch,
    };
    let n = allocations_during(|| {
        for _ in 0..3 {
            let (out, scratch) = o.all();
            dpm_bimodal(
                &s,
                ids.len(),
                &ids,
                &ids,
                &mut image,
                &mut text,
                dpm_core::Directions::both(p),
                out,
                scratch,
            )
            .unwrap();
        }
        let xi = image.refresh_xi(0.0);
        let q = DpmParams {
            offset: Offset::Xi(xi),
            ..p
        };
        let (anchors, candidates) = image.split();
        dpm_step(
            Layout::Diagonal,
            &s,
            ids.len(),
            ids.len(),
            &ids,
            &ids,
            anchors,
            candidates,
            q,
            StepOut::new(&mut o.ds),
            &mut o.scratch,
        )
        .unwrap();
        let sp = SogClrParams {
            tau: 0.1,
            gamma: 0.9,
            first_visit: FirstVisit::ZeroHistory,
        };
        sogclr_bimodal(
            &s,
            ids.len(),
            &ids,
            &ids,
            &mut image,
            &mut text,
            dpm_core::Directions::both(sp),
            BimodalOut::new(&mut o.ds),
            &mut o.scratch,
        )
        .unwrap();
        infonce_bimodal(&s, B, 0.07, BimodalOut::new(&mut o.ds), &mut o.scratch).unwrap();
        // Errors allocate nothing either.
        assert!(
            dpm_bimodal(
                &s,
                ids[1..].len(),
                &ids[1..],
                &ids,
                &mut image,
                &mut text,
                dpm_core::Directions::both(p),
                BimodalOut::new(&mut o.ds),
                &mut o.scratch
            )
            .is_err()
        );
    });
    assert_eq!(n, 0, "the steps allocated");
    assert!(o.ds.iter().all(|v| v.is_finite()));
}
