//! Image file bytes → model input, the one preprocessing path of the project.
//!
//! Decode any format the `image` crate supports (PNG, JPEG, GIF's first frame, WebP, BMP),
//! apply the EXIF orientation, composite transparency onto white, convert to 8-bit RGB and
//! resize (aspect ratio not kept, as in the original app) with one named filter. The result
//! is plain RGB in 0..=255 as `f32`, NHWC; the ImageNet mean subtraction is part of the
//! exported ONNX graph, so no consumer repeats it.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, RgbaImage, imageops};

use crate::crops::CropBox;
use crate::meta::{ChannelOrder, InputSpec, Layout, ResizeFilter};

/// The largest image accepted, in pixels (64 megapixels).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// Why an image file could not be turned into model input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreprocessError {
    /// The file has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not in an image format this build can decode.
    #[error("not a supported image format (PNG, JPEG, GIF, WebP or BMP)")]
    Unsupported,
    /// The image is larger than [`MAX_PIXELS`].
    #[error("the image is {width}×{height} pixels, more than the {limit_mp} MP limit")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit in megapixels.
        limit_mp: u64,
    },
    /// The format was recognised but decoding failed (corrupt or truncated data).
    #[error("the image data is corrupt or truncated: {0}")]
    Corrupt(String),
}

/// The image crate's filter for `filter`.
fn filter_type(filter: ResizeFilter) -> imageops::FilterType {
    match filter {
        ResizeFilter::Nearest => imageops::FilterType::Nearest,
        ResizeFilter::Triangle => imageops::FilterType::Triangle,
        ResizeFilter::CatmullRom => imageops::FilterType::CatmullRom,
        ResizeFilter::Lanczos3 => imageops::FilterType::Lanczos3,
    }
}

/// Decodes image file bytes into upright 8-bit RGB, transparency composited onto white.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, PreprocessError> {
    decode_upright(bytes).map(flatten_onto_white)
}

/// Decodes image file bytes with the EXIF orientation applied, keeping the colour type
/// (and so any alpha channel): what [`decode`] flattens. The trainer cuts characters out
/// by this alpha.
pub fn decode_upright(bytes: &[u8]) -> Result<DynamicImage, PreprocessError> {
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreprocessError::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(PreprocessError::Unsupported);
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PreprocessError::TooLarge {
            width,
            height,
            limit_mp: MAX_PIXELS / (1024 * 1024),
        });
    }
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn decode_error(error: image::ImageError) -> PreprocessError {
    match error {
        image::ImageError::Unsupported(_) => PreprocessError::Unsupported,
        image::ImageError::Limits(_) => PreprocessError::TooLarge {
            width: 0,
            height: 0,
            limit_mp: MAX_PIXELS / (1024 * 1024),
        },
        other => PreprocessError::Corrupt(other.to_string()),
    }
}

/// Converts any colour type to RGB8; pixels with transparency are blended onto white.
pub fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba: RgbaImage = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// Resizes to the input size with the spec's filter (aspect ratio not kept).
pub fn resize(image: &RgbImage, spec: &InputSpec) -> RgbImage {
    if image.dimensions() == (spec.size, spec.size) {
        return image.clone();
    }
    imageops::resize(
        image,
        spec.size,
        spec.size,
        filter_type(spec.resize_filter),
    )
}

/// Resizes and lays out one image as the spec says: channel order, scale, mean and std,
/// NHWC or NCHW. For this project's own models that is plain NHWC RGB in 0..=255.
pub fn to_tensor(image: &RgbImage, spec: &InputSpec) -> Vec<f32> {
    let resized = resize(image, spec);
    let side = spec.size as usize;
    let plane = side * side;
    let order = match spec.channel_order {
        ChannelOrder::Rgb => [0, 1, 2],
        ChannelOrder::Bgr => [2, 1, 0],
    };
    let mut tensor = vec![0.0; plane * 3];
    for (pixel_index, pixel) in resized.pixels().enumerate() {
        for (slot, &source) in order.iter().enumerate() {
            let value =
                (f32::from(pixel.0[source]) * spec.scale - spec.mean[slot]) / spec.std[slot];
            let at = match spec.layout {
                Layout::Nhwc => pixel_index * 3 + slot,
                Layout::Nchw => slot * plane + pixel_index,
            };
            tensor[at] = value;
        }
    }
    tensor
}

/// [`decode`] then [`to_tensor`]: file bytes to one input image.
pub fn prepare(bytes: &[u8], spec: &InputSpec) -> Result<Vec<f32>, PreprocessError> {
    decode(bytes).map(|image| to_tensor(&image, spec))
}

/// Cuts one box out of the image ([`CropBox::to_pixels`]) and makes it one input image
/// with [`to_tensor`]. The whole-image box gives exactly `to_tensor(image, spec)`.
pub fn crop_tensor(image: &RgbImage, spec: &InputSpec, crop: &CropBox) -> Vec<f32> {
    let (width, height) = image.dimensions();
    let pixels = crop.to_pixels(width, height);
    if (pixels.w, pixels.h) == (width, height) {
        return to_tensor(image, spec);
    }
    let cut = imageops::crop_imm(image, pixels.x, pixels.y, pixels.w, pixels.h).to_image();
    to_tensor(&cut, spec)
}

/// One input batch: [`crop_tensor`] of every box, concatenated in list order (the list
/// order is the batch order), shape `spec.shape(crops.len())`.
pub fn batch_tensor(image: &RgbImage, spec: &InputSpec, crops: &[CropBox]) -> Vec<f32> {
    crops
        .iter()
        .flat_map(|crop| crop_tensor(image, spec, crop))
        .collect()
}
