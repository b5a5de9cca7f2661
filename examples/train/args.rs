//! Command-line options, parsed by hand (six numbers and a path do not need
//! a parser crate).

use std::path::PathBuf;

/// The training budget and where the plot goes; the same for all methods.
#[derive(Clone, Debug)]
pub struct Args {
    pub epochs: usize,
    pub batch: usize,
    pub tau: f32,
    pub lr: f32,
    pub eta: f32,
    pub dim: usize,
    pub seed: u64,
    pub out: PathBuf,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            epochs: 30,
            batch: 64,
            tau: 0.2,
            lr: 0.5,
            eta: 0.01,
            dim: 8,
            seed: 42,
            out: PathBuf::from("train.svg"),
        }
    }
}

pub fn help() -> String {
    let d = Args::default();
    format!(
        "\
Train a two-tower linear head on the red-wine data set (view A: the 6 acid,
sugar, salt and free-SO2 columns; view B: the other 5) with DPM, SogCLR and
InfoNCE under one budget, report held-out cross-view retrieval and plot the
curves.

usage: cargo run --release --example train -- [OPTIONS]

options:
  --epochs N   passes over the training split, per method   [default: {}]
  --batch B    pairs per SGD step (2 or more)                [default: {}]
  --tau T      temperature of all three losses (> 0)         [default: {}]
  --lr LR      SGD step size, all three methods (> 0)        [default: {}]
  --eta E      DPM only: first zeta step size (>= 0), then   [default: {}]
               the authors' cosine decay (/10 from half-way,
               /100 from three quarters)
  --dim D      output dimension of each tower (>= 1)         [default: {}]
  --seed S     seed of the initialisation and batch order    [default: {}]
  --out PATH   where to write the SVG plot                   [default: {}]
  -h, --help   print this help

The held-out split (20 %) is the same for every seed. One lr means one
step size: DPM and SogCLR give dS for tau x (both directions' log-partition
terms, summed), and InfoNCE's dS is rescaled by 2 tau to that scale.",
        d.epochs,
        d.batch,
        d.tau,
        d.lr,
        d.eta,
        d.dim,
        d.seed,
        d.out.display()
    )
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    Run(Args),
    Help,
}

/// Parses `--name value` and `--name=value`; any error names the option.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut args = Args::default();
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !matches!(
            name.as_str(),
            "--epochs" | "--batch" | "--tau" | "--lr" | "--eta" | "--dim" | "--seed" | "--out"
        ) {
            return Err(format!("unknown option `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .ok_or_else(|| format!("option `{name}` needs a value"))?,
        };
        match name.as_str() {
            "--epochs" => args.epochs = number(&name, &value, 1.0)?,
            "--batch" => args.batch = number(&name, &value, 2.0)?,
            "--dim" => args.dim = number(&name, &value, 1.0)?,
            "--seed" => {
                args.seed = value
                    .parse()
                    .map_err(|_| format!("`{name}` wants a whole number >= 0, got `{value}`"))?;
            }
            "--tau" => args.tau = positive(&name, &value)?,
            "--lr" => args.lr = positive(&name, &value)?,
            "--eta" => {
                args.eta = match value.parse::<f32>() {
                    Ok(v) if v.is_finite() && v >= 0.0 => v,
                    _ => {
                        return Err(format!(
                            "`{name}` wants a finite number >= 0, got `{value}`"
                        ));
                    }
                };
            }
            _ => {
                if value.is_empty() {
                    return Err(format!("`{name}` wants a path"));
                }
                args.out = PathBuf::from(value);
            }
        }
    }
    Ok(Parsed::Run(args))
}

fn number(name: &str, value: &str, min: f64) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(v) if v as f64 >= min => Ok(v),
        _ => Err(format!(
            "`{name}` wants a whole number >= {min}, got `{value}`"
        )),
    }
}

fn positive(name: &str, value: &str) -> Result<f32, String> {
    match value.parse::<f32>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{name}` wants a finite number > 0, got `{value}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Parsed, parse};

    fn run(argv: &str) -> Result<super::Args, String> {
        match parse(argv.split_whitespace().map(String::from))? {
            Parsed::Run(a) => Ok(a),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn both_spellings_and_defaults() {
        let a = run("--epochs 5 --tau=0.1 --seed 7").expect("valid");
        assert_eq!((a.epochs, a.tau, a.seed, a.batch), (5, 0.1, 7, 64));
        assert!(matches!(parse(["-h".to_string()]), Ok(Parsed::Help)));
    }

    #[test]
    fn bad_options_name_themselves() {
        for (argv, word) in [
            ("--epochs 0", "--epochs"),
            ("--epochs 2.5", "--epochs"),
            ("--batch 1", "--batch"),
            ("--tau 0", "--tau"),
            ("--tau -1", "--tau"),
            ("--lr nan", "--lr"),
            ("--eta -0.1", "--eta"),
            ("--seed -1", "--seed"),
            ("--out", "--out"),
            ("--bogus 1", "--bogus"),
            ("stray", "stray"),
        ] {
            let e = run(argv).expect_err(argv);
            assert!(e.contains(word) && !e.contains('\n'), "{argv}: {e}");
        }
    }
}
