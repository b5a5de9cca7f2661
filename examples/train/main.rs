//! Trains a two-tower linear head on real data with DPM, SogCLR and
//! InfoNCE under one budget, reports held-out cross-view retrieval, and
//! plots the curves.
//!
//! ```text
//! cargo run --release --example train [-- --epochs 30 --out train.svg]
//! ```
//!
//! Data: the UCI red-wine measurements shipped inside `linfa-datasets`
//! (no network). Each wine gives two views (6 and 5 of its standardised
//! columns); each tower is `z = W v`, L2-normalised, `S = Z_a Z_b^T`. The
//! crate gives `dS` (and, for DPM, `dZ` through the normalisation); the
//! chain rule to `W` is `dW = dZ^T V`, then a plain SGD step.

mod args;
mod data;
mod methods;
mod metrics;
mod model;
mod plot;

use indicatif::{ProgressBar, ProgressStyle};
use methods::{Hyper, Method, Trainer};
use metrics::Recall;
use model::{Rng, Tower};
use std::process::ExitCode;
use std::time::Instant;

/// Everything one method produced, per epoch.
pub struct Curves {
    pub method: Method,
    /// Mean training loss of epochs 1..=E (each method's own objective).
    pub loss: Vec<f64>,
    /// Test recall after epochs 0..=E (0: the untrained head).
    pub recall: Vec<Recall>,
}

fn main() -> ExitCode {
    match args::parse(std::env::args().skip(1)) {
        Ok(args::Parsed::Help) => {
            println!("{}", args::help());
            ExitCode::SUCCESS
        }
        Ok(args::Parsed::Run(a)) => match run(&a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("train: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("train: {e} (see --help)");
            ExitCode::from(2)
        }
    }
}

fn run(a: &args::Args) -> Result<(), String> {
    let start = Instant::now();
    let data = data::load();
    let n = data.train.n;
    if a.batch > n {
        return Err(format!(
            "--batch {} is larger than the training split ({n})",
            a.batch
        ));
    }
    let hyper = Hyper {
        tau: a.tau,
        lr: a.lr,
        gamma: 0.8,
        theta: 0.9,
        eta: a.eta,
        zeta_init: -0.05,
    };
    println!(
        "red wine: {} rows, {} distinct; train {n}, test {} (view A {} columns, view B {})",
        data.rows,
        data.unique,
        data.test.n,
        data::DA,
        data::DB
    );
    println!(
        "budget, every method: {} epochs, batch {}, SGD lr {}, tau {}, dim {}, seed {}",
        a.epochs, a.batch, a.lr, a.tau, a.dim, a.seed
    );
    println!(
        "DPM and SogCLR: gamma {}; DPM: zeta from {}, theta {}, eta {} (the authors' cosine schedule), xi refreshed each epoch\n",
        hyper.gamma, hyper.zeta_init, hyper.theta, hyper.eta
    );

    // One random initialisation, shared by the three methods.
    let mut rng = Rng::new(a.seed);
    let init_a = Tower::random(&mut rng, a.dim, data::DA);
    let init_b = Tower::random(&mut rng, a.dim, data::DB);
    let untrained = metrics::recall(&init_a, &init_b, &data.test)
        .map_err(|e| format!("the untrained head: {e}"))?;
    let mut trainers: Vec<Trainer> = Method::ALL
        .iter()
        .map(|&m| Trainer::new(m, hyper, (&init_a, &init_b), n, a.batch))
        .collect();
    let mut curves: Vec<Curves> = Method::ALL
        .iter()
        .map(|&method| Curves {
            method,
            loss: Vec::new(),
            recall: vec![untrained],
        })
        .collect();

    let bar = ProgressBar::new((a.epochs * trainers.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:32}] {pos}/{len} method-epochs {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    for epoch in 1..=a.epochs {
        // The same batch order for every method in a given epoch.
        let mut order: Vec<usize> = (0..n).collect();
        Rng::new(a.seed ^ (epoch as u64).wrapping_mul(0xA076_1D64_78BD_642F)).shuffle(&mut order);
        for (t, c) in trainers.iter_mut().zip(&mut curves) {
            bar.set_prefix(t.method.name());
            let name = t.method.name();
            let failed = |e| {
                format!(
                    "{name}, epoch {epoch}: {e} (the options drove the step out of the range the crate accepts; try values nearer the defaults)"
                )
            };
            let loss = t
                .epoch(&data.train, &order, a.batch, (epoch - 1, a.epochs))
                .map_err(failed)?;
            let r = metrics::recall(&t.tower_a, &t.tower_b, &data.test).map_err(failed)?;
            c.loss.push(loss);
            c.recall.push(r);
            let mut line = format!(
                "{:<7} epoch {epoch:>3}/{}  loss {loss:>8.4}  test R@1 {:.3}  R@10 {:.3}",
                t.method.name(),
                a.epochs,
                r.at1,
                r.at10
            );
            if t.method == Method::Dpm {
                for (v, pop) in [("A", &t.pop_a), ("B", &t.pop_b)] {
                    if let Some((mean, lo, hi)) = pop.zeta_stats() {
                        line += &format!("  zeta {v} min/mean/max {lo:+.3}/{mean:+.3}/{hi:+.3}");
                    }
                }
            }
            bar.suspend(|| println!("{line}"));
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    let nt = data.test.n as f64;
    println!(
        "\nheld-out cross-view retrieval, {} test wines, both directions:\n",
        data.test.n
    );
    println!("| head | test R@1 | test R@10 | final train loss |");
    println!("|---|---|---|---|");
    println!(
        "| random ranking (1/N, 10/N) | {:.4} | {:.4} | |",
        1.0 / nt,
        10.0 / nt
    );
    println!(
        "| untrained head (random W, measured) | {:.4} | {:.4} | |",
        untrained.at1, untrained.at10
    );
    for c in &curves {
        let last = c.recall.last().expect("epoch 0 at least");
        let loss = c.loss.last().map_or(String::new(), |l| format!("{l:.4}"));
        println!(
            "| {} | {:.4} | {:.4} | {loss} |",
            c.method.name(),
            last.at1,
            last.at10
        );
    }
    plot::draw(&a.out, &curves, 1.0 / nt).map_err(|e| format!("plot {}: {e}", a.out.display()))?;
    println!("\nplot: {}", a.out.display());
    eprintln!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
