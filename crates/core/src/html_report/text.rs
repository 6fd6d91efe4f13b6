//! How the report writes text and numbers for people: HTML escaping, thousands
//! separators, rates, durations and times, and the round numbers of the chart's axis.

use jiff::Timestamp;

/// `text` safe in HTML text and in a quoted attribute.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 12345 → `12,345`.
pub(super) fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A rate with as many decimals as it deserves.
pub(super) fn rate(value: f64) -> String {
    let text = if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The smallest of 1, 1.2, 1.6, 2, 2.4, 3.2, 4, 6, 8 × 10ⁿ at or above `value` (1 for
/// nothing): a top whose quarters are round figures.
pub(super) fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 2.4, 3.2, 4.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|&v| v >= value)
        .unwrap_or(10.0 * magnitude)
}

/// A time offset: `0s`, `0.5s`, `45s`, `2m`, `2m30s`, `1h05m`.
pub(super) fn elapsed(ms: i64) -> String {
    if ms % 1000 != 0 && ms < 60_000 {
        return rate(ms as f64 / 1000.0) + "s";
    }
    let s = ms / 1000;
    match s {
        _ if s < 60 => format!("{s}s"),
        _ if s < 3600 && s % 60 == 0 => format!("{}m", s / 60),
        _ if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// A duration in seconds, for people.
pub(super) fn duration(seconds: f64) -> String {
    if seconds <= 0.0 {
        "&mdash;".to_string()
    } else if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        elapsed((seconds * 1000.0).round() as i64 / 1000 * 1000)
    }
}

pub(super) fn utc(time: Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}
