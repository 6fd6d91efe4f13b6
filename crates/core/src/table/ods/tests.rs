//! Unit tests of the `.ods` reader: the XML LibreOffice writes (styles, repeated cells
//! and rows, notes, typed values), sheet choice, and what a hostile file is refused at.

use std::io::{Cursor, Write};

use super::super::{find_column, read_table, read_table_from, SheetChoice};

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:automatic-styles><style:style xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" style:name="ta1" style:family="table"/></office:automatic-styles><office:body><office:spreadsheet>"#;
const TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";

/// An `.ods` as LibreOffice lays it out: `mimetype` first and stored, then the content.
fn ods(sheets: &[(&str, &str)]) -> Vec<u8> {
    let tables: String = sheets
        .iter()
        .map(|(name, rows)| format!(r#"<table:table table:name="{name}" table:style-name="ta1"><table:table-column table:number-columns-repeated="3"/>{rows}</table:table>"#))
        .collect();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("content.xml", deflated).unwrap();
    zip.write_all(format!("{HEAD}{tables}{TAIL}").as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(b"<manifest:manifest/>").unwrap();
    zip.finish().unwrap().into_inner()
}

fn text(value: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{value}</text:p></table:table-cell>"#
    )
}

fn row(cells: &[String]) -> String {
    format!(r#"<table:table-row table:style-name="ro1">{}</table:table-row>"#, cells.concat())
}

/// What LibreOffice writes after a sheet's last value: the rest of the row, and the
/// rest of the sheet, as one repeated empty cell and one repeated empty row.
const TRAILING: &str = r#"<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;

#[test]
fn reads_an_ods_as_libreoffice_writes_it() {
    let rows = [
        row(&[text("Name"), text("Email"), text("Employee id"), text("Left")]),
        TRAILING.replace("1048573", "2"),
        row(&[
            // A note on the cell is not its text; `text:s` is spaces, `&amp;` an ampersand.
            r#"<table:table-cell office:value-type="string"><office:annotation><text:p>checked by HR</text:p></office:annotation><text:p>Ana<text:s text:c="2"/>Lima &amp; co</text:p></table:table-cell>"#.to_string(),
            text("ana@acme.example"),
            r#"<table:table-cell office:value-type="float" office:value="12345" calcext:value-type="float"><text:p>12,345</text:p></table:table-cell>"#.to_string(),
            r#"<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="2026-12-01T00:00:00"><text:p>01/12/26</text:p></table:table-cell>"#.to_string(),
        ]),
        TRAILING.to_string(),
    ]
    .concat();
    let table = read_table("inbox/people.ods", &ods(&[("Sheet1", &rows)])).unwrap();
    assert_eq!(table.format, "ods");
    assert_eq!(table.headers, ["Name", "Email", "Employee id", "Left"]);
    assert_eq!(table.header_line, 1);
    assert_eq!(table.rows.len(), 1, "empty rows, repeated or not, are no rows");
    assert_eq!(table.rows[0].line, 4, "the row as LibreOffice numbers it");
    assert_eq!(table.rows[0].cells, ["Ana  Lima & co", "ana@acme.example", "12345", "2026-12-01"]);
}

#[test]
fn a_repeated_value_is_one_cell_per_column_and_row_it_covers() {
    let rows = [
        row(&[text("Email"), text("Team")]),
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>same@acme.example</text:p></table:table-cell></table:table-row>"#.to_string(),
    ]
    .concat();
    let table = read_table("inbox/r.ods", &ods(&[("Sheet1", &rows)])).unwrap();
    let got: Vec<(u64, Vec<String>)> = table.rows.iter().map(|r| (r.line, r.cells.clone())).collect();
    let same = vec!["same@acme.example".to_string(), "same@acme.example".to_string()];
    assert_eq!(got, [(2, same.clone()), (3, same)]);
}

#[test]
fn people_on_the_second_sheet_of_an_ods_are_read_from_it() {
    let bytes = ods(&[
        ("Read me", &row(&[text("Exported by HR")])),
        ("Leavers", &[row(&[text("Name"), text("Email")]), row(&[text("Ana"), text("ana@acme.example")])].concat()),
    ]);
    let has_email = |headers: &[String]| find_column(headers, &["email"]).is_some();
    let table = read_table_from("inbox/w.ods", &bytes, SheetChoice::Holding(&has_email)).unwrap();
    assert_eq!(table.format, r#"ods, sheet "Leavers""#);
    assert_eq!(table.rows[0].cells, ["Ana", "ana@acme.example"]);
    let named = read_table_from("inbox/w.ods", &bytes, SheetChoice::Named("read me")).unwrap();
    assert_eq!(named.headers, ["Exported by HR"]);
    let err = read_table_from("inbox/w.ods", &bytes, SheetChoice::Named("Staff")).unwrap_err();
    assert_eq!(err.kind(), "unknown_sheet");
    assert!(err.to_string().contains("`Read me`, `Leavers`"), "{err}");
}

#[test]
fn a_value_repeated_across_every_column_or_row_is_refused_not_allocated() {
    // 1 KB of XML that calamine would make a grid of 16384 x 1048576 cells.
    let wide = r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
    let err = read_table("inbox/wide.ods", &ods(&[("Sheet1", wide)])).unwrap_err();
    assert_eq!(err.kind(), "too_wide", "{err}");
    assert!(err.to_string().starts_with("inbox/wide.ods: line 1: "), "{err}");

    let tall = [
        row(&[text("Email")]),
        r#"<table:table-row table:number-rows-repeated="4000000000"><table:table-cell office:value-type="string"><text:p>x@acme.example</text:p></table:table-cell></table:table-row>"#.to_string(),
    ]
    .concat();
    let err = read_table("inbox/tall.ods", &ods(&[("Sheet1", &tall)])).unwrap_err();
    assert_eq!(err.kind(), "workbook_too_large", "{err}");
    assert!(err.to_string().contains("1048576"), "{err}");

    let spaces = row(&[r#"<table:table-cell office:value-type="string"><text:p><text:s text:c="4000000000"/></text:p></table:table-cell>"#.to_string()]);
    let err = read_table("inbox/spaces.ods", &ods(&[("Sheet1", &spaces)])).unwrap_err();
    assert_eq!(err.kind(), "workbook_too_large", "{err}");
    assert!(err.to_string().contains("row 1, column 1"), "{err}");
}

#[test]
fn a_broken_ods_is_refused_naming_the_file() {
    let err = read_table("inbox/cut.ods", &ods(&[("Sheet1", "<table:table-row><table:table-cell>")])).unwrap_err();
    assert_eq!(err.kind(), "bad_workbook", "{err}");
    assert!(err.to_string().starts_with("inbox/cut.ods: not a readable"), "{err}");
}
