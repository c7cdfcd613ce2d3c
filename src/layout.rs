//! The fixed parts of the page: header (with the language switch), explanation and footer.

use yew::prelude::*;

use crate::lang::Lang;
use crate::messages;

/// Properties of [`Header`].
#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// The page's language.
    pub lang: Lang,
    /// The user chose a language.
    pub on_choose: Callback<Lang>,
}

/// The pink header with the logo text and the 日本語 / English switch.
#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let buttons = Lang::ALL.into_iter().map(|lang| {
        let onclick = props.on_choose.reform(move |_: MouseEvent| lang);
        html! {
            <button type="button" class="lang-option" data-lang={lang.code()} lang={lang.code()}
                aria-pressed={(lang == props.lang).to_string()} {onclick}>
                { messages::language_name(lang) }
            </button>
        }
    });
    html! {
        <header class="site-header">
            <a class="logo" href="./">{ "Special Week Classifier" }</a>
            <div id="lang-switch" class="lang-switch" role="group"
                aria-label={messages::of(props.lang).language_switch()}>
                { for buttons }
            </div>
        </header>
    }
}

/// Properties of [`Intro`].
#[derive(Properties, PartialEq)]
pub struct IntroProps {
    /// The page's language.
    pub lang: Lang,
}

/// What the page does, as the original said it.
#[function_component(Intro)]
pub fn intro(props: &IntroProps) -> Html {
    let texts = messages::of(props.lang);
    html! {
        <section class="intro">
            <p class="lead">{ texts.intro_lead() }</p>
            <p class="note">{ texts.intro_note() }</p>
            <p class="privacy">{ texts.intro_privacy() }</p>
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
