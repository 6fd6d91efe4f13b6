//! Tables: the files people upload (CSV with `,` `;` or tab, or an Excel workbook), read
//! into a header and rows of text with the line each row is on.
//!
//! Rosters and HR files differ in what their columns mean, not in how they are read, so
//! both start here. Everything a spreadsheet export can do to a file (a BOM, CRLF, a
//! semicolon delimiter from a European Excel, quoted fields, blank lines) is absorbed
//! here, and a file that is not a table at all is refused with an [`InputError`] that
//! names it.

use std::io::Cursor;

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
    #[error("{file}: no column names the people: expected an email or employee id column (headers: {headers})")]
    NoPersonColumn { file: String, headers: String },
    #[error("{file}: no termination date column (headers: {headers}); expected one named like termination_date")]
    NoDateColumn { file: String, headers: String },
    #[error("{file}: line {line}: {detail}")]
    Malformed { file: String, line: u64, detail: String },
    #[error("{file}: not a readable Excel workbook: {detail}")]
    BadWorkbook { file: String, detail: String },
}

impl InputError {
    /// A stable, machine-readable name for the error, for `error.json`.
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::NotText { .. } => "not_text",
            InputError::Empty { .. } => "empty",
            InputError::TooLarge { .. } => "too_large",
            InputError::NoEmailColumn { .. } => "no_email_column",
            InputError::NoPersonColumn { .. } => "no_person_column",
            InputError::NoDateColumn { .. } => "no_date_column",
            InputError::Malformed { .. } => "malformed",
            InputError::BadWorkbook { .. } => "bad_workbook",
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

/// Reads a CSV (delimiter sniffed) or an `.xlsx` workbook (its first sheet).
pub fn read_table(file: &str, bytes: &[u8]) -> Result<Table, InputError> {
    read_table_picking(file, bytes, |_| None)
}

/// [`read_table`], keeping of each row only the columns `pick` names once it has seen the
/// header (`None`: every column). A roster of a million rows needs one column, not all.
pub fn read_table_picking(
    file: &str,
    bytes: &[u8],
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
) -> Result<Table, InputError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return read_xlsx(file, bytes, pick);
    }
    let text = as_text(file, bytes)?;
    let delimiter = sniff_delimiter(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut table = TableBuilder::new(pick);
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
        table.push(line, record.iter());
    }
    let format = match delimiter {
        b'\t' => "csv (tab)".to_string(),
        other => format!("csv ({})", other as char),
    };
    table.finish(file, format)
}

/// Collects rows as either reader yields them: blank rows skipped, the first other row is
/// the header, and of the rest only the picked columns kept.
struct TableBuilder<P> {
    pick: Option<P>,
    picked: Option<Vec<usize>>,
    headers: Option<(Vec<String>, u64)>,
    rows: Vec<Row>,
}

impl<P: FnOnce(&[String]) -> Option<Vec<usize>>> TableBuilder<P> {
    fn new(pick: P) -> Self {
        TableBuilder { pick: Some(pick), picked: None, headers: None, rows: Vec::new() }
    }

    fn push<'c>(&mut self, line: u64, cells: impl Iterator<Item = &'c str> + Clone) {
        if cells.clone().all(|cell| cell.trim().is_empty()) {
            return;
        }
        if self.headers.is_none() {
            let names: Vec<String> = cells.map(|h| h.trim().to_string()).collect();
            self.picked = self.pick.take().and_then(|pick| pick(&names));
            self.headers = Some((names, line));
            return;
        }
        let cells = match &self.picked {
            None => cells.map(str::to_string).collect(),
            Some(columns) => columns.iter().map(|&c| cells.clone().nth(c).unwrap_or("").to_string()).collect(),
        };
        self.rows.push(Row { line, cells });
    }

    fn finish(self, file: &str, format: String) -> Result<Table, InputError> {
        let (headers, header_line) = self.headers.ok_or_else(|| InputError::Empty { file: file.to_string() })?;
        Ok(Table { headers, header_line, rows: self.rows, format })
    }
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

fn read_xlsx(
    file: &str,
    bytes: &[u8],
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
) -> Result<Table, InputError> {
    use calamine::{Reader, Xlsx};
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| InputError::Empty { file: file.to_string() })?
        .map_err(|e| bad(e.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    let mut table = TableBuilder::new(pick);
    for (index, cells) in range.rows().enumerate() {
        // Spreadsheet rows are numbered from 1, as Excel shows them.
        let line = first_row + index as u64 + 1;
        let mut texts: Vec<String> = vec![String::new(); first_column];
        texts.extend(cells.iter().map(cell_text));
        table.push(line, texts.iter().map(String::as_str));
    }
    table.finish(file, "xlsx".to_string())
}

/// A cell as text. Excel stores dates as day numbers; they come back as ISO dates so the
/// HR reader parses them like any other date.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(when) => excel_serial_to_iso(when.as_f64()),
        Data::DateTimeIso(text) => text.clone(),
        other => other.to_string(),
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

    #[test]
    fn converts_excel_day_numbers() {
        assert_eq!(excel_serial_to_iso(46000.0), "2025-12-09");
        assert_eq!(excel_serial_to_iso(1e9), "1000000000");
        assert_eq!(excel_serial_to_iso(-1.0), "-1");
    }
}
