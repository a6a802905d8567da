//! What an uploaded screenshot must be, and what is made of it: the format read from
//! its magic bytes, its size read from its header before anything is decoded, then
//! (bounded) decoding, the blur the policy may ask for, and the thumbnail.
//!
//! Everything here is CPU work over bytes; callers run it off the async threads.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageReader, Limits, RgbImage};
use pulse_shared::screenshots::{ImageFormat, MAX_SCREENSHOT_PIXELS, THUMBNAIL_SIDE};

/// The longest side accepted, in pixels: four 4K monitors side by side. With
/// [`MAX_SCREENSHOT_PIXELS`] it keeps absurd shapes (16 million × 1) out.
pub const MAX_SIDE: u32 = 4 * 3840;
/// A blurred screenshot keeps this many cells along its longest side: window layout
/// stays recognisable, text does not (a 1920-pixel screen becomes 24-pixel cells).
pub const BLUR_CELLS: u32 = 80;
/// JPEG quality of thumbnails and of blurred JPEG originals.
const JPEG_QUALITY: u8 = 80;

/// Why an upload is not a screenshot we keep. Each becomes a 422 naming the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The bytes are not an image of any known kind.
    NotAnImage,
    /// An image, but of a format not accepted (GIF, BMP, …).
    Unsupported,
    /// The bytes are one accepted format, the `Content-Type` said another.
    Mismatch {
        declared: ImageFormat,
        actual: ImageFormat,
    },
    /// The header claims more pixels (or a longer side) than accepted.
    TooLarge { width: u32, height: u32 },
    /// The header or the pixel data cannot be read.
    Corrupt(String),
}

impl Refusal {
    /// The problem's error code and message.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Self::NotAnImage => (
                "not_an_image",
                "The body is not a PNG, JPEG or WebP image.".into(),
            ),
            Self::Unsupported => (
                "unsupported_format",
                "Only PNG, JPEG and WebP images are accepted.".into(),
            ),
            Self::Mismatch { declared, actual } => (
                "type_mismatch",
                format!(
                    "The body is {} but was sent as {}.",
                    actual.content_type(),
                    declared.content_type()
                ),
            ),
            Self::TooLarge { width, height } => (
                "too_many_pixels",
                format!(
                    "The image is {width}×{height}; at most {MAX_SCREENSHOT_PIXELS} pixels and \
                     {MAX_SIDE} pixels a side are accepted."
                ),
            ),
            Self::Corrupt(why) => ("corrupt", format!("The image cannot be read: {why}")),
        }
    }
}

/// What the header says, read without decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// What is stored of an accepted upload.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The original as uploaded, or its blurred re-encoding (same format).
    pub original: Option<Vec<u8>>,
    /// A JPEG whose longest side is at most [`THUMBNAIL_SIDE`].
    pub thumbnail: Vec<u8>,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
}

/// The media type of an upload, if it is one accepted.
pub fn declared_format(content_type: &str) -> Option<ImageFormat> {
    let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" | "image/jpg" => Some(ImageFormat::Jpeg),
        "image/webp" => Some(ImageFormat::Webp),
        _ => None,
    }
}

/// The format by the magic bytes, the dimensions by the header: nothing is decoded, so
/// a small file claiming a huge image (a decompression bomb) is refused here.
pub fn inspect(bytes: &[u8], declared: ImageFormat) -> Result<Header, Refusal> {
    let actual = match image::guess_format(bytes) {
        Ok(image::ImageFormat::Png) => ImageFormat::Png,
        Ok(image::ImageFormat::Jpeg) => ImageFormat::Jpeg,
        Ok(image::ImageFormat::WebP) => ImageFormat::Webp,
        Ok(_) => return Err(Refusal::Unsupported),
        Err(_) => return Err(Refusal::NotAnImage),
    };
    if actual != declared {
        return Err(Refusal::Mismatch { declared, actual });
    }
    let (width, height) = reader(bytes, actual)
        .into_dimensions()
        .map_err(|error| Refusal::Corrupt(error.to_string()))?;
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_SCREENSHOT_PIXELS
    {
        return Err(Refusal::TooLarge { width, height });
    }
    Ok(Header {
        format: actual,
        width,
        height,
    })
}

/// Decodes an inspected upload (with the decoder's own limits set as well), blurs it
/// when asked, and makes its thumbnail.
pub fn render(bytes: &[u8], header: Header, blur: bool) -> Result<Rendered, Refusal> {
    let mut reader = reader(bytes, header.format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The largest output (16-bit RGBA) plus the decoder's working memory.
    limits.max_alloc = Some(MAX_SCREENSHOT_PIXELS * 8 + 64 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|error| Refusal::Corrupt(error.to_string()))?;
    if (decoded.width(), decoded.height()) != (header.width, header.height) {
        return Err(Refusal::Corrupt(
            "the decoded size differs from the header".into(),
        ));
    }
    let mut pixels = decoded.to_rgb8();
    drop(decoded);
    let original = if blur {
        pixels = blurred(&pixels);
        Some(encode(&pixels, header.format)?)
    } else {
        None
    };
    let thumbnail = thumbnail(&pixels);
    Ok(Rendered {
        original,
        thumbnail_width: thumbnail.width(),
        thumbnail_height: thumbnail.height(),
        thumbnail: encode(&thumbnail, ImageFormat::Jpeg)?,
    })
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Webp => image::ImageFormat::WebP,
    });
    reader
}

/// A strong low-pass: down to [`BLUR_CELLS`] along the longest side (each cell the
/// average of its pixels), then back up, smoothly. What was finer than a cell is gone,
/// not hidden, so it cannot be sharpened back.
pub fn blurred(pixels: &RgbImage) -> RgbImage {
    let (width, height) = pixels.dimensions();
    let longest = width.max(height);
    if longest <= BLUR_CELLS {
        return pixels.clone();
    }
    let small = |side: u32| (u64::from(side) * u64::from(BLUR_CELLS) / u64::from(longest)).max(1);
    let cells = image::imageops::resize(
        pixels,
        u32::try_from(small(width)).unwrap_or(1),
        u32::try_from(small(height)).unwrap_or(1),
        FilterType::Triangle,
    );
    image::imageops::resize(&cells, width, height, FilterType::Triangle)
}

/// Fits the image within [`THUMBNAIL_SIDE`] × [`THUMBNAIL_SIDE`]; smaller ones stay as they are.
fn thumbnail(pixels: &RgbImage) -> RgbImage {
    let (width, height) = pixels.dimensions();
    if width.max(height) <= THUMBNAIL_SIDE {
        return pixels.clone();
    }
    DynamicImage::ImageRgb8(pixels.clone())
        .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        .to_rgb8()
}

fn encode(pixels: &RgbImage, format: ImageFormat) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let (width, height) = pixels.dimensions();
    let written = match format {
        ImageFormat::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PngFilter::Adaptive)
                .write_image(pixels, width, height, ExtendedColorType::Rgb8)
        }
        ImageFormat::Jpeg => JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            pixels,
            width,
            height,
            ExtendedColorType::Rgb8,
        ),
        ImageFormat::Webp => WebPEncoder::new_lossless(&mut out).write_image(
            pixels,
            width,
            height,
            ExtendedColorType::Rgb8,
        ),
    };
    written.map_err(|error| Refusal::Corrupt(format!("re-encoding failed: {error}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkerboard(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            if (x / 2 + y / 2) % 2 == 0 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([0, 0, 0])
            }
        })
    }

    fn png(pixels: &RgbImage) -> Vec<u8> {
        encode(pixels, ImageFormat::Png).unwrap()
    }

    fn variance(pixels: &RgbImage) -> f64 {
        let values: Vec<f64> = pixels.pixels().map(|p| f64::from(p.0[0])).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64
    }

    #[test]
    fn formats_come_from_the_bytes_and_must_match_the_declared_type() {
        let bytes = png(&checkerboard(40, 30));
        assert_eq!(
            inspect(&bytes, ImageFormat::Png),
            Ok(Header {
                format: ImageFormat::Png,
                width: 40,
                height: 30
            })
        );
        assert_eq!(
            inspect(&bytes, ImageFormat::Jpeg),
            Err(Refusal::Mismatch {
                declared: ImageFormat::Jpeg,
                actual: ImageFormat::Png
            })
        );
        assert_eq!(
            inspect(b"just some text, honest", ImageFormat::Png),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(
            inspect(b"GIF89a\x01\x00\x01\x00", ImageFormat::Png),
            Err(Refusal::Unsupported)
        );
        assert!(matches!(
            inspect(&bytes[..20], ImageFormat::Png),
            Err(Refusal::Corrupt(_))
        ));
    }

    #[test]
    fn content_types_are_read_leniently() {
        assert_eq!(declared_format("image/png"), Some(ImageFormat::Png));
        assert_eq!(
            declared_format("Image/JPEG; charset=binary"),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(declared_format("image/webp"), Some(ImageFormat::Webp));
        assert_eq!(declared_format("image/gif"), None);
        assert_eq!(declared_format("text/plain"), None);
    }

    #[test]
    fn thumbnails_fit_and_blur_removes_detail() {
        let board = checkerboard(800, 500);
        let bytes = png(&board);
        let header = inspect(&bytes, ImageFormat::Png).unwrap();
        let plain = render(&bytes, header, false).unwrap();
        assert!(plain.original.is_none());
        assert_eq!((plain.thumbnail_width, plain.thumbnail_height), (320, 200));
        let blurred = render(&bytes, header, true).unwrap();
        let stored = image::load_from_memory(&blurred.original.unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(stored.dimensions(), (800, 500));
        assert!(variance(&stored) < variance(&board) / 20.0);
        let small = checkerboard(100, 60);
        let small_bytes = png(&small);
        let header = inspect(&small_bytes, ImageFormat::Png).unwrap();
        let kept = render(&small_bytes, header, false).unwrap();
        assert_eq!((kept.thumbnail_width, kept.thumbnail_height), (100, 60));
    }

    #[test]
    fn every_format_round_trips() {
        let board = checkerboard(64, 48);
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Webp] {
            let bytes = encode(&board, format).unwrap();
            let header = inspect(&bytes, format).unwrap();
            assert_eq!((header.width, header.height), (64, 48), "{format:?}");
            let rendered = render(&bytes, header, true).unwrap();
            assert!(rendered.original.is_some(), "{format:?}");
        }
    }

    #[test]
    fn huge_headers_are_refused_before_decoding() {
        // A PNG header claiming 30000 × 30000, with no pixel data behind it: decoding
        // would fail, so a refusal for size shows the header alone was read.
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = 30_000u32.to_be_bytes().repeat(2);
        header.extend_from_slice(&[1, 0, 0, 0, 0]);
        for (kind, data) in [(&b"IHDR"[..], &header[..]), (b"IDAT", &[]), (b"IEND", &[])] {
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(data);
            bytes.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            bytes.extend_from_slice(&chunk);
            bytes.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        assert_eq!(
            inspect(&bytes, ImageFormat::Png),
            Err(Refusal::TooLarge {
                width: 30_000,
                height: 30_000
            })
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
