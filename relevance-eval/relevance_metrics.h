// Relevance metrics over judged queries: hit@k, MRR@10 and nDCG@10 with
// binary judgements.
#ifndef HEALTHSEARCH_RELEVANCE_EVAL_RELEVANCE_METRICS_H_
#define HEALTHSEARCH_RELEVANCE_EVAL_RELEVANCE_METRICS_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "healthsearch/eval/judged_query.pb.h"

namespace healthsearch {

inline constexpr int kEvalDepth = 10;

// Reads a JSON Lines query set. INVALID_ARGUMENT naming FILE:LINE for a bad
// line, a query without relevant ids, or an empty query.
absl::StatusOr<std::vector<eval::JudgedQuery>> LoadJudgedQueries(
    const std::filesystem::path& path);

struct QueryOutcome {
  // 1-based rank of the first relevant result in the top kEvalDepth; 0 if none.
  int first_relevant_rank = 0;
  double ndcg = 0;  // nDCG@kEvalDepth
};

// Scores one ranking (ids best first) against the relevant ids.
QueryOutcome ScoreRanking(const std::vector<std::string>& ranked_ids,
                          const std::vector<std::string>& relevant);

// Averages over queries.
class MetricsSummary {
 public:
  void Add(const QueryOutcome& outcome);
  int count() const { return count_; }
  double hit_at(int k) const;  // k in 1..kEvalDepth
  double mrr() const;          // MRR@kEvalDepth
  double ndcg() const;         // nDCG@kEvalDepth

 private:
  int count_ = 0;
  std::map<int, int> first_ranks_;  // rank -> queries; 0 = missed
  double reciprocal_rank_sum_ = 0;
  double ndcg_sum_ = 0;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_RELEVANCE_EVAL_RELEVANCE_METRICS_H_
