//! The shared preprocessing on images made here, with known pixels.

use std::io::Cursor;

use classifier::ResizeFilter;
use classifier::meta::{ChannelOrder, InputSpec, Layout};
use classifier::preprocess::{self, PreprocessError};
use image::{DynamicImage, ImageBuffer, ImageEncoder, ImageFormat, Luma, Rgb, RgbImage, Rgba};

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A 2×1 image: red on the left, blue on the right.
fn red_blue() -> RgbImage {
    RgbImage::from_fn(2, 1, |x, _| {
        if x == 0 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

/// A little-endian TIFF/Exif chunk with one Orientation entry.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut chunk = b"II*\0".to_vec();
    chunk.extend(8u32.to_le_bytes());
    chunk.extend(1u16.to_le_bytes());
    chunk.extend(0x0112u16.to_le_bytes());
    chunk.extend(3u16.to_le_bytes());
    chunk.extend(1u32.to_le_bytes());
    chunk.extend(value.to_le_bytes());
    chunk.extend([0, 0]);
    chunk.extend(0u32.to_le_bytes());
    chunk
}

#[test]
fn exif_orientation_is_applied() {
    let image = red_blue();
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    encoder.set_exif_metadata(exif_orientation(6)).unwrap();
    encoder
        .write_image(image.as_raw(), 2, 1, image::ExtendedColorType::Rgb8)
        .unwrap();
    let decoded = preprocess::decode(&bytes).unwrap();
    // Orientation 6 = rotate 90° clockwise: the 2×1 row becomes a 1×2 column, red on top.
    assert_eq!(decoded.dimensions(), (1, 2));
    assert_eq!(decoded.get_pixel(0, 0), &Rgb([255, 0, 0]));
    assert_eq!(decoded.get_pixel(0, 1), &Rgb([0, 0, 255]));
}

#[test]
fn transparency_is_composited_onto_white() {
    let image = ImageBuffer::from_fn(3, 1, |x, _| match x {
        0 => Rgba([0, 0, 0, 0]),
        1 => Rgba([0, 0, 0, 255]),
        _ => Rgba([255, 0, 0, 128]),
    });
    let decoded =
        preprocess::decode(&encode(&DynamicImage::ImageRgba8(image), ImageFormat::Png)).unwrap();
    assert_eq!(
        decoded.get_pixel(0, 0),
        &Rgb([255, 255, 255]),
        "fully transparent → white"
    );
    assert_eq!(decoded.get_pixel(1, 0), &Rgb([0, 0, 0]), "opaque stays");
    assert_eq!(
        decoded.get_pixel(2, 0),
        &Rgb([255, 127, 127]),
        "half red on white → pink"
    );
}

#[test]
fn grey_and_sixteen_bit_become_rgb8() {
    let grey = ImageBuffer::from_pixel(2, 2, Luma([77u8]));
    let decoded =
        preprocess::decode(&encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Png)).unwrap();
    assert_eq!(decoded.get_pixel(1, 1), &Rgb([77, 77, 77]));

    let deep = ImageBuffer::from_pixel(2, 2, Rgb([65535u16, 32896, 0]));
    let decoded =
        preprocess::decode(&encode(&DynamicImage::ImageRgb16(deep), ImageFormat::Png)).unwrap();
    assert_eq!(decoded.get_pixel(0, 0), &Rgb([255, 128, 0]));
}

#[test]
fn every_supported_format_decodes() {
    let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(8, 8, Rgb([10, 200, 30])));
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::WebP,
        ImageFormat::Bmp,
    ] {
        let decoded = preprocess::decode(&encode(&image, format))
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let [r, g, b] = decoded.get_pixel(4, 4).0;
        assert!(r < 40 && g > 170 && b < 60, "{format:?} gave {r},{g},{b}");
    }
}

#[test]
fn resize_gives_nhwc_rgb_0_255_with_the_named_filter() {
    let image = RgbImage::from_fn(100, 40, |x, _| {
        if x < 50 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let spec = InputSpec::plain_rgb(10, ResizeFilter::Triangle);
    let tensor = preprocess::to_tensor(&image, &spec);
    assert_eq!(tensor.len(), 10 * 10 * 3);
    assert_eq!(&tensor[..3], &[255.0, 0.0, 0.0], "top-left stays pure red");
    let last = tensor.len() - 3;
    assert_eq!(
        &tensor[last..],
        &[0.0, 0.0, 255.0],
        "bottom-right stays pure blue"
    );
    let middle = &tensor[(5 * 10 + 4) * 3..(5 * 10 + 6) * 3];
    assert!(
        middle[0] > 0.0 && middle[0] < 255.0,
        "triangle filter blends the edge: {middle:?}"
    );
}

#[test]
fn spec_fields_reorder_scale_and_lay_out() {
    let image = RgbImage::from_pixel(2, 2, Rgb([10, 20, 30]));
    let mut spec = InputSpec::plain_rgb(2, ResizeFilter::Nearest);
    spec.channel_order = ChannelOrder::Bgr;
    spec.layout = Layout::Nchw;
    spec.scale = 0.5;
    spec.mean = [1.0, 2.0, 3.0];
    spec.std = [2.0, 2.0, 2.0];
    let tensor = preprocess::to_tensor(&image, &spec);
    // BGR: 30, 20, 10 → ×0.5 → 15, 10, 5 → −mean → 14, 8, 2 → ÷2 → 7, 4, 1; NCHW planes.
    assert_eq!(
        tensor,
        vec![7.0, 7.0, 7.0, 7.0, 4.0, 4.0, 4.0, 4.0, 1.0, 1.0, 1.0, 1.0]
    );
}

#[test]
fn bad_files_get_specific_errors() {
    assert_eq!(preprocess::decode(&[]), Err(PreprocessError::Empty));
    assert_eq!(
        preprocess::decode(b"just some text, not an image"),
        Err(PreprocessError::Unsupported)
    );
    let png = encode(
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, Rgb([1, 2, 3]))),
        ImageFormat::Png,
    );
    let truncated = &png[..png.len() / 2];
    assert_eq!(
        preprocess::decode(truncated),
        Err(PreprocessError::Truncated)
    );
}

#[test]
fn pixels_from_another_decoder_are_held_to_the_same_limits() {
    let image = preprocess::from_rgba(2, 1, vec![255, 0, 0, 255, 0, 0, 255, 0]).unwrap();
    assert_eq!(
        preprocess::flatten_onto_white(image).as_raw(),
        &vec![255, 0, 0, 255, 255, 255],
        "red, then transparent blue on white"
    );
    assert!(matches!(
        preprocess::from_rgba(2, 2, vec![0; 15]),
        Err(PreprocessError::Corrupt(_))
    ));
    assert_eq!(
        preprocess::from_rgba(8001, 8000, Vec::new()),
        Err(PreprocessError::TooLarge {
            width: 8001,
            height: 8000,
            limit: preprocess::MAX_PIXELS
        })
    );
}

#[test]
fn huge_images_are_refused_before_decoding() {
    // A valid PNG claiming 10000×10000 pixels (100 MP) whose pixel data is empty.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let size: Vec<u8> = [10_000u32.to_be_bytes(), 10_000u32.to_be_bytes()].concat();
    png.extend(chunk(
        b"IHDR",
        &[size.as_slice(), &[8, 0, 0, 0, 0]].concat(),
    ));
    png.extend(chunk(b"IDAT", &[]));
    png.extend(chunk(b"IEND", &[]));
    match preprocess::decode(&png) {
        Err(PreprocessError::TooLarge {
            width: 10_000,
            height: 10_000,
            ..
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

/// One PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let body: Vec<u8> = [kind.as_slice(), data].concat();
    [
        (data.len() as u32).to_be_bytes().as_slice(),
        &body,
        &crc32(&body).to_be_bytes(),
    ]
    .concat()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
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

#[test]
fn very_large_images_are_shrunk_to_a_2048_pixel_side() {
    use preprocess::{SHRINK_ABOVE_PIXELS, SHRUNK_SIDE, shrunk_size};
    assert_eq!(SHRINK_ABOVE_PIXELS, 4096 * 4096);
    assert_eq!(shrunk_size(4096, 4096), None, "at the threshold: as it is");
    assert_eq!(
        shrunk_size(4097, 4096),
        Some((2048, 2048)),
        "2047.5 rounds up"
    );
    assert_eq!(shrunk_size(8000, 8000), Some((SHRUNK_SIDE, SHRUNK_SIDE)));
    assert_eq!(shrunk_size(5472, 3648), Some((2048, 1365)), "a 20 MP photo");
    assert_eq!(shrunk_size(3648, 5472), Some((1365, 2048)));
    assert_eq!(
        shrunk_size(4_000_000, 16),
        Some((2048, 16)),
        "a judged side never shrinks below 16 pixels"
    );
    assert_eq!(shrunk_size(6_000_000, 3), Some((2048, 3)));

    let image = preprocess::decode_upright(&hostile_fixtures::make::png_sized(6000, 3000)).unwrap();
    assert_eq!((image.width(), image.height()), (2048, 1024));
    let from_browser = preprocess::from_rgba(5000, 4000, vec![200; 5000 * 4000 * 4]).unwrap();
    assert_eq!((from_browser.width(), from_browser.height()), (2048, 1638));
    let small = preprocess::decode_upright(&hostile_fixtures::make::png_sized(300, 200)).unwrap();
    assert_eq!(
        (small.width(), small.height()),
        (300, 200),
        "small images stay as they are"
    );
}

#[test]
fn a_probe_checks_the_header_as_decoding_does_and_gives_the_upright_size() {
    use hostile_fixtures::make;
    assert_eq!(
        preprocess::probe(&make::png_sized(640, 480)),
        Ok((640, 480))
    );
    // EXIF orientation 6 turns the stored size.
    let stored = image::load_from_memory(&make::exif_rotated_jpeg()).unwrap();
    let upright = preprocess::decode_upright(&make::exif_rotated_jpeg()).unwrap();
    assert_ne!(stored.width(), stored.height());
    assert_eq!(
        preprocess::probe(&make::exif_rotated_jpeg()),
        Ok((upright.width(), upright.height()))
    );
    for bytes in [
        make::empty(),
        make::text(),
        make::truncated_png(),
        make::truncated_jpeg(),
        make::bomb_png(),
        make::png_signature_only(),
    ] {
        let decoded = preprocess::decode_upright(&bytes).map(|_| ());
        assert!(decoded.is_err());
        assert_eq!(preprocess::probe(&bytes).map(|_| ()), decoded);
    }
}

#[test]
fn a_head_is_refused_only_for_what_holds_for_the_whole_file() {
    use hostile_fixtures::make;
    // The first 64 bytes: the whole header of a PNG or a GIF, and nothing after it.
    let head = |bytes: Vec<u8>| bytes[..64].to_vec();
    for bomb in [make::bomb_png(), make::bomb_gif()] {
        assert!(matches!(
            preprocess::check_head(&head(bomb)),
            Err(PreprocessError::TooLarge { .. })
        ));
    }
    // A JPEG's header runs up to its scan (tables, frame, scan header): 64 bytes do not
    // reach its end, which is no reason to refuse the file; up to the scan's data does.
    let jpeg = make::bomb_jpeg();
    assert_eq!(
        preprocess::check_head(&head(jpeg.clone())),
        Err(PreprocessError::Truncated)
    );
    let scan = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let scan_header = 2 + usize::from(u16::from_be_bytes([jpeg[scan + 2], jpeg[scan + 3]]));
    assert!(matches!(
        preprocess::check_head(&jpeg[..scan + scan_header]),
        Err(PreprocessError::TooLarge {
            width: 30_000,
            height: 30_000,
            ..
        })
    ));
    assert_eq!(
        preprocess::check_head(&head(make::random_bytes())),
        Err(PreprocessError::Unsupported)
    );
    assert_eq!(
        preprocess::check_head(&make::empty()),
        Err(PreprocessError::Empty)
    );
    // A head that passes may still be a cut-off file: that takes the whole file.
    let large = make::png_sized(5000, 4000);
    assert_eq!(preprocess::check_head(&head(large.clone())), Ok(()));
    assert_eq!(preprocess::check_head(&make::truncated_png()), Ok(()));
    assert_eq!(
        preprocess::probe(&make::truncated_png()),
        Err(PreprocessError::Truncated)
    );
    assert_eq!(preprocess::check_head(&large), Ok(()));
}
