//! Headless Chromium, to check a page the way a person would see it.
//!
//! [`render`] opens an HTML file in Debian's `chromium` (installed by `make chromium`,
//! which `make setup` runs) and keeps two things: a screenshot and the DOM as the browser
//! built it. [`is_blank`] says whether a screenshot shows nothing, and [`outcome_counts`]
//! reads the `data-outcome`/`data-count` pairs `offboard_core::html_report` puts in the
//! page, so that a test can compare what the page shows with `summary.json`.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context};

/// Debian's launcher (it sources `/etc/chromium.d` and execs the browser).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one Chromium run may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The share of the most common colour above which a screenshot counts as blank.
pub const BLANK_SHARE: f64 = 0.995;

/// What Chromium made of a page.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// A 1280 × 2000 screenshot.
    pub screenshot_png: PathBuf,
    /// The DOM after parsing, serialized (`--dump-dom`).
    pub dom: String,
}

/// Opens `html_file` in headless Chromium once, writing `<stem>.png` (the screenshot),
/// `<stem>.dom.html` (the DOM) and `<stem>.chromium.log` (Chromium's stderr) into
/// `out_dir`. Chromium runs in its own process group with a fresh, empty profile, and the
/// group is killed after [`TIMEOUT`] (and in any case once the browser has exited).
pub fn render(html_file: &Path, out_dir: &Path) -> anyhow::Result<Rendered> {
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: run `make chromium` (or `make setup`) to install Debian's chromium");
    }
    let page = html_file.canonicalize().with_context(|| format!("reading {}", html_file.display()))?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let stem = page.file_stem().and_then(|s| s.to_str()).unwrap_or("page").to_string();
    let screenshot_png = out_dir.join(format!("{stem}.png"));
    let dom_file = out_dir.join(format!("{stem}.dom.html"));
    let log_file = out_dir.join(format!("{stem}.chromium.log"));
    // A screenshot left by an earlier run must not pass for this one's.
    let _ = std::fs::remove_file(&screenshot_png);

    let profile = Profile::create()?;
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Debian's /etc/chromium.d/dev-shm decides this from `findmnt`, which fails on
            // machines with more than one /dev/shm line; a small /dev/shm crashes renders.
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(format!("--screenshot={}", screenshot_png.display()))
        .arg("--dump-dom")
        .arg(file_url(&page))
        .stdin(Stdio::null())
        .stdout(File::create(&dom_file).with_context(|| format!("creating {}", dom_file.display()))?)
        .stderr(File::create(&log_file).with_context(|| format!("creating {}", log_file.display()))?)
        .process_group(0);
    let mut child = command.spawn().with_context(|| format!("starting {CHROMIUM}"))?;
    let group = child.id() as i32;
    let (done, exited) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    let outcome = exited.recv_timeout(TIMEOUT);
    // The browser's helpers (zygote, renderer, GPU process) share its group: none may
    // outlive it, and none may outlive a timeout.
    // SAFETY: kill(2) with a negative pid signals the process group this function created.
    #[allow(unsafe_code)]
    let _ = unsafe { libc::kill(-group, libc::SIGKILL) };
    let status = match outcome {
        Ok(status) => status.with_context(|| format!("waiting for {CHROMIUM}"))?,
        Err(_) => {
            let _ = waiter.join();
            bail!(
                "chromium did not finish rendering {} within {} s and was killed; its stderr:\n{}",
                page.display(),
                TIMEOUT.as_secs(),
                stderr_tail(&log_file)
            );
        }
    };
    let _ = waiter.join();
    if !status.success() {
        bail!("chromium failed ({status}) rendering {}; its stderr:\n{}", page.display(), stderr_tail(&log_file));
    }
    let dom = std::fs::read_to_string(&dom_file).with_context(|| format!("reading {}", dom_file.display()))?;
    if !dom.contains("<html") {
        bail!(
            "chromium dumped no DOM for {} ({} bytes in {}); its stderr:\n{}",
            page.display(),
            dom.len(),
            dom_file.display(),
            stderr_tail(&log_file)
        );
    }
    match std::fs::metadata(&screenshot_png) {
        Ok(meta) if meta.len() > 0 => {}
        _ => bail!(
            "chromium wrote no screenshot {} for {}; its stderr:\n{}",
            screenshot_png.display(),
            page.display(),
            stderr_tail(&log_file)
        ),
    }
    Ok(Rendered { screenshot_png, dom })
}

/// Whether the PNG at `png` shows one colour only (more than [`BLANK_SHARE`] of its
/// pixels are the same colour): a page that did not render.
pub fn is_blank(png: &Path) -> anyhow::Result<bool> {
    Ok(dominant_share(png)? > BLANK_SHARE)
}

/// The share of the pixels of `png` that have its most common colour.
pub fn dominant_share(png: &Path) -> anyhow::Result<f64> {
    let file = File::open(png).with_context(|| format!("opening {}", png.display()))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().with_context(|| format!("decoding {}", png.display()))?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buffer).with_context(|| format!("decoding {}", png.display()))?;
    let channels = frame.color_type.samples();
    let pixels = &buffer[..frame.buffer_size()];
    let mut colours: HashMap<&[u8], usize> = HashMap::new();
    for row in pixels.chunks_exact(frame.line_size) {
        for pixel in row[..frame.width as usize * channels].chunks_exact(channels) {
            *colours.entry(pixel).or_insert(0) += 1;
        }
    }
    let total = frame.width as usize * frame.height as usize;
    if total == 0 {
        bail!("{} has no pixels", png.display());
    }
    let top = colours.values().copied().max().unwrap_or(0);
    Ok(top as f64 / total as f64)
}

/// The `data-outcome="<label>"` → `data-count="<n>"` pairs of the elements of `dom` (an
/// HTML document, as `--dump-dom` or `render_run_report` writes it). Only attributes of
/// tags count, never text that looks like them; a label found twice is summed, so a
/// duplicate card shows up as a wrong count.
///
/// The report shows a card for every outcome, with 0 when none ended so, while a
/// summary's `by_outcome` names only the outcomes that occurred: compare with a missing
/// outcome as 0.
pub fn outcome_counts(dom: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for tag in start_tags(dom) {
        let attributes = attributes(tag);
        let get = |name: &str| attributes.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        if let (Some(outcome), Some(count)) = (get("data-outcome"), get("data-count")) {
            if let Ok(count) = count.trim().parse::<u64>() {
                *counts.entry(outcome.clone()).or_insert(0) += count;
            }
        }
    }
    counts
}

/// The `data-planned` figure of the report's total card.
pub fn planned_count(dom: &str) -> Option<u64> {
    start_tags(dom).find_map(|tag| {
        attributes(tag).into_iter().find(|(name, _)| name.eq_ignore_ascii_case("data-planned"))?.1.trim().parse().ok()
    })
}

/// The inside of every start tag of `html` (`div class="x"` of `<div class="x">`),
/// skipping comments, end tags, doctypes and the text of `<script>` and `<style>`.
fn start_tags(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let open = rest.find('<')?;
        rest = &rest[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let bytes = rest.as_bytes();
        let mut quote = None;
        let mut end = None;
        for (i, &b) in bytes.iter().enumerate().skip(1) {
            match (quote, b) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            rest = "";
            return None;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let first = tag.as_bytes().first().copied().unwrap_or(b' ');
        if !first.is_ascii_alphabetic() {
            continue; // an end tag, a doctype, or a stray `<`
        }
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = lower.find(&close).map_or("", |at| &rest[at..]);
        }
        return Some(tag);
    })
}

/// The attributes of a start tag's inside, their values unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = tag.char_indices().peekable();
    // The element's name.
    while chars.next_if(|(_, c)| !c.is_whitespace() && *c != '/').is_some() {}
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace() || *c == '/').is_some() {}
        let Some(&(start, _)) = chars.peek() else { break };
        let mut end = start;
        while let Some((i, c)) = chars.next_if(|(_, c)| !c.is_whitespace() && *c != '=' && *c != '/') {
            end = i + c.len_utf8();
        }
        let name = tag[start..end].to_string();
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if(|(_, c)| *c == '=').is_some() {
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            match chars.peek().map(|&(_, c)| c) {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                        value.push(c);
                    }
                }
            }
        }
        if name.is_empty() {
            // Not an attribute (a stray `=`): skip one character so the loop moves on.
            if chars.next().is_none() {
                break;
            }
            continue;
        }
        out.push((name, unescape(&value)));
    }
    out
}

fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// `file://` and the path, percent-encoded.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// The end of Chromium's stderr, without the noise every headless run prints (no D-Bus
/// in a container, the launcher's shell warnings).
fn stderr_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> =
        text.lines().filter(|l| !l.contains("dbus/") && !l.contains("unexpected operator")).collect();
    let tail = &lines[lines.len().saturating_sub(30)..];
    if tail.is_empty() {
        format!("(nothing but D-Bus noise; the whole log is {})", log.display())
    } else {
        format!("{}\n(the whole log is {})", tail.join("\n"), log.display())
    }
}

/// A fresh, empty `--user-data-dir`, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn create() -> anyhow::Result<Profile> {
        static CREATED: AtomicUsize = AtomicUsize::new(0);
        let nth = CREATED.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("offboard-chromium-{}-{nth}", std::process::id()));
        // One left by a process that had this id before us.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Profile(path))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
