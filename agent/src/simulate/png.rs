//! A small real PNG made in memory, for simulated screenshots: a few lines of PNG
//! framing over `flate2`'s zlib stream and CRC-32, instead of an image crate the agent
//! would carry only for this.

use std::io::Write as _;

/// A `width` × `height` RGB image: a gradient tinted by `seed`, so agents' screenshots
/// differ.
pub fn screenshot(width: u32, height: u32, seed: u32) -> anyhow::Result<Vec<u8>> {
    let [r0, g0, b0, _] = seed.wrapping_mul(2_654_435_761).to_le_bytes();
    let mut raw = Vec::with_capacity(usize::try_from((width * 3 + 1) * height)?);
    for y in 0..height {
        // Filter type 0 (none) for every scanline.
        raw.push(0);
        for x in 0..width {
            let fade = |base: u8, along: u32, of: u32| {
                u8::try_from((u32::from(base) + along * 255 / of.max(1)) % 256).unwrap_or(0)
            };
            raw.extend_from_slice(&[fade(r0, x, width), fade(g0, y, height), b0]);
        }
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&raw)?;
    let data = zlib.finish()?;

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // 8 bits per sample, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header)?;
    chunk(&mut png, b"IDAT", &data)?;
    chunk(&mut png, b"IEND", &[])?;
    Ok(png)
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> anyhow::Result<()> {
    png.extend_from_slice(&u32::try_from(data.len())?.to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn be32(bytes: &[u8]) -> u32 {
        u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }

    #[test]
    fn makes_a_well_formed_png() {
        let png = screenshot(64, 40, 7).unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // Walk the chunks, checking every CRC.
        let mut at = 8;
        let mut kinds = Vec::new();
        let mut idat = Vec::new();
        while at < png.len() {
            let length = be32(&png[at..]) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + length];
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            assert_eq!(be32(&png[at + 8 + length..]), crc.sum());
            kinds.push(String::from_utf8_lossy(kind).into_owned());
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            if kind == b"IHDR" {
                assert_eq!((be32(data), be32(&data[4..])), (64, 40));
            }
            at += 12 + length;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let mut pixels = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut pixels)
            .unwrap_or_default();
        assert_eq!(pixels.len(), (64 * 3 + 1) * 40);
        assert!(png.len() < 8 * 1024, "small: {} bytes", png.len());
        assert_ne!(screenshot(64, 40, 8).unwrap_or_default(), png);
    }
}
