//! Rayon pools of the sizes the parallel suites compare: a parallel step
//! must give the same bits on 1, 2 and 4 threads.

/// The thread counts every parallel result is compared across.
pub const THREADS: [usize; 3] = [1, 2, 4];

/// A pool of `k` threads of its own (not rayon's global pool).
pub fn pool(k: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(k)
        .build()
        .expect("a thread pool")
}
