//! Workbook bounds: what an `.xlsx` (or `.ods`) may hold before it is read.
//!
//! calamine trusts a workbook: it reserves what the shared strings declare, holds them
//! and the styles whole, and does arithmetic on cell references without checking them.
//! [`check`] unpacks every part into a counter first (never trusting the sizes the zip
//! declares) and reads the XML parts with calamine's own XML reader, configured alike, so
//! a zip bomb, a shared-strings bomb, a run of text longer than any cell or a reference
//! past a sheet's last cell is refused before calamine allocates for it. An `.ods` is
//! checked alike before Offboard's own streaming reader reads it.

use std::io::{self, Cursor, Read};

/// The most a workbook's parts may unpack to, all together: 512 MiB. Each part is unpacked
/// into a counter (never trusting the sizes the zip declares) before calamine reads any,
/// so a zip bomb costs the time to count 512 MiB and no memory. A million-row,
/// three-column roster is about 250 MiB of XML.
pub const MAX_WORKBOOK_UNPACKED_BYTES: u64 = 512 << 20;

/// The most the shared strings (`xl/sharedStrings.xml`, which calamine holds in memory
/// whole) may unpack to: 256 MiB.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 << 20;

/// The most shared strings a workbook may hold, counted or declared (`uniqueCount`, which
/// calamine reserves room for before reading one): 4,194,304, four per row of a
/// million-row sheet.
pub const MAX_SHARED_STRINGS: u64 = 4 << 20;

/// The most any other part than the worksheets and the shared strings (the styles, the
/// workbook, the relationships, the theme, an image) may unpack to: 16 MiB each.
pub const MAX_WORKBOOK_PART_BYTES: u64 = 16 << 20;

/// The most the styles may take once calamine has read them: 64 MiB. calamine copies a
/// cell format's font and number format into each cell format, so a long font name and
/// many cell formats multiply; the estimate is the cell formats times (a `Style` plus twice
/// the longest tag of the part).
pub const MAX_WORKBOOK_STYLES_BYTES: u64 = 64 << 20;

/// The longest piece of XML a part may hold (a text, a tag, a comment): 1 MiB. calamine's
/// XML reader holds such a piece (one cell's text) whole and copies it; Excel's own limit
/// is 32,767 characters a cell.
pub const MAX_WORKBOOK_TEXT_RUN_BYTES: u64 = 1 << 20;

/// What a part of a workbook is to calamine, by its name (compared as calamine finds
/// parts: without case, `\` as `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Held in memory whole.
    SharedStrings,
    /// Read whole, each cell format a copy of its font and number format.
    Styles,
    /// Streamed, cell by cell: an `.xlsx` worksheet, or an `.ods` file's `content.xml`
    /// (all its sheets, read by `table::ods`).
    Worksheet,
    /// Not XML: an image, an embedded object. Not read.
    Binary,
    /// Read whole (the workbook, the relationships, the theme), or not at all.
    Other,
}

impl Part {
    fn of(name: &str) -> Part {
        let name = name.replace('\\', "/").to_ascii_lowercase();
        const BINARY: &[&str] =
            &[".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin", ".wdp", ".jfif"];
        if name.ends_with("sharedstrings.xml") {
            Part::SharedStrings
        } else if name.ends_with("styles.xml") {
            Part::Styles
        } else if name.contains("worksheets/") || name == "content.xml" {
            Part::Worksheet
        } else if BINARY.iter().any(|ext| name.ends_with(ext)) {
            Part::Binary
        } else {
            Part::Other
        }
    }

    fn limit(self) -> Option<(u64, &'static str)> {
        match self {
            Part::SharedStrings => Some((MAX_SHARED_STRINGS_BYTES, "the limit for a workbook's shared strings")),
            Part::Worksheet => None,
            Part::Styles | Part::Binary | Part::Other => Some((MAX_WORKBOOK_PART_BYTES, "the limit for one part")),
        }
    }
}

/// Bytes as MiB for a message: `16 MiB`.
fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Unpacks every part of a workbook through a [`PartScan`] (nothing is kept) and refuses
/// the workbook if any `MAX_WORKBOOK_*` limit is passed, before calamine reads it.
pub(crate) fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let bad = Refusal::Unreadable;
    let too_large = Refusal::TooLarge;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| bad(format!("part {}: {e}", index + 1)))?;
        let name = entry.name().map_or_else(|_| format!("part {}", index + 1), |name| name.into_owned());
        let part = Part::of(&name);
        let left = MAX_WORKBOOK_UNPACKED_BYTES - total;
        let limit = part.limit().map_or(left, |(limit, _)| limit.min(left));
        let scan = PartScan::read(part, (&mut entry).take(limit + 1)).map_err(|e| bad(format!("{name}: {e}")))?;
        if scan.bytes > limit {
            return Err(too_large(match part.limit() {
                Some((part_limit, what)) if part_limit <= left => {
                    format!("{name} unpacks to more than {}, {what}", mib(part_limit))
                }
                _ => format!(
                    "its parts unpack to more than {} in all (by {name}), the limit for a workbook",
                    mib(MAX_WORKBOOK_UNPACKED_BYTES)
                ),
            }));
        }
        total += scan.bytes;
        scan.check(&name)?;
    }
    Ok(())
}

/// What a part holds that calamine would build on, found by reading it as calamine does
/// (the same XML reader, configured alike) without keeping it.
#[derive(Debug)]
struct PartScan {
    part: Part,
    /// The part's size, unpacked.
    bytes: u64,
    /// A piece of XML (a text, a tag, a comment) longer than [`MAX_WORKBOOK_TEXT_RUN_BYTES`]:
    /// the reader stopped there, before buffering it.
    long_event: bool,
    /// The longest piece of XML read.
    longest_event: u64,
    /// `<si>` in the shared strings, `<xf>` in the styles.
    elements: u64,
    /// The largest `uniqueCount` the shared strings declare.
    declared: Option<u64>,
    /// A cell, row or dimension reference calamine cannot read without overflowing.
    bad_reference: Option<String>,
}

/// Why [`check`] refused a workbook; the reader names the file.
pub(crate) enum Refusal {
    /// [`InputError::WorkbookTooLarge`].
    TooLarge(String),
    /// [`InputError::BadWorkbook`].
    Unreadable(String),
}

/// Lets the XML reader read at most up to a mark, moved on after each event: no event
/// can be buffered past [`MAX_WORKBOOK_TEXT_RUN_BYTES`] (plus a read-ahead).
struct Leash<R> {
    inner: R,
    read: u64,
    /// How far the reader may read: moved on after each event.
    mark: u64,
    /// Whether a read stopped at the mark: the event being read is too long.
    tripped: bool,
}

impl<R: Read> Read for Leash<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.mark.saturating_sub(self.read);
        if room == 0 {
            self.tripped = true;
            return Err(io::Error::other("a piece of XML past the limit"));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// What the XML reader may read ahead of the event it is on.
const READ_AHEAD: u64 = 64 << 10;

impl PartScan {
    fn read(part: Part, reader: impl Read) -> io::Result<PartScan> {
        let mut scan = PartScan {
            part,
            bytes: 0,
            long_event: false,
            longest_event: 0,
            elements: 0,
            declared: None,
            bad_reference: None,
        };
        if part == Part::Binary {
            scan.bytes = io::copy(&mut { reader }, &mut io::sink())?;
            return Ok(scan);
        }
        let leash = Leash { inner: reader, read: 0, mark: MAX_WORKBOOK_TEXT_RUN_BYTES + READ_AHEAD, tripped: false };
        let mut xml = quick_xml::Reader::from_reader(io::BufReader::with_capacity(READ_AHEAD as usize, leash));
        // As calamine configures its reader (`xl/mod.rs`, `xml_reader`).
        let config = xml.config_mut();
        config.check_end_names = false;
        config.trim_text(false);
        config.check_comments = false;
        config.expand_empty_elements = true;
        let mut buf = Vec::new();
        let mut at = 0u64;
        loop {
            buf.clear();
            let event = xml.read_event_into(&mut buf);
            let position = xml.buffer_position();
            scan.longest_event = scan.longest_event.max(position.saturating_sub(at));
            at = position;
            xml.get_mut().get_mut().mark = position.saturating_add(MAX_WORKBOOK_TEXT_RUN_BYTES + READ_AHEAD);
            match event {
                Ok(quick_xml::events::Event::Start(tag)) => scan.tag(part, &tag),
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                // calamine stops at the same error (same reader, same bytes): what follows
                // is never read as XML, only counted.
                Err(_) if xml.get_ref().get_ref().tripped => {
                    scan.long_event = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let mut rest = xml.into_inner();
        rest.get_mut().mark = u64::MAX;
        io::copy(&mut rest, &mut io::sink())?;
        scan.bytes = rest.get_ref().read;
        Ok(scan)
    }

    fn tag(&mut self, part: Part, tag: &quick_xml::events::BytesStart) {
        let local = tag.local_name();
        let name = local.as_ref();
        match (part, name) {
            (Part::SharedStrings, "si") | (Part::Styles, "xf") => self.elements += 1,
            (Part::SharedStrings, "sst") => {
                for value in raw_attributes(tag.attributes_raw(), "uniqueCount") {
                    let digits = value.strip_prefix('+').unwrap_or(value);
                    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                        let n = digits.parse::<u64>().unwrap_or(u64::MAX);
                        self.declared = Some(self.declared.map_or(n, |d| d.max(n)));
                    }
                }
            }
            (Part::Worksheet, "c" | "row") => {
                for value in raw_attributes(tag.attributes_raw(), "r") {
                    if self.bad_reference.is_none() && cell_reference(value).is_none() {
                        self.bad_reference = Some(value.chars().take(40).collect());
                    }
                }
            }
            (Part::Worksheet, "dimension") => {
                for value in raw_attributes(tag.attributes_raw(), "ref") {
                    if self.bad_reference.is_none() && !is_dimension(value) {
                        self.bad_reference = Some(value.chars().take(40).collect());
                    }
                }
            }
            _ => {}
        }
    }

    /// The limits a part's content must keep, once it has been read through.
    fn check(&self, name: &str) -> Result<(), Refusal> {
        if let Some(reference) = &self.bad_reference {
            return Err(Refusal::Unreadable(format!("{name} names a cell `{reference}` that no sheet has")));
        }
        self.check_size(name).map_err(Refusal::TooLarge)
    }

    fn check_size(&self, name: &str) -> Result<(), String> {
        if self.long_event || self.longest_event > MAX_WORKBOOK_TEXT_RUN_BYTES {
            return Err(format!(
                "{name} holds a piece of XML longer than {} (a cell's text is at most 32,767 characters)",
                mib(MAX_WORKBOOK_TEXT_RUN_BYTES)
            ));
        }
        match self.part {
            Part::SharedStrings => {
                if self.elements > MAX_SHARED_STRINGS {
                    return Err(format!(
                        "{name} holds more than {MAX_SHARED_STRINGS} shared strings ({}), the limit for a workbook",
                        self.elements
                    ));
                }
                if let Some(declared) = self.declared.filter(|&n| n > MAX_SHARED_STRINGS) {
                    return Err(format!(
                        "{name} declares uniqueCount=\"{declared}\" shared strings, more than the \
                         {MAX_SHARED_STRINGS} a workbook may hold"
                    ));
                }
            }
            Part::Styles => {
                let per_format = std::mem::size_of::<calamine::Style>() as u64 + 2 * self.longest_event;
                let estimate = self.elements.saturating_mul(per_format);
                if estimate > MAX_WORKBOOK_STYLES_BYTES {
                    return Err(format!(
                        "{name} would take about {} MiB to read ({} cell formats, each a copy of a font of up \
                         to {} bytes), over the {} limit for styles",
                        estimate >> 20,
                        self.elements,
                        self.longest_event,
                        mib(MAX_WORKBOOK_STYLES_BYTES)
                    ));
                }
            }
            Part::Worksheet | Part::Binary | Part::Other => {}
        }
        Ok(())
    }
}

/// The values of the attributes named `key` in a tag's attributes, split as calamine
/// splits them (its `RawAttrIter`, `attrs.rs`): up to the first malformed one.
fn raw_attributes<'a>(raw: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let bytes = raw.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let key_start = pos;
        while pos < bytes.len() && bytes[pos] != b'=' {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let name = raw[key_start..pos].trim_ascii_end();
        pos += 1;
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = *bytes.get(pos).filter(|&&q| q == b'"' || q == b'\'')?;
        pos += 1;
        let value_start = pos;
        while pos < bytes.len() && bytes[pos] != quote {
            pos += 1;
        }
        let value = &raw[value_start..pos];
        pos = (pos + 1).min(bytes.len());
        if name == key {
            return Some(value);
        }
    })
}

/// A reference as calamine reads one (letters, then digits), if it cannot overflow its
/// arithmetic: at most 6 letters and 9 digits (a sheet's last cell is XFD1048576). The
/// (row, column) it names, numbered from 1; 0 for a part left out.
fn cell_reference(reference: &str) -> Option<(u64, u64)> {
    let letters = reference.bytes().take_while(u8::is_ascii_alphabetic).count();
    let digits = &reference[letters..];
    if letters > 6 || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let column =
        reference.bytes().take(letters).fold(0u64, |n, b| n * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1);
    Some((digits.parse().unwrap_or(0), column))
}

/// A `<dimension ref>` calamine reads without overflowing: one or two references, the
/// second not above or left of the first.
fn is_dimension(range: &str) -> bool {
    let mut parts = range.split(':');
    let (Some(first), second, None) = (parts.next(), parts.next(), parts.next()) else { return true };
    match (cell_reference(first), second.map(cell_reference)) {
        (None, _) | (_, Some(None)) => false,
        (Some(_), None) => true,
        (Some((row, column)), Some(Some((end_row, end_column)))) => end_row >= row && end_column >= column,
    }
}
