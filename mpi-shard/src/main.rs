//! The DPM step sharded over MPI ranks with `dpm_core::shard`, checked on
//! every rank against the single-process `dpm_bimodal_from_features` on
//! the same data, and timed.
//!
//! ```text
//! cd mpi-shard && cargo build --release
//! mpirun -np 2 target/release/dpm-core-mpi [b] [d] [steps]     # default 1024 128 6
//! ```
//!
//! Each rank owns the pairs whose id is its rank modulo the number of
//! ranks (their state lives only there), takes `b / R` of them per step,
//! and runs their anchor rows in both directions against all gathered
//! features (see `rank.rs`); `xi` is refreshed every other step by a max
//! all-reduce. The losses, the gradients of its own rows, `h` and the
//! state of every id it owns are compared with one process's step
//! (`reference.rs`). Guards against hangs are in `guard.rs`.

mod data;
mod guard;
mod rank;
mod reference;

use data::{Cfg, N, Pop};
use dpm_core::{Directions, DpmParams, FirstVisit, Offset, ZetaStep};
use mpi::collective::SystemOperation;
use mpi::traits::*;
use std::time::{Duration, Instant};

const ZETA_INIT: f32 = -0.05;

fn params(xi: [f32; 2]) -> Directions<DpmParams<f32>> {
    let p = |xi: f32| DpmParams {
        tau: 0.05,
        gamma: 0.8,
        offset: Offset::Xi(xi),
        zeta_step: Some(ZetaStep {
            theta: 0.9,
            eta: 0.05,
        }),
        first_visit: FirstVisit::Batch,
    };
    // The image anchors' candidates are texts: their xi; and the reverse.
    Directions {
        image: p(xi[1]),
        text: p(xi[0]),
    }
}

fn arg(k: usize, default: usize) -> usize {
    std::env::args()
        .nth(k)
        .map_or(default, |s| s.parse().expect("a number"))
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let limit = std::env::var("DPM_MPI_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    guard::watchdog(rank, Duration::from_secs(limit));
    let mut cfg = Cfg {
        b: arg(1, 1024),
        d: arg(2, 128),
        steps: arg(3, 6),
        ranks: usize::try_from(size).expect("size"),
    };
    if std::env::var("DPM_MPI_FAULT").as_deref() == Ok("sizes") && rank == 1 {
        cfg.d += 1;
    }
    guard::agree(&world, &cfg);
    let r = usize::try_from(rank).expect("rank");
    let n_local = N / cfg.ranks;
    let mut me = rank::Rank {
        world: &world,
        cfg,
        r,
        images: Pop::new(n_local, ZETA_INIT),
        texts: Pop::new(n_local, ZETA_INIT),
    };
    let mut single = reference::Single {
        cfg,
        images: Pop::new(N, ZETA_INIT),
        texts: Pop::new(N, ZETA_INIT),
    };
    let (mut xi, mut xi_single, mut times) = ([ZETA_INIT; 2], [ZETA_INIT; 2], Vec::new());
    let mut worst = reference::Worst::default();
    let mut sent = 0;
    for t in 0..cfg.steps {
        guard::inject(rank, t);
        // xi every other step, as an epoch's refresh would.
        // Each run refreshes from its own state: equal at the first step,
        // then within the states' difference.
        if t % 2 == 0 {
            guard::stage(6);
            xi = me.xi(f32::NEG_INFINITY);
            xi_single = single.xi(f32::NEG_INFINITY);
            if t == 0 && xi != xi_single {
                eprintln!(
                    "rank {rank}: xi {xi:?} differs from one process's {xi_single:?} on fresh states"
                );
                world.abort(1);
            }
        }
        let p = params(xi);
        guard::stage(7);
        world.barrier();
        let start = Instant::now();
        let own = me.step(t, p);
        let mine = [start.elapsed().as_secs_f64()];
        sent = own.sent;
        let mut slowest = [0.0];
        world.all_reduce_into(&mine[..], &mut slowest[..], SystemOperation::max());
        times.push(slowest[0]);
        guard::stage(5);
        let run = reference::Run {
            params: params(xi_single),
            xi_rank: xi,
            xi_single,
        };
        if let Err(e) = single.check(t, &run, r, &own, (&me.images, &me.texts), &mut worst) {
            eprintln!("rank {rank}: {e}");
            world.abort(1);
        }
    }
    // Every rank's worst, to rank 0.
    let (mut w, mut b) = ([0.0], [0.0]);
    world.all_reduce_into(&[worst.eps][..], &mut w[..], SystemOperation::max());
    world.all_reduce_into(&[worst.bound][..], &mut b[..], SystemOperation::max());
    if rank == 0 {
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let ms = |s: f64| s * 1e3;
        println!(
            "dpm-core-mpi: {size} ranks, b = {}, d = {}, {} steps: step time (slowest rank) median {:.2} ms, min {:.2} ms; \
             sent per rank per step {} f32 ({} KiB: 2 (b/R) d + 2 b/R gathered, 2 b + 2 + 2 b d all-reduced); \
             every rank within {:.0} eps of one process's values (bound {:.0} eps): PASS",
            cfg.b,
            cfg.d,
            cfg.steps,
            ms(sorted[sorted.len() / 2]),
            ms(sorted[0]),
            sent,
            sent * 4 / 1024,
            w[0],
            b[0]
        );
    }
}
