//! Whether an image file is whole: its container runs to its end marker, or the sizes it
//! declares fit in the bytes given. Some decoders fill what is missing of a cut-off file
//! with grey and report no error (a JPEG cut halfway decodes as a picture half grey), so
//! the classifier checks the container itself before judging pixels that were never there.

use image::ImageFormat;

/// Whether `bytes`, recognised as `format`, end before the file does. Formats without a
/// check here count as whole; their decoders report missing data themselves.
pub fn is_cut_off(format: ImageFormat, bytes: &[u8]) -> bool {
    match format {
        ImageFormat::Png => !png_reaches_iend(bytes),
        ImageFormat::Jpeg => !jpeg_reaches_eoi(bytes),
        ImageFormat::WebP => riff_declares_more(bytes),
        _ => false,
    }
}

/// Walks the PNG chunks after the signature until `IEND`; a chunk running past the end,
/// or no `IEND`, means the file was cut.
fn png_reaches_iend(bytes: &[u8]) -> bool {
    let mut at = 8;
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = at.saturating_add(12).saturating_add(length);
        if end > bytes.len() {
            return false;
        }
        if &header[4..8] == b"IEND" {
            return true;
        }
        at = end;
    }
    false
}

/// Walks the JPEG segments from SOI: each marker segment by its length, each scan's
/// entropy-coded data up to the next marker (a 0xFF not followed by 0x00 or a restart
/// marker), until EOI. Running out of bytes first means the file was cut.
fn jpeg_reaches_eoi(bytes: &[u8]) -> bool {
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) else {
            return false;
        };
        at += 2;
        match marker {
            0xD9 => return true,
            // Markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2) else {
            return false;
        };
        at += usize::from(u16::from_be_bytes([length[0], length[1]]));
        if at > bytes.len() {
            return false;
        }
        if marker == 0xDA {
            match next_marker(bytes, at) {
                Some(next) => at = next,
                None => return false,
            }
        }
    }
}

/// The position of the first marker at or after `from` in entropy-coded data.
fn next_marker(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + 1 < bytes.len() {
        if bytes[at] == 0xFF && !matches!(bytes[at + 1], 0x00 | 0xD0..=0xD7 | 0xFF) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Whether a RIFF file (WebP) declares more bytes than it has.
fn riff_declares_more(bytes: &[u8]) -> bool {
    match bytes.get(4..8) {
        Some(size) => {
            let declared = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
            declared.saturating_add(8) > bytes.len()
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_without_iend_is_cut_off() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend([0, 0, 0, 0]);
        png.extend(b"IEND");
        png.extend([0xAE, 0x42, 0x60, 0x82]);
        assert!(!is_cut_off(ImageFormat::Png, &png));
        assert!(is_cut_off(ImageFormat::Png, &png[..png.len() - 1]));
        assert!(is_cut_off(ImageFormat::Png, &png[..8]));
    }

    #[test]
    fn a_jpeg_reaches_eoi_past_stuffed_bytes_and_restarts() {
        // SOI, a COM segment, SOS with a 2-byte header, scan data with a stuffed 0xFF00 and
        // a restart marker, then EOI.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i', 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF,
            0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9,
        ];
        assert!(!is_cut_off(ImageFormat::Jpeg, &jpeg));
        for cut in [2, 7, 15, 19] {
            assert!(is_cut_off(ImageFormat::Jpeg, &jpeg[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn a_riff_shorter_than_declared_is_cut_off() {
        let mut webp = b"RIFF".to_vec();
        webp.extend(8u32.to_le_bytes());
        webp.extend(b"WEBPVP8L");
        assert!(!is_cut_off(ImageFormat::WebP, &webp));
        assert!(is_cut_off(ImageFormat::WebP, &webp[..15]));
    }
}
