//! Entry point of the page.

fn main() {
    yew::Renderer::<special_week_app::app::App>::new().render();
}
