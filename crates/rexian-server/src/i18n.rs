//! Message catalogues: zh-CN first, English second. Every UI string comes from here.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language chosen by the `lang` cookie, zh-CN by default.
    pub fn from_headers(h: &HeaderMap) -> Lang {
        let en = h
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|kv| kv.trim() == "lang=en");
        if en {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

type Catalogue = HashMap<String, String>;

fn load(src: &str) -> Catalogue {
    let table: toml::Table = toml::from_str(src).unwrap_or_default();
    let mut out = Catalogue::new();
    flatten("", &table, &mut out);
    out
}

fn flatten(prefix: &str, t: &toml::Table, out: &mut Catalogue) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

fn catalogues() -> &'static (Catalogue, Catalogue) {
    static C: OnceLock<(Catalogue, Catalogue)> = OnceLock::new();
    C.get_or_init(|| {
        (
            load(include_str!("../i18n/zh-CN.toml")),
            load(include_str!("../i18n/en.toml")),
        )
    })
}

/// The messages of one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Msgs {
    /// The language.
    pub lang: Lang,
}

impl Msgs {
    /// The message for `key`; falls back to Chinese, then to the key itself.
    pub fn get(&self, key: &str) -> String {
        let (zh, en) = catalogues();
        let primary = if self.lang == Lang::En { en } else { zh };
        primary
            .get(key)
            .or_else(|| zh.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The `lang` attribute.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// The keys of one catalogue (for the completeness test).
pub fn keys(lang: Lang) -> Vec<String> {
    let (zh, en) = catalogues();
    let c = if lang == Lang::En { en } else { zh };
    let mut k: Vec<String> = c.keys().cloned().collect();
    k.sort();
    k
}
