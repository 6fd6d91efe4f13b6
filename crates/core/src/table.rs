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

use std::io::Cursor;

use crate::workbook_bounds::{self, Refusal};

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
    workbook_bounds::check(bytes).map_err(|refusal| match refusal {
        Refusal::TooLarge(detail) => InputError::WorkbookTooLarge { file: file.to_string(), detail },
        Refusal::Unreadable(detail) => InputError::BadWorkbook { file: file.to_string(), detail },
    })?;
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

#[cfg(test)]
mod tests;
