//! OpenDocument spreadsheets (`.ods`: LibreOffice's format, and a Google Sheets download):
//! the chosen sheet of `content.xml` streamed into a table's rows.
//!
//! calamine's `.ods` reader builds every sheet into a dense grid when the file is opened,
//! up to 100 million cells, so a 1 KB file repeating one cell across every row and column
//! would take gigabytes. This reader streams the XML instead: empty repeated rows and
//! cells (LibreOffice writes a sheet's trailing emptiness as one of each) only move the
//! position; a repeated value is fed to the table builder once per cell, so it meets the
//! same column and memory limits as any other; and a cell's text is bounded
//! ([`MAX_WORKBOOK_TEXT_RUN_BYTES`]).

use std::io::{BufReader, Cursor};

use quick_xml::events::{BytesStart, Event};

use super::workbook::{choose_sheet, refused};
use super::{InputError, SheetChoice, TableBuilder, MAX_COLUMNS};
use crate::workbook_bounds::MAX_WORKBOOK_TEXT_RUN_BYTES;

/// The most rows a sheet has (LibreOffice's and Excel's limit): a value repeated past
/// it is refused, not read.
const MAX_ROWS: u64 = 1 << 20;

/// What the scan of `content.xml` meets, in document order.
enum Found<'a> {
    /// A sheet begins: its name.
    Sheet(&'a str),
    /// A row with at least one non-blank cell: its 0-based number and its cells as
    /// (column, text), in column order.
    Row(u64, &'a [(usize, String)]),
}

/// What the visitor wants next.
#[derive(PartialEq)]
enum Next {
    Continue,
    /// Skip to the next sheet without building its rows.
    SkipSheet,
    Stop,
}

/// Reads the chosen sheet of an `.ods` into `table`; what the plan calls the format: `ods`,
/// or `ods, sheet "Leavers"` when the workbook has several sheets.
pub(super) fn read_ods<P, Q>(
    file: &str,
    bytes: &[u8],
    choice: SheetChoice<'_>,
    table: &mut TableBuilder<'_, P, Q>,
) -> Result<String, InputError>
where
    P: FnOnce(&[String]) -> Option<Vec<usize>>,
    Q: Fn(&str) -> bool,
{
    refused(file, bytes)?;
    // First pass: the sheets' names and header rows (their first non-blank row).
    let mut sheets: Vec<(String, Option<Vec<String>>)> = Vec::new();
    scan(file, bytes, |found| {
        Ok(match found {
            Found::Sheet(name) => {
                sheets.push((name.to_string(), None));
                Next::Continue
            }
            Found::Row(_, cells) => {
                if let Some((_, header)) = sheets.last_mut() {
                    *header = Some(header_of(cells));
                }
                Next::SkipSheet
            }
        })
    })?;
    let names: Vec<String> = sheets.iter().map(|(name, _)| name.clone()).collect();
    let chosen = choose_sheet(file, &names, choice, |name| {
        Ok(sheets.iter().find(|(n, _)| n == name).and_then(|(_, header)| header.clone()))
    })?;
    let index = names.iter().position(|n| *n == chosen).unwrap_or(0);
    let format = if names.len() > 1 { format!("ods, sheet \"{chosen}\"") } else { "ods".to_string() };
    // Second pass: that sheet's rows.
    let mut sheet = None::<usize>;
    scan(file, bytes, |found| match found {
        Found::Sheet(_) => {
            let at = sheet.map_or(0, |s| s + 1);
            sheet = Some(at);
            Ok(match at.cmp(&index) {
                std::cmp::Ordering::Less => Next::SkipSheet,
                std::cmp::Ordering::Equal => Next::Continue,
                std::cmp::Ordering::Greater => Next::Stop,
            })
        }
        Found::Row(row, cells) => {
            // Spreadsheet rows are numbered from 1, as LibreOffice shows them.
            table.begin_row(row + 1);
            for (column, text) in cells {
                table.cell(*column, text)?;
            }
            table.end_row()?;
            Ok(Next::Continue)
        }
    })?;
    Ok(format)
}

/// A header row as the sheet chooser wants it: cells trimmed, at their columns.
fn header_of(cells: &[(usize, String)]) -> Vec<String> {
    let width = cells.last().map_or(0, |(column, _)| column + 1).min(MAX_COLUMNS);
    let mut header = vec![String::new(); width];
    for (column, text) in cells.iter().filter(|(column, _)| *column < width) {
        header[*column] = text.trim().to_string();
    }
    header
}

/// Streams `content.xml`, telling `visit` of each sheet and each non-blank row.
fn scan(
    file: &str,
    bytes: &[u8],
    mut visit: impl FnMut(Found<'_>) -> Result<Next, InputError>,
) -> Result<(), InputError> {
    let bad = |detail: String| InputError::BadWorkbook { file: file.to_string(), detail };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let content = archive.by_name("content.xml").map_err(|e| bad(format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    xml.config_mut().expand_empty_elements = true;
    let xml_error = |e: quick_xml::Error, at: u64| bad(format!("content.xml at byte {at}: {e}"));
    let mut buf = Vec::new();
    let mut skipping_sheet = false;
    let mut row: u64 = 0;
    let mut cells: Vec<(usize, String)> = Vec::new();
    loop {
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| xml_error(e, xml.buffer_position()))?;
        match event {
            Event::Start(tag) if tag.name().as_ref() == "table:table" => {
                let name = attribute(&tag, "table:name").map_err(&bad)?.unwrap_or_default();
                row = 0;
                match visit(Found::Sheet(&name))? {
                    Next::Stop => return Ok(()),
                    next => skipping_sheet = next == Next::SkipSheet,
                }
            }
            Event::Start(tag) if tag.name().as_ref() == "table:table-row" => {
                let repeats = count(&tag, "table:number-rows-repeated").map_err(&bad)?;
                cells.clear();
                read_row(&mut xml, &mut cells, row).map_err(|e| match e {
                    RowError::Xml(e) => xml_error(e, xml.buffer_position()),
                    RowError::Refused(detail) => InputError::WorkbookTooLarge { file: file.to_string(), detail },
                    RowError::Bad(detail) => bad(detail),
                })?;
                if !cells.is_empty() && !skipping_sheet {
                    for at in (0..repeats).map(|k| row.saturating_add(k)) {
                        if at >= MAX_ROWS {
                            let detail = format!("a row repeated past row {MAX_ROWS}, the most a sheet has");
                            return Err(InputError::WorkbookTooLarge { file: file.to_string(), detail });
                        }
                        match visit(Found::Row(at, &cells))? {
                            Next::Continue => {}
                            Next::SkipSheet => {
                                skipping_sheet = true;
                                break;
                            }
                            Next::Stop => return Ok(()),
                        }
                    }
                }
                row = row.saturating_add(repeats);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

enum RowError {
    Xml(quick_xml::Error),
    Refused(String),
    Bad(String),
}

impl From<quick_xml::Error> for RowError {
    fn from(e: quick_xml::Error) -> Self {
        RowError::Xml(e)
    }
}

/// Reads one `table:table-row` to its end: its non-blank cells, each at its column (a
/// cell repeated N times is N cells; columns past [`MAX_COLUMNS`] are kept as one, for
/// the table builder to refuse).
fn read_row<R: std::io::BufRead>(
    xml: &mut quick_xml::Reader<R>,
    cells: &mut Vec<(usize, String)>,
    row: u64,
) -> Result<(), RowError> {
    let mut column = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(tag) if matches!(tag.name().as_ref(), "table:table-cell" | "table:covered-table-cell") => {
                let tag = tag.into_owned();
                let repeats = count(&tag, "table:number-columns-repeated").map_err(RowError::Bad)?;
                let text = read_cell(xml, &tag, row, column)?;
                if !text.is_empty() {
                    let last = column.saturating_add(usize::try_from(repeats).unwrap_or(usize::MAX));
                    for at in column..last.min(MAX_COLUMNS + 1) {
                        cells.push((at, text.clone()));
                    }
                }
                column = column.saturating_add(usize::try_from(repeats).unwrap_or(usize::MAX));
            }
            Event::End(tag) if tag.name().as_ref() == "table:table-row" => return Ok(()),
            Event::Eof => return Err(RowError::Bad(format!("content.xml ends inside row {}", row + 1))),
            _ => {}
        }
    }
}

/// A cell's value as text: a number as written (`12345`, not `12,345`), a date as its ISO
/// date, anything else as its paragraphs' text (joined by new lines; notes skipped).
fn read_cell<R: std::io::BufRead>(
    xml: &mut quick_xml::Reader<R>,
    tag: &BytesStart<'_>,
    row: u64,
    column: usize,
) -> Result<String, RowError> {
    let value_type = attribute(tag, "office:value-type").map_err(RowError::Bad)?;
    let typed = match value_type.as_deref() {
        Some("float" | "percentage" | "currency") => {
            attribute(tag, "office:value").map_err(RowError::Bad)?.map(|v| match v.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => v,
            })
        }
        Some("date") => attribute(tag, "office:date-value").map_err(RowError::Bad)?.map(|v| match v.split_once('T') {
            Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => date.to_string(),
            _ => v,
        }),
        Some("boolean") => attribute(tag, "office:boolean-value").map_err(RowError::Bad)?,
        Some("time") => attribute(tag, "office:time-value").map_err(RowError::Bad)?,
        _ => attribute(tag, "office:string-value").map_err(RowError::Bad)?,
    };
    let too_long = || {
        RowError::Refused(format!(
            "the cell at row {}, column {} holds more than {} KiB of text",
            row + 1,
            column + 1,
            MAX_WORKBOOK_TEXT_RUN_BYTES >> 10
        ))
    };
    let mut text = String::new();
    let mut depth = 1usize;
    let mut paragraphs = 0usize;
    let mut in_note = 0usize;
    let mut buf = Vec::new();
    while depth > 0 {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(inner) => {
                depth += 1;
                match inner.name().as_ref() {
                    "office:annotation" => in_note += 1,
                    _ if in_note > 0 => {}
                    "text:p" | "text:h" => {
                        if paragraphs > 0 {
                            text.push('\n');
                        }
                        paragraphs += 1;
                    }
                    "text:s" => {
                        let spaces = count(&inner, "text:c").map_err(RowError::Bad)?;
                        if text.len() as u64 + spaces > MAX_WORKBOOK_TEXT_RUN_BYTES {
                            return Err(too_long());
                        }
                        text.extend(std::iter::repeat_n(' ', spaces as usize));
                    }
                    "text:tab" => text.push('\t'),
                    "text:line-break" => text.push('\n'),
                    _ => {}
                }
            }
            Event::End(inner) => {
                depth -= 1;
                if inner.name().as_ref() == "office:annotation" {
                    in_note = in_note.saturating_sub(1);
                }
            }
            Event::Text(t) if in_note == 0 => text.push_str(&t.xml10_content()),
            Event::CData(t) if in_note == 0 => text.push_str(&t),
            Event::GeneralRef(entity) if in_note == 0 => {
                if let Some(c) = entity.resolve_char_ref()? {
                    text.push(c);
                } else {
                    let name: &str = &entity;
                    let resolved = quick_xml::escape::resolve_predefined_entity(name)
                        .ok_or_else(|| RowError::Bad(format!("content.xml: unknown entity &{name};")))?;
                    text.push_str(resolved);
                }
            }
            Event::Eof => return Err(RowError::Bad(format!("content.xml ends inside row {}", row + 1))),
            _ => {}
        }
        if text.len() as u64 > MAX_WORKBOOK_TEXT_RUN_BYTES {
            return Err(too_long());
        }
    }
    Ok(typed.unwrap_or(text))
}

/// An attribute's value, unescaped; `None` when the tag does not have it.
fn attribute(tag: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for attr in tag.attributes() {
        let attr = attr.map_err(|e| format!("content.xml: {e}"))?;
        if attr.key.as_ref() == key {
            let value = quick_xml::escape::unescape(&attr.value).map_err(|e| format!("content.xml: {e}"))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// A repeat count (`table:number-rows-repeated`, `table:number-columns-repeated`,
/// `text:c`): 1 when absent.
fn count(tag: &BytesStart<'_>, key: &str) -> Result<u64, String> {
    match attribute(tag, key)? {
        None => Ok(1),
        Some(value) => {
            value.trim().parse::<u64>().map_err(|_| format!("content.xml: {} is `{value}`, not a count", key))
        }
    }
}

#[cfg(test)]
mod tests;
