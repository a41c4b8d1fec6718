// Faults around the real executables: the indexer killed at random points,
// a disk that fills up during a build, and one service down while the other
// goes on serving.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "testing/grpc_test_support.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::SnapshotPublishedBundle;
using ::healthsearch::testing::Subprocess;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::AnyOf;
using ::testing::HasSubstr;

fs::path Indexer() { return BinaryDir() / "indexer"; }

// The first `count` lines of the sample corpus's conditions, plus one
// condition named after `round`, so that every build publishes different
// contents.
void WriteCorpus(const fs::path& dir, int count, int round) {
  std::ifstream in(::healthsearch::testing::SampleCorpusDir() / kConditionsFile);
  std::string lines;
  std::string line;
  for (int i = 0; i < count && std::getline(in, line); ++i) lines += line + "\n";
  lines += absl::StrCat(R"({"id": "round-)", round, R"(", "name": "Round )", round,
                        R"(", "summary": "Written for build )", round, ".\"}\n");
  fs::remove_all(dir);
  WriteTextFile(dir / kConditionsFile, lines);
}

// The published bundle resolves, and both of its parts open and hold the
// round's record.
void ExpectCompleteBundle(const fs::path& out, int round) {
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(out);
  ASSERT_THAT(bundle, IsOk());
  Xapian::Database index(bundle->xapian_path().string());
  EXPECT_EQ(index.get_doccount(), static_cast<Xapian::doccount>(bundle->manifest.condition_count()));
  absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle->records_path());
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT(store->GetCondition(absl::StrCat("round-", round)), IsOk());
  EXPECT_THAT(store->CountConditions(), IsOk());
}

TEST(IndexerFaultTest, KilledAtRandomPointsInManyBuildsItNeverBreaksThePublishedBundle) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  const fs::path corpus = temp.path() / "corpus";
  constexpr int kRecords = 40;
  WriteCorpus(corpus, kRecords, 0);
  const absl::Time start = absl::Now();
  std::string output;
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", corpus.string(), "--out", out.string()}, &output),
            0)
      << output;
  // Kill points spread over a whole build, a little past its usual end. A
  // build that finishes before its kill shortens the window: the first build
  // runs cold and is often the slowest.
  int64_t build_ms = absl::ToInt64Milliseconds(absl::Now() - start);
  std::mt19937 random(20);

  int published_round = 0;
  int killed = 0;
  int round = 0;
  while ((round < 20 || killed < 10) && round < 100) {
    ++round;
    const auto before = SnapshotPublishedBundle(out);
    WriteCorpus(corpus, kRecords, round);
    const absl::Time build_start = absl::Now();
    Subprocess build(Indexer(), {"--corpus", corpus.string(), "--out", out.string()});
    std::uniform_int_distribution<int64_t> kill_after_ms(0, build_ms * 6 / 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
    build.Signal(SIGKILL);
    const int exit_code = build.Wait();
    ASSERT_THAT(exit_code, AnyOf(0, 128 + SIGKILL)) << "round " << round;
    if (exit_code == 0) {
      published_round = round;  // it finished first: the new version is published
      build_ms = std::min(build_ms, absl::ToInt64Milliseconds(absl::Now() - build_start));
    } else if (SnapshotPublishedBundle(out) != before) {
      // Killed after the symlink swap, on its way out: the new version is
      // published whole (ExpectCompleteBundle below holds it to that).
      published_round = round;
    } else {
      ++killed;
    }
    ExpectCompleteBundle(out, published_round);
  }
  EXPECT_GE(killed, 10) << "too few of " << round
                        << " builds were killed part-way to mean anything";

  WriteCorpus(corpus, kRecords, round + 1);
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", corpus.string(), "--out", out.string()}, &output),
            0)
      << output;
  ExpectCompleteBundle(out, round + 1);
  for (const auto& entry : fs::directory_iterator(out.string() + ".versions")) {
    EXPECT_NE(entry.path().extension(), ".partial") << entry.path();
  }
}

// A directory whose file system is small: a tmpfs of `bytes` where we may
// mount one (root, not in a container that forbids it), else empty.
class SmallFileSystem {
 public:
  SmallFileSystem(const fs::path& dir, int64_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    const std::string options = absl::StrCat("size=", bytes);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// Runs the indexer; with `max_file_bytes`, under a file size limit instead
// of a small file system (writes past it fail with EFBIG, as a full disk
// fails them with ENOSPC).
int RunIndexer(const fs::path& corpus, const fs::path& out, int64_t max_file_bytes,
               std::string* output) {
  if (max_file_bytes == 0) {
    return RunProgram(Indexer(), {"--corpus", corpus.string(), "--out", out.string()}, output);
  }
  return RunProgram("/bin/bash",
                    {"-c", absl::StrCat("trap '' XFSZ; ulimit -f ", max_file_bytes / 1024,
                                        "; exec \"$0\" --corpus \"$1\" --out \"$2\""),
                     Indexer().string(), corpus.string(), out.string()},
                    output);
}

TEST(IndexerFaultTest, AFullDiskFailsTheBuildCleanlyAndKeepsThePublishedBundle) {
  TempDir temp;
  const fs::path small_corpus = temp.path() / "small";
  const fs::path sample_corpus = temp.path() / "sample";
  WriteCorpus(small_corpus, 1, 1);
  WriteCorpus(sample_corpus, 1000, 2);
  SmallFileSystem small(temp.path() / "disk", 1536 << 10);
  // Where no tmpfs may be mounted, a file size limit stands in for it.
  const int64_t max_file_bytes = small.mounted() ? 0 : 512 << 10;
  if (!small.mounted()) {
    std::cerr << "cannot mount a tmpfs here (not root, or a container): a 512 KiB file size "
                 "limit stands in for a full disk\n";
  }
  const fs::path out = temp.path() / "disk" / "bundle";

  std::string output;
  ASSERT_EQ(RunIndexer(small_corpus, out, max_file_bytes, &output), 0) << output;
  const auto before = SnapshotPublishedBundle(out);

  EXPECT_EQ(RunIndexer(sample_corpus, out, max_file_bytes, &output), 1) << output;
  EXPECT_THAT(output, HasSubstr("nothing published"));
  EXPECT_THAT(output, AnyOf(HasSubstr("No space left on device"), HasSubstr("File too large")));
  EXPECT_EQ(SnapshotPublishedBundle(out), before);
  ExpectCompleteBundle(out, 1);
  for (const auto& entry : fs::directory_iterator(out.string() + ".versions")) {
    EXPECT_NE(entry.path().extension(), ".partial") << "left behind: " << entry.path();
  }

  // The failed build gave its space back: a build that fits succeeds.
  WriteCorpus(small_corpus, 2, 3);
  ASSERT_EQ(RunIndexer(small_corpus, out, max_file_bytes, &output), 0) << output;
  ExpectCompleteBundle(out, 3);
}

// Each service answers while the other is down, and after it comes back.
TEST(ServiceFaultTest, EachServiceKeepsServingWhileTheOtherIsDown) {
  TempDir temp;
  const fs::path bundle = temp.path() / "bundle";
  WriteCorpus(temp.path() / "corpus", 1000, 1);
  ASSERT_EQ(RunProgram(Indexer(), {"--corpus", (temp.path() / "corpus").string(), "--out",
                                   bundle.string()}),
            0);
  const std::string search_address =
      absl::StrCat("127.0.0.1:", ::healthsearch::testing::PickUnusedPort());
  const std::string content_address =
      absl::StrCat("127.0.0.1:", ::healthsearch::testing::PickUnusedPort());
  auto start_search = [&] {
    return std::make_unique<Subprocess>(
        BinaryDir() / "search-service",
        std::vector<std::string>{"--bundle", bundle.string(), "--listen", search_address},
        temp.path() / "search-service.log");
  };
  auto start_content = [&] {
    return std::make_unique<Subprocess>(
        BinaryDir() / "content-service",
        std::vector<std::string>{"--bundle", bundle.string(), "--listen", content_address},
        temp.path() / "content-service.log");
  };
  auto search_stub = v1::SearchService::NewStub(
      grpc::CreateChannel(search_address, grpc::InsecureChannelCredentials()));
  auto content_stub = v1::ContentService::NewStub(
      grpc::CreateChannel(content_address, grpc::InsecureChannelCredentials()));
  // A call to a service that should be up waits for it to be reachable (the
  // channel may still be backing off after a restart); one that should be
  // down fails fast.
  auto prepare = [](grpc::ClientContext& context, bool expect_up) {
    context.set_wait_for_ready(expect_up);
    context.set_deadline(std::chrono::system_clock::now() +
                         (expect_up ? std::chrono::seconds(60) : std::chrono::seconds(2)));
  };
  auto search_answers = [&](bool expect_up = true) {
    grpc::ClientContext context;
    prepare(context, expect_up);
    v1::SearchRequest request;
    request.set_query("written for build");
    v1::SearchResponse response;
    const grpc::Status status = search_stub->Search(&context, request, &response);
    for (const v1::SearchResult& result : response.results()) {
      if (status.ok() && result.id() == "round-1") return true;
    }
    return false;
  };
  auto content_answers = [&](bool expect_up = true) {
    grpc::ClientContext context;
    prepare(context, expect_up);
    v1::GetConditionRequest request;
    request.set_id("round-1");
    v1::Condition condition;
    return content_stub->GetCondition(&context, request, &condition).ok() &&
           condition.name() == "Round 1";
  };
  const char* kSearch = "healthsearch.v1.SearchService";
  const char* kContent = "healthsearch.v1.ContentService";

  auto search = start_search();
  auto content = start_content();
  ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(search_address, kSearch));
  ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(content_address, kContent));
  EXPECT_TRUE(search_answers());
  EXPECT_TRUE(content_answers());

  content->Signal(SIGKILL);
  content->Wait();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(search_answers()) << "call " << i;
  EXPECT_FALSE(content_answers(false));
  content = start_content();
  ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(content_address, kContent));
  EXPECT_TRUE(content_answers());

  search->Signal(SIGKILL);
  search->Wait();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(content_answers()) << "call " << i;
  EXPECT_FALSE(search_answers(false));
  search = start_search();
  ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(search_address, kSearch));
  EXPECT_TRUE(search_answers());
  EXPECT_TRUE(content_answers());
}

}  // namespace
}  // namespace healthsearch
