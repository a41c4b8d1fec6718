#include "search-service/searcher.h"

#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/node_hash_map.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include <google/protobuf/util/json_util.h>

#include "common/corpus_reader.h"
#include "common/object_pool.h"
#include "common/page_token.h"
#include "common/text_analysis.h"
#include "healthsearch/bundle/document_data.pb.h"
#include "healthsearch/v1/records.pb.h"
#include "search-service/lay_query.h"

namespace healthsearch {
namespace {

// Searches that may run at once: one per CPU. Xapian databases are not
// thread-safe, so each search leases a handle of its own; more searches at
// once would only take turns on the CPUs and evict each other's caches.
int MaxConcurrentSearches() {
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

// Counts the '\n'-separated values of one value slot over the matches.
class MultiValueCountSpy : public Xapian::MatchSpy {
 public:
  explicit MultiValueCountSpy(Xapian::valueno slot) : slot_(slot) {}
  void operator()(const Xapian::Document& doc, double) override {
    const std::string values = doc.get_value(slot_);
    if (values.empty()) return;
    for (absl::string_view value : absl::StrSplit(values, '\n', absl::SkipEmpty())) {
      ++counts_[std::string(value)];
    }
  }
  std::string name() const override { return "healthsearch::MultiValueCountSpy"; }
  const std::map<std::string, int64_t>& counts() const { return counts_; }

 private:
  Xapian::valueno slot_;
  std::map<std::string, int64_t> counts_;
};

// Prefix lookup over the names people type into a search box.
class SuggestionIndex {
 public:
  void Add(const std::string& text, const char* kind, const std::string& record_id,
           double kind_weight) {
    const std::string key = absl::AsciiStrToLower(text);
    auto [it, inserted] = by_text_.try_emplace(key, entries_.size());
    if (inserted) {
      entries_.push_back({.text = text, .kind = kind, .record_id = record_id,
                          .kind_weight = kind_weight});
    }
    Entry& entry = entries_[it->second];
    ++entry.mentions;
    if (kind_weight > entry.kind_weight) {
      entry.kind = kind;
      entry.kind_weight = kind_weight;
      entry.record_id = record_id;
    } else if (entry.record_id != record_id) {
      entry.record_id.clear();  // names several records
    }
  }

  // Makes every word start of every entry searchable.
  void Finish() {
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      const std::string lower = absl::AsciiStrToLower(entries_[i].text);
      for (size_t start = 0; start < lower.size(); ++start) {
        const bool word_start = start == 0 || !absl::ascii_isalnum(lower[start - 1]);
        if (word_start && absl::ascii_isalnum(lower[start])) {
          keys_.emplace_back(lower.substr(start), i);
        }
      }
    }
    std::sort(keys_.begin(), keys_.end());
    by_text_.clear();
  }

  std::vector<v1::Suggestion> Lookup(const std::string& prefix, size_t limit) const {
    constexpr size_t kMaxCandidates = 2000;
    const std::string lower = absl::AsciiStrToLower(prefix);
    struct Candidate {
      double score;
      uint32_t entry;
    };
    std::vector<Candidate> candidates;
    absl::flat_hash_set<uint32_t> seen;
    for (auto it = std::lower_bound(keys_.begin(), keys_.end(),
                                    std::make_pair(lower, uint32_t{0}));
         it != keys_.end() && it->first.starts_with(lower) && candidates.size() < kMaxCandidates;
         ++it) {
      if (!seen.insert(it->second).second) continue;
      const Entry& entry = entries_[it->second];
      const bool at_start = absl::StartsWithIgnoreCase(entry.text, lower);
      candidates.push_back(
          {entry.kind_weight + std::log2(1.0 + entry.mentions) + (at_start ? 2.0 : 0.0),
           it->second});
    }
    std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
      if (a.score != b.score) return a.score > b.score;
      return entries_[a.entry].text.size() < entries_[b.entry].text.size();
    });
    std::vector<v1::Suggestion> suggestions;
    for (size_t i = 0; i < candidates.size() && i < limit; ++i) {
      const Entry& entry = entries_[candidates[i].entry];
      v1::Suggestion& suggestion = suggestions.emplace_back();
      suggestion.set_text(entry.text);
      suggestion.set_kind(entry.kind);
      suggestion.set_record_id(entry.record_id);
    }
    return suggestions;
  }

 private:
  struct Entry {
    std::string text;
    const char* kind;
    std::string record_id;
    double kind_weight;
    int mentions = 0;
  };
  std::vector<Entry> entries_;
  std::unordered_map<std::string, uint32_t> by_text_;  // only while adding
  std::vector<std::pair<std::string, uint32_t>> keys_;
};

// The fields indexed under their own prefix, as results name them.
struct FieldPrefix {
  const char* field;
  const char* prefix;
};
constexpr FieldPrefix kPrefixedFields[] = {
    {"name", text::kTitlePrefix},       {"also_called", text::kAlsoCalledPrefix},
    {"symptoms", text::kSymptomPrefix}, {"summary", text::kSummaryPrefix},
    {"profile", text::kProfilePrefix},
};
// Every field a result may name in matched_fields, in the order it does.
constexpr const char* kMatchedFieldOrder[] = {"name",    "also_called", "symptoms",
                                              "summary", "body",        "profile"};

absl::Status CheckQueryText(const std::string& query) {
  if (!IsValidUtf8(query)) return absl::InvalidArgumentError("query is not valid UTF-8");
  int characters = 0;
  for (unsigned char c : query) {
    if ((c & 0xC0) != 0x80) ++characters;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return absl::InvalidArgumentError("query contains control characters");
    }
  }
  if (characters > kMaxQueryCharacters) {
    return absl::InvalidArgumentError(absl::StrCat("query is ", characters,
                                                   " characters long; the maximum is ",
                                                   kMaxQueryCharacters));
  }
  return absl::OkStatus();
}

// The words of a query, lower-cased, for telling which of them a result matched.
absl::flat_hash_map<std::string, std::string> QueryWordsByTerm(const std::string& query) {
  absl::flat_hash_map<std::string, std::string> words;
  const Xapian::Stem stemmer = text::Stemmer();
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    words.try_emplace(word, word);
    words.try_emplace("Z" + stemmer(word), word);
    word.clear();
  };
  for (char c : query) {
    if (absl::ascii_isalnum(c) || static_cast<unsigned char>(c) >= 0x80 || c == '\'') {
      word.push_back(absl::ascii_tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// The query's term without the field prefix it was searched under.
std::string UnprefixedTerm(const std::string& term) {
  const bool stemmed = absl::StartsWith(term, "Z");
  absl::string_view rest = absl::string_view(term).substr(stemmed ? 1 : 0);
  for (const FieldPrefix& field : kPrefixedFields) {
    if (absl::StartsWith(rest, field.prefix) && rest.size() > strlen(field.prefix) &&
        !absl::ascii_isupper(rest[strlen(field.prefix)])) {
      rest.remove_prefix(strlen(field.prefix));
      break;
    }
  }
  return absl::StrCat(stemmed ? "Z" : "", rest);
}

Xapian::Query OrOfTerms(const char* prefix, const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::vector<Xapian::Query> terms;
  for (const std::string& value : values) terms.emplace_back(text::BooleanTerm(prefix, value));
  return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

// The query's words that are not stopwords, lower-cased, in order.
std::vector<std::string> ContentWords(const std::string& query) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && !text::Stopwords()(word)) words.push_back(word);
    word.clear();
  };
  for (char c : query) {
    if (absl::ascii_isalnum(c) || static_cast<unsigned char>(c) >= 0x80) {
      word.push_back(absl::ascii_tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// The query with each word the index has never seen replaced by Xapian's
// spelling suggestion for it, or "" when nothing was replaced. (Xapian's own
// FLAG_SPELLING_CORRECTION also "corrects" known words to more frequent ones:
// "nausea" to "causes".)
std::string CorrectSpelling(const Xapian::Database& db, const std::string& query) {
  std::string corrected;
  bool changed = false;
  size_t i = 0;
  while (i < query.size()) {
    const auto is_word_byte = [&](size_t k) {
      const char c = query[k];
      return absl::ascii_isalpha(c) || static_cast<unsigned char>(c) >= 0x80;
    };
    if (!is_word_byte(i)) {
      corrected.push_back(query[i++]);
      continue;
    }
    // An apostrophe between letters stays in the word, as the indexer's
    // TermGenerator keeps it: "Hashimoto's" is one term.
    size_t end = i;
    while (end < query.size() && is_word_byte(end)) {
      ++end;
      if (end + 1 < query.size() && query[end] == '\'' && is_word_byte(end + 1)) ++end;
    }
    const std::string word(query, i, end - i);
    const std::string lower = absl::AsciiStrToLower(word);
    std::string replacement = word;
    constexpr size_t kShortestCorrectedWord = 4;
    if (lower.size() >= kShortestCorrectedWord && !text::Stopwords()(lower) &&
        !db.term_exists(lower) && (end == query.size() || query[end] != ':')) {
      std::string suggestion = db.get_spelling_suggestion(lower);
      if (!suggestion.empty()) {
        replacement = std::move(suggestion);
        changed = true;
      }
    }
    corrected += replacement;
    i = end;
  }
  return changed ? corrected : std::string();
}

// Rewards records where adjacent words of the query stand next to each other.
Xapian::Query AdjacentPairs(const std::vector<std::string>& words) {
  std::vector<Xapian::Query> pairs;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const Xapian::Query pair[] = {Xapian::Query(words[i]), Xapian::Query(words[i + 1])};
    pairs.emplace_back(Xapian::Query::OP_PHRASE, std::begin(pair), std::end(pair), 2);
  }
  return Xapian::Query(Xapian::Query::OP_OR, pairs.begin(), pairs.end());
}

}  // namespace

absl::StatusOr<config::RankingConfig> LoadRankingConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ranking config ", path.string()));
  std::ostringstream json;
  json << in.rdbuf();
  config::RankingConfig ranking;
  if (auto s = google::protobuf::util::JsonStringToMessage(json.str(), &ranking); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ranking config ", path.string(),
                                                   " is invalid: ", s.message().ToString()));
  }
  return ranking;
}

class Searcher::Impl {
 public:
  Impl(BundleVersion bundle, const config::RankingConfig& ranking,
       std::unique_ptr<Xapian::Database> first_handle)
      : bundle_(std::move(bundle)),
        handles_(
            [path = bundle_.xapian_path().string()]()
                -> absl::StatusOr<std::unique_ptr<Xapian::Database>> {
              try {
                return std::make_unique<Xapian::Database>(path);
              } catch (const Xapian::Error& e) {
                return absl::UnavailableError(
                    absl::StrCat("cannot open another handle on the index: ", e.get_description()));
              }
            },
            MaxConcurrentSearches()),
        weight_(ranking.bm25().has_k1() ? ranking.bm25().k1() : 2.0,
                ranking.bm25().has_k2() ? ranking.bm25().k2() : 0.0,
                ranking.bm25().has_k3() ? ranking.bm25().k3() : 1.0,
                ranking.bm25().has_b() ? ranking.bm25().b() : 0.5,
                ranking.bm25().has_min_normlen() ? ranking.bm25().min_normlen() : 0.5),
        phrase_boost_(ranking.has_phrase_boost() ? ranking.phrase_boost() : 0.0),
        synonym_weight_(ranking.has_synonym_weight() ? ranking.synonym_weight() : 0.5),
        coverage_exponent_(ranking.has_coverage_exponent() ? ranking.coverage_exponent() : 0.5),
        candidate_depth_(ranking.has_candidate_depth() ? ranking.candidate_depth() : 100),
        negation_(ranking.has_negation() ? ranking.negation() : true),
        profiled_prior_(ranking.has_profiled_prior() ? ranking.profiled_prior() : 1.0),
        category_boost_(ranking.has_category_boost() ? ranking.category_boost() : 2.0) {
    for (const auto& [source, prior] : ranking.source_priors()) {
      source_priors_[text::AsciiLower(source)] = prior;
    }
    handles_.AddIdle(std::move(first_handle));
  }

  absl::Status LoadSuggestions() {
    absl::StatusOr<ObjectPool<Xapian::Database>::Lease> handle = handles_.Acquire();
    if (!handle.ok()) return handle.status();
    Xapian::Database& db = **handle;
    const std::string condition_term = text::BooleanTerm(text::kTypePrefix, text::kConditionType);
    for (auto it = db.postlist_begin(condition_term); it != db.postlist_end(condition_term); ++it) {
      bundle::DocumentData condition;
      if (!condition.ParseFromString(db.get_document(*it).get_data())) {
        return absl::DataLossError("a document in the index does not parse");
      }
      suggestions_.Add(condition.title(), "condition", condition.id(), 3.0);
      for (const std::string& name : condition.also_called()) {
        suggestions_.Add(name, "also_called", condition.id(), 2.0);
      }
      for (const std::string& symptom : condition.symptoms()) {
        suggestions_.Add(symptom, "symptom", "", 1.0);
      }
    }
    suggestions_.Finish();
    return absl::OkStatus();
  }

  // Filter lists are bounded: each value becomes a term of the query, and a
  // few thousand of them would hold a CPU for seconds.
  static absl::Status CheckFilterLists(const v1::SearchRequest& request) {
    if (request.types_size() > kMaxFilterValues) {
      return absl::InvalidArgumentError(absl::StrCat("types has ", request.types_size(),
                                                     " values; at most ", kMaxFilterValues,
                                                     " are allowed"));
    }
    const std::pair<const char*, const google::protobuf::RepeatedPtrField<std::string>*> lists[] = {
        {"categories", &request.categories()},
        {"sources", &request.sources()},
        {"codes", &request.codes()},
        {"facets", &request.facets()}};
    for (const auto& [field, values] : lists) {
      if (values->size() > kMaxFilterValues) {
        return absl::InvalidArgumentError(absl::StrCat(field, " has ", values->size(),
                                                       " values; at most ", kMaxFilterValues,
                                                       " are allowed"));
      }
      for (const std::string& value : *values) {
        if (value.size() > text::kMaxFilterValueBytes) {
          return absl::InvalidArgumentError(
              absl::StrCat("a value in ", field, " is ", value.size(), " bytes long; at most ",
                           text::kMaxFilterValueBytes, " are allowed"));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request) {
    if (absl::Status s = CheckQueryText(request.query()); !s.ok()) return s;
    if (request.page_size() < 0) {
      return absl::InvalidArgumentError("page_size must not be negative");
    }
    const int page_size = request.page_size() == 0
                              ? kDefaultSearchPageSize
                              : std::min(request.page_size(), kMaxSearchPageSize);
    v1::SearchRequest unpaged = request;
    unpaged.clear_page_size();
    unpaged.clear_page_token();
    int64_t offset = 0;
    if (!request.page_token().empty()) {
      absl::StatusOr<PageCursor> cursor =
          DecodePageToken(request.page_token(), bundle_.manifest.version(), unpaged);
      if (!cursor.ok()) return cursor.status();
      offset = cursor->offset;
    }
    if (offset + page_size > kMaxSearchDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("results beyond the first ", kMaxSearchDepth, " are not served"));
    }
    for (const std::string& facet : request.facets()) {
      if (facet != "type" && facet != "category" && facet != "source") {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown facet \"", facet, "\"; facets are \"type\", \"category\" and \"source\""));
      }
    }

    if (absl::Status s = CheckFilterLists(request); !s.ok()) return s;

    absl::StatusOr<ObjectPool<Xapian::Database>::Lease> handle = handles_.Acquire();
    if (!handle.ok()) return handle.status();
    Xapian::Database& db = **handle;
    v1::SearchResponse response;
    std::string query_text = request.query();
    if (!request.disable_spelling_correction()) {
      std::string corrected = CorrectSpelling(db, query_text);
      if (!corrected.empty()) {
        response.set_corrected_query(corrected);
        query_text = std::move(corrected);
      }
    }
    const bool plain = !HasQuerySyntax(query_text);
    LayQuery lay;
    if (plain) lay = AnalyzeLayQuery(db, query_text, negation_);
    absl::StatusOr<Xapian::Query> text_query = ParseQuery(db, plain ? lay.positive_text : query_text);
    if (!text_query.ok()) return text_query.status();
    Xapian::Query query = *text_query;
    if (!lay.expansions.empty()) {
      std::vector<Xapian::Query> expansions;
      for (const Expansion& expansion : lay.expansions) {
        expansions.emplace_back(Xapian::Query::OP_AND, expansion.terms.begin(),
                                expansion.terms.end());
      }
      query = Xapian::Query(
          Xapian::Query::OP_OR, query,
          Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                        Xapian::Query(Xapian::Query::OP_OR, expansions.begin(), expansions.end()),
                        synonym_weight_));
    }
    if (phrase_boost_ > 0 && !query.empty()) {
      Xapian::Query pairs = AdjacentPairs(ContentWords(plain ? lay.positive_text : query_text));
      if (!pairs.empty()) {
        query = Xapian::Query(Xapian::Query::OP_AND_MAYBE, query,
                              Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, pairs, phrase_boost_));
      }
    }
    const Xapian::Query filter = Filters(request);
    if (query.empty()) {
      if (filter.empty()) {
        return absl::InvalidArgumentError(
            lay.negated.empty() ? "query is empty: it has no words to search for"
                                : "query is empty once the words it rules out are set aside");
      }
      query = Xapian::Query::MatchAll;
    }
    if (!filter.empty()) query = Xapian::Query(Xapian::Query::OP_FILTER, query, filter);

    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(weight_);
    std::vector<std::pair<std::string, std::unique_ptr<MultiValueCountSpy>>> spies;
    for (const std::string& facet : request.facets()) {
      const Xapian::valueno slot = facet == "type"       ? text::kTypeSlot
                                   : facet == "category" ? text::kCategorySlot
                                                         : text::kSourceSlot;
      spies.emplace_back(facet, std::make_unique<MultiValueCountSpy>(slot));
      enquire.add_matchspy(spies.back().second.get());
    }
    // The best candidates are re-scored, so ask for enough of them to cover
    // the page wherever re-scoring moves results.
    const int64_t depth = std::min<int64_t>(
        kMaxSearchDepth, std::max<int64_t>(candidate_depth_, offset + page_size));
    const Xapian::doccount check_at_least = spies.empty() ? 0 : db.get_doccount();
    Xapian::MSet mset = enquire.get_mset(0, depth, check_at_least);
    response.set_total_size(mset.get_matches_estimated());

    std::vector<Xapian::docid> candidate_docids;
    for (auto it = mset.begin(); it != mset.end(); ++it) candidate_docids.push_back(*it);
    PostingsAmong candidate_postings(db, std::move(candidate_docids));
    Coverage coverage;
    std::vector<Candidate> ranked = Rescore(db, mset, lay, candidate_postings, &coverage);
    const auto words_by_term = QueryWordsByTerm(query_text);
    std::vector<Xapian::docid> page;
    for (int64_t i = offset; i < static_cast<int64_t>(ranked.size()) && i < offset + page_size; ++i) {
      page.push_back(ranked[i].docid);
    }
    PostingsAmong page_postings(db, std::move(page));
    const auto matches = FindMatches(*text_query, lay, coverage, candidate_postings, page_postings,
                                     words_by_term);
    for (int64_t i = offset; i < static_cast<int64_t>(ranked.size()) && i < offset + page_size; ++i) {
      auto found = matches.find(ranked[i].docid);
      AddResult(db, mset, ranked[i], found != matches.end() ? found->second : Matches(),
                response.add_results());
    }
    const int64_t served = offset + response.results_size();
    if (response.results_size() == page_size && served < static_cast<int64_t>(mset.get_matches_estimated()) &&
        served < kMaxSearchDepth) {
      response.set_next_page_token(
          EncodePageToken(bundle_.manifest.version(), unpaged, {.offset = served}));
    }
    for (const auto& [name, spy] : spies) {
      v1::Facet* facet = response.add_facets();
      facet->set_name(name);
      std::vector<std::pair<std::string, int64_t>> counts(spy->counts().begin(),
                                                          spy->counts().end());
      std::stable_sort(counts.begin(), counts.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      for (const auto& [value, count] : counts) {
        v1::FacetCount* facet_count = facet->add_counts();
        facet_count->set_value(value);
        facet_count->set_count(count);
      }
    }
    return response;
  }
  absl::StatusOr<v1::SuggestResponse> Suggest(const v1::SuggestRequest& request) const {
    if (!IsValidUtf8(request.prefix())) {
      return absl::InvalidArgumentError("prefix is not valid UTF-8");
    }
    const std::string prefix(absl::StripAsciiWhitespace(request.prefix()));
    if (prefix.empty()) return absl::InvalidArgumentError("prefix is empty");
    if (prefix.size() > kMaxSuggestPrefixCharacters * 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("prefix is longer than ", kMaxSuggestPrefixCharacters, " characters"));
    }
    if (request.page_size() < 0) {
      return absl::InvalidArgumentError("page_size must not be negative");
    }
    const int page_size = request.page_size() == 0
                              ? kDefaultSuggestPageSize
                              : std::min(request.page_size(), kMaxSuggestPageSize);
    v1::SuggestResponse response;
    for (v1::Suggestion& suggestion : suggestions_.Lookup(prefix, page_size)) {
      *response.add_suggestions() = std::move(suggestion);
    }
    return response;
  }

  const bundle::Manifest& manifest() const { return bundle_.manifest; }

 private:
  // Parses query text; malformed syntax is taken as plain words.
  absl::StatusOr<Xapian::Query> ParseQuery(const Xapian::Database& db,
                                           const std::string& query_text) const {
    Xapian::QueryParser parser = text::MakeQueryParser(db);
    try {
      return parser.parse_query(query_text, Xapian::QueryParser::FLAG_DEFAULT);
    } catch (const Xapian::QueryParserError&) {
    }
    try {
      return parser.parse_query(query_text, 0);
    } catch (const Xapian::QueryParserError& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("query could not be understood: ", e.get_msg()));
    }
  }

  static Xapian::Query Filters(const v1::SearchRequest& request) {
    std::vector<Xapian::Query> filters;
    if (!request.types().empty()) {
      std::vector<Xapian::Query> types;
      for (int type : request.types()) {
        if (type == v1::RECORD_TYPE_CONDITION) {
          types.emplace_back(text::BooleanTerm(text::kTypePrefix, text::kConditionType));
        } else if (type == v1::RECORD_TYPE_ARTICLE) {
          types.emplace_back(text::BooleanTerm(text::kTypePrefix, text::kArticleType));
        }
      }
      filters.emplace_back(Xapian::Query::OP_OR, types.begin(), types.end());
    }
    if (!request.categories().empty()) filters.push_back(OrOfTerms(text::kCategoryPrefix, request.categories()));
    if (!request.sources().empty()) filters.push_back(OrOfTerms(text::kSourcePrefix, request.sources()));
    if (!request.codes().empty()) filters.push_back(OrOfTerms(text::kCodePrefix, request.codes()));
    if (filters.empty()) return Xapian::Query();
    return Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end());
  }

  // A match with its final score.
  struct Candidate {
    Xapian::docid docid;
    double score;
  };

  // The documents among a fixed set that hold each term asked about, with the
  // term's wdf in each. Each term's posting list is walked once, however often
  // it is asked about: far cheaper than reading long documents' term lists.
  class PostingsAmong {
   public:
    using Wdfs = absl::flat_hash_map<Xapian::docid, Xapian::termcount>;

    PostingsAmong(const Xapian::Database& db, std::vector<Xapian::docid> docids)
        : db_(db), sorted_docids_(std::move(docids)) {
      std::sort(sorted_docids_.begin(), sorted_docids_.end());
    }

    const Wdfs& Of(const std::string& term) {
      auto [it, inserted] = by_term_.try_emplace(term);
      if (inserted) {
        it->second.reserve(sorted_docids_.size());
        Xapian::PostingIterator posting = db_.postlist_begin(term);
        for (Xapian::docid docid : sorted_docids_) {
          posting.skip_to(docid);
          if (posting == db_.postlist_end(term)) break;
          if (*posting == docid) it->second.emplace(docid, posting.get_wdf());
        }
      }
      return it->second;
    }

    const std::vector<Xapian::docid>& sorted_docids() const { return sorted_docids_; }

   private:
    const Xapian::Database& db_;
    std::vector<Xapian::docid> sorted_docids_;
    absl::node_hash_map<std::string, Wdfs> by_term_;  // node-based: Of()'s references stay valid
  };

  // For each document, which of the query's concepts it covers: by the word
  // itself or through a thesaurus expansion; and which expansions matched.
  struct Coverage {
    absl::flat_hash_map<Xapian::docid, std::vector<bool>> concepts;
    absl::flat_hash_map<Xapian::docid, std::vector<int>> expansions;
  };

  static Coverage CoverageOf(const LayQuery& lay, PostingsAmong& candidates) {
    Coverage coverage;
    for (Xapian::docid docid : candidates.sorted_docids()) {
      coverage.concepts[docid].assign(lay.concepts.size(), false);
    }
    for (size_t c = 0; c < lay.concepts.size(); ++c) {
      for (const auto& [docid, wdf] : candidates.Of(lay.concepts[c])) {
        coverage.concepts[docid][c] = true;
      }
    }
    for (size_t e = 0; e < lay.expansions.size(); ++e) {
      const Expansion& expansion = lay.expansions[e];
      if (expansion.terms.empty()) continue;
      std::vector<Xapian::docid> holding_all;
      for (const auto& [docid, wdf] : candidates.Of(expansion.terms[0])) holding_all.push_back(docid);
      for (size_t t = 1; t < expansion.terms.size() && !holding_all.empty(); ++t) {
        const PostingsAmong::Wdfs& holders = candidates.Of(expansion.terms[t]);
        std::erase_if(holding_all, [&](Xapian::docid docid) { return !holders.contains(docid); });
      }
      for (Xapian::docid docid : holding_all) {
        coverage.expansions[docid].push_back(static_cast<int>(e));
        for (int c : expansion.covers) coverage.concepts[docid][c] = true;
      }
    }
    return coverage;
  }

  // BM25 weight times the record's priors times its symptom coverage, best first.
  // `coverage` receives what each candidate covered, for the explanations.
  std::vector<Candidate> Rescore(const Xapian::Database& db, const Xapian::MSet& mset,
                                 const LayQuery& lay, PostingsAmong& candidate_postings,
                                 Coverage* coverage_out) const {
    std::vector<Candidate> candidates;
    for (auto it = mset.begin(); it != mset.end(); ++it) candidates.push_back({*it, it.get_weight()});
    Coverage& coverage = *coverage_out;
    if (!lay.concepts.empty()) coverage = CoverageOf(lay, candidate_postings);
    // Words naming a category or an article tag ("autoimmune disease") ask
    // for records in it.
    absl::flat_hash_set<Xapian::docid> in_wanted_category;
    for (const std::string& word : lay.concept_words) {
      for (const char* prefix : {text::kCategoryPrefix, text::kTagPrefix}) {
        const std::string term = text::BooleanTerm(prefix, word);
        if (!db.term_exists(term)) continue;
        for (const auto& [docid, wdf] : candidate_postings.Of(term)) in_wanted_category.insert(docid);
      }
    }
    // Reading values costs I/O: only when a prior would change a score.
    const bool has_priors = profiled_prior_ != 1.0 || !source_priors_.empty();
    for (Candidate& candidate : candidates) {
      if (in_wanted_category.contains(candidate.docid)) candidate.score *= category_boost_;
      if (has_priors) {
        const Xapian::Document doc = db.get_document(candidate.docid, Xapian::DOC_ASSUME_VALID);
        if (doc.get_value(text::kProfiledSlot) == "1") candidate.score *= profiled_prior_;
        auto prior = source_priors_.find(text::AsciiLower(doc.get_value(text::kSourceSlot)));
        if (prior != source_priors_.end()) candidate.score *= prior->second;
      }
      if (!lay.concepts.empty()) {
        const std::vector<bool>& covered = coverage.concepts.at(candidate.docid);
        const double fraction = (std::count(covered.begin(), covered.end(), true) + 1.0) /
                                (lay.concepts.size() + 1.0);
        candidate.score *= std::pow(fraction, coverage_exponent_);
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return candidates;
  }

  // What one result matched: the person's words, the fields they were in, and
  // the thesaurus expansions that brought it in.
  struct Matches {
    std::vector<std::string> words;
    absl::flat_hash_set<std::string> fields;
    std::vector<std::string> explanations;
  };

  // Adds to each page document's `fields` those where `word` (an unprefixed
  // term, stemmed or not) occurs.
  static void AddFieldsOf(const std::string& word, PostingsAmong& candidates, PostingsAmong& page,
                          absl::flat_hash_map<Xapian::docid, Matches>& matches) {
    const PostingsAmong::Wdfs& unprefixed = candidates.Of(word);
    const auto holds_word = [&](Xapian::docid docid) { return unprefixed.contains(docid); };
    if (std::none_of(page.sorted_docids().begin(), page.sorted_docids().end(), holds_word)) return;
    const bool stemmed = absl::StartsWith(word, "Z");
    const std::string bare = stemmed ? word.substr(1) : word;
    const auto in_field = [&](const char* prefix) -> const PostingsAmong::Wdfs& {
      return page.Of(absl::StrCat(stemmed ? "Z" : "", prefix, bare));
    };
    const PostingsAmong::Wdfs& title = in_field(text::kTitlePrefix);
    const PostingsAmong::Wdfs& also_called = in_field(text::kAlsoCalledPrefix);
    const PostingsAmong::Wdfs& symptom = in_field(text::kSymptomPrefix);
    const PostingsAmong::Wdfs& summary = in_field(text::kSummaryPrefix);
    const PostingsAmong::Wdfs& profile = in_field(text::kProfilePrefix);
    const auto wdf = [](const PostingsAmong::Wdfs& wdfs, Xapian::docid docid) -> Xapian::termcount {
      auto it = wdfs.find(docid);
      return it == wdfs.end() ? 0 : it->second;
    };
    for (Xapian::docid docid : page.sorted_docids()) {
      if (!holds_word(docid)) continue;
      const text::FieldWdfs wdfs{.unprefixed = wdf(unprefixed, docid),
                                 .title = wdf(title, docid),
                                 .also_called = wdf(also_called, docid),
                                 .symptom = wdf(symptom, docid),
                                 .summary = wdf(summary, docid),
                                 .profile = wdf(profile, docid)};
      absl::flat_hash_set<std::string>& fields = matches[docid].fields;
      if (wdfs.title > 0) fields.insert("name");
      if (wdfs.also_called > 0) fields.insert("also_called");
      if (wdfs.symptom > 0) fields.insert("symptoms");
      if (wdfs.summary > 0) fields.insert("summary");
      if (wdfs.profile > 0) fields.insert("profile");
      if (text::BodyWdf(wdfs) > 0) fields.insert("body");
    }
  }

  // What each page document matched. `candidates` are the re-scored documents,
  // of which the page is a part; terms they were asked about are not walked again.
  static absl::flat_hash_map<Xapian::docid, Matches> FindMatches(
      const Xapian::Query& text_query, const LayQuery& lay, const Coverage& coverage,
      PostingsAmong& candidates, PostingsAmong& page,
      const absl::flat_hash_map<std::string, std::string>& words_by_term) {
    absl::flat_hash_map<Xapian::docid, Matches> matches;
    for (auto t = text_query.get_unique_terms_begin(); t != text_query.get_unique_terms_end(); ++t) {
      const std::string term = UnprefixedTerm(*t);
      auto word = words_by_term.find(term);
      const std::string shown = word != words_by_term.end()        ? word->second
                                : absl::StartsWith(term, "Z") ? term.substr(1)
                                                              : term;
      const PostingsAmong::Wdfs& holders = candidates.Of(*t);
      for (Xapian::docid docid : page.sorted_docids()) {
        if (!holders.contains(docid)) continue;
        std::vector<std::string>& words = matches[docid].words;
        if (std::find(words.begin(), words.end(), shown) == words.end()) words.push_back(shown);
      }
      AddFieldsOf(term, candidates, page, matches);
    }
    for (Xapian::docid docid : page.sorted_docids()) {
      auto expansions = coverage.expansions.find(docid);
      if (expansions == coverage.expansions.end()) continue;
      for (int e : expansions->second) {
        matches[docid].explanations.push_back(
            absl::StrCat(lay.expansions[e].from, " -> ", lay.expansions[e].to));
      }
    }
    return matches;
  }

  void AddResult(const Xapian::Database& db, const Xapian::MSet& mset, const Candidate& candidate,
                 const Matches& matches, v1::SearchResult* result) const {
    const Xapian::Document doc = db.get_document(candidate.docid);
    result->set_score(candidate.score);
    bundle::DocumentData data;
    data.ParseFromString(doc.get_data());
    result->set_id(std::move(*data.mutable_id()));
    result->set_type(doc.get_value(text::kTypeSlot) == text::kArticleType
                         ? v1::RECORD_TYPE_ARTICLE
                         : v1::RECORD_TYPE_CONDITION);
    result->set_title(std::move(*data.mutable_title()));
    // The first good passage rather than the best under Xapian's background
    // model, which costs over a millisecond a result on long records.
    result->set_snippet(mset.snippet(data.snippet_source(), text::kSnippetBytes, text::Stemmer(),
                                     /*flags=*/0, "<b>", "</b>", "..."));
    for (const std::string& word : matches.words) result->add_matched_terms(word);
    for (const char* field : kMatchedFieldOrder) {
      if (matches.fields.contains(field)) result->add_matched_fields(field);
    }
    for (const std::string& explanation : matches.explanations) {
      result->add_explanations(explanation);
    }
  }

  BundleVersion bundle_;
  ObjectPool<Xapian::Database> handles_;
  const Xapian::BM25Weight weight_;
  const double phrase_boost_;
  const double synonym_weight_;
  const double coverage_exponent_;
  const int candidate_depth_;
  const bool negation_;
  const double profiled_prior_;
  const double category_boost_;
  absl::flat_hash_map<std::string, double> source_priors_;  // by lower-cased name
  SuggestionIndex suggestions_;
};

Searcher::Searcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Searcher::~Searcher() = default;

absl::StatusOr<std::unique_ptr<Searcher>> Searcher::Open(const std::filesystem::path& bundle_path,
                                                         const config::RankingConfig& ranking) {
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(bundle_path);
  if (!bundle.ok()) return bundle.status();
  try {
    auto first_handle = std::make_unique<Xapian::Database>(bundle->xapian_path().string());
    auto impl = std::make_unique<Impl>(*std::move(bundle), ranking, std::move(first_handle));
    if (absl::Status s = impl->LoadSuggestions(); !s.ok()) return s;
    return std::unique_ptr<Searcher>(new Searcher(std::move(impl)));
  } catch (const Xapian::Error& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the index of bundle ", bundle_path.string(), ": ",
                     e.get_description()));
  }
}

absl::StatusOr<v1::SearchResponse> Searcher::Search(const v1::SearchRequest& request) const {
  try {
    return impl_->Search(request);
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("search failed: ", e.get_description()));
  }
}

absl::StatusOr<v1::SuggestResponse> Searcher::Suggest(const v1::SuggestRequest& request) const {
  return impl_->Suggest(request);
}

const bundle::Manifest& Searcher::manifest() const { return impl_->manifest(); }

}  // namespace healthsearch
