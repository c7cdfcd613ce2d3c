//! The browser's image decoder, for files the classifier's own does not read (AVIF, ICO,
//! HEIC where the browser reads it) and for very large images, decoded straight at their
//! shrunk size: `createImageBitmap`, drawn onto an `OffscreenCanvas` and read back as RGBA.

use classifier::preprocess::{self, PreprocessError};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ImageBitmap, ImageBitmapOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
    ResizeQuality,
};

use crate::engine::BrowserPixels;

/// Decodes the image file `file` with the browser, which reads it itself, at `size`
/// (width, height) when given (for a very large image the classifier reads too: only the
/// shrunk pixels enter the worker's memory). A file the browser cannot read either is [`PreprocessError::Unsupported`]
/// (or [`PreprocessError::Corrupt`] when the classifier recognised its format); an image
/// over the pixel limit is refused from its size, before it is drawn.
pub async fn decode(
    file: &Blob,
    size: Option<(u32, u32)>,
) -> Result<BrowserPixels, PreprocessError> {
    let bitmap = bitmap_of(file, size).await.ok_or_else(|| match size {
        None => PreprocessError::Unsupported,
        Some(_) => PreprocessError::Corrupt("the browser could not decode the image".into()),
    })?;
    let (width, height) = (bitmap.width(), bitmap.height());
    let pixels = preprocess::check_pixel_limit(width, height).and_then(|()| {
        draw(&bitmap, width, height).ok_or_else(|| {
            PreprocessError::Corrupt("the browser decoded the image but could not draw it".into())
        })
    });
    bitmap.close();
    pixels.map(|rgba| BrowserPixels {
        width,
        height,
        rgba,
    })
}

async fn bitmap_of(blob: &Blob, size: Option<(u32, u32)>) -> Option<ImageBitmap> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let promise = match size {
        None => scope.create_image_bitmap_with_blob(blob),
        Some((width, height)) => {
            let options = ImageBitmapOptions::new();
            options.set_resize_width(width);
            options.set_resize_height(height);
            options.set_resize_quality(ResizeQuality::High);
            scope.create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        }
    }
    .ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

fn draw(bitmap: &ImageBitmap, width: u32, height: u32) -> Option<Vec<u8>> {
    let canvas = OffscreenCanvas::new(width, height).ok()?;
    let context: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
        .ok()?;
    let data = context
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
        .ok()?;
    Some(data.data().0)
}
