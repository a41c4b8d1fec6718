// search_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR] [--queries FILE]
//                  [--duration 5s] [--warmup 1s] [--streams 1,8,32]
//                  [--ranking_config FILE]
//
// Search throughput and latency over a fixed query mix, through an in-process
// search-service over loopback gRPC and through the same Searcher called
// directly, at each stream count. Prints a markdown table.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <google/protobuf/util/json_util.h>

#include "common/grpc_serving.h"
#include "healthsearch/eval/judged_query.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "indexer/index_builder.h"
#include "search-service/search_service.h"
#include "search-service/searcher.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to search");
ABSL_FLAG(std::string, corpus, "",
          "Corpus directory to build a temporary bundle from (instead of --bundle)");
ABSL_FLAG(std::string, source_dir, HEALTHSEARCH_SOURCE_DIR,
          "Project source tree: knowledge/ for --corpus builds, relevance/ for the default "
          "--queries");
ABSL_FLAG(std::string, queries, "",
          "Query mix, JSON Lines with a \"query\" (and optionally a \"group\") per line; "
          "relevance/medquad-tune.jsonl under --source_dir if empty");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "How long to run each measurement");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "How long to run unmeasured before each measurement");
ABSL_FLAG(std::vector<std::string>, streams, std::vector<std::string>({"1", "8", "32"}),
          "Concurrent streams to measure at, comma-separated");
ABSL_FLAG(std::string, ranking_config, "",
          "Ranking configuration (JSON, see config/ranking.json); built-in defaults if empty");

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

struct Measurement {
  double qps = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  size_t calls = 0;
};

struct QueryGroup {
  std::string name;
  int queries = 0;
  int words = 0;
};

struct QueryMix {
  std::vector<v1::SearchRequest> requests;
  // In order of first appearance in the file.
  std::vector<QueryGroup> groups;
};

// One search; the error of a failed one.
using Call = std::function<absl::Status(const v1::SearchRequest& request)>;

// Removes the directory (a temporary bundle) when it goes out of scope.
class TemporaryDirectory {
 public:
  static absl::StatusOr<TemporaryDirectory> Create() {
    std::string pattern = (fs::temp_directory_path() / "search-benchmark-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create ", pattern));
    }
    return TemporaryDirectory(pattern);
  }
  TemporaryDirectory(TemporaryDirectory&& other) : path_(std::exchange(other.path_, {})) {}
  ~TemporaryDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }

  const fs::path& path() const { return path_; }

 private:
  explicit TemporaryDirectory(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

int CountWords(const std::string& text) {
  const std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipWhitespace());
  return static_cast<int>(words.size());
}

void AddToGroup(const eval::JudgedQuery& query, std::vector<QueryGroup>& groups) {
  const std::string name = query.group().empty() ? "(no group)" : query.group();
  auto group = std::find_if(groups.begin(), groups.end(),
                            [&](const QueryGroup& g) { return g.name == name; });
  if (group == groups.end()) group = groups.insert(groups.end(), {.name = name});
  ++group->queries;
  group->words += CountWords(query.query());
}

// Reads every non-empty line's "query" (other fields but "group" ignored).
absl::StatusOr<QueryMix> LoadQueryMix(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  QueryMix mix;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    eval::JudgedQuery query;
    const auto status = google::protobuf::util::JsonStringToMessage(line, &query, options);
    const std::string where = absl::StrCat(path.string(), ":", number, ": ");
    if (!status.ok()) return absl::InvalidArgumentError(where + status.message().ToString());
    if (query.query().empty()) return absl::InvalidArgumentError(where + "empty query");
    v1::SearchRequest& request = mix.requests.emplace_back();
    request.set_query(query.query());
    request.set_page_size(kDefaultSearchPageSize);
    AddToGroup(query, mix.groups);
  }
  if (mix.requests.empty()) return absl::InvalidArgumentError(path.string() + ": no queries");
  return mix;
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

absl::Status BuildTemporaryBundle(const fs::path& corpus, const fs::path& source_dir,
                                  const fs::path& out) {
  std::vector<std::string> problems;
  absl::StatusOr<bundle::Manifest> built =
      BuildBundle({.corpus_dirs = {corpus},
                   .out = out,
                   .profile_files = {source_dir / "knowledge" / "profiles.jsonl"},
                   .thesaurus_files = {source_dir / "knowledge" / "thesaurus.tsv"}},
                  &problems);
  if (built.ok()) return absl::OkStatus();
  for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return built.status();
}

absl::StatusOr<std::unique_ptr<Searcher>> OpenSearcher(const fs::path& bundle) {
  config::RankingConfig ranking;
  if (const std::string path = absl::GetFlag(FLAGS_ranking_config); !path.empty()) {
    absl::StatusOr<config::RankingConfig> loaded = LoadRankingConfig(path);
    if (!loaded.ok()) return loaded.status();
    ranking = *std::move(loaded);
  }
  return Searcher::Open(bundle, ranking);
}

// Nearest-rank percentile, 0 < fraction <= 1, of non-empty sorted values.
double Percentile(const std::vector<double>& sorted, double fraction) {
  const size_t rank = static_cast<size_t>(std::ceil(fraction * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Measurement Summarize(const std::vector<std::vector<double>>& latencies_us, double seconds) {
  std::vector<double> all;
  for (const std::vector<double>& stream : latencies_us) {
    all.insert(all.end(), stream.begin(), stream.end());
  }
  if (all.empty()) return {};
  std::sort(all.begin(), all.end());
  return {.qps = all.size() / seconds,
          .p50_us = Percentile(all, 0.50),
          .p90_us = Percentile(all, 0.90),
          .p99_us = Percentile(all, 0.99),
          .calls = all.size()};
}

// Runs `streams` threads, each issuing searches back to back with its own
// `make_call()`, for `warmup` unmeasured and then `duration` measured. The
// streams share one cursor over the mix, so together they search it in file
// order whatever their number.
absl::StatusOr<Measurement> Measure(int streams, absl::Duration warmup, absl::Duration duration,
                                    const std::vector<v1::SearchRequest>& mix,
                                    const std::function<Call()>& make_call) {
  std::atomic<size_t> next{0};
  std::vector<std::vector<double>> latencies_us(streams);
  std::mutex failure_mutex;
  absl::Status first_failure;
  const absl::Time start = absl::Now() + warmup;
  const absl::Time end = start + duration;
  std::vector<std::thread> threads;
  for (int stream = 0; stream < streams; ++stream) {
    threads.emplace_back([&, stream] {
      const Call call = make_call();
      for (absl::Time before = absl::Now(); before < end; before = absl::Now()) {
        const absl::Status status = call(mix[next.fetch_add(1) % mix.size()]);
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          first_failure.Update(status);
        }
        if (before >= start) {
          latencies_us[stream].push_back(absl::ToDoubleMicroseconds(absl::Now() - before));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (!first_failure.ok()) return first_failure;
  return Summarize(latencies_us, absl::ToDoubleSeconds(absl::Now() - start));
}

std::function<Call()> GrpcSearch(const std::shared_ptr<grpc::Channel>& channel) {
  return [channel] {
    std::shared_ptr<v1::SearchService::Stub> stub = v1::SearchService::NewStub(channel);
    return [stub](const v1::SearchRequest& request) {
      grpc::ClientContext context;
      v1::SearchResponse response;
      const grpc::Status status = stub->Search(&context, request, &response);
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    };
  };
}

std::function<Call()> InProcessSearch(const Searcher& searcher) {
  return [&searcher] {
    return
        [&searcher](const v1::SearchRequest& request) { return searcher.Search(request).status(); };
  };
}

double LoadAverage() {
  double load = 0;
  return ::getloadavg(&load, 1) == 1 ? load : -1;
}

void PrintHeader(const bundle::Manifest& manifest, const fs::path& queries, const QueryMix& mix) {
  std::printf(
      "Bundle %s: %lld conditions, %lld articles; %s per measurement after %s warmup; %u CPUs; "
      "load average %.2f.\n",
      manifest.version().c_str(), static_cast<long long>(manifest.condition_count()),
      static_cast<long long>(manifest.article_count()),
      absl::FormatDuration(absl::GetFlag(FLAGS_duration)).c_str(),
      absl::FormatDuration(absl::GetFlag(FLAGS_warmup)).c_str(),
      std::thread::hardware_concurrency(), LoadAverage());
  std::printf("Query mix: %zu queries from %s, searched in file order, page size %d, no facets:\n",
              mix.requests.size(), queries.string().c_str(), kDefaultSearchPageSize);
  for (const QueryGroup& group : mix.groups) {
    std::printf("- %s: %d queries (%.0f%%), %.1f words on average\n", group.name.c_str(),
                group.queries, 100.0 * group.queries / mix.requests.size(),
                static_cast<double>(group.words) / group.queries);
  }
  std::printf(
      "\n| Mode | Streams | QPS | p50 µs | p90 µs | p99 µs | QPS gRPC/in-process |\n"
      "|---|---:|---:|---:|---:|---:|---:|\n");
}

void PrintRow(const char* mode, int streams, const Measurement& m, const std::string& ratio) {
  std::printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %s |\n", mode, streams, m.qps, m.p50_us,
              m.p90_us, m.p99_us, ratio.c_str());
}

struct Best {
  double qps = 0;
  int streams = 0;

  void Update(const Measurement& m, int at_streams) {
    if (m.qps > qps) *this = {.qps = m.qps, .streams = at_streams};
  }
};

// Both modes at each stream count, then the saturation ratio. Returns false
// if a search failed.
bool RunMeasurements(const std::vector<int>& stream_counts, const QueryMix& mix,
                     const std::shared_ptr<grpc::Channel>& channel, const Searcher& searcher) {
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  Best best_grpc, best_in_process;
  size_t fewest_calls = SIZE_MAX;
  for (int streams : stream_counts) {
    absl::StatusOr<Measurement> grpc =
        Measure(streams, warmup, duration, mix.requests, GrpcSearch(channel));
    absl::StatusOr<Measurement> in_process =
        Measure(streams, warmup, duration, mix.requests, InProcessSearch(searcher));
    for (const absl::StatusOr<Measurement>* m : {&grpc, &in_process}) {
      if (!m->ok()) {
        std::fprintf(stderr, "search_benchmark: search failed: %s\n",
                     m->status().ToString().c_str());
        return false;
      }
    }
    PrintRow("gRPC", streams, *grpc, absl::StrFormat("%.2f", grpc->qps / in_process->qps));
    PrintRow("in-process", streams, *in_process, "");
    std::fflush(stdout);
    best_grpc.Update(*grpc, streams);
    best_in_process.Update(*in_process, streams);
    fewest_calls = std::min({fewest_calls, grpc->calls, in_process->calls});
  }
  if (fewest_calls < mix.requests.size()) {
    std::printf(
        "\nNote: a measurement made %zu searches, fewer than the %zu in the mix; "
        "lengthen --duration for the whole mix.\n",
        fewest_calls, mix.requests.size());
  }
  std::printf("\nBest QPS: gRPC %.0f (%d streams), in-process %.0f (%d streams).\n", best_grpc.qps,
              best_grpc.streams, best_in_process.qps, best_in_process.streams);
  std::printf("saturation ratio: %.2f\n", best_grpc.qps / best_in_process.qps);
  return true;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "search_benchmark: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Run() {
  const fs::path source_dir = absl::GetFlag(FLAGS_source_dir);
  fs::path bundle_path = absl::GetFlag(FLAGS_bundle);
  std::optional<TemporaryDirectory> temp_dir;
  if (const std::string corpus = absl::GetFlag(FLAGS_corpus); !corpus.empty()) {
    absl::StatusOr<TemporaryDirectory> created = TemporaryDirectory::Create();
    if (!created.ok()) return Fail(created.status());
    temp_dir.emplace(*std::move(created));
    bundle_path = temp_dir->path() / "bundle";
    if (absl::Status built = BuildTemporaryBundle(corpus, source_dir, bundle_path); !built.ok()) {
      return Fail(built);
    }
  }
  if (bundle_path.empty()) {
    std::fprintf(stderr, "search_benchmark: --bundle or --corpus is required (see --help)\n");
    return 2;
  }
  absl::StatusOr<std::vector<int>> stream_counts = ParseStreamCounts(absl::GetFlag(FLAGS_streams));
  if (!stream_counts.ok()) return Fail(stream_counts.status());
  fs::path queries_path = absl::GetFlag(FLAGS_queries);
  if (queries_path.empty()) queries_path = source_dir / "relevance" / "medquad-tune.jsonl";
  absl::StatusOr<QueryMix> mix = LoadQueryMix(queries_path);
  if (!mix.ok()) return Fail(mix.status());

  absl::StatusOr<std::unique_ptr<Searcher>> searcher = OpenSearcher(bundle_path);
  if (!searcher.ok()) return Fail(searcher.status());
  SearchServiceImpl service(*std::move(searcher));
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start("127.0.0.1:0", {&service}, "healthsearch.v1.SearchService");
  if (!server.ok()) return Fail(server.status());
  const auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                           grpc::InsecureChannelCredentials());

  PrintHeader(service.searcher().manifest(), queries_path, *mix);
  const bool ok = RunMeasurements(*stream_counts, *mix, channel, service.searcher());
  std::printf("Load average %.2f at the end.\n", LoadAverage());
  (*server)->Shutdown(absl::Seconds(1));
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures search throughput and latency over gRPC beside in-process search.\n"
      "Usage: search_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR] [--queries FILE]\n"
      "                        [--duration 5s] [--warmup 1s] [--streams 1,8,32]");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Run();
}
