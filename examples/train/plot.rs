//! The SVG plot: each method's training loss (its own objective, so its
//! own scale) on top; held-out recall@1 and @10 per epoch below, with the
//! untrained head at epoch 0 and the random-ranking line.

use crate::Curves;
use crate::methods::Method;
use crate::metrics::Recall;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;

/// Reads one recall out of a [`Recall`].
type Metric = fn(&Recall) -> f64;

const W: u32 = 1200;
const H: u32 = 760;

fn color(m: Method) -> RGBColor {
    match m {
        Method::Dpm => RGBColor(214, 39, 40),
        Method::SogClr => RGBColor(31, 119, 180),
        Method::InfoNce => RGBColor(44, 160, 44),
    }
}

fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let pad = ((hi - lo) * 0.08).max(1e-3);
    (lo - pad)..(hi + pad)
}

pub fn draw(path: &Path, curves: &[Curves], random_at1: f64) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let root = SVGBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(H * 2 / 5);
    let epochs = curves.first().map_or(0, |c| c.loss.len());
    let x_max = epochs.max(1) as f64;

    for (area, c) in top.split_evenly((1, curves.len())).iter().zip(curves) {
        // DPM and SogCLR report the half-loss of SPEC section 2 (weights
        // held constant: its gradient is their dS), InfoNCE its own value.
        let kind = if c.method == Method::InfoNce {
            "nats"
        } else {
            "half-loss"
        };
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{}: training loss ({kind})", c.method.name()),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, range(c.loss.iter().copied()))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .light_line_style(WHITE)
            .draw()?;
        let points = c.loss.iter().enumerate().map(|(e, &l)| ((e + 1) as f64, l));
        chart.draw_series(LineSeries::new(points, color(c.method).stroke_width(2)))?;
    }

    let panels: [(&str, Metric, f64); 2] = [
        ("held-out recall@1", |r| r.at1, random_at1),
        ("held-out recall@10", |r| r.at10, 10.0 * random_at1),
    ];
    for (area, (title, get, random)) in bottom.split_evenly((1, 2)).iter().zip(panels) {
        let all = curves.iter().flat_map(|c| c.recall.iter().map(get));
        let y = range(all.chain([0.0, random]));
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, y)?;
        chart
            .configure_mesh()
            .x_desc("epoch (0 = untrained head)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .light_line_style(WHITE)
            .draw()?;
        for c in curves {
            let col = color(c.method);
            let points = c.recall.iter().enumerate().map(|(e, r)| (e as f64, get(r)));
            chart
                .draw_series(LineSeries::new(points, col.stroke_width(2)))?
                .label(c.method.name())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], col.stroke_width(2)));
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, random), (x_max, random)],
                6,
                4,
                BLACK.into(),
            ))?
            .label("random ranking")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
