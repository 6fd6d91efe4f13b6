//! Workbooks: the chosen sheet of an `.xlsx` (or `.xlsm`) streamed into a table's rows.
//!
//! calamine reads the sheet a cell at a time; rows are built as they come, so a workbook
//! whose cells are far apart costs only the cells it has. Choosing the sheet reads no more
//! of the others than their header rows.

use std::io::Cursor;

use super::{InputError, SheetChoice, TableBuilder, MAX_COLUMNS};
use crate::workbook_bounds::{self, Refusal};

/// Reads the chosen sheet of an `.xlsx` (or `.xlsm`) into `table`; what the plan calls
/// the format: `xlsx`, or `xlsx, sheet "Leavers"` when the workbook has several sheets.
pub(super) fn read_xlsx<P, Q>(
    file: &str,
    bytes: &[u8],
    choice: SheetChoice<'_>,
    table: &mut TableBuilder<'_, P, Q>,
) -> Result<String, InputError>
where
    P: FnOnce(&[String]) -> Option<Vec<usize>>,
    Q: Fn(&str) -> bool,
{
    use calamine::{Reader, Xlsx, XlsxError};
    refused(file, bytes)?;
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let names = workbook.sheet_names();
    let sheet = choose_sheet(file, &names, choice, |name| header_row(file, &mut workbook, name))?;
    let format = if names.len() > 1 { format!("xlsx, sheet \"{sheet}\"") } else { "xlsx".to_string() };
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
    Ok(format)
}

/// Refuses a workbook past the `MAX_WORKBOOK_*` limits, before anything reads it.
pub(super) fn refused(file: &str, bytes: &[u8]) -> Result<(), InputError> {
    workbook_bounds::check(bytes).map_err(|refusal| match refusal {
        Refusal::TooLarge(detail) => InputError::WorkbookTooLarge { file: file.to_string(), detail },
        Refusal::Unreadable(detail) => InputError::BadWorkbook { file: file.to_string(), detail },
    })
}

/// The name of the sheet `choice` picks among `names` (see [`SheetChoice`]).
/// `header_of` reads a sheet's header row (see [`header_row`]); it is asked only when
/// `choice` is [`SheetChoice::Holding`] and there are several sheets.
pub(super) fn choose_sheet(
    file: &str,
    names: &[String],
    choice: SheetChoice<'_>,
    mut header_of: impl FnMut(&str) -> Result<Option<Vec<String>>, InputError>,
) -> Result<String, InputError> {
    let listed = || names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let Some(first) = names.first() else {
        return Err(InputError::Empty { file: file.to_string() });
    };
    match choice {
        SheetChoice::First => Ok(first.clone()),
        SheetChoice::Named(wanted) => {
            let wanted = wanted.trim();
            names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted)).cloned().ok_or_else(|| {
                InputError::UnknownSheet { file: file.to_string(), sheet: wanted.to_string(), sheets: listed() }
            })
        }
        SheetChoice::Holding(_) if names.len() == 1 => Ok(first.clone()),
        SheetChoice::Holding(holds_people) => {
            let mut holding = Vec::new();
            for name in names {
                if header_of(name)?.is_some_and(|header| holds_people(&header)) {
                    holding.push(name.clone());
                }
            }
            match &holding[..] {
                [] => Ok(first.clone()),
                [one] => Ok(one.clone()),
                several => Err(InputError::AmbiguousSheet {
                    file: file.to_string(),
                    holding: several.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and "),
                    sheets: listed(),
                }),
            }
        }
    }
}

/// A sheet's first non-blank row, each cell trimmed at its column; `None` for a sheet
/// with no cells (or a chart sheet). Reads no further than that row.
fn header_row(
    file: &str,
    workbook: &mut calamine::Xlsx<Cursor<&[u8]>>,
    sheet: &str,
) -> Result<Option<Vec<String>>, InputError> {
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let mut cells = match workbook.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(e) => return Err(bad(e.to_string())),
    };
    let mut header: Vec<String> = Vec::new();
    let mut row_of_header = None;
    while let Some(cell) = cells.next_cell().map_err(|e| bad(e.to_string()))? {
        let text = cell_text(cell.get_value());
        if text.trim().is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        match row_of_header {
            Some(at) if at != row => break,
            _ => row_of_header = Some(row),
        }
        let column = column as usize;
        if column >= MAX_COLUMNS {
            continue;
        }
        if header.len() <= column {
            header.resize(column + 1, String::new());
        }
        header[column] = text.trim().to_string();
    }
    Ok(row_of_header.map(|_| header))
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
pub(super) fn excel_serial_to_iso(serial: f64) -> String {
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
