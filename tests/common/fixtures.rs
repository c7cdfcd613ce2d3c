//! Fixture images made in code (never copied from anywhere): PNG and JPEG bytes with
//! distinct patterns, plus a corrupt image and a text file.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A named fixture file.
pub struct Fixture {
    /// File name, with an extension that matches the content.
    pub name: &'static str,
    /// MIME type to give the browser.
    pub mime: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, format)
        .expect("encoding a fixture");
    bytes.into_inner()
}

/// A pink-and-blue diagonal gradient, as PNG.
pub fn gradient_png() -> Fixture {
    let image = RgbImage::from_fn(160, 120, |x, y| {
        Rgb([
            (200 + x / 4) as u8,
            (40 + y) as u8,
            (90 + (x + y) / 3) as u8,
        ])
    });
    Fixture {
        name: "gradient.png",
        mime: "image/png",
        bytes: encode(image.into(), ImageFormat::Png),
    }
}

/// A dark checkerboard with a bright disc, as JPEG.
pub fn checker_jpeg() -> Fixture {
    let image = RgbImage::from_fn(200, 150, |x, y| {
        let (dx, dy) = (x as i32 - 100, y as i32 - 75);
        if dx * dx + dy * dy < 40 * 40 {
            Rgb([250, 230, 120])
        } else if (x / 20 + y / 20) % 2 == 0 {
            Rgb([30, 30, 60])
        } else {
            Rgb([90, 140, 70])
        }
    });
    Fixture {
        name: "checker.jpg",
        mime: "image/jpeg",
        bytes: encode(image.into(), ImageFormat::Jpeg),
    }
}

/// Half-transparent stripes (composited onto white by the preprocessing), as PNG.
pub fn stripes_png() -> Fixture {
    let image = RgbaImage::from_fn(90, 130, |x, y| {
        let alpha = if (x / 10) % 2 == 0 {
            255
        } else {
            (y * 2) as u8
        };
        Rgba([(x * 2) as u8, 60, (255 - y) as u8, alpha])
    });
    Fixture {
        name: "stripes.png",
        mime: "image/png",
        bytes: encode(image.into(), ImageFormat::Png),
    }
}

/// The app's own icon (a horse, `assets/icons/icon-512.png`) at 200 × 200 in the bottom
/// right corner of a 640 × 480 slate-blue picture: something that fills only a corner.
pub fn corner_png() -> Fixture {
    let icon_path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/icons/icon-512.png");
    let icon = image::open(icon_path)
        .expect("the app's icon")
        .resize_exact(200, 200, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let mut picture = RgbaImage::from_pixel(640, 480, Rgba([0x6a, 0x8c, 0xaf, 255]));
    image::imageops::overlay(&mut picture, &icon, 430, 270);
    Fixture {
        name: "corner.png",
        mime: "image/png",
        bytes: encode(
            DynamicImage::ImageRgba8(picture).to_rgb8().into(),
            ImageFormat::Png,
        ),
    }
}

/// The valid images, in a fixed order.
pub fn images() -> Vec<Fixture> {
    vec![gradient_png(), checker_jpeg(), stripes_png()]
}

/// A PNG cut off in the middle of its image data.
pub fn corrupt_png() -> Fixture {
    let mut bytes = checker_jpeg_as_png();
    bytes.truncate(bytes.len() / 2);
    Fixture {
        name: "broken.png",
        mime: "image/png",
        bytes,
    }
}

fn checker_jpeg_as_png() -> Vec<u8> {
    let image = image::load_from_memory(&checker_jpeg().bytes).expect("decoding a fixture");
    encode(image, ImageFormat::Png)
}

/// A text file that claims nothing.
pub fn text_file() -> Fixture {
    Fixture {
        name: "notes.txt",
        mime: "text/plain",
        bytes: "これは画像ではありません。\n".as_bytes().to_vec(),
    }
}
