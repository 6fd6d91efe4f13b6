//! Tables: the files people upload (CSV with `,` `;` or tab, or an Excel workbook), read
//! into a header and rows of text with the line each row is on.
//!
//! Rosters and HR files differ in what their columns mean, not in how they are read, so
//! both start here. Everything a spreadsheet export can do to a file (a BOM, CRLF, a
//! semicolon delimiter from a European Excel, quoted fields, blank lines) is absorbed
//! here, and a file that is not a table at all is refused with an [`InputError`] that
//! names it.
//!
//! Reading is bounded, whatever the file says about itself: a table has at most
//! [`MAX_COLUMNS`] columns and its kept cells at most [`MAX_TABLE_BYTES`]; a workbook's
//! parts are unpacked into a counter and checked against the `MAX_WORKBOOK_*` limits
//! before calamine reads any of them, and its cells are streamed into rows, never into a
//! grid, so a 1 KB file naming cell XFD1048576 or a zip bomb is refused, not allocated.

use std::io::{self, Cursor, Read, Write};

/// Why a whole file was refused. Every variant names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("{file}: not a text file ({detail}); upload a CSV or .xlsx file with a header row")]
    NotText { file: String, detail: String },
    #[error("{file}: the file is empty; expected a header row and one row per person")]
    Empty { file: String },
    #[error("{file}: the file is {size} bytes, over the configured limit of {limit} bytes")]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}: no email column: no header names one (headers: {headers}) and column 1 holds no email address")]
    NoEmailColumn { file: String, headers: String },
    /// More than one column holds addresses and no header says which are the people
    /// leaving, or the only one that does is someone else's (a manager's, say).
    #[error(
        "{file}: cannot tell which column holds the emails of the people leaving: {detail}; head the people's \
         column `Email` (and no other), or set the policy's `roster.email_column` to its header"
    )]
    AmbiguousEmailColumn { file: String, detail: String },
    /// The policy's `roster.email_column` names no header of the file.
    #[error("{file}: no column is named `{column}` (the policy's `roster.email_column`); the headers are: {headers}")]
    UnknownEmailColumn { file: String, column: String, headers: String },
    #[error("{file}: no column names the people: expected an email or employee id column (headers: {headers})")]
    NoPersonColumn { file: String, headers: String },
    #[error("{file}: no termination date column (headers: {headers}); expected one named like termination_date")]
    NoDateColumn { file: String, headers: String },
    #[error("{file}: line {line}: {detail}")]
    Malformed { file: String, line: u64, detail: String },
    #[error("{file}: not a readable Excel workbook: {detail}")]
    BadWorkbook { file: String, detail: String },
    /// A value past [`MAX_COLUMNS`].
    #[error("{file}: line {line}: a value in column {column}, past the {limit} columns a table may have")]
    TooWide { file: String, line: u64, column: String, limit: usize },
    /// The cells kept would take more than [`MAX_TABLE_BYTES`] (or four times the file).
    #[error(
        "{file}: line {line}: the cells read so far take more than {limit_mib} MiB, the limit for one file; \
         split it into smaller files"
    )]
    TableTooLarge { file: String, line: u64, limit_mib: u64 },
    /// A workbook over one of the `MAX_WORKBOOK_*` limits, found before it was read.
    #[error(
        "{file}: the workbook was not read: {detail}; no roster or HR export is that large (save it again, or as CSV)"
    )]
    WorkbookTooLarge { file: String, detail: String },
}

impl InputError {
    /// A stable, machine-readable name for the error, for `error.json`.
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::NotText { .. } => "not_text",
            InputError::Empty { .. } => "empty",
            InputError::TooLarge { .. } => "too_large",
            InputError::NoEmailColumn { .. } => "no_email_column",
            InputError::AmbiguousEmailColumn { .. } => "ambiguous_email_column",
            InputError::UnknownEmailColumn { .. } => "unknown_email_column",
            InputError::NoPersonColumn { .. } => "no_person_column",
            InputError::NoDateColumn { .. } => "no_date_column",
            InputError::Malformed { .. } => "malformed",
            InputError::BadWorkbook { .. } => "bad_workbook",
            InputError::TooWide { .. } => "too_wide",
            InputError::TableTooLarge { .. } => "table_too_large",
            InputError::WorkbookTooLarge { .. } => "workbook_too_large",
        }
    }
}

/// A file read as a table: its header and its non-blank rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header cells, trimmed.
    pub headers: Vec<String>,
    /// The line the header row is on (a file with no header row has its first person here).
    pub header_line: u64,
    pub rows: Vec<Row>,
    /// How the file was read, for the plan: `csv (,)`, `csv (;)`, `csv (tab)` or `xlsx`.
    pub format: String,
}

/// One data row: the line (or spreadsheet row) it is on, and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    /// The row's cells, or the picked ones (see [`read_table_picking`]); a row read whole
    /// stops at its last non-empty cell, so [`Row::get`] is the way to read a column.
    pub cells: Vec<String>,
}

impl Row {
    pub fn get(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// A header compared without case, spaces, `-`, `_` or `.`, and without a bracketed
/// note: `E-mail`, `email` and Google Workspace's `Email Address [Required]` are one.
pub fn header_key(header: &str) -> String {
    let mut depth = 0usize;
    let mut key = String::with_capacity(header.len());
    for c in header.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            ' ' | '-' | '_' | '.' => {}
            _ if depth == 0 => key.extend(c.to_lowercase()),
            _ => {}
        }
    }
    key
}

/// The first header whose key is one of `names`.
pub fn find_column(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&header_key(h).as_str()))
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The most columns a table may have. A non-blank value further right refuses the file
/// ([`InputError::TooWide`]): no roster or HR export comes near it, and a workbook naming
/// cell XFD1048576 is refused instead of read as a grid. Blank cells past it (formatting
/// applied to whole rows leaves them) are ignored.
pub const MAX_COLUMNS: usize = 1024;

/// The most memory the cells kept of a table may take, their text and bookkeeping
/// together ([`InputError::TableTooLarge`]): 256 MiB, or four times the file's size when
/// that is more (a CSV as large as the planner accepts, 50 MB by default, stays under
/// 256 MiB; a simulator's backup of a million users does not). A million-row roster keeps
/// its email column in about 80 MB; the limit stops one long shared string repeated in
/// every cell of a workbook, or a CSV of empty fields, from taking all the memory there is.
pub const MAX_TABLE_BYTES: usize = 256 << 20;

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

/// The longest run of an XML part without markup: 1 MiB. calamine holds such a run (one
/// cell's text) whole and copies it; Excel's own limit is 32,767 characters a cell.
pub const MAX_WORKBOOK_TEXT_RUN_BYTES: u64 = 1 << 20;

/// Reads a CSV (delimiter sniffed) or an `.xlsx` workbook (its first sheet).
pub fn read_table(file: &str, bytes: &[u8]) -> Result<Table, InputError> {
    read_table_picking(file, bytes, |_| None)
}

/// [`read_table`], keeping of each row only the columns `pick` names once it has seen the
/// header (`None`: every column), each column once. A roster of a million rows needs one
/// column, not all.
pub fn read_table_picking(
    file: &str,
    bytes: &[u8],
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
) -> Result<Table, InputError> {
    read_table_probing(file, bytes, pick, |_| false).map(|(table, _)| table)
}

/// [`read_table_picking`], also asking `probe` of every non-blank data cell of every
/// column, kept or not: for each column, the first line whose cell it accepted. A roster
/// learns which columns hold addresses without keeping them.
pub fn read_table_probing(
    file: &str,
    bytes: &[u8],
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
    probe: impl Fn(&str) -> bool,
) -> Result<(Table, Vec<Option<u64>>), InputError> {
    let mut table = TableBuilder::new(file, pick, probe, MAX_TABLE_BYTES.max(bytes.len().saturating_mul(4)));
    if bytes.starts_with(ZIP_MAGIC) {
        read_xlsx(file, bytes, &mut table)?;
        return table.finish("xlsx".to_string());
    }
    let text = as_text(file, bytes)?;
    let delimiter = sniff_delimiter(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.line_at(p.byte()));
                return Err(InputError::Malformed { file: file.to_string(), line, detail: error.to_string() });
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        table.begin_row(line);
        for (column, cell) in record.iter().enumerate() {
            table.cell(column, cell)?;
        }
        table.end_row()?;
    }
    let format = match delimiter {
        b'\t' => "csv (tab)".to_string(),
        other => format!("csv ({})", other as char),
    };
    table.finish(format)
}

/// Collects rows as either reader yields them, a cell at a time: blank rows skipped, the
/// first other row is the header, and of the rest only the picked columns kept, within
/// [`MAX_COLUMNS`] and the memory limit ([`MAX_TABLE_BYTES`]).
struct TableBuilder<'f, P, Q> {
    file: &'f str,
    pick: Option<P>,
    probe: Q,
    /// For each column, its place among the picked ones plus one (0: not kept); `None`
    /// keeps every column.
    slots: Option<Vec<usize>>,
    picked: usize,
    headers: Option<(Vec<String>, u64)>,
    rows: Vec<Row>,
    first_match: Vec<Option<u64>>,
    line: u64,
    pending: Vec<String>,
    blank: bool,
    used: usize,
    limit: usize,
}

impl<'f, P: FnOnce(&[String]) -> Option<Vec<usize>>, Q: Fn(&str) -> bool> TableBuilder<'f, P, Q> {
    fn new(file: &'f str, pick: P, probe: Q, limit: usize) -> Self {
        TableBuilder {
            file,
            pick: Some(pick),
            probe,
            slots: None,
            picked: 0,
            headers: None,
            rows: Vec::new(),
            first_match: Vec::new(),
            line: 0,
            pending: Vec::new(),
            blank: true,
            used: 0,
            limit,
        }
    }

    fn begin_row(&mut self, line: u64) {
        self.line = line;
        self.blank = true;
        self.pending = match (&self.headers, &self.slots) {
            (Some(_), Some(_)) => vec![String::new(); self.picked],
            _ => Vec::new(),
        };
    }

    fn cell(&mut self, column: usize, text: &str) -> Result<(), InputError> {
        let filled = !text.trim().is_empty();
        if column >= MAX_COLUMNS {
            if !filled {
                return Ok(());
            }
            let column = format!("{} ({})", column + 1, column_letters(column));
            return Err(InputError::TooWide {
                file: self.file.to_string(),
                line: self.line,
                column,
                limit: MAX_COLUMNS,
            });
        }
        self.blank &= !filled;
        if self.headers.is_none() {
            if self.pending.len() <= column {
                self.pending.resize(column + 1, String::new());
            }
            self.pending[column] = text.trim().to_string();
            return Ok(());
        }
        if filled {
            if self.first_match.len() <= column {
                self.first_match.resize(column + 1, None);
            }
            if self.first_match[column].is_none() && (self.probe)(text) {
                self.first_match[column] = Some(self.line);
            }
        }
        match &self.slots {
            None if !text.is_empty() => {
                if self.pending.len() <= column {
                    self.pending.resize(column + 1, String::new());
                }
                self.pending[column] = text.to_string();
            }
            None => {}
            Some(slots) => {
                let slot = slots.get(column).and_then(|&slot| slot.checked_sub(1));
                if let Some(kept) = slot.and_then(|slot| self.pending.get_mut(slot)) {
                    *kept = text.to_string();
                }
            }
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), InputError> {
        let cells = std::mem::take(&mut self.pending);
        if self.blank {
            return Ok(());
        }
        self.used += std::mem::size_of::<Row>()
            + cells.capacity() * std::mem::size_of::<String>()
            + cells.iter().map(String::capacity).sum::<usize>();
        if self.used > self.limit {
            let limit_mib = (self.limit >> 20) as u64;
            return Err(InputError::TableTooLarge { file: self.file.to_string(), line: self.line, limit_mib });
        }
        if self.headers.is_some() {
            self.rows.push(Row { line: self.line, cells });
            return Ok(());
        }
        if let Some(columns) = self.pick.take().and_then(|pick| pick(&cells)) {
            let mut slots = Vec::new();
            for (place, column) in columns.iter().copied().enumerate().filter(|&(_, c)| c < MAX_COLUMNS) {
                if slots.len() <= column {
                    slots.resize(column + 1, 0);
                }
                if slots[column] == 0 {
                    slots[column] = place + 1;
                }
            }
            self.picked = columns.len();
            self.slots = Some(slots);
        }
        self.headers = Some((cells, self.line));
        Ok(())
    }

    fn finish(self, format: String) -> Result<(Table, Vec<Option<u64>>), InputError> {
        let (headers, header_line) = self.headers.ok_or_else(|| InputError::Empty { file: self.file.to_string() })?;
        Ok((Table { headers, header_line, rows: self.rows, format }, self.first_match))
    }
}

/// A column as Excel names it: 0 is `A`, 25 `Z`, 26 `AA`, 16383 `XFD`.
fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn as_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::Empty { file: file.to_string() });
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let detail = if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            "UTF-16 text; save the file as CSV UTF-8".to_string()
        } else {
            format!("binary data (a NUL byte at offset {at})")
        };
        return Err(InputError::NotText { file: file.to_string(), detail });
    }
    std::str::from_utf8(bytes).map_err(|e| InputError::NotText {
        file: file.to_string(),
        detail: format!("invalid UTF-8 at byte offset {}", e.valid_up_to()),
    })
}

/// The delimiter of the first non-blank line: whichever of `,` `;` and tab occurs most
/// outside quotes (`,` when none does, so a one-column file reads as CSV).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in first.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            _ => {
                for (delimiter, count) in &mut counts {
                    if byte == *delimiter {
                        *count += 1;
                    }
                }
            }
        }
    }
    // `max_by_key` keeps the last of equals; iterate so that `,` wins ties.
    counts.iter().rev().max_by_key(|(_, count)| *count).filter(|(_, count)| *count > 0).map_or(b',', |(d, _)| *d)
}

/// The csv crate reports a record's byte offset; people need the line it is on, counted
/// from where its data starts (after any blank lines before it).
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.offset {
            self.line += memchr_count(&self.bytes[self.offset..start]);
            self.offset = start;
        }
        self.line
    }
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn read_xlsx<P, Q>(file: &str, bytes: &[u8], table: &mut TableBuilder<'_, P, Q>) -> Result<(), InputError>
where
    P: FnOnce(&[String]) -> Option<Vec<usize>>,
    Q: Fn(&str) -> bool,
{
    use calamine::{Reader, Xlsx, XlsxError};
    check_workbook(file, bytes)?;
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        return Err(InputError::Empty { file: file.to_string() });
    };
    let mut cells = match workbook.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        Err(XlsxError::NotAWorksheet(_)) => return Err(InputError::Empty { file: file.to_string() }),
        Err(e) => return Err(bad(e.to_string())),
    };
    // Cells come in the sheet's order, each with its position: rows are built one at a
    // time, so rows far apart cost nothing and a cell far to the right is refused by
    // `cell` before anything is allocated for it.
    let mut current: Option<u32> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| bad(e.to_string()))? {
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        match current {
            Some(at) if at == row => {}
            Some(at) if row < at => {
                let detail = format!(
                    "row {} is stored after row {}: the sheet's rows are out of order",
                    row as u64 + 1,
                    at as u64 + 1
                );
                return Err(bad(detail));
            }
            _ => {
                if current.is_some() {
                    table.end_row()?;
                }
                // Spreadsheet rows are numbered from 1, as Excel shows them.
                table.begin_row(u64::from(row) + 1);
                current = Some(row);
            }
        }
        table.cell(column as usize, &text)?;
    }
    if current.is_some() {
        table.end_row()?;
    }
    Ok(())
}

/// A cell as text. Excel stores dates as day numbers; they come back as ISO dates so the
/// HR reader parses them like any other date. Text is borrowed, not copied: a shared
/// string repeated in every cell is one string.
fn cell_text<'a>(cell: &'a calamine::DataRef<'_>) -> std::borrow::Cow<'a, str> {
    use calamine::DataRef;
    use std::borrow::Cow;
    match cell {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) | DataRef::DateTimeIso(s) => Cow::Borrowed(s),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cow::Owned(format!("{}", *f as i64)),
        DataRef::DateTime(when) => Cow::Owned(excel_serial_to_iso(when.as_f64())),
        other => Cow::Owned(calamine::Data::from(other.clone()).to_string()),
    }
}

/// Excel's day numbers count from 1899-12-30 (its 1900 leap-year bug included). A number
/// outside Excel's own range (years 1900 to 9999) stays a number, for the reader to refuse.
fn excel_serial_to_iso(serial: f64) -> String {
    const LAST_EXCEL_DAY: f64 = 2_958_465.0;
    if !(0.0..=LAST_EXCEL_DAY).contains(&serial) {
        return serial.to_string();
    }
    let epoch = jiff::civil::date(1899, 12, 30);
    match jiff::Span::new().try_days(serial.floor() as i64).and_then(|days| epoch.checked_add(days)) {
        Ok(date) => date.to_string(),
        Err(_) => serial.to_string(),
    }
}

/// What a part of a workbook is to calamine, by its name (compared as calamine finds
/// parts: without case, `\` as `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Held in memory whole.
    SharedStrings,
    /// Read whole, each cell format a copy of its font and number format.
    Styles,
    /// Streamed, cell by cell.
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
        } else if name.contains("worksheets/") {
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

/// Unpacks every part of a workbook into a [`PartScan`] (nothing is kept) and refuses the
/// workbook if any `MAX_WORKBOOK_*` limit is passed, before calamine reads it.
fn check_workbook(file: &str, bytes: &[u8]) -> Result<(), InputError> {
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let too_large = |detail: String| InputError::WorkbookTooLarge { file: file.to_string(), detail };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| bad(format!("part {}: {e}", index + 1)))?;
        let name = entry.name().map_or_else(|_| format!("part {}", index + 1), |name| name.into_owned());
        let part = Part::of(&name);
        let left = MAX_WORKBOOK_UNPACKED_BYTES - total;
        let limit = part.limit().map_or(left, |(limit, _)| limit.min(left));
        let mut scan = PartScan::new(part);
        io::copy(&mut (&mut entry).take(limit + 1), &mut scan).map_err(|e| bad(format!("{name}: {e}")))?;
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
        scan.check(&name).map_err(too_large)?;
    }
    Ok(())
}

/// A part streamed through: its size, its longest run without markup, and what calamine
/// will build of it (shared strings, cell formats), counted from the tags.
struct PartScan {
    part: Part,
    bytes: u64,
    run: u64,
    longest_run: u64,
    tag: Tag,
    /// The local name of the tag being read (`x:si` is `si`), if it is short.
    name: [u8; 8],
    name_len: usize,
    /// `<si` in the shared strings, `<xf` in the styles.
    elements: u64,
    /// The attributes of the `<sst` tag, while it is read (at most 64 KiB of them).
    sst: Vec<u8>,
    /// The largest `uniqueCount` the shared strings declare.
    declared: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Outside,
    Opened,
    Name,
    SstAttributes,
}

impl PartScan {
    fn new(part: Part) -> Self {
        PartScan {
            part,
            bytes: 0,
            run: 0,
            longest_run: 0,
            tag: Tag::Outside,
            name: [0; 8],
            name_len: 0,
            elements: 0,
            sst: Vec::new(),
            declared: None,
        }
    }

    /// The element whose start tags this part counts.
    fn counted(&self) -> &'static [u8] {
        match self.part {
            Part::SharedStrings => b"si",
            Part::Styles => b"xf",
            _ => b"",
        }
    }

    fn byte(&mut self, b: u8) {
        if b == b'<' {
            self.longest_run = self.longest_run.max(self.run);
            self.run = 0;
            if self.tag == Tag::SstAttributes {
                self.end_sst();
            }
            self.tag = Tag::Opened;
            self.name_len = 0;
            return;
        }
        self.run += 1;
        match self.tag {
            Tag::Outside => {}
            Tag::Opened if matches!(b, b'/' | b'?' | b'!') => self.tag = Tag::Outside,
            Tag::Opened | Tag::Name => {
                self.tag = Tag::Name;
                if b.is_ascii_whitespace() || b == b'>' || b == b'/' {
                    self.end_name(b);
                } else if b == b':' {
                    self.name_len = 0;
                } else if self.name_len < self.name.len() {
                    self.name[self.name_len] = b;
                    self.name_len += 1;
                } else {
                    self.name_len = usize::MAX;
                }
            }
            Tag::SstAttributes if b == b'>' => {
                self.end_sst();
                self.tag = Tag::Outside;
            }
            Tag::SstAttributes => {
                if self.sst.len() < 64 << 10 {
                    self.sst.push(b);
                }
            }
        }
    }

    fn end_name(&mut self, after: u8) {
        self.tag = Tag::Outside;
        let Some(name) = self.name.get(..self.name_len) else { return };
        if name == self.counted() {
            self.elements += 1;
        }
        if self.part == Part::SharedStrings && name == b"sst" && after.is_ascii_whitespace() {
            self.sst.clear();
            self.tag = Tag::SstAttributes;
        }
    }

    /// Reads `uniqueCount="N"` from the `<sst` tag's attributes: a number that does not
    /// parse counts as past every limit, unless it has no digits at all (then calamine
    /// ignores it too).
    fn end_sst(&mut self) {
        let attributes = std::mem::take(&mut self.sst);
        let key = b"uniqueCount";
        let mut at = 0;
        while let Some(found) = attributes[at..].windows(key.len()).position(|w| w == key) {
            let rest = &attributes[at + found + key.len()..];
            at += found + key.len();
            let rest = trim_start(rest);
            let Some(rest) = rest.strip_prefix(b"=") else { continue };
            let rest = trim_start(rest);
            let Some((&quote, rest)) = rest.split_first().filter(|(q, _)| matches!(q, b'"' | b'\'')) else { continue };
            let value = rest.split(|&b| b == quote).next().unwrap_or_default();
            let digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
            if digits.is_empty() {
                continue;
            }
            let n = std::str::from_utf8(&digits).ok().and_then(|d| d.parse::<u64>().ok()).unwrap_or(u64::MAX);
            self.declared = Some(self.declared.map_or(n, |d| d.max(n)));
        }
    }

    /// The limits a part's content must keep, once it has been read through.
    fn check(&self, name: &str) -> Result<(), String> {
        let longest_run = self.longest_run.max(self.run);
        if self.part != Part::Binary && longest_run > MAX_WORKBOOK_TEXT_RUN_BYTES {
            return Err(format!(
                "{name} holds a run of {longest_run} bytes without markup, over the {} a cell's text may take",
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
                let per_format = std::mem::size_of::<calamine::Style>() as u64 + 2 * longest_run;
                let estimate = self.elements.saturating_mul(per_format);
                if estimate > MAX_WORKBOOK_STYLES_BYTES {
                    return Err(format!(
                        "{name} would take about {} MiB to read ({} cell formats, each a copy of a font of up \
                         to {longest_run} bytes), over the {} limit for styles",
                        estimate >> 20,
                        self.elements,
                        mib(MAX_WORKBOOK_STYLES_BYTES)
                    ));
                }
            }
            Part::Worksheet | Part::Binary | Part::Other => {}
        }
        Ok(())
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

impl Write for PartScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len() as u64;
        if self.counted().is_empty() && self.tag == Tag::Outside {
            // Only runs to measure: jump from `<` to `<`.
            let mut rest = buf;
            while let Some(at) = rest.iter().position(|&b| b == b'<') {
                self.longest_run = self.longest_run.max(self.run + at as u64);
                self.run = 0;
                rest = &rest[at + 1..];
            }
            self.run += rest.len() as u64;
        } else {
            for &b in buf {
                self.byte(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_delimiter_from_the_header_line() {
        assert_eq!(sniff_delimiter("email\nana@x.example\n"), b',');
        assert_eq!(sniff_delimiter("Name;Email;Dept\n"), b';');
        assert_eq!(sniff_delimiter("Name\tEmail\n"), b'\t');
        assert_eq!(sniff_delimiter("\n\n\"Last; First\",Email\n"), b',');
    }

    #[test]
    fn counts_lines_past_blank_lines_and_quoted_newlines() {
        let table = read_table("t.csv", b"\n\nemail,note\n\na@x.example,\"two\nlines\"\nb@x.example,\n").unwrap();
        assert_eq!(table.headers, ["email", "note"]);
        let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [5, 7]);
    }

    #[test]
    fn names_the_file_when_it_is_not_a_table() {
        assert_eq!(read_table("x.csv", b"").unwrap_err().kind(), "empty");
        assert_eq!(read_table("x.csv", b"\r\n \n").unwrap_err().kind(), "empty");
        let err = read_table("inbox/u16.csv", b"\xFF\xFEe\0m\0").unwrap_err();
        assert!(err.to_string().contains("inbox/u16.csv") && err.to_string().contains("UTF-16"), "{err}");
        let err = read_table("inbox/x.xlsx", b"PK\x03\x04garbage").unwrap_err();
        assert_eq!(err.kind(), "bad_workbook");
        assert!(err.to_string().starts_with("inbox/x.xlsx: "));
    }

    /// A part of a hand-made workbook: bytes, or a unit repeated between a head and a tail
    /// (streamed into the zip, so a test can build a bomb without holding it).
    enum Body<'a> {
        Bytes(&'a [u8]),
        Repeat { head: &'a [u8], unit: &'a [u8], times: usize, tail: &'a [u8] },
    }

    const SHEET_HEAD: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    const SHEET_TAIL: &[u8] = b"</sheetData></worksheet>";
    const SST_HEAD: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

    /// A minimal `.xlsx`: its content types, relationships, one sheet and the given parts.
    fn workbook(sheet: Body, parts: Vec<(&str, Body)>) -> Vec<u8> {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let mut all = vec![
            ("[Content_Types].xml", Body::Bytes(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#)),
            ("_rels/.rels", Body::Bytes(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)),
            ("xl/workbook.xml", Body::Bytes(br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leavers" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
            ("xl/_rels/workbook.xml.rels", Body::Bytes(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#)),
            ("xl/worksheets/sheet1.xml", sheet),
        ];
        for (name, body) in parts {
            all.retain(|(existing, _)| *existing != name);
            all.push((name, body));
        }
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in all {
            zip.start_file(name, options).unwrap();
            match body {
                Body::Bytes(bytes) => zip.write_all(bytes).unwrap(),
                Body::Repeat { head, unit, times, tail } => {
                    zip.write_all(head).unwrap();
                    let chunk = unit.repeat((64 * 1024 / unit.len()).max(1));
                    let per_chunk = chunk.len() / unit.len();
                    for _ in 0..times / per_chunk {
                        zip.write_all(&chunk).unwrap();
                    }
                    for _ in 0..times % per_chunk {
                        zip.write_all(unit).unwrap();
                    }
                    zip.write_all(tail).unwrap();
                }
            }
        }
        zip.finish().unwrap().into_inner()
    }

    /// A workbook whose sheet holds exactly `rows` (the `<row>` elements, as XML).
    fn sheet(rows: &str) -> Vec<u8> {
        workbook(Body::Bytes(&[SHEET_HEAD, rows.as_bytes(), SHEET_TAIL].concat()), Vec::new())
    }

    fn inline(reference: &str, text: &str) -> String {
        format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    fn refused(bytes: &[u8], kind: &str) -> String {
        let err = read_table("inbox/bomb.xlsx", bytes).expect_err("the workbook must be refused");
        let text = err.to_string();
        assert_eq!(err.kind(), kind, "{text}");
        assert!(text.starts_with("inbox/bomb.xlsx: "), "the message names the file: {text}");
        text
    }

    #[test]
    fn a_hand_made_workbook_reads_like_one_from_excel() {
        let rows = format!(
            r#"<row r="1">{}{}</row><row r="3">{}<c r="B3"><v>42</v></c></row><row r="1048576">{}</row>"#,
            inline("A1", "Email"),
            inline("B1", "Dept"),
            inline("A3", "ana@acme.example"),
            inline("A1048576", "bo@acme.example"),
        );
        let table = read_table("inbox/ok.xlsx", &sheet(&rows)).unwrap();
        assert_eq!(table.headers, ["Email", "Dept"]);
        assert_eq!(table.format, "xlsx");
        let rows: Vec<(u64, Vec<&str>)> =
            table.rows.iter().map(|r| (r.line, r.cells.iter().map(String::as_str).collect())).collect();
        // Row numbers are Excel's, however far apart: rows are kept sparsely, not as a grid.
        assert_eq!(rows, [(3, vec!["ana@acme.example", "42"]), (1_048_576, vec!["bo@acme.example"])]);
    }

    #[test]
    fn a_cell_in_the_last_column_of_the_last_row_is_refused_not_allocated() {
        // A1 and XFD1048576: 1 KB that calamine would grow into a grid of 17 billion cells.
        let bytes = sheet(&format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            inline("A1", "Email"),
            inline("XFD1048576", "x")
        ));
        assert!(bytes.len() < 2048, "{} bytes", bytes.len());
        let text = refused(&bytes, "too_wide");
        assert!(text.contains("line 1048576") && text.contains("column 16384 (XFD)"), "{text}");
        assert!(text.contains(&MAX_COLUMNS.to_string()), "the message states the limit: {text}");
    }

    #[test]
    fn an_empty_styled_cell_far_to_the_right_is_no_column() {
        // Formatting a whole row leaves empty cells out to XFD; they hold nothing to read.
        let rows = format!(
            r#"<row r="1">{}<c r="XFD1" s="0"/></row><row r="2">{}</row>"#,
            inline("A1", "Email"),
            inline("A2", "a@b.example")
        );
        let table = read_table("inbox/ok.xlsx", &sheet(&rows)).unwrap();
        assert_eq!(table.headers, ["Email"]);
        assert_eq!(table.rows.len(), 1);
    }

    #[test]
    fn a_csv_value_past_the_column_limit_is_refused() {
        let csv = format!("email{}x\na@b.example\n", ",".repeat(MAX_COLUMNS));
        let err = read_table("inbox/wide.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), "too_wide", "{err}");
        assert!(err.to_string().starts_with("inbox/wide.csv: line 1: "), "{err}");
        // Trailing empty fields are no columns.
        let csv = format!("email{}\na@b.example\n", ",".repeat(4 * MAX_COLUMNS));
        assert_eq!(read_table("inbox/commas.csv", csv.as_bytes()).unwrap().headers.len(), MAX_COLUMNS);
    }

    #[test]
    fn shared_strings_that_unpack_past_the_limit_are_refused() {
        // About 2.6 million strings of 100 characters: 257 MiB of XML in a file of a few
        // hundred KB, which calamine would hold in memory whole.
        let unit = format!("<si><t>{}</t></si>", "a".repeat(100));
        let times = (257 << 20) / unit.len();
        let shared = Body::Repeat { head: SST_HEAD, unit: unit.as_bytes(), times, tail: b"</sst>" };
        let bytes = workbook(
            Body::Bytes(&[SHEET_HEAD, br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, SHEET_TAIL].concat()),
            vec![("xl/sharedStrings.xml", shared)],
        );
        assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
        let text = refused(&bytes, "workbook_too_large");
        assert!(text.contains("xl/sharedStrings.xml") && text.contains("256 MiB"), "{text}");
    }

    #[test]
    fn too_many_shared_strings_are_refused() {
        let shared =
            Body::Repeat { head: SST_HEAD, unit: b"<si/>", times: MAX_SHARED_STRINGS as usize + 1, tail: b"</sst>" };
        let bytes = workbook(Body::Bytes(&[SHEET_HEAD, SHEET_TAIL].concat()), vec![("xl/sharedStrings.xml", shared)]);
        let text = refused(&bytes, "workbook_too_large");
        assert!(text.contains("xl/sharedStrings.xml") && text.contains(&MAX_SHARED_STRINGS.to_string()), "{text}");
    }

    #[test]
    fn a_declared_count_of_shared_strings_past_the_limit_is_refused() {
        // calamine reserves room for `uniqueCount` strings before reading one.
        let shared: &[u8] = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="18446744073709551615"><si><t>Email</t></si></sst>"#;
        let bytes = workbook(
            Body::Bytes(&[SHEET_HEAD, br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, SHEET_TAIL].concat()),
            vec![("xl/sharedStrings.xml", Body::Bytes(shared))],
        );
        let text = refused(&bytes, "workbook_too_large");
        assert!(text.contains("uniqueCount"), "{text}");
    }

    #[test]
    fn a_sheet_that_unpacks_past_the_limit_is_refused() {
        let unit: &[u8] = b"<row/>";
        let times = (MAX_WORKBOOK_UNPACKED_BYTES as usize) / unit.len() + 1;
        let bytes = workbook(Body::Repeat { head: SHEET_HEAD, unit, times, tail: SHEET_TAIL }, Vec::new());
        let text = refused(&bytes, "workbook_too_large");
        assert!(text.contains("512 MiB"), "{text}");
    }

    #[test]
    fn a_styles_part_that_would_copy_one_long_font_name_per_format_is_refused() {
        // calamine clones the font into every cell format: a 512 KiB font name and 200,000
        // formats would take 100 GB.
        let name = "f".repeat(512 << 10);
        let head = format!(
            r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><name val="{name}"/></font></fonts><cellXfs count="200000">"#
        );
        let styles = Body::Repeat {
            head: head.as_bytes(),
            unit: br#"<xf fontId="0"/>"#,
            times: 200_000,
            tail: b"</cellXfs></styleSheet>",
        };
        let bytes = workbook(
            Body::Bytes(&[SHEET_HEAD, inline("A1", "Email").as_bytes(), SHEET_TAIL].concat()),
            vec![("xl/styles.xml", styles)],
        );
        let text = refused(&bytes, "workbook_too_large");
        assert!(text.contains("xl/styles.xml") && text.contains("64 MiB"), "{text}");
    }

    #[test]
    fn a_text_run_longer_than_any_cell_is_refused() {
        let head = [SHEET_HEAD, br#"<row r="1"><c r="A1" t="inlineStr"><is><t>"#].concat();
        let body = Body::Repeat {
            head: &head,
            unit: b"a",
            times: (1 << 20) + 1,
            tail: b"</t></is></c></row></sheetData></worksheet>",
        };
        let text = refused(&workbook(body, Vec::new()), "workbook_too_large");
        assert!(text.contains("xl/worksheets/sheet1.xml") && text.contains("1 MiB"), "{text}");
    }

    #[test]
    fn cells_that_repeat_one_long_shared_string_stop_at_the_table_limit() {
        // One 4,000-character string, referenced by 70,000 cells: 30 bytes of XML each,
        // 4 KB each once read.
        let shared = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Email</t></si><si><t>{}</t></si></sst>"#,
            "x".repeat(4000)
        );
        let head = [SHEET_HEAD, br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#].concat();
        let sheet =
            Body::Repeat { head: &head, unit: br#"<row><c t="s"><v>1</v></c></row>"#, times: 70_000, tail: SHEET_TAIL };
        let bytes = workbook(sheet, vec![("xl/sharedStrings.xml", Body::Bytes(shared.as_bytes()))]);
        let text = refused(&bytes, "table_too_large");
        assert!(text.contains("256 MiB"), "{text}");
    }

    #[test]
    fn a_csv_of_empty_fields_stops_at_the_table_limit() {
        // 1,000 empty fields then a value: 1 KB of text, 24 KB once read whole.
        let line = format!("{}x\n", ",".repeat(1000));
        let csv = format!("email\n{}", line.repeat(12_000));
        let err = read_table("hr/commas.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), "table_too_large", "{err}");
        assert!(err.to_string().starts_with("hr/commas.csv: line ") && err.to_string().contains("256 MiB"), "{err}");
    }

    #[test]
    fn rows_out_of_order_are_refused() {
        let rows = format!(
            r#"<row r="1">{}</row><row r="5">{}</row><row r="3">{}</row>"#,
            inline("A1", "Email"),
            inline("A5", "a@b.example"),
            inline("A3", "c@d.example")
        );
        let text = refused(&sheet(&rows), "bad_workbook");
        assert!(text.contains("row 3") && text.contains("row 5"), "{text}");
    }

    #[test]
    fn converts_excel_day_numbers() {
        assert_eq!(excel_serial_to_iso(46000.0), "2025-12-09");
        assert_eq!(excel_serial_to_iso(1e9), "1000000000");
        assert_eq!(excel_serial_to_iso(-1.0), "-1");
    }
}
