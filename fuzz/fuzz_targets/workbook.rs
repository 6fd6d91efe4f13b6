//! The workbook readers on a valid `.xlsx` around any content. The input, split at NUL
//! bytes, is the sheet's XML, then the shared strings, the styles and the workbook part
//! (a part left out is not in the zip; the workbook part and the relationships get
//! defaults). They are zipped without compression, so what the fuzzer mutates is what
//! calamine and `offboard_core::table` read: mutating a real `.xlsx` (the `roster` and
//! `hr_file` targets) mostly breaks its CRCs. `parse_roster` (by header, and with the
//! policy naming a column) and `parse_hr_file` may refuse it; none may panic, and none may
//! take more memory than the readers' bounds allow.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use offboard_core::policy::{DatePolicy, RosterPolicy};
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#;
const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leavers" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

fn workbook(data: &[u8]) -> Option<Vec<u8>> {
    let mut parts = data.split(|&b| b == 0);
    let sheet = parts.next().unwrap_or_default();
    let shared = parts.next();
    let styles = parts.next();
    let book = parts.next().filter(|b| !b.is_empty()).unwrap_or(WORKBOOK.as_bytes());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, body: &[u8]| -> zip::result::ZipResult<()> {
        zip.start_file(name, stored)?;
        zip.write_all(body)?;
        Ok(())
    };
    add("[Content_Types].xml", CONTENT_TYPES.as_bytes()).ok()?;
    add("_rels/.rels", PACKAGE_RELS.as_bytes()).ok()?;
    add("xl/workbook.xml", book).ok()?;
    add("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()).ok()?;
    add("xl/worksheets/sheet1.xml", sheet).ok()?;
    if let Some(shared) = shared {
        add("xl/sharedStrings.xml", shared).ok()?;
    }
    if let Some(styles) = styles {
        add("xl/styles.xml", styles).ok()?;
    }
    zip.finish().ok().map(Cursor::into_inner)
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = workbook(data) else { return };
    let _ = offboard_core::parse_roster("inbox/fuzz.xlsx", &bytes);
    let named = RosterPolicy { email_column: Some("Email".to_string()) };
    let _ = offboard_core::roster::parse_roster_with("inbox/fuzz.xlsx", &bytes, &named);
    let _ = offboard_core::parse_hr_file("hr/fuzz.xlsx", &bytes, &DatePolicy::default());
});
