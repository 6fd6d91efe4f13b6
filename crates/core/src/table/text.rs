//! Text files in the encodings people's tools save them in: UTF-8 (with or without a
//! BOM), UTF-16 (Excel's "Unicode Text" export, little-endian with a BOM; other tools
//! without one, or big-endian) and Windows-1252 (the "CSV" of Excel and of HR systems on
//! Windows in Western Europe and the Americas).
//!
//! Written here rather than taken from an encoding crate: the standard library decodes
//! UTF-16, Windows-1252 is one table of 32 characters, and these three are all that is
//! sniffed. Which one a file is in is decided from its bytes alone (a BOM, the pattern of
//! NUL bytes ASCII makes in UTF-16, valid UTF-8 or not), and named in the plan, so a
//! misread is visible to the person who approves it. A file in none of them is refused,
//! never read with replacement characters.

use std::borrow::Cow;

use super::InputError;

/// The encoding a text file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl Encoding {
    /// The name the plan gives it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// The file as text, and the encoding it was in; borrowed when it is UTF-8 already.
pub(super) fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<(Cow<'a, str>, Encoding), InputError> {
    let not_text = |detail: String| InputError::NotText { file: file.to_string(), detail };
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|e| {
            not_text(format!("a UTF-8 byte order mark, then invalid UTF-8 at byte offset {}", e.valid_up_to() + 3))
        })?;
        (Cow::Borrowed(text), Encoding::Utf8)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (Cow::Owned(utf16(rest, Encoding::Utf16Le, 2).map_err(not_text)?), Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (Cow::Owned(utf16(rest, Encoding::Utf16Be, 2).map_err(not_text)?), Encoding::Utf16Be)
    } else if let Some(encoding) = utf16_without_bom(bytes) {
        (Cow::Owned(utf16(bytes, encoding, 0).map_err(not_text)?), encoding)
    } else if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(not_text(format!("binary data (a NUL byte at offset {at})")));
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), Encoding::Utf8),
            Err(_) => (Cow::Owned(windows_1252(bytes).map_err(not_text)?), Encoding::Windows1252),
        }
    };
    if text.chars().all(char::is_whitespace) {
        return Err(InputError::Empty { file: file.to_string() });
    }
    if let Some(at) = text.find('\0') {
        return Err(not_text(format!(
            "binary data (a NUL character in the {} text at character {at})",
            encoding.name()
        )));
    }
    Ok((text, encoding))
}

/// UTF-16 without a byte order mark, told by its NUL bytes: ASCII text (a header row,
/// addresses, commas) has a zero in every other byte, the odd ones in little-endian, the
/// even ones in big-endian. Judged on the first 1,024 code units; a file with NULs in
/// both places is binary.
fn utf16_without_bom(bytes: &[u8]) -> Option<Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let units = head.len() / 2;
    if units == 0 {
        return None;
    }
    let zero_at = |parity: usize| head.chunks_exact(2).filter(|unit| unit[parity] == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    // Most units of a roster are ASCII; a little non-Latin text still leaves a majority.
    match (even, odd) {
        (0, odd) if odd * 2 > units => Some(Encoding::Utf16Le),
        (even, 0) if even * 2 > units => Some(Encoding::Utf16Be),
        _ => None,
    }
}

/// Decodes UTF-16 code units; `offset` is where they start in the file, for the message.
fn utf16(bytes: &[u8], encoding: Encoding, offset: usize) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(format!("{} text with an odd number of bytes (cut short?)", encoding.name()));
    }
    let units = bytes.chunks_exact(2).map(|unit| match encoding {
        Encoding::Utf16Be => u16::from_be_bytes([unit[0], unit[1]]),
        _ => u16::from_le_bytes([unit[0], unit[1]]),
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                let at = offset + 2 * index;
                return Err(format!("invalid {} at byte offset {at} (an unpaired surrogate)", encoding.name()));
            }
        }
    }
    Ok(text)
}

/// What bytes 0x80 to 0x9F are in Windows-1252 (`None`: the five it leaves undefined);
/// every other byte is the Unicode character of the same number, as in Latin-1.
const WINDOWS_1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// Decodes a file that is not UTF-8 as Windows-1252; one of its undefined bytes means it
/// is in some other encoding, and it is refused rather than guessed at.
fn windows_1252(bytes: &[u8]) -> Result<String, String> {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for (at, &byte) in bytes.iter().enumerate() {
        let c = match byte {
            0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(byte - 0x80)].ok_or_else(|| {
                format!("neither UTF-8 nor Windows-1252 (byte 0x{byte:02X} at offset {at}); save the file as CSV UTF-8")
            })?,
            _ => char::from(byte),
        };
        text.push(c);
    }
    Ok(text)
}
