#include "relevance-eval/relevance_metrics.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ScoreRankingTest, FindsTheFirstRelevantRankAndNdcg) {
  QueryOutcome first = ScoreRanking({"a", "b", "c"}, {"a"});
  EXPECT_EQ(first.first_relevant_rank, 1);
  EXPECT_DOUBLE_EQ(first.ndcg, 1.0);

  QueryOutcome third = ScoreRanking({"x", "y", "a"}, {"a"});
  EXPECT_EQ(third.first_relevant_rank, 3);
  EXPECT_DOUBLE_EQ(third.ndcg, 1.0 / std::log2(4.0));

  // Two relevant, one found at rank 2: DCG 1/log2(3), ideal 1 + 1/log2(3).
  QueryOutcome partial = ScoreRanking({"x", "a", "y"}, {"a", "b"});
  EXPECT_DOUBLE_EQ(partial.ndcg, (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)));

  std::vector<std::string> eleven = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "a"};
  EXPECT_EQ(ScoreRanking(eleven, {"a"}).first_relevant_rank, 0);
  EXPECT_EQ(ScoreRanking({}, {"a"}).ndcg, 0);
}

TEST(MetricsSummaryTest, Averages) {
  MetricsSummary summary;
  summary.Add({.first_relevant_rank = 1, .ndcg = 1});
  summary.Add({.first_relevant_rank = 4, .ndcg = 0.5});
  summary.Add({.first_relevant_rank = 0, .ndcg = 0});
  summary.Add({.first_relevant_rank = 2, .ndcg = 0.6});
  EXPECT_EQ(summary.count(), 4);
  EXPECT_DOUBLE_EQ(summary.hit_at(1), 0.25);
  EXPECT_DOUBLE_EQ(summary.hit_at(3), 0.5);
  EXPECT_DOUBLE_EQ(summary.hit_at(10), 0.75);
  EXPECT_DOUBLE_EQ(summary.mrr(), (1 + 0.25 + 0.5) / 4);
  EXPECT_DOUBLE_EQ(summary.ndcg(), 2.1 / 4);
}

TEST(LoadJudgedQueriesTest, ReadsLinesAndNamesBadOnes) {
  ::healthsearch::testing::TempDir temp;
  const auto good = temp.path() / "good.jsonl";
  ::healthsearch::testing::WriteTextFile(
      good, R"({"query": "itchy scaly elbows", "relevant": ["psoriasis"], "group": "keyword"})"
            "\n");
  absl::StatusOr<std::vector<eval::JudgedQuery>> queries = LoadJudgedQueries(good);
  ASSERT_THAT(queries, IsOk());
  ASSERT_EQ(queries->size(), 1u);
  EXPECT_EQ((*queries)[0].group(), "keyword");

  const auto bad = temp.path() / "bad.jsonl";
  ::healthsearch::testing::WriteTextFile(bad, R"({"query": "x", "relevant": []})" "\n");
  EXPECT_THAT(LoadJudgedQueries(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("bad.jsonl:1: no relevant ids")));
}

}  // namespace
}  // namespace healthsearch
