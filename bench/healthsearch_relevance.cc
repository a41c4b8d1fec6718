// bench_healthsearch_relevance --bundle BUNDLE --queries FILE --json_out FILE
//
// hit@10 of the search library on the judged queries, computed by the same
// code as for the other engines (bench_support.h), written as an
// EngineResult with no runs: search_benchmark measures the load.
#include <cstdio>
#include <string>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>

#include "bench/bench_support.h"
#include "search-service/searcher.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to search");
ABSL_FLAG(std::string, queries, "", "Judged queries (JSON Lines)");
ABSL_FLAG(std::string, json_out, "", "Where to write the EngineResult");

namespace healthsearch::bench {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench_healthsearch_relevance: %s\n", status.ToString().c_str());
  return 1;
}

int Run() {
  absl::StatusOr<std::vector<eval::JudgedQuery>> queries =
      LoadJudgedQueries(absl::GetFlag(FLAGS_queries));
  if (!queries.ok()) return Fail(queries.status());
  absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(absl::GetFlag(FLAGS_bundle));
  if (!searcher.ok()) return Fail(searcher.status());
  const TopTen search = [&](const std::string& query) -> absl::StatusOr<std::vector<std::string>> {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(10);
    absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(request);
    if (!response.ok()) return response.status();
    std::vector<std::string> ids;
    for (const v1::SearchResult& result : response->results()) ids.push_back(result.id());
    return ids;
  };
  absl::Status measured = MeasureEngine({.engine = "healthsearch"}, *queries,
                                        [&] { return search; }, absl::GetFlag(FLAGS_json_out));
  if (!measured.ok()) return Fail(measured);
  return 0;
}

}  // namespace
}  // namespace healthsearch::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "hit@10 of healthsearch on judged queries.\n"
      "Usage: bench_healthsearch_relevance --bundle BUNDLE --queries FILE --json_out FILE");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::bench::Run();
}
