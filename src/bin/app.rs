//! Entry point of the page.

fn main() {
    // A panic is written to the browser console (with its message) before the wasm traps.
    console_error_panic_hook::set_once();
    yew::Renderer::<special_week_app::app::App>::new().render();
}
