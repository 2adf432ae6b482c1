//! A bar chart as server-rendered SVG (no script, no CDN): two series per day, with axis
//! labels and a text alternative. Only presentation attributes are used, so it renders under
//! the pages' strict Content-Security-Policy (no inline styles).

use super::overview::Day;
use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
pub const OK_COLOR: &str = "#1f5fbf";
pub const FAIL_COLOR: &str = "#b3261e";

fn label(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0).map(|d| d.format("%b %-d").to_string()).unwrap_or_default()
}

/// A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ).
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// The chart for `days`; `title` is its accessible name.
pub fn sign_ins(days: &[Day], title: &str) -> String {
    let max = nice_max(days.iter().map(|d| d.sign_ins.max(d.failures)).max().unwrap_or(0));
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let y = |v: i64| TOP + plot_h - (v as f64 / max as f64) * plot_h;
    let total_ok: i64 = days.iter().map(|d| d.sign_ins).sum();
    let total_fail: i64 = days.iter().map(|d| d.failures).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{title}</title><desc id="chart-desc">{total_ok} sign-ins and {total_fail} failed sign-ins over the last {} days.</desc>"#,
        days.len()
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = (max as f64 * frac).round() as i64;
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#dde2ea" stroke-width="1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#5a6472">{v}</text>"##,
            W - 8.0,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + i as f64 * slot + 1.0;
        for (offset, v, color, what) in [(0.0, d.sign_ins, OK_COLOR, "sign-ins"), (bar, d.failures, FAIL_COLOR, "failed")] {
            let top = y(v);
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{top:.1}" width="{bar:.1}" height="{:.1}" fill="{color}"><title>{}: {v} {what}</title></rect>"#,
                x + offset,
                (TOP + plot_h - top).max(0.0),
                label(d.day)
            );
        }
        // A label a week apart, and the last day's unless it would run into the previous one.
        if i % 7 == 0 || (i + 1 == days.len() && i % 7 >= 4) {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#5a6472">{}</text>"##,
                x + bar,
                H - 8.0,
                label(d.day)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maximum_is_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(500), 500);
        assert_eq!(nice_max(501), 1000);
    }

    #[test]
    fn one_bar_pair_per_day_with_a_text_alternative() {
        let days: Vec<Day> = (0..30).map(|i| Day { day: 20_000 + i, sign_ins: i, failures: 1 }).collect();
        let svg = sign_ins(&days, "Sign-ins");
        assert_eq!(svg.matches("<rect").count(), 60);
        assert!(svg.contains("435 sign-ins and 30 failed sign-ins over the last 30 days"));
        assert!(!svg.contains("style="), "no inline styles under the CSP");
    }
}
