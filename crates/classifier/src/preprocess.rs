//! Image file bytes → model input, the one preprocessing path of the project.
//!
//! Decode any format the `image` crate supports (PNG, JPEG, GIF's first frame, WebP, BMP),
//! refusing files that are cut off ([`whole`]) or larger than [`MAX_PIXELS`], apply the
//! EXIF orientation, shrink very large images ([`shrink`]), composite transparency onto white, convert to 8-bit RGB and resize
//! (aspect ratio not kept, as in the original app) with one named filter. The result is
//! plain RGB in 0..=255 as `f32`, NHWC; the ImageNet mean subtraction is part of the
//! exported ONNX graph, so no consumer repeats it. Pixels another decoder made (the
//! browser's, for formats the `image` crate does not read) enter through [`from_rgba`].
//! Before a verdict, [`judgeable`] refuses images with nothing to judge ([`content`]).

pub mod content;
pub mod whole;

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, RgbaImage, imageops};

use crate::crops::CropBox;
use crate::meta::{ChannelOrder, InputSpec, Layout, ResizeFilter};
pub use content::NothingToJudge;

/// The largest image accepted, in pixels: 64 000 000 (8000×8000; 8001×8000 is refused).
pub const MAX_PIXELS: u64 = 64_000_000;

/// Images with more pixels than this (4096 × 4096, about 16.8 megapixels) are shrunk
/// before they are judged ([`shrunk_size`]): every crop ends up at the model's input size
/// (at most a few hundred pixels) anyway, and in the browser the worker can then ask the
/// browser to decode such a file at the shrunk size, so a 64-megapixel photo never
/// occupies the worker's memory (which only grows) at full size.
pub const SHRINK_ABOVE_PIXELS: u64 = 4096 * 4096;

/// The longer side of a shrunk image, in pixels.
pub const SHRUNK_SIDE: u32 = 2048;

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
    #[error("the image is {width}×{height} pixels, more than the limit of {limit} pixels")]
    TooLarge {
        /// Width in pixels (0 when the decoder stopped before saying).
        width: u32,
        /// Height in pixels (0 when the decoder stopped before saying).
        height: u32,
        /// The limit in pixels, [`MAX_PIXELS`].
        limit: u64,
    },
    /// The file ends before the image does.
    #[error("the image file is cut off before its end")]
    Truncated,
    /// The format was recognised but the data is damaged.
    #[error("the image data is corrupt: {0}")]
    Corrupt(String),
    /// The image decodes but has nothing to judge (see [`judgeable`]).
    #[error("the image has nothing to judge: {0:?}")]
    NothingToJudge(NothingToJudge),
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
/// by this alpha. An image of more than [`SHRINK_ABOVE_PIXELS`] is [`shrink`]ed.
pub fn decode_upright(bytes: &[u8]) -> Result<DynamicImage, PreprocessError> {
    let (mut decoder, _) = checked_decoder(bytes)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(shrink(image))
}

/// What a file's header says about the upright image, checked as [`decode_upright`]
/// checks it (empty, format, pixel limit, cut off) but without decoding any pixel.
pub fn probe(bytes: &[u8]) -> Result<(u32, u32), PreprocessError> {
    let (mut decoder, (width, height)) = checked_decoder(bytes)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    Ok(if turned {
        (height, width)
    } else {
        (width, height)
    })
}

/// What the first bytes of a file (its head, or all of it) say: the checks of [`probe`]
/// that need only the header (not empty, a format this build reads, within
/// [`MAX_PIXELS`]), but not whether the file is cut off. So the worker can refuse a huge
/// image, or send a format it does not read to the browser, before it reads the whole
/// file. [`PreprocessError::Unsupported`] and [`PreprocessError::TooLarge`] from a head
/// hold for the whole file; any other error may only mean that the head ends before the
/// header does.
pub fn check_head(head: &[u8]) -> Result<(), PreprocessError> {
    header_decoder(head).map(|_| ())
}

/// The decoder of an image file and its stored size, once the file passed the checks
/// that need no pixels: [`check_head`]'s and not cut off.
fn checked_decoder(bytes: &[u8]) -> Result<(impl ImageDecoder + '_, (u32, u32)), PreprocessError> {
    let (decoder, format) = header_decoder(bytes)?;
    if whole::is_cut_off(format, bytes) {
        return Err(PreprocessError::Truncated);
    }
    let size = decoder.dimensions();
    Ok((decoder, size))
}

/// The decoder of an image file and its format, once its header passed [`check_head`].
fn header_decoder(
    bytes: &[u8],
) -> Result<(impl ImageDecoder + '_, image::ImageFormat), PreprocessError> {
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreprocessError::Corrupt(e.to_string()))?;
    let Some(format) = reader.format() else {
        return Err(PreprocessError::Unsupported);
    };
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_pixel_limit(width, height)?;
    Ok((decoder, format))
}

/// The size a `width`×`height` image is shrunk to before it is judged, if it has more
/// than [`SHRINK_ABOVE_PIXELS`]: the longer side becomes [`SHRUNK_SIDE`], the aspect ratio
/// is kept, and no side drops below [`content::MIN_SIDE`] (or below itself, if smaller).
pub fn shrunk_size(width: u32, height: u32) -> Option<(u32, u32)> {
    if u64::from(width) * u64::from(height) <= SHRINK_ABOVE_PIXELS {
        return None;
    }
    let longer = u64::from(width.max(height));
    let scaled = |side: u32| {
        let shrunk = (u64::from(side) * u64::from(SHRUNK_SIDE) + longer / 2) / longer;
        (shrunk as u32).max(side.min(content::MIN_SIDE))
    };
    Some((scaled(width), scaled(height)))
}

/// The image at its [`shrunk_size`] (triangle filter, alpha kept), or as it is.
pub fn shrink(image: DynamicImage) -> DynamicImage {
    match shrunk_size(image.width(), image.height()) {
        Some((width, height)) => image.resize_exact(width, height, imageops::FilterType::Triangle),
        None => image,
    }
}

/// Pixels another decoder made (8-bit RGBA, row by row, not premultiplied), as an image
/// for [`judgeable`]: the browser's decoder in the worker, for formats the `image` crate
/// does not read. Held to the same [`MAX_PIXELS`].
pub fn from_rgba(
    width: u32,
    height: u32,
    pixels: Vec<u8>,
) -> Result<DynamicImage, PreprocessError> {
    check_pixel_limit(width, height)?;
    let length = pixels.len();
    RgbaImage::from_raw(width, height, pixels)
        .map(|image| shrink(DynamicImage::ImageRgba8(image)))
        .ok_or_else(|| {
            PreprocessError::Corrupt(format!(
                "{length} bytes are not {width}×{height} RGBA pixels"
            ))
        })
}

/// Refuses an image of more than [`MAX_PIXELS`], from its size alone.
pub fn check_pixel_limit(width: u32, height: u32) -> Result<(), PreprocessError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PreprocessError::TooLarge {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

/// The decoded image as the model's RGB, unless it has nothing to judge: smaller than
/// [`content::MIN_SIDE`] on a side, fully transparent, or one flat colour.
pub fn judgeable(image: DynamicImage) -> Result<RgbImage, PreprocessError> {
    content::check_shape(&image).map_err(PreprocessError::NothingToJudge)?;
    let rgb = flatten_onto_white(image);
    content::check_colours(&rgb).map_err(PreprocessError::NothingToJudge)?;
    Ok(rgb)
}

fn decode_error(error: image::ImageError) -> PreprocessError {
    match error {
        image::ImageError::Unsupported(_) => PreprocessError::Unsupported,
        image::ImageError::Limits(_) => PreprocessError::TooLarge {
            width: 0,
            height: 0,
            limit: MAX_PIXELS,
        },
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PreprocessError::Truncated
        }
        other if says_end_of_file(&other) => PreprocessError::Truncated,
        other => PreprocessError::Corrupt(other.to_string()),
    }
}

/// Whether a decoder's error says the data ran out (the GIF and PNG decoders report it
/// only in their message).
fn says_end_of_file(error: &image::ImageError) -> bool {
    let text = error.to_string().to_lowercase();
    ["end of file", "not enough bytes", "unexpected eof"]
        .iter()
        .any(|phrase| text.contains(phrase))
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
    imageops::resize(image, spec.size, spec.size, filter_type(spec.resize_filter))
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
