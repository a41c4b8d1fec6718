// Our own concurrent code paths, without gRPC in between: one Searcher shared
// by many threads, the indexer's threads, and bundles published while other
// threads open and read them. scripts/test-sanitizers runs these under
// ThreadSanitizer (ctest label "tsan"), where gRPC's uninstrumented internals
// would only add noise.
#include <xapian.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "indexer/index_builder.h"
#include "search-service/searcher.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::KnowledgeDir;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::TempDir;
using ::testing::HasSubstr;

constexpr int kThreads = 8;

// A query per sample condition: its name and first symptoms.
std::vector<v1::SearchRequest> QueriesFromTheSample() {
  absl::StatusOr<Corpus> corpus = LoadCorpus({SampleCorpusDir()}, {}, nullptr);
  EXPECT_THAT(corpus, IsOk());
  std::vector<v1::SearchRequest> requests;
  if (!corpus.ok()) return requests;
  for (const v1::Condition& condition : corpus->conditions) {
    v1::SearchRequest request;
    std::string query = condition.name();
    for (int s = 0; s < condition.symptoms_size() && s < 3; ++s) {
      absl::StrAppend(&query, " ", condition.symptoms(s).name());
    }
    request.set_query(query);
    if (requests.size() % 4 == 0) request.add_facets("category");
    requests.push_back(request);
  }
  return requests;
}

TEST(LibraryConcurrencyTest, OneSearcherSharedByManyThreadsAnswersAsItDoesAlone) {
  TempDir temp;
  ASSERT_THAT(BuildBundle({.corpus_dirs = {SampleCorpusDir()}, .out = temp.path() / "bundle"},
                          nullptr),
              IsOk());
  absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(temp.path() / "bundle");
  ASSERT_THAT(searcher, IsOk());
  const std::vector<v1::SearchRequest> requests = QueriesFromTheSample();
  ASSERT_FALSE(requests.empty());
  std::vector<v1::SearchResponse> expected;
  for (const v1::SearchRequest& request : requests) {
    absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(request);
    ASSERT_THAT(response, IsOk()) << request.query();
    expected.push_back(*std::move(response));
  }
  v1::SuggestRequest suggest;
  suggest.set_prefix("dys");
  absl::StatusOr<v1::SuggestResponse> expected_suggestions = (*searcher)->Suggest(suggest);
  ASSERT_THAT(expected_suggestions, IsOk());

  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t call = 0; call < requests.size() * 2; ++call) {
        const size_t i = (call * 7 + static_cast<size_t>(t) * 13) % requests.size();
        absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(requests[i]);
        if (!response.ok() || !MessageDifferencer::Equals(*response, expected[i])) ++failures;
        if (call % 10 == 0) {
          absl::StatusOr<v1::SuggestResponse> suggestions = (*searcher)->Suggest(suggest);
          if (!suggestions.ok() ||
              !MessageDifferencer::Equals(*suggestions, *expected_suggestions)) {
            ++failures;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
}

// While one thread publishes new versions, readers that open the published
// path always find a complete bundle: its index and its records agree.
// Everything a search reads from the index: documents with their data,
// values, terms and positions, and the term, spelling and synonym tables.
std::string DumpIndex(const fs::path& bundle) {
  absl::StatusOr<BundleVersion> version = ResolveBundle(bundle);
  if (!version.ok()) return std::string(version.status().message());
  Xapian::Database db(version->xapian_path().string());
  std::ostringstream dump;
  dump << "documents " << db.get_doccount() << " last " << db.get_lastdocid() << " length "
       << db.get_total_length() << "\n";
  for (Xapian::PostingIterator it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
    const Xapian::Document doc = db.get_document(*it);
    dump << "document " << *it << " data " << absl::CHexEscape(doc.get_data()) << "\n";
    for (Xapian::ValueIterator v = doc.values_begin(); v != doc.values_end(); ++v) {
      dump << " value " << v.get_valueno() << " " << absl::CHexEscape(*v) << "\n";
    }
    for (Xapian::TermIterator t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
      dump << " term " << *t << " wdf " << t.get_wdf() << " at";
      for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p) {
        dump << " " << *p;
      }
      dump << "\n";
    }
  }
  for (Xapian::TermIterator t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    dump << "term " << *t << " in " << t.get_termfreq() << " count "
         << db.get_collection_freq(*t) << "\n";
  }
  for (Xapian::TermIterator w = db.spellings_begin(); w != db.spellings_end(); ++w) {
    dump << "spelling " << *w << " " << w.get_termfreq() << "\n";
  }
  for (Xapian::TermIterator k = db.synonym_keys_begin(); k != db.synonym_keys_end(); ++k) {
    dump << "synonyms of " << *k << ":";
    for (Xapian::TermIterator s = db.synonyms_begin(*k); s != db.synonyms_end(*k); ++s) {
      dump << " " << *s;
    }
    dump << "\n";
  }
  return dump.str();
}

TEST(LibraryConcurrencyTest, ManySmallShardsOnManyThreadsIndexWhatOneThreadIndexes) {
  TempDir temp;
  const IndexerOptions one_shard{
      .corpus_dirs = {SampleCorpusDir()},
      .out = temp.path() / "one",
      .profile_files = {KnowledgeDir() / "profiles.jsonl"},
      .thesaurus_files = {KnowledgeDir() / "thesaurus.tsv"},
      .index_threads = 1,
      .shard_text_bytes = size_t{1} << 30,
  };
  IndexerOptions one_record_per_shard = one_shard;
  one_record_per_shard.out = temp.path() / "many";
  one_record_per_shard.index_threads = 3;
  one_record_per_shard.shard_text_bytes = 1;
  ASSERT_THAT(BuildBundle(one_shard, nullptr), IsOk());
  absl::StatusOr<bundle::Manifest> many = BuildBundle(one_record_per_shard, nullptr);
  ASSERT_THAT(many, IsOk());
  ASSERT_GT(many->condition_count() + many->article_count(), 3);

  const std::string expected = DumpIndex(temp.path() / "one");
  EXPECT_THAT(expected, HasSubstr("spelling "));
  EXPECT_THAT(expected, HasSubstr("synonyms of "));
  EXPECT_EQ(DumpIndex(temp.path() / "many"), expected);
  EXPECT_FALSE(fs::exists(ResolveBundle(temp.path() / "many")->dir / "xapian.shards"));
}

TEST(LibraryConcurrencyTest, ReadersNeverSeeAHalfPublishedBundle) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  const fs::path corpus = temp.path() / "corpus";
  auto write_corpus = [&](int version) {
    std::ofstream file(corpus / kConditionsFile, std::ios::trunc);
    for (int i = 0; i <= version; ++i) {
      file << R"({"id": "c)" << i << R"(", "name": "Condition )" << i
           << R"(", "summary": "A zebrafinch rash, published in version )" << version
           << R"(."})" << "\n";
    }
  };
  fs::create_directories(corpus);
  write_corpus(0);
  ASSERT_THAT(BuildBundle({.corpus_dirs = {corpus}, .out = out}, nullptr), IsOk());

  constexpr int kVersions = 6;
  std::atomic<bool> publishing = true;
  std::atomic<int> reads = 0;
  absl::Mutex mutex;
  std::vector<std::string> problems;  // guarded by mutex
  auto problem = [&](std::string what) {
    absl::MutexLock lock(&mutex);
    if (problems.size() < 10) problems.push_back(std::move(what));
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      // After the last publish, keep reading until a few reads got through
      // (or it is clear they never will).
      for (int attempts_after = 0; publishing || (reads < 4 && attempts_after < 1000);
           attempts_after += publishing ? 0 : 1) {
        absl::StatusOr<BundleVersion> bundle = ResolveBundle(out);
        if (!bundle.ok()) {
          // A version replaced twice since it was resolved may be gone.
          if (!absl::IsFailedPrecondition(bundle.status())) problem(bundle.status().ToString());
          continue;
        }
        absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(bundle->dir);
        absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle->records_path());
        if (!searcher.ok() || !store.ok()) continue;  // removed while opening: also allowed
        absl::StatusOr<int64_t> count = store->CountConditions();
        if (!count.ok() || *count != bundle->manifest.condition_count()) {
          problem(absl::StrCat("records: ", count.status().ToString(), " ",
                               count.value_or(-1), " of ", bundle->manifest.condition_count()));
        }
        v1::SearchRequest request;
        request.set_query("zebrafinch rash");
        request.set_page_size(100);
        absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(request);
        if (!response.ok() || response->total_size() != bundle->manifest.condition_count()) {
          problem(absl::StrCat("search: ", response.status().ToString(), " ",
                               response.ok() ? response->total_size() : -1, " of ",
                               bundle->manifest.condition_count()));
        }
        ++reads;
      }
    });
  }
  for (int version = 1; version <= kVersions; ++version) {
    write_corpus(version);
    EXPECT_THAT(BuildBundle({.corpus_dirs = {corpus}, .out = out}, nullptr), IsOk());
  }
  publishing = false;
  for (std::thread& reader : readers) reader.join();
  EXPECT_THAT(problems, ::testing::IsEmpty());
  EXPECT_GT(reads, 0);
  absl::StatusOr<BundleVersion> last = ResolveBundle(out);
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->manifest.condition_count(), kVersions + 1);
}

}  // namespace
}  // namespace healthsearch
