#include "search-service/lay_query.h"

#include <algorithm>

#include <absl/container/flat_hash_set.h>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/types/span.h>

#include "common/text_analysis.h"

namespace healthsearch {
namespace {

// Words that negate the symptom words after them. "not", "can't" and
// "doesn't" are left out on purpose: "not sleeping", "can't breathe" and
// "doesn't bend" describe symptoms.
constexpr absl::string_view kNegators[] = {"no", "without", "never", "none", "denies", "nor"};
// Where a negation's reach ends.
constexpr absl::string_view kScopeEnders[] = {"and", "but", "or", "so", "though", "although",
                                              "yet", "with", "just", "only"};
constexpr int kMaxNegatedWords = 4;
constexpr size_t kMaxPhraseWords = 4;
constexpr size_t kMaxExpansions = 40;

struct Token {
  std::string word;  // lower-cased
  bool boundary_before = false;  // punctuation between this and the previous word
};

std::vector<Token> Tokenize(const std::string& query) {
  std::vector<Token> tokens;
  std::string word;
  bool boundary = false;
  auto flush = [&] {
    if (word.empty()) return;
    tokens.push_back({word, boundary});
    word.clear();
    boundary = false;
  };
  for (char c : query) {
    if (absl::ascii_isalnum(c) || static_cast<unsigned char>(c) >= 0x80 ||
        (c == '\'' && !word.empty())) {
      word.push_back(absl::ascii_tolower(c));
    } else {
      flush();
      if (c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == '(' ||
          c == ')') {
        boundary = true;
      }
    }
  }
  flush();
  return tokens;
}

bool IsOneOf(const std::string& word, absl::Span<const absl::string_view> words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

bool HasQuerySyntax(const std::string& query) {
  if (query.find_first_of("\"+:()") != std::string::npos) return true;
  for (absl::string_view word : absl::StrSplit(query, ' ', absl::SkipEmpty())) {
    if (word == "AND" || word == "OR" || word == "NOT" || word == "XOR" || word == "NEAR" ||
        absl::StartsWith(word, "-")) {
      return true;
    }
  }
  return false;
}

LayQuery AnalyzeLayQuery(const Xapian::Database& db, const std::string& query, bool negation) {
  const std::vector<Token> tokens = Tokenize(query);
  const Xapian::Stem stemmer = text::Stemmer();
  const Xapian::Stopper& stopwords = text::Stopwords();

  LayQuery lay;
  std::vector<bool> negated(tokens.size(), false);
  for (size_t i = 0; negation && i < tokens.size(); ++i) {
    if (!IsOneOf(tokens[i].word, kNegators)) continue;
    int taken = 0;
    for (size_t j = i + 1; j < tokens.size() && taken < kMaxNegatedWords; ++j) {
      if (tokens[j].boundary_before || IsOneOf(tokens[j].word, kScopeEnders)) break;
      negated[j] = true;
      if (!stopwords(tokens[j].word)) {
        lay.negated.push_back(tokens[j].word);
        ++taken;
      }
    }
  }

  // Content words that count, each tied to its concept.
  std::vector<int> concept_of(tokens.size(), -1);
  std::vector<std::string> positive_words;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (negated[i] || IsOneOf(tokens[i].word, kNegators)) continue;
    positive_words.push_back(tokens[i].word);
    if (stopwords(tokens[i].word)) continue;
    const std::string term = "Z" + stemmer(tokens[i].word);
    auto existing = std::find(lay.concepts.begin(), lay.concepts.end(), term);
    if (existing == lay.concepts.end()) {
      lay.concepts.push_back(term);
      lay.concept_words.push_back(tokens[i].word);
      concept_of[i] = static_cast<int>(lay.concepts.size()) - 1;
    } else {
      concept_of[i] = static_cast<int>(existing - lay.concepts.begin());
    }
  }
  lay.positive_text = absl::StrJoin(positive_words, " ");

  // Thesaurus phrases among the positive words, longest first; a word used
  // by a longer phrase is not expanded again on its own.
  absl::flat_hash_set<std::string> seen;
  std::vector<bool> used(tokens.size(), false);
  for (size_t length = kMaxPhraseWords; length > 0; --length) {
    for (size_t start = 0; start + length <= tokens.size(); ++start) {
      const size_t end = start + length;
      bool usable = true;
      for (size_t k = start; k < end && usable; ++k) {
        usable = !negated[k] && !used[k] && (k == start || !tokens[k].boundary_before);
      }
      if (!usable || stopwords(tokens[start].word) || stopwords(tokens[end - 1].word)) continue;
      std::vector<std::string> words;
      for (size_t k = start; k < end; ++k) words.push_back(tokens[k].word);
      const std::string from = absl::StrJoin(words, " ");
      const std::string key = text::SynonymKey(from);
      bool matched = false;
      for (auto it = db.synonyms_begin(key); it != db.synonyms_end(key); ++it) {
        if (lay.expansions.size() >= kMaxExpansions || !seen.insert(*it).second) continue;
        Expansion expansion{.from = from, .to = *it};
        for (absl::string_view word : absl::StrSplit(*it, ' ', absl::SkipEmpty())) {
          const std::string lower = absl::AsciiStrToLower(word);
          if (!stopwords(lower)) expansion.terms.push_back("Z" + stemmer(lower));
        }
        if (expansion.terms.empty()) continue;
        for (size_t k = start; k < end; ++k) {
          if (concept_of[k] >= 0 &&
              std::find(expansion.covers.begin(), expansion.covers.end(), concept_of[k]) ==
                  expansion.covers.end()) {
            expansion.covers.push_back(concept_of[k]);
          }
        }
        lay.expansions.push_back(std::move(expansion));
        matched = true;
      }
      if (matched) {
        for (size_t k = start; k < end; ++k) used[k] = true;
      }
    }
  }
  return lay;
}

}  // namespace healthsearch
