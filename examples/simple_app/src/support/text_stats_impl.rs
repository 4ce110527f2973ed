//! Word statistics over free text. Lives in `support/` and is mounted as `crate::text_stats`
//! with a `#[path]` attribute.

use std::collections::HashMap;

/// How often each lower-cased word occurs in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordCounts {
    counts: HashMap<String, usize>,
    total: usize,
}

impl WordCounts {
    /// Counts the words of `text`; a word is a run of letters, digits or apostrophes.
    pub fn from_text(text: &str) -> Self {
        let mut stats = Self::default();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            if !word.is_empty() {
                stats.add_word(word);
            }
        }
        stats
    }

    fn add_word(&mut self, word: &str) {
        *self.counts.entry(word.to_lowercase()).or_insert(0) += 1;
        self.total += 1;
    }

    /// Number of words, counting repeats.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Number of different words.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// How often `word` occurs, ignoring case.
    pub fn count(&self, word: &str) -> usize {
        self.counts.get(&word.to_lowercase()).copied().unwrap_or(0)
    }

    /// The `n` most frequent words, ties broken alphabetically so the result is stable.
    pub fn top(&self, n: usize) -> Vec<(&str, usize)> {
        let mut ranked: Vec<(&str, usize)> =
            self.counts.iter().map(|(word, &count)| (word.as_str(), count)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(n);
        ranked
    }
}

/// One-line summary of a text's words.
pub fn summary(text: &str) -> String {
    let stats = WordCounts::from_text(text);
    let top: Vec<String> = stats.top(3).iter().map(|(w, c)| format!("{w}×{c}")).collect();
    format!("{} words ({} distinct); top: {}", stats.total(), stats.distinct(), top.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ignore_case_and_punctuation() {
        let stats = WordCounts::from_text("Oak, oak and steel. Don't mix OAK!");
        assert_eq!(stats.total(), 7);
        assert_eq!(stats.count("oak"), 3);
        assert_eq!(stats.count("don't"), 1);
        assert_eq!(stats.top(2), vec![("oak", 3), ("and", 1)]);
    }

    #[test]
    fn summary_of_empty_text() {
        assert_eq!(summary(""), "0 words (0 distinct); top: ");
    }
}
