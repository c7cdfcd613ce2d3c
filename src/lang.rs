//! The page's language: Japanese, as the original, or English.
//!
//! The choice is plain data: [`initial`] decides it from what the user chose before (kept
//! in `localStorage` under [`STORAGE_KEY`]) and the browser's language; [`browser`] reads
//! and writes those in the page.

pub mod browser;

/// A language the page speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// 日本語, the original's language.
    #[default]
    Ja,
    /// English.
    En,
}

/// Where the user's choice is remembered (`localStorage`).
pub const STORAGE_KEY: &str = "special-week-lang";

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The language's tag, for `<html lang>`, `localStorage` and `data-lang`: `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// The language of a tag [`Lang::code`] gave; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// The language for a browser's language tag (`navigator.language`): Japanese for
    /// `ja` and its regional forms (`ja-JP`), English for every other tag and for none.
    pub fn from_browser(tag: Option<&str>) -> Self {
        let primary = tag.and_then(|tag| tag.split(['-', '_']).next());
        match primary {
            Some(primary) if primary.eq_ignore_ascii_case("ja") => Self::Ja,
            _ => Self::En,
        }
    }
}

/// The language the page opens in: the one the user chose before, if `stored` names one,
/// else the one the browser's language `navigator` asks for.
pub fn initial(stored: Option<&str>, navigator: Option<&str>) -> Lang {
    stored
        .and_then(Lang::from_code)
        .unwrap_or_else(|| Lang::from_browser(navigator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_browsers_get_japanese_and_every_other_english() {
        for tag in ["ja", "ja-JP", "JA-jp", "ja_JP"] {
            assert_eq!(Lang::from_browser(Some(tag)), Lang::Ja, "{tag}");
        }
        for tag in ["en-US", "en", "fr-FR", "zh-CN", "jv", "jam", ""] {
            assert_eq!(Lang::from_browser(Some(tag)), Lang::En, "{tag}");
        }
        assert_eq!(Lang::from_browser(None), Lang::En);
    }

    #[test]
    fn a_remembered_choice_wins_over_the_browser() {
        assert_eq!(initial(Some("ja"), Some("en-US")), Lang::Ja);
        assert_eq!(initial(Some("en"), Some("ja-JP")), Lang::En);
    }

    #[test]
    fn without_a_usable_choice_the_browser_decides() {
        assert_eq!(initial(None, Some("ja-JP")), Lang::Ja);
        assert_eq!(initial(None, Some("de")), Lang::En);
        assert_eq!(initial(Some("klingon"), Some("ja")), Lang::Ja);
        assert_eq!(initial(Some(""), None), Lang::En);
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("ja-JP"), None);
    }
}
