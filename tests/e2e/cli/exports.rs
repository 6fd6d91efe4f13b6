//! The files people export, planned by the CLI as they come: Excel's "Unicode Text"
//! (UTF-16), a legacy Windows-1252 CSV, a LibreOffice `.ods`, and workbooks whose people
//! are on their second sheet. Each must plan exactly the people it lists and say in the
//! plan how it was read.

use std::io::{Cursor, Write};

use serde_json::Value;

use offboard_e2e::people::{email, quiet_members};

use super::{assert_exit, offboard, operations, run, scratch, sim, sim_env, sim_users};

/// Rows as `(name, email)`, behind a header `Name, Email`.
fn people_rows(leaving: &[String]) -> Vec<[String; 2]> {
    let mut rows = vec![["Name".to_string(), "Email".to_string()]];
    rows.extend(leaving.iter().enumerate().map(|(i, address)| [format!("Zoë Ölund-{i}"), address.clone()]));
    rows
}

fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in parts {
        zip.start_file(*name, stored).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An `.ods` as LibreOffice saves it: a cover sheet first, the people on "Leavers", and
/// the rest of each sheet as one repeated empty row.
fn ods_with_people_second(leaving: &[String]) -> Vec<u8> {
    let cell =
        |v: &str| format!(r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#);
    let trailing = r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
    let people: String = people_rows(leaving)
        .iter()
        .map(|r| format!("<table:table-row>{}{}</table:table-row>", cell(&r[0]), cell(&r[1])))
        .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Cover"><table:table-row>{}</table:table-row>{trailing}</table:table><table:table table:name="Leavers">{people}{trailing}</table:table></office:spreadsheet></office:body></office:document-content>"#,
        cell("Leavers, December")
    );
    zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet".to_string()),
        ("content.xml", content),
        (
            "META-INF/manifest.xml",
            r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>"#.to_string(),
        ),
    ])
}

/// An `.xlsx` with a cover sheet first and the people on "Leavers".
fn xlsx_with_people_second(leaving: &[String]) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let cell = |r: &str, v: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#);
    let sheet = |rows: String| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#
        )
    };
    let cover = sheet(format!(r#"<row r="1">{}</row>"#, cell("A1", "Leavers, December")));
    let people = sheet(
        people_rows(leaving)
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    r#"<row r="{n}">{}{}</row>"#,
                    cell(&format!("A{}", i + 1), &r[0]),
                    cell(&format!("B{}", i + 1), &r[1]),
                    n = i + 1
                )
            })
            .collect(),
    );
    let worksheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
    zip_of(&[
        (
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{worksheet}"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="{worksheet}"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Cover" sheetId="1" r:id="rId1"/><sheet name="Leavers" sheetId="2" r:id="rId2"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#
            ),
        ),
        ("xl/worksheets/sheet1.xml", cover),
        ("xl/worksheets/sheet2.xml", people),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_windows_1252_ods_and_second_sheet_exports_plan_the_people_they_list_and_say_how_they_were_read() {
    let sim = sim(300, 17).await;
    let state = scratch("encodings");
    let env = sim_env(&sim, &state.join("runs"));
    let users = sim_users(&sim).await;
    let leaving: Vec<String> = quiet_members(&users).into_iter().take(3).map(email).collect();
    assert_eq!(leaving.len(), 3, "the seeded account has quiet members");

    // Excel's "Unicode Text": BOM, UTF-16LE, tab-separated, CRLF, names beyond ASCII.
    let unicode_text: String = people_rows(&leaving).iter().map(|r| format!("{}\t{}\r\n", r[0], r[1])).collect();
    let utf16: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(unicode_text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    // A legacy Windows CSV: semicolons, "René" and "€" as single bytes.
    let mut legacy = b"Name;Email;Note\r\n".to_vec();
    for address in &leaving {
        legacy.extend_from_slice(b"Ren\xE9;");
        legacy.extend_from_slice(address.as_bytes());
        legacy.extend_from_slice(b";licence \x80 saved\r\n");
    }
    let exports = [
        ("unicode.txt", utf16, "csv (tab), UTF-16LE"),
        ("legacy.csv", legacy, "csv (;), Windows-1252"),
        ("leavers.ods", ods_with_people_second(&leaving), r#"ods, sheet "Leavers""#),
        ("leavers.xlsx", xlsx_with_people_second(&leaving), r#"xlsx, sheet "Leavers""#),
    ];
    for (name, bytes, format) in exports {
        let path = state.join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = run(offboard(&env, &["plan", "--roster", &path.display().to_string(), "--format", "json"])).await;
        assert_exit(&output, 0);
        let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(plan["input_format"], format, "{name}");
        let mut planned: Vec<String> =
            plan["actions"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap().to_string()).collect();
        planned.sort();
        let mut expected = leaving.clone();
        expected.sort();
        assert_eq!(planned, expected, "{name}: one action per listed person");
        assert_eq!(plan["counts"]["skipped"], 0, "{name}");
    }
    assert!(operations(&sim).is_empty(), "a dry run changes nothing in Zoom");
}
