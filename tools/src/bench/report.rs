// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a sweep prints and writes: the table, CSV and the SVG plot.

use crate::units::{human_bytes, human_seconds, render_table};

use super::args::Plan;
use super::run::Row;

/// The table: on the simulation the cycles, the simulated GB/s and the ideal; on every other
/// target the wall-clock rate in MB/s (a board's GB/s and a guest's few MB/s alike readable)
/// and jobs per wall second.
pub(super) fn table(rows: &[Row], sim: bool) -> String {
    let mut headers = vec![
        "op", "entry", "list", "depth", "queues", "jobs", "bytes", "wall",
    ];
    if sim {
        headers.extend(["cycles", "GB/s", "ideal GB/s", "of ideal"]);
    } else {
        headers.extend(["MB/s", "jobs/s"]);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.op.to_uppercase(),
                human_bytes(u64::from(r.entry_bytes)),
                r.list_length.to_string(),
                r.queue_depth.to_string(),
                r.queues.to_string(),
                r.jobs.to_string(),
                human_bytes(r.bytes),
                human_seconds(r.wall_seconds),
            ];
            if !sim {
                v.push(format!("{:.2}", r.gbytes_per_s * 1e3));
                v.push(format!("{:.1}", jobs_per_s(r)));
                return v;
            }
            v.push(r.cycles.map_or_else(|| "-".into(), |c| c.to_string()));
            v.push(format!("{:.2}", r.gbytes_per_s));
            v.push(
                r.ideal_gbytes_per_s
                    .map_or_else(|| "-".into(), |g| format!("{g:.2}")),
            );
            v.push(
                r.percent_of_ideal
                    .map_or_else(|| "-".into(), |p| format!("{p:.1} %")),
            );
            v
        })
        .collect();
    render_table(&headers, &cells)
}

/// Jobs completed per wall second, over every queue of the row.
pub(super) fn jobs_per_s(r: &Row) -> f64 {
    let job_bytes = u64::from(r.entry_bytes) * u64::from(r.list_length);
    if r.wall_seconds > 0.0 && job_bytes > 0 {
        (r.bytes / job_bytes) as f64 / r.wall_seconds
    } else {
        0.0
    }
}

/// The CSV header, in the JSON rows' field order.
pub const CSV_HEADER: &str = "op,entry_bytes,list_length,queue_depth,queues,jobs,bytes,cycles,\
wall_seconds,gbytes_per_s,ideal_gbytes_per_s,percent_of_ideal";

/// The rows as CSV: header, then one line per row; empty cells for nulls.
pub fn csv(rows: &[Row]) -> String {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.op,
            r.entry_bytes,
            r.list_length,
            r.queue_depth,
            r.queues,
            r.jobs,
            r.bytes,
            opt(r.cycles.map(|c| c.to_string())),
            r.wall_seconds,
            r.gbytes_per_s,
            opt(r.ideal_gbytes_per_s.map(|g| g.to_string())),
            opt(r.percent_of_ideal.map(|p| p.to_string())),
        ));
    }
    out
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

/// Escapes text for SVG.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" tick step (1, 2 or 5 x 10^k) giving about `target` ticks up to `max`.
fn tick_step(max: f64, target: f64) -> f64 {
    let raw = max / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Throughput (GB/s) against entry size (log2 x axis) as a self-contained SVG: one solid line
/// per op (and per value of every other swept dimension), and per op a dashed line of the
/// interface's ideal (simulation only).
pub fn svg(rows: &[Row], plan: &Plan, sim: bool) -> String {
    const W: f64 = 720.0;
    const H: f64 = 440.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 190.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 60.0;
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;

    // Series: measured lines keyed by op and the swept dimensions; ideal lines keyed by op.
    let label = |r: &Row| {
        let mut s = r.op.to_uppercase();
        if plan.swept_queues {
            s.push_str(&format!(", {} queue(s)", r.queues));
        }
        if plan.swept_lists {
            s.push_str(&format!(", list {}", r.list_length));
        }
        if plan.swept_depths {
            s.push_str(&format!(", depth {}", r.queue_depth));
        }
        s
    };
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut ideals: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in rows {
        let x = f64::from(r.entry_bytes).log2();
        let key = label(r);
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, pts)) => pts.push((x, r.gbytes_per_s)),
            None => series.push((key, vec![(x, r.gbytes_per_s)])),
        }
        if let (true, Some(g)) = (sim, r.ideal_gbytes_per_s) {
            let key = format!("{} ideal", r.op.to_uppercase());
            match ideals.iter_mut().find(|(k, _)| *k == key) {
                Some((_, pts)) => {
                    // One ideal per entry size: the highest of the swept variants.
                    match pts.iter_mut().find(|(px, _)| *px == x) {
                        Some(p) => p.1 = p.1.max(g),
                        None => pts.push((x, g)),
                    }
                }
                None => ideals.push((key, vec![(x, g)])),
            }
        }
    }
    for (_, pts) in series.iter_mut().chain(ideals.iter_mut()) {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }

    let xs = rows.iter().map(|r| f64::from(r.entry_bytes).log2());
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !x0.is_finite() {
        (x0, x1) = (9.0, 12.0);
    }
    x0 = x0.floor();
    x1 = x1.ceil();
    if x1 - x0 < 2.0 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let ymax_data = rows
        .iter()
        .flat_map(|r| [Some(r.gbytes_per_s), r.ideal_gbytes_per_s])
        .flatten()
        .fold(0.0f64, f64::max);
    let ystep = tick_step(if ymax_data > 0.0 { ymax_data } else { 1.0 }, 5.0);
    let y1 = ((ymax_data / ystep).floor() + 1.0) * ystep;
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| TOP + ph - y / y1 * ph;

    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    s.push_str(&format!(
        "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">peerbar DMA throughput \
         ({})</text>\n",
        LEFT + pw / 2.0,
        if sim { "simulated" } else { "wall clock" }
    ));
    // Grid, ticks and tick labels.
    let mut k = x0;
    while k <= x1 + 1e-9 {
        let x = px(k);
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>\n\
             <line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\n\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            TOP + ph,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            xml(&human_bytes(2f64.powf(k).round() as u64))
        ));
        k += 1.0;
    }
    let mut y = 0.0;
    while y <= y1 + ystep * 1e-6 {
        let yy = py(y);
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/>\n\
             <line x1=\"{:.1}\" y1=\"{yy:.1}\" x2=\"{LEFT}\" y2=\"{yy:.1}\" stroke=\"black\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            LEFT + pw,
            LEFT - 5.0,
            LEFT - 8.0,
            yy + 4.0,
            format_tick(y, ystep)
        ));
        y += ystep;
    }
    // Axes and their labels.
    s.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b:.1}\" stroke=\"black\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{r:.1}\" y2=\"{b:.1}\" stroke=\"black\"/>\n\
         <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">list entry size (log2 scale)</text>\n\
         <text x=\"18\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {cy:.1})\">\
         throughput (GB/s)</text>\n",
        H - 18.0,
        b = TOP + ph,
        r = LEFT + pw,
        cx = LEFT + pw / 2.0,
        cy = TOP + ph / 2.0,
    ));
    // Lines, then the legend.
    let points = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut legend = Vec::new();
    for (i, (key, pts)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        s.push_str(&format!(
            "<polyline class=\"measured\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" \
             points=\"{}\"><title>{}</title></polyline>\n",
            points(pts),
            xml(key)
        ));
        for &(x, y) in pts {
            s.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>\n",
                px(x),
                py(y)
            ));
        }
        legend.push((key.clone(), color, false));
    }
    for (key, pts) in &ideals {
        let op = key.split(' ').next().unwrap_or_default();
        // The ideal takes the colour of its op's first measured line.
        let color = series
            .iter()
            .position(|(k, _)| k.split(',').next() == Some(op))
            .map_or("black", |i| PALETTE[i % PALETTE.len()]);
        s.push_str(&format!(
            "<polyline class=\"ideal\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" \
             stroke-dasharray=\"6 4\" points=\"{}\"><title>{} (TLP-limited)</title></polyline>\n",
            points(pts),
            xml(key)
        ));
        legend.push((format!("{key} (interface)"), color, true));
    }
    for (i, (key, color, dashed)) in legend.iter().enumerate() {
        let lx = LEFT + pw + 15.0;
        let ly = TOP + 10.0 + 20.0 * i as f64;
        s.push_str(&format!(
            "<line x1=\"{lx:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" \
             stroke-width=\"2\"{}/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            lx + 24.0,
            if *dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
            lx + 30.0,
            ly + 4.0,
            xml(key)
        ));
    }
    s.push_str("</svg>\n");
    s
}

fn format_tick(y: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{y:.0}")
    } else if step >= 0.1 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
}
