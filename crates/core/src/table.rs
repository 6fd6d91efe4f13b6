//! Tables: the files people upload (CSV with `,` `;` or tab, in UTF-8, UTF-16 or
//! Windows-1252, or an Excel workbook), read into a header and rows of text with the line
//! each row is on.
//!
//! Rosters and HR files differ in what their columns mean, not in how they are read, so
//! both start here. Everything a spreadsheet export can do to a file (a BOM, CRLF, a
//! semicolon delimiter from a European Excel, quoted fields, blank lines, Excel's
//! "Unicode Text" in UTF-16, a legacy Windows-1252 export, people on the second sheet of a
//! workbook) is absorbed here, and a file that is not a table at all is refused with an
//! [`InputError`] that names it.
//!
//! Reading is bounded, whatever the file says about itself: a table has at most
//! [`MAX_COLUMNS`] columns and its kept cells at most [`MAX_TABLE_BYTES`]; a workbook's
//! parts are unpacked into a counter and checked against the `MAX_WORKBOOK_*` limits
//! before calamine reads any of them, and its cells are streamed into rows, never into a
//! grid, so a 1 KB file naming cell XFD1048576 or a zip bomb is refused, not allocated.

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
    /// A spreadsheet format whose reader would build every sheet in memory before a bound
    /// could be checked (`.xls`: calamine makes each sheet a dense grid when it opens it).
    #[error(
        "{file}: {format} files are not read (their sheets cannot be read in bounded memory); save it as .xlsx or CSV"
    )]
    UnsupportedWorkbook { file: String, format: String },
    /// The policy's `roster.sheet` names no sheet of the workbook.
    #[error("{file}: no sheet is named `{sheet}` (the policy's `roster.sheet`); the sheets are: {sheets}")]
    UnknownSheet { file: String, sheet: String, sheets: String },
    /// More than one sheet of a workbook has a header naming the people.
    #[error(
        "{file}: cannot tell which sheet holds the people: {holding} each have a column naming them (the sheets \
         are: {sheets}); keep the people on one sheet, or set the policy's `roster.sheet` to its name"
    )]
    AmbiguousSheet { file: String, holding: String, sheets: String },
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
            InputError::UnsupportedWorkbook { .. } => "unsupported_workbook",
            InputError::UnknownSheet { .. } => "unknown_sheet",
            InputError::AmbiguousSheet { .. } => "ambiguous_sheet",
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
    /// How the file was read, for the plan: `csv (,)`, `csv (;)`, `csv (tab)` or `xlsx`;
    /// a text file's encoding when it is not UTF-8 (`csv (tab), UTF-16LE`), a workbook's
    /// sheet when it has several (`xlsx, sheet "Leavers"`).
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
/// A compound file: what Excel 97-2003 (`.xls`) saves.
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// An OpenDocument file starts with its uncompressed `mimetype` entry (the format
/// requires it first), so the zip's first local header names it.
fn is_open_document(bytes: &[u8]) -> bool {
    bytes.get(30..38) == Some(b"mimetype")
        && bytes.get(38..120).is_some_and(|head| head.windows(b"opendocument".len()).any(|w| w == b"opendocument"))
}

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

/// Which sheet of a workbook to read (a text file has one table, and ignores this).
#[derive(Clone, Copy)]
pub enum SheetChoice<'a> {
    /// The first sheet.
    First,
    /// The sheet of this name (the policy's `roster.sheet`), compared without case.
    Named(&'a str),
    /// The one sheet whose header row (its first non-blank row) the test accepts: a
    /// workbook whose people are on sheet 2 is read from sheet 2, one with people on two
    /// sheets is refused ([`InputError::AmbiguousSheet`]), one where no header passes is
    /// read from its first sheet (whose reader then says what it lacks).
    Holding(&'a dyn Fn(&[String]) -> bool),
}

/// Reads a CSV (delimiter and encoding sniffed) or an `.xlsx` workbook (its first sheet).
pub fn read_table(file: &str, bytes: &[u8]) -> Result<Table, InputError> {
    read_table_from(file, bytes, SheetChoice::First)
}

/// [`read_table`], from the sheet `sheet` chooses when the file is a workbook.
pub fn read_table_from(file: &str, bytes: &[u8], sheet: SheetChoice<'_>) -> Result<Table, InputError> {
    read_table_probing(file, bytes, sheet, |_| None, |_| false).map(|(table, _)| table)
}

/// [`read_table`], keeping of each row only the columns `pick` names once it has seen the
/// header (`None`: every column), each column once. A roster of a million rows needs one
/// column, not all.
pub fn read_table_picking(
    file: &str,
    bytes: &[u8],
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
) -> Result<Table, InputError> {
    read_table_probing(file, bytes, SheetChoice::First, pick, |_| false).map(|(table, _)| table)
}

/// [`read_table_picking`], also asking `probe` of every non-blank data cell of every
/// column, kept or not: for each column, the first line whose cell it accepted. A roster
/// learns which columns hold addresses without keeping them.
pub fn read_table_probing(
    file: &str,
    bytes: &[u8],
    sheet: SheetChoice<'_>,
    pick: impl FnOnce(&[String]) -> Option<Vec<usize>>,
    probe: impl Fn(&str) -> bool,
) -> Result<(Table, Vec<Option<u64>>), InputError> {
    let mut table = TableBuilder::new(file, pick, probe, MAX_TABLE_BYTES.max(bytes.len().saturating_mul(4)));
    if bytes.starts_with(CFB_MAGIC) {
        let format = "Excel 97-2003 (.xls)".to_string();
        return Err(InputError::UnsupportedWorkbook { file: file.to_string(), format });
    }
    if bytes.starts_with(ZIP_MAGIC) {
        let format = if is_open_document(bytes) {
            ods::read_ods(file, bytes, sheet, &mut table)?
        } else {
            workbook::read_xlsx(file, bytes, sheet, &mut table)?
        };
        return table.finish(format);
    }
    let (text, encoding) = text::decode(file, bytes)?;
    let text: &str = &text;
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
    let mut format = match delimiter {
        b'\t' => "csv (tab)".to_string(),
        other => format!("csv ({})", other as char),
    };
    if encoding != text::Encoding::Utf8 {
        format.push_str(&format!(", {}", encoding.name()));
    }
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

mod ods;
mod text;
mod workbook;

#[cfg(test)]
mod tests;
