//! The fixed parts of the page: header, explanation and footer.

use yew::prelude::*;

/// The pink header with the logo text.
#[function_component(Header)]
pub fn header() -> Html {
    html! {
        <header class="site-header">
            <a class="logo" href="./">{ "Special Week Classifier" }</a>
        </header>
    }
}

/// What the page does, as the original said it.
#[function_component(Intro)]
pub fn intro() -> Html {
    html! {
        <section class="intro">
            <p class="lead">
                { "AIが送信された画像を識別し、「スペシャルウィーク」かどうかを判別します。" }
            </p>
            <p class="note">
                { "スペシャルウィークは『ウマ娘 プリティーダービー』に登場するキャラクターです。" }
            </p>
            <p class="privacy">
                { "画像はこの端末の中だけで判定され、どこにも送信されません。" }
            </p>
        </section>
    }
}

/// The light-grey footer with three horses.
#[function_component(Footer)]
pub fn footer() -> Html {
    html! {
        <footer class="site-footer">
            <div class="horses" aria-hidden="true">
                <img src="assets/horse.svg" alt="" class="horse" />
                <img src="assets/horse.svg" alt="" class="horse horse-middle" />
                <img src="assets/horse.svg" alt="" class="horse" />
            </div>
            <p class="copyright">{ "© 2026 Special Week Classifier" }</p>
        </footer>
    }
}
