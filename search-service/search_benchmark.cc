// search_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR] [--search_address HOST:PORT]
//                  [--queries FILE] [--duration 5s] [--warmup 1s] [--streams 1,8,32]
//                  [--ranking_config FILE] [--json_out FILE]
//
// Search throughput and latency over a fixed query mix at each stream count:
// through a search-service over gRPC (one started in this process on
// loopback, or the one at --search_address), driven by gRPC's callback API
// with that many calls in flight; and through the same Searcher called
// directly from that many threads. Prints a markdown table; --json_out also
// writes the runs as JSON (LoadRun in bench/bench_result.proto).
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
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
#include <absl/synchronization/notification.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "bench/bench_support.h"
#include "bench/load_flags.h"
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
ABSL_FLAG(std::string, ranking_config, "",
          "Ranking configuration (JSON, see config/ranking.json); built-in defaults if empty");
ABSL_FLAG(std::string, search_address, "",
          "Drive the search-service at this HOST:PORT (plaintext) instead of starting one in "
          "this process; without --bundle or --corpus only gRPC is measured");
ABSL_FLAG(std::string, json_out, "",
          "Also write every run to this file as a JSON array of {engine, streams, qps, p50_ms, "
          "p90_ms, p99_ms, errors}");

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

struct Measurement {
  double qps = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  size_t calls = 0;  // measured calls, failed ones included
  int64_t errors = 0;
  std::string first_error;
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

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// What one stream saw of the measured calls.
struct StreamRecord {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::string first_error;

  void Add(Clock::duration latency, const absl::Status& status) {
    latencies_ms.push_back(Milliseconds(latency));
    if (status.ok()) return;
    if (errors++ == 0) first_error = status.ToString();
  }
};

Measurement Summarize(const std::vector<StreamRecord>& streams, Clock::duration elapsed) {
  Measurement m;
  std::vector<double> all;
  for (const StreamRecord& stream : streams) {
    all.insert(all.end(), stream.latencies_ms.begin(), stream.latencies_ms.end());
    m.errors += stream.errors;
    if (m.first_error.empty()) m.first_error = stream.first_error;
  }
  if (all.empty()) return m;
  std::sort(all.begin(), all.end());
  m.qps = all.size() / std::chrono::duration<double>(elapsed).count();
  m.p50_ms = Percentile(all, 0.50);
  m.p90_ms = Percentile(all, 0.90);
  m.p99_ms = Percentile(all, 0.99);
  m.calls = all.size();
  return m;
}

// When calls are issued: unmeasured until `start`, measured until `end`;
// calls begun before `end` are waited for.
struct Window {
  Clock::time_point start;
  Clock::time_point end;

  static Window After(absl::Duration warmup, absl::Duration duration) {
    const Clock::time_point start = Clock::now() + absl::ToChronoNanoseconds(warmup);
    return {.start = start, .end = start + absl::ToChronoNanoseconds(duration)};
  }
};

// The streams share one cursor over the mix, so together they search it in
// file order whatever their number.
class QueryCursor {
 public:
  explicit QueryCursor(const std::vector<v1::SearchRequest>& mix) : mix_(mix) {}
  const v1::SearchRequest& Next() { return mix_[next_.fetch_add(1) % mix_.size()]; }

 private:
  const std::vector<v1::SearchRequest>& mix_;
  std::atomic<size_t> next_{0};
};

// `streams` threads calling the Searcher back to back.
Measurement MeasureInProcess(const Searcher& searcher, int streams, const Window& window,
                             const std::vector<v1::SearchRequest>& mix) {
  QueryCursor cursor(mix);
  std::vector<StreamRecord> records(streams);
  std::vector<std::thread> threads;
  for (int stream = 0; stream < streams; ++stream) {
    threads.emplace_back([&, stream] {
      for (Clock::time_point before = Clock::now(); before < window.end; before = Clock::now()) {
        const absl::Status status = searcher.Search(cursor.Next()).status();
        if (before >= window.start) records[stream].Add(Clock::now() - before, status);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return Summarize(records, Clock::now() - window.start);
}

// Keeps `streams` Search calls in flight on one channel with gRPC's callback
// API: each completion issues the stream's next call, until the window ends.
class GrpcLoad {
 public:
  GrpcLoad(v1::SearchService::Stub& stub, const std::vector<v1::SearchRequest>& mix, int streams,
           const Window& window)
      : stub_(stub), cursor_(mix), window_(window), streams_(streams) {}

  Measurement Run() {
    running_ = static_cast<int>(streams_.size());
    for (Stream& stream : streams_) Issue(stream);
    all_done_.WaitForNotification();
    std::vector<StreamRecord> records;
    for (Stream& stream : streams_) records.push_back(std::move(stream.record));
    return Summarize(records, Clock::now() - window_.start);
  }

 private:
  // One call at a time; touched only by the thread running its callback.
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    v1::SearchResponse response;
    Clock::time_point began;
    StreamRecord record;
  };

  void Issue(Stream& stream) {
    stream.context = std::make_unique<grpc::ClientContext>();
    stream.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream.response.Clear();
    stream.began = Clock::now();
    stub_.async()->Search(stream.context.get(), &cursor_.Next(), &stream.response,
                          [this, &stream](grpc::Status status) { Done(stream, status); });
  }

  void Done(Stream& stream, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (stream.began >= window_.start) {
      stream.record.Add(now - stream.began,
                        absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                     status.error_message()));
    }
    if (now < window_.end) {
      Issue(stream);
      return;
    }
    if (running_.fetch_sub(1) == 1) all_done_.Notify();
  }

  v1::SearchService::Stub& stub_;
  QueryCursor cursor_;
  const Window window_;
  std::vector<Stream> streams_;
  std::atomic<int> running_{0};
  absl::Notification all_done_;
};

double LoadAverage() {
  double load = 0;
  return ::getloadavg(&load, 1) == 1 ? load : -1;
}

void PrintHeader(const bundle::Manifest* manifest, const std::string& search_address,
                 const bench::LoadSchedule& load, const fs::path& queries, const QueryMix& mix) {
  if (manifest != nullptr) {
    std::printf("Bundle %s: %lld conditions, %lld articles. ", manifest->version().c_str(),
                static_cast<long long>(manifest->condition_count()),
                static_cast<long long>(manifest->article_count()));
  }
  if (!search_address.empty()) std::printf("search-service at %s. ", search_address.c_str());
  std::printf("%s per measurement after %s warmup; %u CPUs; load average %.2f.\n",
              absl::FormatDuration(load.duration).c_str(),
              absl::FormatDuration(load.warmup).c_str(),
              std::thread::hardware_concurrency(), LoadAverage());
  std::printf("Query mix: %zu queries from %s, searched in file order, page size %d, no facets:\n",
              mix.requests.size(), queries.string().c_str(), kDefaultSearchPageSize);
  for (const QueryGroup& group : mix.groups) {
    std::printf("- %s: %d queries (%.0f%%), %.1f words on average\n", group.name.c_str(),
                group.queries, 100.0 * group.queries / mix.requests.size(),
                static_cast<double>(group.words) / group.queries);
  }
  std::printf(
      "\n| Mode | Streams | QPS | p50 ms | p90 ms | p99 ms | errors | QPS gRPC/in-process |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|\n");
}

void PrintRow(const char* mode, int streams, const Measurement& m, const std::string& ratio) {
  std::printf("| %s | %d | %.0f | %.3f | %.3f | %.3f | %lld | %s |\n", mode, streams, m.qps,
              m.p50_ms, m.p90_ms, m.p99_ms, static_cast<long long>(m.errors), ratio.c_str());
}

struct LoadRun {
  const char* engine;  // as bench/bench_result.proto names it
  int streams;
  Measurement measurement;
};

constexpr char kGrpcEngine[] = "healthsearch-grpc";
constexpr char kInProcessEngine[] = "healthsearch-inprocess";

absl::Status WriteJson(const std::vector<LoadRun>& runs, const fs::path& path) {
  google::protobuf::ListValue list;
  for (const LoadRun& run : runs) {
    auto& fields = *list.add_values()->mutable_struct_value()->mutable_fields();
    fields["engine"].set_string_value(run.engine);
    fields["streams"].set_number_value(run.streams);
    fields["qps"].set_number_value(run.measurement.qps);
    fields["p50_ms"].set_number_value(run.measurement.p50_ms);
    fields["p90_ms"].set_number_value(run.measurement.p90_ms);
    fields["p99_ms"].set_number_value(run.measurement.p99_ms);
    fields["errors"].set_number_value(static_cast<double>(run.measurement.errors));
  }
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(list, &json); !s.ok()) {
    return absl::InternalError(s.message().ToString());
  }
  std::ofstream out(path);
  out << json << "\n";
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

struct Best {
  double qps = 0;
  int streams = 0;

  void Update(const Measurement& m, int at_streams) {
    if (m.qps > qps) *this = {.qps = m.qps, .streams = at_streams};
  }
};

// Each mode at each stream count (gRPC when `stub`, in-process when
// `searcher`), then the saturation ratio.
std::vector<LoadRun> RunMeasurements(const bench::LoadSchedule& load, const QueryMix& mix,
                                     v1::SearchService::Stub* stub, const Searcher* searcher) {
  std::vector<LoadRun> runs;
  Best best_grpc, best_in_process;
  size_t fewest_calls = SIZE_MAX;
  for (int streams : load.streams) {
    std::optional<Measurement> grpc, in_process;
    if (stub != nullptr) {
      grpc = GrpcLoad(*stub, mix.requests, streams, Window::After(load.warmup, load.duration))
                 .Run();
    }
    if (searcher != nullptr) {
      in_process = MeasureInProcess(*searcher, streams, Window::After(load.warmup, load.duration),
                                    mix.requests);
    }
    if (grpc) {
      const std::string ratio =
          in_process && in_process->qps > 0 ? absl::StrFormat("%.2f", grpc->qps / in_process->qps)
                                            : "";
      PrintRow("gRPC", streams, *grpc, ratio);
      runs.push_back({kGrpcEngine, streams, *grpc});
      best_grpc.Update(*grpc, streams);
      fewest_calls = std::min(fewest_calls, grpc->calls);
    }
    if (in_process) {
      PrintRow("in-process", streams, *in_process, "");
      runs.push_back({kInProcessEngine, streams, *in_process});
      best_in_process.Update(*in_process, streams);
      fewest_calls = std::min(fewest_calls, in_process->calls);
    }
    std::fflush(stdout);
  }
  for (const LoadRun& run : runs) {
    if (run.measurement.errors > 0) {
      std::fprintf(stderr, "search_benchmark: %s at %d streams: %lld searches failed, first: %s\n",
                   run.engine, run.streams, static_cast<long long>(run.measurement.errors),
                   run.measurement.first_error.c_str());
    }
  }
  if (fewest_calls < mix.requests.size()) {
    std::printf(
        "\nNote: a measurement made %zu searches, fewer than the %zu in the mix; "
        "lengthen --duration for the whole mix.\n",
        fewest_calls, mix.requests.size());
  }
  if (stub != nullptr && searcher != nullptr) {
    std::printf("\nBest QPS: gRPC %.0f (%d streams), in-process %.0f (%d streams).\n",
                best_grpc.qps, best_grpc.streams, best_in_process.qps, best_in_process.streams);
    std::printf("saturation ratio: %.2f\n", best_grpc.qps / std::max(best_in_process.qps, 1e-9));
  }
  return runs;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "search_benchmark: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Run() {
  const fs::path source_dir = absl::GetFlag(FLAGS_source_dir);
  const std::string search_address = absl::GetFlag(FLAGS_search_address);
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
  if (bundle_path.empty() && search_address.empty()) {
    std::fprintf(stderr,
                 "search_benchmark: --bundle, --corpus or --search_address is required (see "
                 "--help)\n");
    return 2;
  }
  absl::StatusOr<bench::LoadSchedule> load = bench::LoadScheduleFromFlags();
  if (!load.ok()) return Fail(load.status());
  fs::path queries_path = absl::GetFlag(FLAGS_queries);
  if (queries_path.empty()) queries_path = source_dir / "relevance" / "medquad-tune.jsonl";
  absl::StatusOr<QueryMix> mix = LoadQueryMix(queries_path);
  if (!mix.ok()) return Fail(mix.status());

  std::shared_ptr<const Searcher> searcher;
  std::unique_ptr<SearchServiceImpl> service;
  std::unique_ptr<GrpcServer> server;
  std::string address = search_address;
  if (!bundle_path.empty()) {
    absl::StatusOr<std::unique_ptr<Searcher>> opened = OpenSearcher(bundle_path);
    if (!opened.ok()) return Fail(opened.status());
    service = std::make_unique<SearchServiceImpl>(*std::move(opened));
    searcher = service->current_searcher();
    if (address.empty()) {
      absl::StatusOr<std::unique_ptr<GrpcServer>> started =
          GrpcServer::Start("127.0.0.1:0", {service.get()}, "healthsearch.v1.SearchService");
      if (!started.ok()) return Fail(started.status());
      server = *std::move(started);
      address = absl::StrCat("127.0.0.1:", server->port());
    }
  }
  const auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return Fail(absl::UnavailableError(absl::StrCat("cannot connect to ", address)));
  }
  const std::unique_ptr<v1::SearchService::Stub> stub = v1::SearchService::NewStub(channel);

  PrintHeader(searcher != nullptr ? &searcher->manifest() : nullptr, search_address, *load,
              queries_path, *mix);
  const std::vector<LoadRun> runs = RunMeasurements(*load, *mix, stub.get(), searcher.get());
  std::printf("Load average %.2f at the end.\n", LoadAverage());
  if (server != nullptr) server->Shutdown(absl::Seconds(1));
  if (const std::string json_out = absl::GetFlag(FLAGS_json_out); !json_out.empty()) {
    if (absl::Status written = WriteJson(runs, json_out); !written.ok()) return Fail(written);
  }
  const bool failed = std::any_of(runs.begin(), runs.end(),
                                  [](const LoadRun& run) { return run.measurement.errors > 0; });
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures search throughput and latency over gRPC beside in-process search.\n"
      "Usage: search_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR]\n"
      "                        [--search_address HOST:PORT] [--queries FILE] [--duration 5s]\n"
      "                        [--warmup 1s] [--streams 1,8,32] [--json_out FILE]");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Run();
}
