// Runs scripts/bench end to end on the sample corpus for a fraction of a
// second per measurement, so that the harness keeps working. healthsearch and
// SQLite FTS5 always run; PostgreSQL and Lucene only where installed. Also
// how hit@10 counts a failed search.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bench/bench_support.h"
#include "testing/subprocess.h"

namespace healthsearch::bench {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

class BenchSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() /
           ("bench-smoke-" + std::to_string(::getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }

  fs::path out_;
};

TEST_F(BenchSmokeTest, WritesEveryMeasurementOfEveryInstalledEngine) {
  std::string output;
  const int exit_code = healthsearch::testing::RunProgram(
      fs::path(HEALTHSEARCH_SOURCE_DIR) / "scripts" / "bench",
      {"--no_build", "--build_dir", HEALTHSEARCH_BINARY_DIR, "--corpora", "sample",
       "--streams", "1,2", "--duration", "0.2s", "--warmup", "0.1s",
       // Far above any search of 110 records: only that the limit is set is tested.
       "--pg_statement_timeout", "30s", "--out", out_.string()},
      &output);
  ASSERT_EQ(exit_code, 0) << output;

  BenchReport report;
  // Strict: a field the report does not define fails the parse.
  const absl::Status read = ReadJson(out_ / "bench.json", &report);
  ASSERT_TRUE(read.ok()) << read;
  for (const std::string& skipped : report.skipped()) std::cout << "skipped: " << skipped << "\n";
  EXPECT_GT(report.queries(), 100);
  ASSERT_EQ(report.corpora_size(), 1);
  EXPECT_EQ(report.corpora(0).records(), 110);

  std::set<std::string> engines;
  for (const EngineResult& engine : report.engines()) {
    SCOPED_TRACE(engine.engine());
    engines.insert(engine.engine());
    EXPECT_EQ(engine.corpus(), "sample");
    EXPECT_GT(engine.build().seconds(), 0);
    EXPECT_GT(engine.build().index_bytes(), 0);
    EXPECT_GT(engine.build().peak_rss_kb(), 0);
    EXPECT_GT(engine.search_peak_rss_kb(), 0);
    EXPECT_EQ(engine.relevance().queries(), report.queries());
    EXPECT_GT(engine.relevance().hit_at_10(), 0);
    EXPECT_EQ(engine.relevance().failed(), 0);
    if (engine.engine().rfind("postgres", 0) == 0) {
      EXPECT_THAT(engine.notes(), HasSubstr("cancelled after 30s (statement_timeout)"));
    }
    ASSERT_EQ(engine.runs_size(), 2);
    for (const LoadRun& run : engine.runs()) {
      EXPECT_EQ(run.engine(), engine.engine());
      EXPECT_GT(run.qps(), 0);
      EXPECT_GT(run.p50_ms(), 0);
      EXPECT_LE(run.p50_ms(), run.p99_ms());
      EXPECT_EQ(run.errors(), 0);
      if (engine.engine().rfind("healthsearch", 0) != 0) {
        EXPECT_GT(run.healthsearch_qps_ratio(), 0);
      }
    }
  }
  EXPECT_THAT(engines, Contains("healthsearch-inprocess"));
  EXPECT_THAT(engines, Contains("healthsearch-grpc"));
  EXPECT_THAT(engines, Contains("sqlite-fts5"));
  // Every engine either ran or is listed as skipped, with the reason.
  for (const auto& [engine, skip_prefix] :
       {std::pair{"postgres-fts", "postgres ("}, std::pair{"lucene8", "lucene ("}}) {
    if (engines.count(engine) == 0) {
      EXPECT_THAT(report.skipped(), Contains(::testing::StartsWith(skip_prefix))) << engine;
    }
  }
  ASSERT_EQ(report.indexing_size(), 1);
  EXPECT_GT(report.indexing(0).indexer_records_per_second(), 0);

  std::ifstream markdown(out_ / "bench.md");
  std::stringstream text;
  text << markdown.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("| healthsearch-grpc | 2 |"));
  EXPECT_THAT(text.str(), HasSubstr("| sqlite-fts5 | 1 |"));
}

TEST(MeasureRelevanceTest, CountsAFailedSearchAsAMiss) {
  std::vector<eval::JudgedQuery> queries(3);
  for (int i = 0; i < 3; ++i) {
    queries[i].set_query("query " + std::to_string(i));
    queries[i].set_group(i == 0 ? "lay" : "keyword");
    queries[i].add_relevant("record-" + std::to_string(i));
  }
  const TopTen search = [](const std::string& query) -> absl::StatusOr<std::vector<std::string>> {
    if (query == "query 1") return absl::DeadlineExceededError("statement timeout");
    return std::vector<std::string>{"record-" + query.substr(query.size() - 1)};
  };
  absl::StatusOr<Relevance> relevance = MeasureRelevance(queries, search);
  ASSERT_TRUE(relevance.ok()) << relevance.status();
  EXPECT_EQ(relevance->queries(), 3);
  EXPECT_EQ(relevance->failed(), 1);
  EXPECT_DOUBLE_EQ(relevance->hit_at_10(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(relevance->hit_at_10_by_group().at("lay"), 1.0);
  EXPECT_DOUBLE_EQ(relevance->hit_at_10_by_group().at("keyword"), 0.5);
}

TEST(MeasureRelevanceTest, EverySearchOutOfTimeIsAMeasurementNotAFailure) {
  std::vector<eval::JudgedQuery> queries(2);
  for (eval::JudgedQuery& query : queries) {
    query.set_query("anything");
    query.add_relevant("record-0");
  }
  const TopTen search = [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    return absl::DeadlineExceededError("canceling statement due to statement timeout");
  };
  absl::StatusOr<Relevance> relevance = MeasureRelevance(queries, search);
  ASSERT_TRUE(relevance.ok()) << relevance.status();
  EXPECT_EQ(relevance->failed(), 2);
  EXPECT_EQ(relevance->hit_at_10(), 0);
}

TEST(MeasureRelevanceTest, ReturnsTheFailureWhenEverySearchFailed) {
  std::vector<eval::JudgedQuery> queries(2);
  for (eval::JudgedQuery& query : queries) {
    query.set_query("anything");
    query.add_relevant("record-0");
  }
  const TopTen search = [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    return absl::UnavailableError("connect: refused");
  };
  EXPECT_EQ(MeasureRelevance(queries, search).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace healthsearch::bench
