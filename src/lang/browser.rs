//! The language choice in the page: reads `localStorage` and `navigator.language`, keeps
//! the user's choice and sets `<html lang>`. What to choose is [`super::initial`]'s job.

use super::{Lang, STORAGE_KEY};

/// The language the page opens in (see [`super::initial`]).
pub fn initial() -> Lang {
    let window = web_sys::window();
    let stored = window
        .as_ref()
        .and_then(storage)
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
    let navigator = window.and_then(|window| window.navigator().language());
    super::initial(stored.as_deref(), navigator.as_deref())
}

/// Remembers the user's choice for later visits. (Without storage, say in a private
/// window that refuses it, the choice lasts until the page closes.)
pub fn remember(lang: Lang) {
    if let Some(storage) = web_sys::window().as_ref().and_then(storage) {
        let _ = storage.set_item(STORAGE_KEY, lang.code());
    }
}

/// Sets `<html lang>`, so fonts, screen readers and translation tools follow the page.
pub fn mark_document(lang: Lang) {
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", lang.code());
    }
}

fn storage(window: &web_sys::Window) -> Option<web_sys::Storage> {
    window.local_storage().ok().flatten()
}
