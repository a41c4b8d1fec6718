#include "bench/bench_support.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <absl/container/flat_hash_set.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>
#include <google/protobuf/util/json_util.h>

namespace healthsearch::bench {
namespace {

namespace fs = std::filesystem;

// Nearest-rank percentile, 0 < fraction <= 1, of non-empty sorted values.
double Percentile(const std::vector<double>& sorted, double fraction) {
  const size_t rank = static_cast<size_t>(std::ceil(fraction * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Words so common that every engine with an English analyzer drops them
// (close to Lucene's English stop set).
const absl::flat_hash_set<std::string>& Stopwords() {
  static const auto* const kStopwords = new absl::flat_hash_set<std::string>{
      "a",    "an",   "and",  "are",  "as",    "at",   "be",   "but",  "by",   "for",
      "if",   "in",   "into", "is",   "it",    "no",   "not",  "of",   "on",   "or",
      "such", "that", "the",  "their", "then", "there", "these", "they", "this", "to",
      "was",  "will", "with", "i",    "my",    "me",   "im",   "ive",  "am",   "have",
      "has",  "had",  "do",   "does", "s",     "t"};
  return *kStopwords;
}

}  // namespace

absl::StatusOr<std::vector<eval::JudgedQuery>> LoadJudgedQueries(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::vector<eval::JudgedQuery> queries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    eval::JudgedQuery query;
    const auto status = google::protobuf::util::JsonStringToMessage(line, &query);
    if (!status.ok() || query.query().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ":", number, ": ",
                                                     status.ok() ? "empty query"
                                                                 : status.message().ToString()));
    }
    queries.push_back(std::move(query));
  }
  if (queries.empty()) return absl::InvalidArgumentError(path.string() + ": no queries");
  return queries;
}

LoadRun MeasureLoad(const LoadOptions& options, const std::vector<eval::JudgedQuery>& queries,
                    const std::function<TopTen()>& make_search) {
  std::atomic<size_t> next{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies_ms(options.streams);
  const absl::Time start = absl::Now() + options.warmup;
  const absl::Time end = start + options.duration;
  std::vector<std::thread> threads;
  for (int stream = 0; stream < options.streams; ++stream) {
    threads.emplace_back([&, stream] {
      const TopTen search = make_search();
      for (absl::Time before = absl::Now(); before < end; before = absl::Now()) {
        const bool ok = search(queries[next.fetch_add(1) % queries.size()].query()).ok();
        if (before < start) continue;
        if (ok) {
          latencies_ms[stream].push_back(absl::ToDoubleMilliseconds(absl::Now() - before));
        } else {
          errors.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (const std::vector<double>& stream : latencies_ms) all.insert(all.end(), stream.begin(), stream.end());
  std::sort(all.begin(), all.end());
  LoadRun run;
  run.set_engine(options.engine);
  run.set_streams(options.streams);
  run.set_errors(errors.load());
  if (!all.empty()) {
    run.set_qps(all.size() / seconds);
    run.set_p50_ms(Percentile(all, 0.50));
    run.set_p90_ms(Percentile(all, 0.90));
    run.set_p99_ms(Percentile(all, 0.99));
  }
  return run;
}

absl::StatusOr<std::vector<int>> ParseStreamCounts(const std::vector<std::string>& values) {
  std::vector<int> counts;
  for (const std::string& value : values) {
    int count = 0;
    if (!absl::SimpleAtoi(value, &count) || count < 1) {
      return absl::InvalidArgumentError(absl::StrCat("--streams: not a positive count: ", value));
    }
    counts.push_back(count);
  }
  if (counts.empty()) return absl::InvalidArgumentError("--streams: no stream counts");
  return counts;
}

absl::StatusOr<Relevance> MeasureRelevance(const std::vector<eval::JudgedQuery>& queries,
                                           const TopTen& search) {
  struct Count {
    int queries = 0;
    int hits = 0;
  };
  std::map<std::string, Count> by_group;
  Count overall;
  absl::Status first_failure;
  int failures = 0;
  for (const eval::JudgedQuery& query : queries) {
    if (query.relevant().empty()) continue;
    absl::StatusOr<std::vector<std::string>> top = search(query.query());
    bool hit = false;
    if (top.ok()) {
      hit = std::any_of(top->begin(), top->end(), [&](const std::string& id) {
        return std::find(query.relevant().begin(), query.relevant().end(), id) !=
               query.relevant().end();
      });
    } else {
      if (!absl::IsDeadlineExceeded(top.status())) first_failure.Update(top.status());
      ++failures;
    }
    for (Count* count : {&overall, &by_group[query.group()]}) {
      ++count->queries;
      count->hits += hit;
    }
  }
  if (overall.queries > 0 && failures == overall.queries && !first_failure.ok()) {
    return first_failure;
  }
  Relevance relevance;
  relevance.set_queries(overall.queries);
  relevance.set_failed(failures);
  if (overall.queries > 0) relevance.set_hit_at_10(double(overall.hits) / overall.queries);
  for (const auto& [group, count] : by_group) {
    (*relevance.mutable_hit_at_10_by_group())[group] = double(count.hits) / count.queries;
  }
  return relevance;
}

RecordFields FieldsOf(const v1::Condition& condition) {
  RecordFields fields{.id = condition.id(), .name = condition.name(), .summary = condition.summary()};
  std::vector<std::string> other(condition.also_called().begin(), condition.also_called().end());
  for (const v1::Symptom& symptom : condition.symptoms()) {
    other.push_back(symptom.name());
    other.insert(other.end(), symptom.also_called().begin(), symptom.also_called().end());
  }
  fields.other_names = absl::StrJoin(other, "; ");
  std::vector<std::string> body;
  for (const v1::Section& section : condition.sections()) {
    body.push_back(absl::StrCat(section.heading(), "\n", section.text()));
  }
  fields.body = absl::StrJoin(body, "\n");
  return fields;
}

RecordFields FieldsOf(const v1::Article& article) {
  RecordFields fields{.id = article.id(), .name = article.title(), .summary = article.summary()};
  std::vector<std::string> other(article.also_called().begin(), article.also_called().end());
  other.insert(other.end(), article.tags().begin(), article.tags().end());
  fields.other_names = absl::StrJoin(other, "; ");
  std::vector<std::string> body;
  for (const v1::Section& section : article.sections()) {
    body.push_back(absl::StrCat(section.heading(), "\n", section.text()));
  }
  fields.body = absl::StrJoin(body, "\n");
  return fields;
}

std::vector<std::string> QueryWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    if (!word.empty() && !Stopwords().contains(word) &&
        std::find(words.begin(), words.end(), word) == words.end()) {
      words.push_back(word);
    }
    word.clear();
  };
  for (const char c : text) {
    if (c == '\'') continue;  // "I've" -> "ive", "Crohn's" -> "crohns"
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      finish();
    }
  }
  finish();
  return words;
}

absl::Status MeasureEngine(const EngineMeasurement& measurement,
                           const std::vector<eval::JudgedQuery>& queries,
                           const std::function<TopTen()>& make_search,
                           const fs::path& json_out) {
  EngineResult result;
  result.set_engine(measurement.engine);
  result.set_notes(measurement.notes);
  absl::StatusOr<Relevance> relevance = MeasureRelevance(queries, make_search());
  if (!relevance.ok()) return relevance.status();
  *result.mutable_relevance() = *std::move(relevance);
  for (const int streams : measurement.load.streams) {
    *result.add_runs() = MeasureLoad({.engine = measurement.engine,
                                      .streams = streams,
                                      .warmup = measurement.load.warmup,
                                      .duration = measurement.load.duration},
                                     queries, make_search);
  }
  return WriteJson(result, json_out);
}

absl::Status WriteJson(const google::protobuf::Message& message, const fs::path& path) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    return absl::InternalError(status.message().ToString());
  }
  std::ofstream out(path);
  out << json;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

absl::Status ReadJson(const fs::path& path, google::protobuf::Message* message) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  if (auto status = google::protobuf::util::JsonStringToMessage(text.str(), message);
      !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", status.message().ToString()));
  }
  return absl::OkStatus();
}

}  // namespace healthsearch::bench
