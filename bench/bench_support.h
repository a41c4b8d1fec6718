// What every engine client of scripts/bench shares: the judged query mix, the
// same load loop and percentiles, hit@10, the record text split into the four
// weighted fields, and JSON output.
#ifndef HEALTHSEARCH_BENCH_BENCH_SUPPORT_H_
#define HEALTHSEARCH_BENCH_BENCH_SUPPORT_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <google/protobuf/message.h>

#include "bench/bench_result.pb.h"
#include "healthsearch/eval/judged_query.pb.h"
#include "healthsearch/v1/records.pb.h"

namespace healthsearch::bench {

// Returns the ids of the top 10 records for a query, best first.
using TopTen = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& query)>;

// Reads judged queries, JSON Lines of healthsearch.eval.JudgedQuery.
// INVALID_ARGUMENT naming FILE:LINE for a bad line; NOT_FOUND for no file.
absl::StatusOr<std::vector<eval::JudgedQuery>> LoadJudgedQueries(const std::filesystem::path& path);

struct LoadOptions {
  std::string engine;
  int streams = 1;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
};

// Runs options.streams threads, each with its own `make_search()` (one
// connection per stream), searching the queries back to back in file order
// (one shared cursor), unmeasured for `warmup` and then measured for
// `duration`. A failed search counts in `errors` and not in the latencies.
LoadRun MeasureLoad(const LoadOptions& options, const std::vector<eval::JudgedQuery>& queries,
                    const std::function<TopTen()>& make_search);

// Parses --streams values ("1", "8", "32"); INVALID_ARGUMENT for anything
// but positive counts.
absl::StatusOr<std::vector<int>> ParseStreamCounts(const std::vector<std::string>& values);

// hit@10 over every query with judged ids, overall and per group. A failed
// search counts as a miss and in `failed`. If every search failed, the first
// failure is returned, unless all of them ran out of time (DEADLINE_EXCEEDED):
// an engine too slow for every query is a measurement, not a broken run.
absl::StatusOr<Relevance> MeasureRelevance(const std::vector<eval::JudgedQuery>& queries,
                                           const TopTen& search);

// A load run at each stream count (none: no load runs).
struct LoadSchedule {
  std::vector<int> streams;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
};

// How an engine is measured: hit@10 on the judged queries, then `load`.
struct EngineMeasurement {
  std::string engine;
  std::string notes;
  LoadSchedule load;
};

// Measures so, each search (and each load stream) with its own
// `make_search()`, and writes the EngineResult to `json_out`.
absl::Status MeasureEngine(const EngineMeasurement& measurement,
                           const std::vector<eval::JudgedQuery>& queries,
                           const std::function<TopTen()>& make_search,
                           const std::filesystem::path& json_out);

// A record's text in the four weighted fields every engine indexes the same
// way: A the name (title), B other names and symptoms (tags for articles),
// C the summary, D the sections' headings and text.
struct RecordFields {
  std::string id;
  std::string name;
  std::string other_names;
  std::string summary;
  std::string body;
};
RecordFields FieldsOf(const v1::Condition& condition);
RecordFields FieldsOf(const v1::Article& article);

// Lower-cased runs of letters and digits (ASCII; other bytes split words),
// without a small set of English stopwords, each at most once, in order.
std::vector<std::string> QueryWords(const std::string& text);

// Writes `message` as proto3 JSON with the .proto field names.
absl::Status WriteJson(const google::protobuf::Message& message, const std::filesystem::path& path);
absl::Status ReadJson(const std::filesystem::path& path, google::protobuf::Message* message);

}  // namespace healthsearch::bench

#endif  // HEALTHSEARCH_BENCH_BENCH_SUPPORT_H_
