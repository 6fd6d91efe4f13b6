//! Unit tests of the table readers: CSV dialects, workbooks, and the bounds a hostile
//! file is refused at.

use std::io::Cursor;

use super::workbook::excel_serial_to_iso;
use super::*;
use crate::workbook_bounds::{MAX_SHARED_STRINGS, MAX_WORKBOOK_UNPACKED_BYTES};

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
    let err = read_table("inbox/u16.csv", b"\xFF\xFEe\0m\0a").unwrap_err();
    assert!(err.to_string().starts_with("inbox/u16.csv: ") && err.to_string().contains("UTF-16LE"), "{err}");
    let err = read_table("inbox/photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01").unwrap_err();
    assert!(err.to_string().contains("binary data"), "{err}");
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
const SST_HEAD: &[u8] =
    br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

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
fn references_calamine_would_overflow_on_are_refused() {
    // Found by the `workbook` fuzz target: calamine's reference arithmetic overflows
    // (a panic with overflow checks on, a wrong cell without) on these.
    for (rows, reference) in [
        (r#"<row r="1"><c r="Areadsheetml" t="inlineStr"><is><t>Email</t></is></c></row>"#.to_string(), "Areadsheetml"),
        (format!(r#"<row r="99999999999">{}</row>"#, inline("A1", "Email")), "99999999999"),
        (format!(r#"<row r="4294967295"/><row>{}</row>"#, inline("A2", "Email")), "4294967295"),
    ] {
        let text = refused(&sheet(&rows), "bad_workbook");
        assert!(text.contains(&format!("xl/worksheets/sheet1.xml names a cell `{reference}`")), "{text}");
    }
    // A dimension whose end is before its start: calamine subtracts one from the other.
    let head = String::from_utf8_lossy(SHEET_HEAD).replace("<sheetData>", r#"<dimension ref="B2:A1"/><sheetData>"#);
    let body = [head.as_bytes(), inline("A1", "Email").as_bytes(), SHEET_TAIL].concat();
    let text = refused(&workbook(Body::Bytes(&body), Vec::new()), "bad_workbook");
    assert!(text.contains("`B2:A1`"), "{text}");
    // Ordinary references and dimensions are read.
    let head =
        String::from_utf8_lossy(SHEET_HEAD).replace("<sheetData>", r#"<dimension ref="A1:XFD1048576"/><sheetData>"#);
    let body = [head.as_bytes(), br#"<row r="1048576"><c r="xfd1048576"/></row>"#, SHEET_TAIL].concat();
    assert_eq!(read_table("inbox/ok.xlsx", &workbook(Body::Bytes(&body), Vec::new())).unwrap_err().kind(), "empty");
}

#[test]
fn a_comment_longer_than_any_cell_is_refused_though_full_of_markup_characters() {
    // `<` and `>` inside a comment do not end it: the XML reader would hold all of it.
    let head = [SHEET_HEAD, b"<!--"].concat();
    let body = Body::Repeat {
        head: &head,
        unit: b"<a>",
        times: (1 << 20) / 3 + 1,
        tail: &[b"-->".as_slice(), SHEET_TAIL].concat(),
    };
    let text = refused(&workbook(body, Vec::new()), "workbook_too_large");
    assert!(text.contains("xl/worksheets/sheet1.xml") && text.contains("1 MiB"), "{text}");
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

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16().flat_map(|unit| if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() }).collect()
}

#[test]
fn excels_unicode_text_export_reads_as_utf16_and_names_its_encoding() {
    // Excel's "Unicode Text": a BOM, UTF-16LE, tabs, CRLF.
    let text = "Name\tEmail\r\nZoë Ölund\tzoe@acme.example\r\n李雷\tli@acme.example\r\n";
    let bytes = [b"\xFF\xFE".as_slice(), &utf16(text, false)].concat();
    let table = read_table("inbox/leavers.txt", &bytes).unwrap();
    assert_eq!(table.format, "csv (tab), UTF-16LE");
    assert_eq!(table.headers, ["Name", "Email"]);
    assert_eq!(table.rows[0].cells, ["Zoë Ölund", "zoe@acme.example"]);
    assert_eq!(table.rows[1].cells, ["李雷", "li@acme.example"]);
    assert_eq!(table.rows[1].line, 3);
}

#[test]
fn utf16_without_a_bom_is_told_by_its_nul_bytes_in_either_byte_order() {
    let text = "email,name\nana@acme.example,Ana\n";
    for (big_endian, name) in [(false, "UTF-16LE"), (true, "UTF-16BE")] {
        let table = read_table("inbox/r.csv", &utf16(text, big_endian)).unwrap();
        assert_eq!(table.format, format!("csv (,), {name}"));
        assert_eq!(table.rows[0].cells, ["ana@acme.example", "Ana"]);
    }
    let with_bom = [b"\xFE\xFF".as_slice(), &utf16(text, true)].concat();
    assert_eq!(read_table("inbox/r.csv", &with_bom).unwrap().format, "csv (,), UTF-16BE");
}

#[test]
fn broken_utf16_is_refused_with_where_it_breaks() {
    let mut bytes = [b"\xFF\xFE".as_slice(), &utf16("email\n", false)].concat();
    bytes.extend_from_slice(&0xD800u16.to_le_bytes());
    bytes.extend_from_slice(&utf16("a@b.example\n", false));
    let err = read_table("inbox/r.csv", &bytes).unwrap_err();
    assert_eq!(err.kind(), "not_text");
    assert!(err.to_string().contains("unpaired surrogate") && err.to_string().contains("offset 14"), "{err}");
}

#[test]
fn a_windows_1252_export_is_decoded_and_named_and_other_legacy_bytes_are_refused() {
    // "Email;Name;Note\nrene@acme.example;René Müller;“ex-staff” €\n" as Windows-1252.
    let bytes = b"Email;Name;Note\nrene@acme.example;Ren\xE9 M\xFCller;\x93ex-staff\x94 \x80\n";
    let table = read_table("inbox/hr.csv", bytes).unwrap();
    assert_eq!(table.format, "csv (;), Windows-1252");
    assert_eq!(table.rows[0].cells, ["rene@acme.example", "René Müller", "\u{201C}ex-staff\u{201D} €"]);
    // 0x81 means nothing in Windows-1252: some other encoding, not guessed at.
    let err = read_table("inbox/hr.csv", b"Email\nx\x81@acme.example\n").unwrap_err();
    assert_eq!(err.kind(), "not_text");
    assert!(err.to_string().contains("byte 0x81 at offset 7"), "{err}");
    // UTF-8 stays UTF-8 and is not named.
    assert_eq!(read_table("inbox/ok.csv", "Email\nrené@acme.example\n".as_bytes()).unwrap().format, "csv (,)");
}

#[test]
fn xls_files_are_refused_with_what_to_save_them_as() {
    let xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0";
    let err = read_table("inbox/old.xls", xls).unwrap_err();
    assert_eq!(err.kind(), "unsupported_workbook");
    assert!(
        err.to_string().starts_with("inbox/old.xls: Excel 97-2003 (.xls)") && err.to_string().contains(".xlsx or CSV")
    );
}

/// A workbook of several sheets, each `(name, rows as XML)`.
fn sheets(named: &[(&str, String)]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let overrides: String = (1..=named.len())
        .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
        .collect();
    let entries: String = named
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!(r#"<sheet name="{name}" sheetId="{}" r:id="rId{}"/>"#, i + 1, i + 1))
        .collect();
    let relationships: String = (1..=named.len())
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#)),
        ("_rels/.rels".to_string(), r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relationships}</Relationships>"#)),
    ];
    for (i, (_, rows)) in named.iter().enumerate() {
        let xml = [SHEET_HEAD, rows.as_bytes(), SHEET_TAIL].concat();
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), String::from_utf8(xml).unwrap()));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in parts {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn two_columns(row: u32, a: &str, b: &str) -> String {
    format!(r#"<row r="{row}">{}{}</row>"#, inline(&format!("A{row}"), a), inline(&format!("B{row}"), b))
}

#[test]
fn people_on_the_second_sheet_are_read_from_it_and_the_plan_names_the_sheet() {
    let bytes = sheets(&[
        ("Read me", two_columns(1, "Exported", "2026-12-01")),
        ("Leavers", [two_columns(1, "Name", "Email"), two_columns(2, "Ana", "ana@acme.example")].concat()),
    ]);
    let has_email = |headers: &[String]| find_column(headers, &["email"]).is_some();
    let table = read_table_from("inbox/w.xlsx", &bytes, SheetChoice::Holding(&has_email)).unwrap();
    assert_eq!(table.format, r#"xlsx, sheet "Leavers""#);
    assert_eq!(table.rows[0].cells, ["Ana", "ana@acme.example"]);
    // The first sheet is what a plain read takes, and what a workbook of one sheet is.
    assert_eq!(read_table("inbox/w.xlsx", &bytes).unwrap().headers, ["Exported", "2026-12-01"]);
    let one = sheets(&[("Leavers", two_columns(1, "Email", "Name"))]);
    assert_eq!(read_table_from("inbox/one.xlsx", &one, SheetChoice::Holding(&has_email)).unwrap().format, "xlsx");
}

#[test]
fn people_on_two_sheets_are_refused_unless_the_policy_names_one() {
    let bytes = sheets(&[
        ("Leavers", [two_columns(1, "Name", "Email"), two_columns(2, "Ana", "ana@acme.example")].concat()),
        ("Managers", [two_columns(1, "Name", "Email"), two_columns(2, "Bo", "bo@acme.example")].concat()),
    ]);
    let has_email = |headers: &[String]| find_column(headers, &["email"]).is_some();
    let err = read_table_from("inbox/w.xlsx", &bytes, SheetChoice::Holding(&has_email)).unwrap_err();
    assert_eq!(err.kind(), "ambiguous_sheet");
    let text = err.to_string();
    assert!(text.starts_with("inbox/w.xlsx: ") && text.contains("`Leavers` and `Managers`"), "{text}");
    assert!(text.contains("roster.sheet"), "{text}");

    let table = read_table_from("inbox/w.xlsx", &bytes, SheetChoice::Named(" managers ")).unwrap();
    assert_eq!((table.format.as_str(), table.rows[0].get(1)), (r#"xlsx, sheet "Managers""#, "bo@acme.example"));
    let err = read_table_from("inbox/w.xlsx", &bytes, SheetChoice::Named("Staff")).unwrap_err();
    assert_eq!(err.kind(), "unknown_sheet");
    assert!(err.to_string().contains("`Staff`") && err.to_string().contains("`Leavers`, `Managers`"), "{err}");
}

#[test]
fn a_roster_and_an_hr_file_read_their_people_from_the_sheet_that_names_them() {
    let bytes = sheets(&[
        ("Summary", two_columns(1, "Leavers this month", "1")),
        (
            "People",
            [two_columns(1, "Email", "Termination date"), two_columns(2, "ana@acme.example", "2026-12-01")].concat(),
        ),
    ]);
    let roster = crate::roster::parse_roster("inbox/w.xlsx", &bytes).unwrap();
    assert_eq!(roster.format, r#"xlsx, sheet "People""#);
    assert_eq!(roster.entries.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(), ["ana@acme.example"]);
    let hr = crate::hr::parse_hr_file("hr/w.xlsx", &bytes, &crate::policy::DatePolicy::default()).unwrap();
    assert_eq!(hr.terminations.len(), 1);
    assert_eq!(hr.terminations[0].email.as_deref(), Some("ana@acme.example"));
}
