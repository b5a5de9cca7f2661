//! What keeps a broken run from hanging: the ranks agree on every size
//! before the first collective that depends on one; a watchdog aborts a
//! rank that makes no progress for a bounded time (a rank that died or
//! hangs leaves the others waiting in a collective, which MPI does not
//! time out); and the faults the CI injects to show both.

use crate::data::{Cfg, N};
use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the rank is doing, and a counter that moves at every stage.
static STAGE: AtomicUsize = AtomicUsize::new(0);
static PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// The stages, as the watchdog names them.
pub const STAGES: [&str; 8] = [
    "start-up",
    "size agreement",
    "all-gather of features and zeta",
    "the block's rows",
    "all-reduce of h, losses and gradients",
    "the single-process check",
    "xi refresh (max all-reduce)",
    "the barrier before a step",
];

/// Enters stage `k` (an index of [`STAGES`]).
pub fn stage(k: usize) {
    STAGE.store(k, Ordering::Relaxed);
    PROGRESS.fetch_add(1, Ordering::Relaxed);
}

/// Starts the watchdog of rank `rank`: if no stage starts for `limit`,
/// it names the stage and aborts the process, and `mpirun` then ends
/// the job.
pub fn watchdog(rank: i32, limit: Duration) {
    std::thread::spawn(move || {
        let (mut seen, mut since) = (PROGRESS.load(Ordering::Relaxed), Instant::now());
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let now = PROGRESS.load(Ordering::Relaxed);
            if now != seen {
                (seen, since) = (now, Instant::now());
            } else if since.elapsed() > limit {
                let stage = STAGES[STAGE.load(Ordering::Relaxed)];
                eprintln!(
                    "rank {rank}: no progress for {} s in stage \"{stage}\" (another rank died, hangs, or the communicator broke): aborting",
                    limit.as_secs()
                );
                std::process::abort();
            }
        }
    });
}

/// Every rank's `(b, d, steps, n)` and communicator size, checked equal
/// across ranks (min and max all-reduces of fixed length 5, so that
/// ranks that disagree cannot disagree on this message's length) and
/// that `b` and the ids split evenly: else a message and `abort(2)`.
pub fn agree(world: &SimpleCommunicator, cfg: &Cfg) {
    stage(1);
    let mine = [cfg.b, cfg.d, cfg.steps, N, cfg.ranks].map(|v| v as u64);
    let (mut lo, mut hi) = ([0_u64; 5], [0_u64; 5]);
    world.all_reduce_into(&mine[..], &mut lo[..], SystemOperation::min());
    world.all_reduce_into(&mine[..], &mut hi[..], SystemOperation::max());
    let rank = world.rank();
    if lo != hi {
        eprintln!(
            "rank {rank}: ranks disagree on (b, d, steps, n, ranks): smallest {lo:?}, largest {hi:?}, this rank {mine:?}"
        );
        world.abort(2);
    }
    if !cfg.b.is_multiple_of(cfg.ranks) || cfg.per() < 2 || (N / cfg.ranks) < cfg.per() {
        eprintln!(
            "rank {rank}: b = {} does not split into {} blocks of at least 2 pairs",
            cfg.b, cfg.ranks
        );
        world.abort(2);
    }
    if !N.is_multiple_of(cfg.ranks) {
        eprintln!(
            "rank {rank}: the {N} ids do not split evenly over {} ranks (use a power of two)",
            cfg.ranks
        );
        world.abort(2);
    }
}

/// A fault injected by `DPM_MPI_FAULT` on rank `DPM_MPI_FAULT_RANK`
/// (default 1) at step 1: `exit` (the process ends with status 3),
/// `kill` (SIGKILL: no handler runs, as when a node is lost), `hang` (it
/// sleeps forever), `panic`; `sizes` is read by `main` (that rank's `d`
/// is one more).
pub fn inject(rank: i32, step: usize) {
    let Ok(fault) = std::env::var("DPM_MPI_FAULT") else {
        return;
    };
    let target: i32 = std::env::var("DPM_MPI_FAULT_RANK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    if rank != target || step != 1 {
        return;
    }
    match fault.as_str() {
        "exit" => {
            eprintln!("rank {rank}: injected fault: exiting before the step's collectives");
            std::process::exit(3);
        }
        "kill" => {
            eprintln!("rank {rank}: injected fault: SIGKILL");
            let pid = std::process::id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status();
        }
        "hang" => {
            eprintln!("rank {rank}: injected fault: hanging");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        "panic" => panic!("rank {rank}: injected fault: panic"),
        _ => {}
    }
}
