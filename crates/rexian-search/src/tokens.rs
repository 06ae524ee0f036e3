//! Tokenizers: jieba words (ranking, multi-word queries) and character grams (substring
//! matching of Chinese: every character and every pair of neighbours; ASCII and digit runs
//! as one lower-cased token).

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The jieba segmenter with its embedded dictionary (no file or download).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A token: text, position, byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    /// Token text.
    pub text: String,
    /// Position.
    pub pos: usize,
    /// Byte start.
    pub from: usize,
    /// Byte end.
    pub to: usize,
}

/// Character grams of `text`. Indexing (`query == false`) emits, at the position of each
/// Chinese character, the character and the pair it starts; a query emits only the pairs
/// (or the single character of a one-character run), so a phrase of them is a substring.
pub fn grams(text: &str, query: bool) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut pos = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i].1) {
                i += 1;
            }
            let run = &chars[start..i];
            let end_byte = |k: usize| chars.get(k).map(|x| x.0).unwrap_or(text.len());
            for k in 0..run.len() {
                let (bk, ck) = run[k];
                if !query || run.len() == 1 {
                    out.push(Tok {
                        text: ck.to_string(),
                        pos,
                        from: bk,
                        to: end_byte(start + k + 1),
                    });
                }
                if k + 1 < run.len() {
                    let pair: String = [ck, run[k + 1].1].iter().collect();
                    out.push(Tok {
                        text: pair,
                        pos,
                        from: bk,
                        to: end_byte(start + k + 2),
                    });
                }
                pos += 1;
            }
            continue;
        }
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].1.is_alphanumeric() && !is_cjk(chars[i].1) {
                i += 1;
            }
            let end = chars.get(i).map(|x| x.0).unwrap_or(text.len());
            out.push(Tok {
                text: text[b..end].to_lowercase(),
                pos,
                from: chars[start].0,
                to: end,
            });
            pos += 1;
            continue;
        }
        i += 1;
    }
    out
}

/// Jieba words of `text` for search (words and their dictionary sub-words), lower-cased,
/// punctuation and spaces left out.
pub fn words(text: &str) -> Vec<Tok> {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .filter(|t| t.word.chars().any(char::is_alphanumeric))
        .enumerate()
        .map(|(i, t)| Tok {
            text: t.word.to_lowercase(),
            pos: i,
            from: t.byte_start,
            to: t.byte_end,
        })
        .collect()
}

/// The jieba words of a query term when they cover every character of it with words of two
/// or more characters (else the words say less than the grams and are not used).
pub fn query_words(term: &str) -> Option<Vec<String>> {
    let toks = JIEBA.cut(term, true);
    let mut out = Vec::new();
    for t in toks.iter().map(|t| t.word) {
        if !t.chars().any(char::is_alphanumeric) {
            continue;
        }
        if t.chars().count() < 2 {
            return None;
        }
        let w = t.to_lowercase();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Loads the dictionary now rather than on the first search.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// A token stream over precomputed tokens.
pub struct VecStream {
    toks: Vec<Tok>,
    next: usize,
    token: Token,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        let Some(t) = self.toks.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token = Token {
            offset_from: t.from,
            offset_to: t.to,
            position: t.pos,
            text: t.text.clone(),
            position_length: 1,
        };
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

fn stream(toks: Vec<Tok>) -> VecStream {
    VecStream {
        toks,
        next: 0,
        token: Token::default(),
    }
}

/// The gram tokenizer as tantivy uses it when indexing.
#[derive(Clone, Default)]
pub struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        stream(grams(text, false))
    }
}

/// The jieba tokenizer as tantivy uses it when indexing.
#[derive(Clone, Default)]
pub struct JiebaTokenizer;

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        stream(words(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &[Tok]) -> Vec<(String, usize)> {
        t.iter().map(|t| (t.text.clone(), t.pos)).collect()
    }

    #[test]
    fn grams_make_substrings_phrases() {
        let idx = texts(&grams("停电了 3号楼", false));
        assert!(idx.contains(&("停电".into(), 0)));
        assert!(idx.contains(&("电".into(), 1)));
        assert!(idx.contains(&("3".into(), 3)));
        assert!(idx.contains(&("号楼".into(), 4)));
        assert_eq!(
            texts(&grams("停电了", true)),
            vec![("停电".into(), 0), ("电了".into(), 1)]
        );
        assert_eq!(texts(&grams("电", true)), vec![("电".into(), 0)]);
        assert_eq!(
            texts(&grams("3号", true)),
            vec![("3".into(), 0), ("号".into(), 1)]
        );
    }

    #[test]
    fn jieba_words_are_embedded() {
        let w: Vec<String> = words("小区暖气不热").into_iter().map(|t| t.text).collect();
        assert!(
            w.contains(&"小区".to_owned()) && w.contains(&"暖气".to_owned()),
            "{w:?}"
        );
        assert!(query_words("暖气漏水").is_some());
    }
}
