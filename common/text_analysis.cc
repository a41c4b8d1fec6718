#include "common/text_analysis.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

namespace healthsearch::text {
namespace {

// Function words, then the filler of first-person symptom narratives. Words
// that carry meaning in a symptom description ("no", "not", "after", "up",
// "down", "off", "over", "out") are deliberately absent.
constexpr const char* kStopwords[] = {
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "being", "but", "by", "can", "could", "did", "do", "does", "doing", "for",
    "from", "had", "has", "have", "having", "he", "her", "here", "hers",
    "herself", "him", "himself", "his", "how", "i", "i'm", "i've", "if", "in",
    "into", "is", "it", "it's", "its", "itself", "just", "me", "my", "myself",
    "of", "on", "or", "our", "ours", "she", "so", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "would", "you",
    "your", "yours",
    // Narrative filler.
    "also", "really", "very", "lately", "recently", "kind", "sort", "bit",
    "quite", "pretty", "keep", "keeps", "getting", "get", "got", "feel",
    "feels", "feeling", "felt", "seem", "seems", "experiencing", "experience",
    "noticed", "notice", "having", "started", "start", "starting", "think",
    "wondering", "wonder", "anyone", "someone", "thing", "things", "lot",
    "like", "past", "last", "few", "couple", "since", "now", "still",
    "always", "sometimes", "often", "again", "ever", "every", "much", "many",
    "more", "most", "other", "another", "same", "only", "even", "should",
    "might", "may", "must", "please", "help", "know", "tell", "anything",
    "something", "everything", "cause", "causes", "causing", "disease",
    "condition", "problem", "problems", "issue", "issues", "symptom",
    "symptoms", "sign", "signs", "weeks", "week", "days", "day", "months",
    "month", "years", "year", "hours", "time", "times"};

// "category:Autoimmune" matches the lower-cased term the indexer wrote.
class LowerCasedBooleanField : public Xapian::FieldProcessor {
 public:
  explicit LowerCasedBooleanField(std::string prefix) : prefix_(std::move(prefix)) {}
  Xapian::Query operator()(const std::string& value) override {
    return Xapian::Query(BooleanTerm(prefix_, value));
  }

 private:
  std::string prefix_;
};

void AddLowerCasedBooleanPrefix(Xapian::QueryParser& parser, const std::string& field,
                                const char* prefix) {
  parser.add_boolean_prefix(field, (new LowerCasedBooleanField(prefix))->release());
}

// Snowball's English stemmer costs about 2,000 instructions a word, and text
// repeats few distinct words, so each thread remembers the stems it made (up
// to kMaxWords of them, then starts afresh).
class MemoizedEnglishStemmer : public Xapian::StemImplementation {
 public:
  std::string operator()(const std::string& word) override {
    if (auto it = stems_.find(word); it != stems_.end()) return it->second;
    if (stems_.size() >= kMaxWords) stems_.clear();
    std::string stem = english_(word);
    stems_.emplace(word, stem);
    return stem;
  }
  std::string get_description() const override { return "english (memoized)"; }

 private:
  static constexpr size_t kMaxWords = size_t{1} << 15;
  const Xapian::Stem english_{"english"};
  absl::flat_hash_map<std::string, std::string> stems_;
};

}  // namespace

Xapian::Stem Stemmer() {
  // A Stem's reference count is not atomic: copies stay on their thread.
  thread_local const Xapian::Stem stemmer(new MemoizedEnglishStemmer);
  return stemmer;
}

const Xapian::Stopper& Stopwords() {
  static const Xapian::SimpleStopper* const stopper =
      new Xapian::SimpleStopper(std::begin(kStopwords), std::end(kStopwords));
  return *stopper;
}

Xapian::TermGenerator MakeTermGenerator() {
  Xapian::TermGenerator generator;
  generator.set_stemmer(Stemmer());
  generator.set_stopper(&Stopwords());
  // STOP_STEMMED: a stopword is indexed as typed but gets no stemmed term,
  // so a query made only of such words can still match.
  generator.set_stopper_strategy(Xapian::TermGenerator::STOP_STEMMED);
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  return generator;
}

Xapian::QueryParser MakeQueryParser(const Xapian::Database& db) {
  Xapian::QueryParser parser;
  parser.set_database(db);
  parser.set_stemmer(Stemmer());
  parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  parser.set_stopper(&Stopwords());
  parser.set_default_op(Xapian::Query::OP_OR);
  parser.add_prefix("name", kTitlePrefix);
  parser.add_prefix("title", kTitlePrefix);
  parser.add_prefix("aka", kAlsoCalledPrefix);
  parser.add_prefix("symptom", kSymptomPrefix);
  parser.add_prefix("summary", kSummaryPrefix);
  parser.add_boolean_prefix("id", kIdPrefix);
  AddLowerCasedBooleanPrefix(parser, "type", kTypePrefix);
  AddLowerCasedBooleanPrefix(parser, "category", kCategoryPrefix);
  AddLowerCasedBooleanPrefix(parser, "source", kSourcePrefix);
  AddLowerCasedBooleanPrefix(parser, "code", kCodePrefix);
  AddLowerCasedBooleanPrefix(parser, "tag", kTagPrefix);
  return parser;
}

std::string SynonymKey(absl::string_view phrase) {
  thread_local const Xapian::Stem stemmer = Stemmer();  // a Stem is not thread-safe
  std::string key;
  Xapian::Utf8Iterator it(phrase.data(), phrase.size());
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!key.empty()) key.push_back(' ');
    key += stemmer(word);
    word.clear();
  };
  for (; it != Xapian::Utf8Iterator(); ++it) {
    const unsigned ch = *it;
    if (Xapian::Unicode::is_wordchar(ch)) {
      Xapian::Unicode::append_utf8(word, Xapian::Unicode::tolower(ch));
    } else if (ch != '\'' && ch != 0x2019) {  // "crohn's" is one word
      flush();
    }
  }
  flush();
  return key;
}

Xapian::termcount BodyWdf(const FieldWdfs& wdfs) {
  const Xapian::termcount elsewhere = kTitleWeight * wdfs.title +
                                      kAlsoCalledWeight * wdfs.also_called + wdfs.symptom +
                                      kSummaryWeight * wdfs.summary + wdfs.profile;
  return wdfs.unprefixed > elsewhere ? (wdfs.unprefixed - elsewhere) / kBodyWeight : 0;
}

absl::string_view TruncatedText(absl::string_view text, size_t bytes) {
  if (text.size() <= bytes) return text;
  size_t cut = text.rfind(' ', bytes);
  if (cut == absl::string_view::npos || cut == 0) {
    cut = bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  return text.substr(0, cut);
}

std::string AsciiLower(absl::string_view s) { return absl::AsciiStrToLower(s); }

std::string BooleanTerm(absl::string_view prefix, absl::string_view value) {
  return absl::StrCat(prefix, AsciiLower(value));
}

std::string IdTerm(absl::string_view id) { return absl::StrCat(kIdPrefix, id); }

}  // namespace healthsearch::text
