#include "search-service/searcher.h"

#include <xapian.h>

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/bundle.h"

#include "common/text_analysis.h"
#include "indexer/index_builder.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class SearcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    const auto knowledge = ::healthsearch::testing::KnowledgeDir();
    ASSERT_THAT(BuildBundle({.corpus_dirs = {::healthsearch::testing::SampleCorpusDir()},
                             .out = temp_->path() / "bundle",
                             .profile_files = {knowledge / "profiles.jsonl"},
                             .thesaurus_files = {knowledge / "thesaurus.tsv"}},
                            nullptr),
                IsOk());
    absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(temp_->path() / "bundle");
    ASSERT_THAT(searcher, IsOk());
    searcher_ = searcher->release();
  }
  static void TearDownTestSuite() {
    delete searcher_;
    delete temp_;
  }

  static v1::SearchResponse MustSearch(const std::string& query, int page_size = 10) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(page_size);
    absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
    EXPECT_THAT(response, IsOk()) << query;
    return response.ok() ? *response : v1::SearchResponse();
  }

  static std::vector<std::string> Ids(const v1::SearchResponse& response) {
    std::vector<std::string> ids;
    for (const v1::SearchResult& result : response.results()) ids.push_back(result.id());
    return ids;
  }

  static inline TempDir* temp_ = nullptr;
  static inline Searcher* searcher_ = nullptr;
};

TEST_F(SearcherTest, AutoimmuneMuscleCrampsFindsMyositisAndTheArticle) {
  std::vector<std::string> top5 = Ids(MustSearch("autoimmune disease muscle cramps", 5));
  EXPECT_THAT(top5, AnyOf(Contains("polymyositis"), Contains("dermatomyositis")));
  EXPECT_THAT(top5, Contains("article-autoimmune-muscle-cramps"));
}

TEST_F(SearcherTest, TroubleSwallowingAndWeakNeckFindsAMyopathyOrMyastheniaInTopThree) {
  std::vector<std::string> top3 = Ids(MustSearch("trouble swallowing and weak neck muscles", 3));
  EXPECT_THAT(top3, AnyOf(Contains("polymyositis"), Contains("dermatomyositis"),
                          Contains("inclusion-body-myositis"), Contains("myasthenia-gravis")));
}

TEST_F(SearcherTest, ExplainsWhichThesaurusEntriesMatched) {
  v1::SearchResponse response = MustSearch("trouble swallowing and weak neck muscles", 5);
  std::vector<std::string> explanations;
  for (const auto& result : response.results()) {
    explanations.insert(explanations.end(), result.explanations().begin(),
                        result.explanations().end());
  }
  EXPECT_THAT(explanations, Contains("trouble swallowing -> dysphagia"));
}

TEST_F(SearcherTest, NegatedSymptomsAreNotRewarded) {
  v1::SearchResponse response = MustSearch("fever and a rash but no itching", 5);
  ASSERT_FALSE(response.results().empty());
  for (const auto& result : response.results()) {
    EXPECT_THAT(result.matched_terms(), Not(Contains("itching"))) << result.id();
    EXPECT_THAT(result.matched_terms(), Contains("rash")) << result.id();
  }
  v1::SearchRequest request;
  request.set_query("no fever");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rules out")));
}

TEST_F(SearcherTest, ResultsCarryTitleTypeSnippetAndWhatMatched) {
  v1::SearchResponse response = MustSearch("psoriasis");
  ASSERT_FALSE(response.results().empty());
  const v1::SearchResult& top = response.results(0);
  EXPECT_EQ(top.id(), "psoriasis");
  EXPECT_EQ(top.type(), v1::RECORD_TYPE_CONDITION);
  EXPECT_EQ(top.title(), "Psoriasis");
  EXPECT_GT(top.score(), 0);
  EXPECT_THAT(top.snippet(), HasSubstr("<b>"));
  EXPECT_THAT(top.matched_terms(), Contains("psoriasis"));
  EXPECT_THAT(top.matched_fields(), Contains("name"));
  EXPECT_GT(response.total_size(), 0);
}

TEST_F(SearcherTest, MatchedFieldsNameTheBodyForWordsOnlyInTheText) {
  // "cycles" is only in the psoriasis record's section text; "psoriasis" is
  // in its name and text.
  v1::SearchResponse response = MustSearch("psoriasis cycles");
  ASSERT_FALSE(response.results().empty());
  const v1::SearchResult& top = response.results(0);
  EXPECT_EQ(top.id(), "psoriasis");
  EXPECT_THAT(top.matched_fields(), Contains("name"));
  EXPECT_THAT(top.matched_fields(), Contains("body"));
  EXPECT_THAT(top.matched_terms(), Contains("cycles"));

  // "vulgaris" is only ever in other names ("acne vulgaris", "psoriasis
  // vulgaris"), never in the body.
  response = MustSearch("vulgaris");
  ASSERT_FALSE(response.results().empty());
  for (const v1::SearchResult& result : response.results()) {
    EXPECT_THAT(result.matched_fields(), Contains("also_called")) << result.id();
    EXPECT_THAT(result.matched_fields(), Not(Contains("body"))) << result.id();
  }
}

struct Misspelling {
  const char* typed;
  const char* corrected;
};

TEST_F(SearcherTest, CorrectsCommonMisspellings) {
  const Misspelling cases[] = {
      {"diarrea", "diarrhea"},       {"psoraisis", "psoriasis"},   {"migrane", "migraine"},
      {"asthama", "asthma"},         {"exzema", "eczema"},         {"pnemonia", "pneumonia"},
      {"shingels", "shingles"},      {"tinitus", "tinnitus"},      {"fibromyalga", "fibromyalgia"},
      {"apendicitis", "appendicitis"}, {"hemorroids", "hemorrhoids"}, {"diabetis", "diabetes"},
  };
  for (const Misspelling& m : cases) {
    v1::SearchResponse response = MustSearch(m.typed);
    EXPECT_EQ(response.corrected_query(), m.corrected) << m.typed;
    EXPECT_FALSE(response.results().empty()) << m.typed;
  }
  v1::SearchResponse response = MustSearch("diarrea for 3 days");
  EXPECT_EQ(response.corrected_query(), "diarrhea for 3 days");
}

TEST_F(SearcherTest, SpellingCorrectionCanBeTurnedOff) {
  v1::SearchRequest request;
  request.set_query("psoraisis");
  request.set_disable_spelling_correction(true);
  absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->corrected_query(), IsEmpty());
  EXPECT_THAT(response->results(), IsEmpty());
}

TEST_F(SearcherTest, CorrectlySpelledQueriesAreLeftAlone) {
  EXPECT_THAT(MustSearch("muscle cramps").corrected_query(), IsEmpty());
  // Possessive names are indexed whole; "Hashimoto" alone is in no record.
  for (const char* name : {"Hashimoto's thyroiditis", "Athlete's foot", "Crohn's disease"}) {
    v1::SearchResponse response = MustSearch(name);
    EXPECT_THAT(response.corrected_query(), IsEmpty()) << name;
    ASSERT_FALSE(response.results().empty()) << name;
    EXPECT_EQ(response.results(0).title(), name);
  }
}

TEST_F(SearcherTest, HonoursNotAndPhrases) {
  Xapian::Database db(
      (std::filesystem::canonical(temp_->path() / "bundle") / "xapian").string());
  v1::SearchResponse response = MustSearch("fever NOT rash", 50);
  ASSERT_FALSE(response.results().empty());
  for (const v1::SearchResult& result : response.results()) {
    Xapian::PostingIterator it = db.postlist_begin(text::IdTerm(result.id()));
    Xapian::Document doc = db.get_document(*it);
    Xapian::TermIterator term = doc.termlist_begin();
    term.skip_to("rash");
    EXPECT_FALSE(term != doc.termlist_end() && *term == "rash") << result.id();
  }
  v1::SearchResponse phrase = MustSearch("\"trouble swallowing\"", 50);
  EXPECT_THAT(Ids(phrase), Contains("polymyositis"));
  EXPECT_LT(phrase.total_size(), MustSearch("trouble swallowing", 100).total_size());
}

TEST_F(SearcherTest, MalformedSyntaxDegradesToPlainWords) {
  for (const char* query : {"\"unbalanced quote muscle", "AND OR", "fever AND", "NOT", "((fever",
                            "fever OR OR rash", "NOT NOT cramps", "a:b:c", "fever -", "+rash +"}) {
    v1::SearchRequest request;
    request.set_query(query);
    EXPECT_THAT(searcher_->Search(request), IsOk()) << query;
  }
  for (const char* query : {"-", "+", "\"\"", "()", "*"}) {  // nothing to search for
    v1::SearchRequest request;
    request.set_query(query);
    EXPECT_THAT(searcher_->Search(request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query is empty")))
        << query;
  }
  EXPECT_FALSE(MustSearch("\"muscle cramps").results().empty());
}

TEST_F(SearcherTest, RejectsQueriesItCannotAnswer) {
  v1::SearchRequest request;
  request.set_query(std::string(1 << 20, 'a'));
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the maximum is 1000")));
  request.set_query("fever\x01rash");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control characters")));
  request.set_query("fever \xC3\x28");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  request.set_query("   ");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query is empty")));
  request.set_query("fever");
  request.set_page_size(-1);
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  request.set_page_size(10);
  request.set_page_token("not-a-token");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  request.clear_page_token();
  request.add_facets("colour");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown facet")));
}

TEST_F(SearcherTest, AThousandCharacterQueryIsAnswered) {
  std::string query;
  while (query.size() < 990) query += "sore throat fever cough ";
  query.resize(kMaxQueryCharacters);
  v1::SearchRequest request;
  request.set_query(query);
  EXPECT_THAT(searcher_->Search(request), IsOk());
}

TEST_F(SearcherTest, FiltersByTypeCategoryAndCode) {
  v1::SearchRequest request;
  request.set_query("muscle weakness");
  request.set_page_size(100);
  request.add_types(v1::RECORD_TYPE_ARTICLE);
  absl::StatusOr<v1::SearchResponse> articles = searcher_->Search(request);
  ASSERT_THAT(articles, IsOk());
  ASSERT_FALSE(articles->results().empty());
  for (const auto& result : articles->results()) EXPECT_EQ(result.type(), v1::RECORD_TYPE_ARTICLE);

  request.clear_types();
  request.add_categories("Autoimmune");
  absl::StatusOr<v1::SearchResponse> autoimmune = searcher_->Search(request);
  ASSERT_THAT(autoimmune, IsOk());
  EXPECT_THAT(Ids(*autoimmune), Contains("polymyositis"));
  EXPECT_THAT(Ids(*autoimmune), Not(Contains("low-back-pain")));

  v1::SearchRequest by_code;
  by_code.add_codes("M33.2");
  absl::StatusOr<v1::SearchResponse> coded = searcher_->Search(by_code);  // empty query: browse
  ASSERT_THAT(coded, IsOk());
  EXPECT_EQ(Ids(*coded), std::vector<std::string>{"polymyositis"});
}

TEST_F(SearcherTest, BoundsFilterListsAndValues) {
  v1::SearchRequest request;
  request.set_query("muscle weakness");
  for (int i = 0; i < kMaxFilterValues - 1; ++i) request.add_categories(absl::StrCat("none-", i));
  request.add_categories("Autoimmune");
  absl::StatusOr<v1::SearchResponse> at_limit = searcher_->Search(request);
  ASSERT_THAT(at_limit, IsOk());
  EXPECT_THAT(Ids(*at_limit), Contains("polymyositis"));

  request.add_categories("one too many");
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("categories has 101 values")));

  request.clear_categories();
  request.add_codes(std::string(text::kMaxFilterValueBytes + 1, 'M'));
  EXPECT_THAT(searcher_->Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a value in codes is 201 bytes")));
}

TEST_F(SearcherTest, CountsFacetsOverEveryMatch) {
  v1::SearchRequest request;
  request.set_query("pain");
  request.add_facets("type");
  request.add_facets("category");
  absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->facets_size(), 2);
  EXPECT_EQ(response->facets(0).name(), "type");
  int64_t total = 0;
  for (const v1::FacetCount& count : response->facets(0).counts()) total += count.count();
  EXPECT_EQ(total, response->total_size());
  EXPECT_FALSE(response->facets(1).counts().empty());
}

TEST_F(SearcherTest, PagesThroughResultsWithoutRepeats) {
  v1::SearchRequest request;
  request.set_query("pain");
  request.set_page_size(7);
  std::set<std::string> seen;
  int pages = 0;
  int64_t total = 0;
  do {
    absl::StatusOr<v1::SearchResponse> page = searcher_->Search(request);
    ASSERT_THAT(page, IsOk());
    total = page->total_size();
    for (const auto& result : page->results()) EXPECT_TRUE(seen.insert(result.id()).second);
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 100);
  EXPECT_GT(pages, 1);
  EXPECT_EQ(static_cast<int64_t>(seen.size()), total);

  v1::SearchRequest first;
  first.set_query("pain");
  first.set_page_size(7);
  absl::StatusOr<v1::SearchResponse> page = searcher_->Search(first);
  ASSERT_THAT(page, IsOk());
  v1::SearchRequest other;
  other.set_query("fever");
  other.set_page_size(7);
  other.set_page_token(page->next_page_token());
  EXPECT_THAT(searcher_->Search(other),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different query")));
}

TEST_F(SearcherTest, SuggestsNamesAndSymptomsByWordPrefix) {
  v1::SuggestRequest request;
  request.set_prefix("dysph");
  absl::StatusOr<v1::SuggestResponse> response = searcher_->Suggest(request);
  ASSERT_THAT(response, IsOk());
  ASSERT_FALSE(response->suggestions().empty());
  EXPECT_THAT(response->suggestions(0).text(), HasSubstr("dysphagia"));

  request.set_prefix("Polymy");
  response = searcher_->Suggest(request);
  ASSERT_THAT(response, IsOk());
  ASSERT_FALSE(response->suggestions().empty());
  EXPECT_EQ(response->suggestions(0).text(), "Polymyositis");
  EXPECT_EQ(response->suggestions(0).kind(), "condition");
  EXPECT_EQ(response->suggestions(0).record_id(), "polymyositis");

  request.set_prefix("swallow");  // matches inside "trouble swallowing"
  response = searcher_->Suggest(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_FALSE(response->suggestions().empty());

  request.set_prefix("s");
  request.set_page_size(3);
  response = searcher_->Suggest(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->suggestions_size(), 3);
}

TEST_F(SearcherTest, SuggestRejectsEmptyAndBadPrefixes) {
  v1::SuggestRequest request;
  EXPECT_THAT(searcher_->Suggest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefix is empty")));
  request.set_prefix("\xFF");
  EXPECT_THAT(searcher_->Suggest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  request.set_prefix("dys");
  request.set_page_size(-2);
  EXPECT_THAT(searcher_->Suggest(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST(SearcherOpenTest, FailsOnAMissingOrBrokenBundle) {
  TempDir temp;
  EXPECT_THAT(Searcher::Open(temp.path() / "none"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no bundle")));
  std::filesystem::create_directories(temp.path() / "broken" / "xapian");
  ::healthsearch::testing::WriteTextFile(temp.path() / "broken" / "records.sqlite", "");
  ::healthsearch::testing::WriteTextFile(
      temp.path() / "broken" / "manifest.json",
      absl::StrCat(R"({"format_version": )", kBundleFormatVersion, "}"));
  EXPECT_THAT(Searcher::Open(temp.path() / "broken"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot open the index")));
}

}  // namespace
}  // namespace healthsearch
