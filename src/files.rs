//! Getting `File`s out of inputs, drops and pastes, and reading a model file's bytes
//! (image files go to the worker unread).

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DataTransfer, File, FileList};

use crate::download::describe;

/// The files of a `FileList`, in order.
pub fn from_list(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The files carried by a drop or a paste.
pub fn from_transfer(transfer: Option<DataTransfer>) -> Vec<File> {
    from_list(transfer.and_then(|t| t.files()))
}

/// Reads a whole file into memory.
pub async fn read(file: &File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(describe)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
