// Load for scripts/soak: a mix of Search, Suggest (search-service) and
// GetCondition (content-service) calls drawn from a corpus.
//   --capacity: as many calls as --threads clients can make for --duration;
//     prints "capacity QPS".
//   --qps N: N calls a second, spread over --threads clients, for
//     --duration; prints one line per --interval (calls, errors, p50, p99)
//     and a summary line. Exits 1 if it could not reach the services.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "common/corpus_reader.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"

ABSL_FLAG(std::string, search_address, "localhost:50051", "search-service HOST:PORT");
ABSL_FLAG(std::string, content_address, "localhost:50052", "content-service HOST:PORT");
ABSL_FLAG(std::string, corpus, "", "Corpus directory the calls are drawn from");
ABSL_FLAG(bool, capacity, false, "Measure how many calls a second the services take");
ABSL_FLAG(double, qps, 0, "Calls a second to make");
ABSL_FLAG(int, threads, 16, "Client threads");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "How long to run");
ABSL_FLAG(absl::Duration, interval, absl::Minutes(1), "Report every this long");

namespace healthsearch {
namespace {

// What the calls are made of, drawn from the corpus.
struct Workload {
  std::vector<std::string> queries;
  std::vector<std::string> prefixes;
  std::vector<std::string> ids;
};

Workload LoadWorkload(const std::string& corpus_dir) {
  absl::StatusOr<Corpus> corpus = LoadCorpus({corpus_dir}, {}, nullptr);
  if (!corpus.ok()) {
    std::fprintf(stderr, "soak_load: %s\n", std::string(corpus.status().message()).c_str());
    std::exit(2);
  }
  Workload workload;
  for (const v1::Condition& condition : corpus->conditions) {
    std::string query = condition.name();
    for (int s = 0; s < condition.symptoms_size() && s < 3; ++s) {
      absl::StrAppend(&query, " ", condition.symptoms(s).name());
    }
    workload.queries.push_back(query.substr(0, 300));
    workload.prefixes.push_back(condition.name().substr(0, 4));
    workload.ids.push_back(condition.id());
  }
  if (workload.ids.empty()) {
    std::fprintf(stderr, "soak_load: the corpus has no conditions\n");
    std::exit(2);
  }
  return workload;
}

// Latencies and errors of one reporting interval.
struct Interval {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::map<std::string, int64_t> error_kinds;
};

class Recorder {
 public:
  Recorder(absl::Time start, absl::Duration interval) : start_(start), interval_(interval) {}

  void Record(absl::Time when, double latency_ms, const grpc::Status& status,
              const char* method) {
    const size_t index = static_cast<size_t>((when - start_) / interval_);
    absl::MutexLock lock(&mutex_);
    if (intervals_.size() <= index) intervals_.resize(index + 1);
    Interval& interval = intervals_[index];
    interval.latencies_ms.push_back(latency_ms);
    if (!status.ok()) {
      ++interval.errors;
      ++interval.error_kinds[absl::StrCat(method, " code ", status.error_code(), ": ",
                                          status.error_message().substr(0, 80))];
    }
  }

  std::vector<Interval> Take() {
    absl::MutexLock lock(&mutex_);
    return std::move(intervals_);
  }

 private:
  const absl::Time start_;
  const absl::Duration interval_;
  absl::Mutex mutex_;
  std::vector<Interval> intervals_ ABSL_GUARDED_BY(mutex_);
};

double Percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return 0;
  const size_t rank = std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()));
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

// One client: a call at a time, on its own channels; `pace` is the time
// between its calls (zero: as fast as it can).
void RunClient(int seed, const Workload& workload, absl::Time start, absl::Time end,
               absl::Duration pace, Recorder& recorder, std::atomic<int64_t>& calls) {
  grpc::ChannelArguments args;
  args.SetInt("healthsearch.soak.client", seed);  // a connection of its own
  auto search = v1::SearchService::NewStub(grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_search_address), grpc::InsecureChannelCredentials(), args));
  auto content = v1::ContentService::NewStub(grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_content_address), grpc::InsecureChannelCredentials(), args));
  std::mt19937 random(seed);
  absl::Time next = start + pace * (seed % 16) / 16;
  while (true) {
    if (pace > absl::ZeroDuration()) {
      if (next > absl::Now()) absl::SleepFor(next - absl::Now());
      next += pace;
    }
    const absl::Time sent = absl::Now();
    if (sent >= end) return;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(sent + absl::Seconds(10)));
    grpc::Status status;
    const char* method;
    const int kind = static_cast<int>(random() % 100);
    const size_t pick = random() % workload.ids.size();
    if (kind < 60) {
      method = "Search";
      v1::SearchRequest request;
      request.set_query(workload.queries[pick]);
      v1::SearchResponse response;
      status = search->Search(&context, request, &response);
    } else if (kind < 85) {
      method = "GetCondition";
      v1::GetConditionRequest request;
      request.set_id(workload.ids[pick]);
      v1::Condition response;
      status = content->GetCondition(&context, request, &response);
    } else {
      method = "Suggest";
      v1::SuggestRequest request;
      request.set_prefix(workload.prefixes[pick]);
      v1::SuggestResponse response;
      status = search->Suggest(&context, request, &response);
    }
    const absl::Time done = absl::Now();
    recorder.Record(sent, absl::ToDoubleMilliseconds(done - sent), status, method);
    ++calls;
  }
}

int Main() {
  const Workload workload = LoadWorkload(absl::GetFlag(FLAGS_corpus));
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const bool capacity = absl::GetFlag(FLAGS_capacity);
  const double qps = absl::GetFlag(FLAGS_qps);
  if (!capacity && qps <= 0) {
    std::fprintf(stderr, "soak_load: give --capacity or --qps\n");
    return 2;
  }
  const absl::Duration interval = capacity ? duration : absl::GetFlag(FLAGS_interval);
  const absl::Duration pace = capacity ? absl::ZeroDuration() : absl::Seconds(threads / qps);
  const absl::Time start = absl::Now() + absl::Milliseconds(200);
  const absl::Time end = start + duration;
  Recorder recorder(start, interval);
  std::atomic<int64_t> calls = 0;
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back(RunClient, t, std::cref(workload), start, end, pace, std::ref(recorder),
                         std::ref(calls));
  }
  for (std::thread& client : clients) client.join();

  std::vector<Interval> intervals = recorder.Take();
  int64_t errors = 0;
  for (size_t i = 0; i < intervals.size(); ++i) {
    Interval& each = intervals[i];
    errors += each.errors;
    std::printf("interval %zu: %zu calls, %lld errors, p50 %.2f ms, p99 %.2f ms\n", i + 1,
                each.latencies_ms.size(), static_cast<long long>(each.errors),
                Percentile(each.latencies_ms, 0.50), Percentile(each.latencies_ms, 0.99));
    for (const auto& [kind, count] : each.error_kinds) {
      std::printf("  %lld x %s\n", static_cast<long long>(count), kind.c_str());
    }
  }
  if (capacity) {
    std::printf("capacity %.1f\n", calls / absl::ToDoubleSeconds(duration));
  } else if (!intervals.empty()) {
    std::printf("summary: %lld calls, %lld errors, first p99 %.2f ms, last p99 %.2f ms\n",
                static_cast<long long>(calls.load()), static_cast<long long>(errors),
                Percentile(intervals.front().latencies_ms, 0.99),
                Percentile(intervals.back().latencies_ms, 0.99));
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Main();
}
