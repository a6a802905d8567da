//! A screenshot as it leaves the computer: scaled down to fit 1920 × 1080, blurred here
//! when the policy says so (the server blurs too, but the sharp picture then never
//! travels), encoded as JPEG.

use image::RgbImage;
use image::imageops::{self, FilterType};

/// The largest picture sent; larger monitors are scaled down to fit.
pub const MAX_SIZE: (u32, u32) = (1920, 1080);
const QUALITY: u8 = 70;
/// Enough to make text unreadable at 1920 pixels wide.
const BLUR_SIGMA: f32 = 6.0;

/// The JPEG of `image`, scaled and blurred as needed.
pub fn encode(image: RgbImage, blur: bool) -> anyhow::Result<Vec<u8>> {
    let (width, height) = image.dimensions();
    let scale = f64::min(
        f64::from(MAX_SIZE.0) / f64::from(width.max(1)),
        f64::from(MAX_SIZE.1) / f64::from(height.max(1)),
    );
    let mut image = if scale < 1.0 {
        let to = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
        imageops::resize(&image, to(width), to(height), FilterType::Triangle)
    } else {
        image
    };
    if blur {
        image = imageops::fast_blur(&image, BLUR_SIGMA);
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY).encode_image(&image)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sharp black and white stripes, one pixel wide.
    fn stripes(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, _| {
            if x % 2 == 0 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        })
    }

    fn contrast(jpeg: &[u8]) -> anyhow::Result<(u32, u32, u32)> {
        let image = image::load_from_memory(jpeg)?.to_luma8();
        let row: Vec<i32> = (0..20)
            .map(|x| i32::from(image.get_pixel(x + 100, 50)[0]))
            .collect();
        let most = row
            .windows(2)
            .map(|w| (w[0] - w[1]).unsigned_abs())
            .max()
            .unwrap_or(0);
        Ok((image.width(), image.height(), most))
    }

    #[test]
    fn large_screens_are_scaled_to_fit_and_blur_removes_detail() -> anyhow::Result<()> {
        let (width, height, _) = contrast(&encode(stripes(2560, 1440), false)?)?;
        assert_eq!((width, height), (1920, 1080));
        let (width, height, _) = contrast(&encode(stripes(1280, 800), false)?)?;
        assert_eq!(
            (width, height),
            (1280, 800),
            "smaller screens keep their size"
        );
        let (_, _, sharp_small) = contrast(&encode(stripes(1280, 800), false)?)?;
        let (_, _, blurred) = contrast(&encode(stripes(1280, 800), true)?)?;
        assert!(sharp_small > 150, "{sharp_small}");
        assert!(blurred < 30, "blurred stripes still differ by {blurred}");
        Ok(())
    }
}
