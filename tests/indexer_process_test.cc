// The indexer executable, run as a real process.
#include <signal.h>
#include <xapian.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::Subprocess;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::HasSubstr;

fs::path Indexer() { return BinaryDir() / "indexer"; }


TEST(IndexerProcessTest, PublishesTheSampleCorpusAndSaysWhatItDid) {
  TempDir temp;
  std::string output;
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", SampleCorpusDir().string(), "--out",
                                   (temp.path() / "bundle").string()},
                       &output),
            0)
      << output;
  EXPECT_THAT(output, HasSubstr("indexer: published version"));
  EXPECT_THAT(output, HasSubstr("records/s"));
  EXPECT_THAT(ResolveBundle(temp.path() / "bundle"), IsOk());
}

TEST(IndexerProcessTest, TakesSeveralCorpusDirectories) {
  TempDir temp;
  WriteTextFile(temp.path() / "a" / kConditionsFile, R"({"id": "flu", "name": "Flu"})" "\n");
  WriteTextFile(temp.path() / "b" / kArticlesFile, R"({"id": "art", "title": "Art"})" "\n");
  std::string output;
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", (temp.path() / "a").string(),
                                   "--corpus=" + (temp.path() / "b").string(), "--out",
                                   (temp.path() / "bundle").string()},
                       &output),
            0)
      << output;
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(temp.path() / "bundle");
  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->manifest.condition_count(), 1);
  EXPECT_EQ(bundle->manifest.article_count(), 1);
}

TEST(IndexerProcessTest, BadRecordsArePrintedAsFileLineAndExitNonZero) {
  TempDir temp;
  const fs::path file = temp.path() / "c" / kConditionsFile;
  WriteTextFile(file, "{\"id\": \"flu\"}\n{\"id\": \"x\", \"name\": \"X\"}\n{oops\n");
  std::string output;
  EXPECT_EQ(RunProgram(Indexer(), {"--corpus", file.parent_path().string(), "--out",
                                   (temp.path() / "bundle").string()},
                       &output),
            1);
  EXPECT_THAT(output, HasSubstr(file.string() + ":1: missing required field \"name\""));
  EXPECT_THAT(output, HasSubstr(file.string() + ":3: not a valid Condition record"));
  EXPECT_THAT(output, HasSubstr("nothing published"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(temp.path() / "bundle")));
}

TEST(IndexerProcessTest, MissingFlagsAreAUsageError) {
  std::string output;
  EXPECT_EQ(RunProgram(Indexer(), {}, &output), 2);
  EXPECT_THAT(output, HasSubstr("--corpus and --out are required"));
}

// Enough records that a build takes seconds, so it can be killed part-way.
void WriteLargeCorpus(const fs::path& dir, int records) {
  fs::create_directories(dir);
  std::ofstream out(dir / kConditionsFile);
  for (int i = 0; i < records; ++i) {
    out << R"({"id": "synthetic-)" << i << R"(", "name": "Condition )" << i
        << R"(", "summary": "A made-up condition numbered )" << i
        << R"( with fever, rash, tiredness, muscle cramps and aching joints.", "sections": [)"
        << R"({"kind": "overview", "text": "Word )" << i * 7 << " and word " << i * 13
        << R"( describe how it starts, how it feels, how long it lasts and what helps."}]})"
        << "\n";
  }
}

TEST(IndexerProcessTest, ABuildKilledPartWayLeavesThePublishedBundleIntact) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", SampleCorpusDir().string(), "--out", out.string()}),
            0);
  const auto before = ::healthsearch::testing::SnapshotPublishedBundle(out);
  WriteLargeCorpus(temp.path() / "large", 150000);

  Subprocess build(Indexer(), {"--corpus", (temp.path() / "large").string(), "--out",
                               out.string()});
  // Wait until the new version's record store exists and is being written.
  const fs::path versions = out.string() + ".versions";
  bool writing = false;
  for (int attempt = 0; attempt < 6000 && !writing && !build.Poll().has_value(); ++attempt) {
    for (const auto& entry : fs::directory_iterator(versions)) {
      const fs::path records = entry.path() / kRecordsFile;
      std::error_code error;
      if (entry.path().extension() == ".partial" && fs::file_size(records, error) > (1 << 20)) {
        writing = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(writing) << "the build never got under way";
  build.Signal(SIGKILL);
  ASSERT_EQ(build.Wait(), 128 + SIGKILL) << "the build finished before it could be killed";

  EXPECT_EQ(::healthsearch::testing::SnapshotPublishedBundle(out), before);
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(out);
  ASSERT_THAT(bundle, IsOk());
  EXPECT_GT(Xapian::Database(bundle->xapian_path().string()).get_doccount(), 80u);
  absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle->records_path());
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(store->GetCondition("polymyositis"), IsOk());

  // The next build clears away what the killed one left.
  WriteTextFile(temp.path() / "small" / kConditionsFile, R"({"id": "flu", "name": "Flu"})" "\n");
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", (temp.path() / "small").string(), "--out",
                                   out.string()}),
            0);
  for (const auto& entry : fs::directory_iterator(versions)) {
    EXPECT_NE(entry.path().extension(), ".partial") << entry.path();
  }
}

}  // namespace
}  // namespace healthsearch
