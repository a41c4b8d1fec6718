#include "relevance-eval/relevance_metrics.h"

#include <cmath>
#include <fstream>

#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>
#include <google/protobuf/util/json_util.h>

namespace healthsearch {

absl::StatusOr<std::vector<eval::JudgedQuery>> LoadJudgedQueries(
    const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::vector<eval::JudgedQuery> queries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    eval::JudgedQuery query;
    auto status = google::protobuf::util::JsonStringToMessage(line, &query);
    const std::string where = absl::StrCat(path.string(), ":", number, ": ");
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, status.message().ToString()));
    }
    if (query.query().empty()) return absl::InvalidArgumentError(where + "empty query");
    if (query.relevant().empty()) return absl::InvalidArgumentError(where + "no relevant ids");
    queries.push_back(std::move(query));
  }
  return queries;
}

QueryOutcome ScoreRanking(const std::vector<std::string>& ranked_ids,
                          const std::vector<std::string>& relevant) {
  const absl::flat_hash_set<std::string> wanted(relevant.begin(), relevant.end());
  QueryOutcome outcome;
  double dcg = 0;
  const int depth = std::min<int>(kEvalDepth, ranked_ids.size());
  for (int i = 0; i < depth; ++i) {
    if (!wanted.contains(ranked_ids[i])) continue;
    if (outcome.first_relevant_rank == 0) outcome.first_relevant_rank = i + 1;
    dcg += 1.0 / std::log2(i + 2.0);
  }
  double ideal = 0;
  const int relevant_count = std::min<int>(kEvalDepth, wanted.size());
  for (int i = 0; i < relevant_count; ++i) ideal += 1.0 / std::log2(i + 2.0);
  outcome.ndcg = ideal > 0 ? dcg / ideal : 0;
  return outcome;
}

void MetricsSummary::Add(const QueryOutcome& outcome) {
  ++count_;
  ++first_ranks_[outcome.first_relevant_rank];
  if (outcome.first_relevant_rank > 0) reciprocal_rank_sum_ += 1.0 / outcome.first_relevant_rank;
  ndcg_sum_ += outcome.ndcg;
}

double MetricsSummary::hit_at(int k) const {
  if (count_ == 0) return 0;
  int hits = 0;
  for (const auto& [rank, queries] : first_ranks_) {
    if (rank > 0 && rank <= k) hits += queries;
  }
  return static_cast<double>(hits) / count_;
}

double MetricsSummary::mrr() const { return count_ == 0 ? 0 : reciprocal_rank_sum_ / count_; }
double MetricsSummary::ndcg() const { return count_ == 0 ? 0 : ndcg_sum_ / count_; }

}  // namespace healthsearch
