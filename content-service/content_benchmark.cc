// content_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR] [--duration 2s]
//
// Throughput and latency of GetCondition and BatchGetConditions (50 ids)
// through an in-process content-service over loopback gRPC, beside direct
// reads of the same ids from the record store, at 1, 8 and 32 concurrent
// streams. Prints a markdown table.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "common/bundle.h"
#include "common/grpc_serving.h"
#include "common/record_store.h"
#include "content-service/content_service.h"
#include "indexer/index_builder.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to serve");
ABSL_FLAG(std::string, corpus, "",
          "Corpus directory to build a temporary bundle from (instead of --bundle)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(2), "How long to run each measurement");

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

constexpr int kBatchSize = 50;
constexpr int kStreamCounts[] = {1, 8, 32};

struct Measurement {
  double qps = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// One call: returns false on failure. `ids` are the ids to read.
using Call = std::function<bool(const std::vector<std::string>& ids)>;

// Runs `streams` threads, each issuing calls back to back for `duration`.
// `make_call(stream)` gives each thread its own call (its own stub or reader).
Measurement Measure(int streams, int ids_per_call, absl::Duration duration,
                    const std::vector<std::string>& all_ids,
                    const std::function<Call(int stream)>& make_call) {
  std::vector<std::vector<double>> latencies(streams);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  for (int stream = 0; stream < streams; ++stream) {
    threads.emplace_back([&, stream] {
      Call call = make_call(stream);
      std::mt19937 random(stream);
      std::uniform_int_distribution<size_t> pick(0, all_ids.size() - 1);
      std::vector<std::string> ids(ids_per_call);
      while (absl::Now() < end) {
        for (std::string& id : ids) id = all_ids[pick(random)];
        const absl::Time before = absl::Now();
        if (!call(ids)) failed = true;
        latencies[stream].push_back(absl::ToDoubleMicroseconds(absl::Now() - before));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed) {
    std::fprintf(stderr, "content_benchmark: some calls failed\n");
    std::exit(1);
  }
  std::vector<double> all;
  for (const std::vector<double>& stream : latencies) all.insert(all.end(), stream.begin(), stream.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return {};
  return {.qps = all.size() / seconds,
          .p50_us = all[all.size() / 2],
          .p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)]};
}

absl::StatusOr<std::vector<std::string>> AllConditionIds(RecordStoreReader& store) {
  std::vector<std::string> ids;
  std::string after_id;
  while (true) {
    absl::StatusOr<std::vector<v1::Condition>> page = store.ListConditions({}, after_id, 1000);
    if (!page.ok()) return page.status();
    if (page->empty()) return ids;
    for (const v1::Condition& condition : *page) ids.push_back(condition.id());
    after_id = ids.back();
  }
}

int Run() {
  std::string bundle_path = absl::GetFlag(FLAGS_bundle);
  std::string temp_dir;
  if (!absl::GetFlag(FLAGS_corpus).empty()) {
    std::string pattern = (fs::temp_directory_path() / "content-benchmark-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return 1;
    temp_dir = pattern;
    bundle_path = (fs::path(temp_dir) / "bundle").string();
    std::vector<std::string> problems;
    absl::StatusOr<bundle::Manifest> built = BuildBundle(
        {.corpus_dirs = {absl::GetFlag(FLAGS_corpus)}, .out = bundle_path}, &problems);
    if (!built.ok()) {
      std::fprintf(stderr, "content_benchmark: %s\n", std::string(built.status().message()).c_str());
      return 1;
    }
  }
  if (bundle_path.empty()) {
    std::fprintf(stderr, "content_benchmark: --bundle or --corpus is required\n");
    return 1;
  }
  absl::StatusOr<std::unique_ptr<ContentServiceImpl>> service = ContentServiceImpl::Open(bundle_path);
  if (!service.ok()) {
    std::fprintf(stderr, "content_benchmark: %s\n", std::string(service.status().message()).c_str());
    return 1;
  }
  const fs::path records_path = ResolveBundle(bundle_path)->records_path();
  absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(records_path);
  absl::StatusOr<std::vector<std::string>> ids =
      store.ok() ? AllConditionIds(*store) : store.status();
  if (!ids.ok() || ids->empty()) {
    std::fprintf(stderr, "content_benchmark: no conditions to read\n");
    return 1;
  }
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start("127.0.0.1:0", {service->get()}, kContentServiceName);
  if (!server.ok()) {
    std::fprintf(stderr, "content_benchmark: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);

  auto grpc_get = [&](int) -> Call {
    auto stub = std::shared_ptr<v1::ContentService::Stub>(v1::ContentService::NewStub(channel));
    return [stub](const std::vector<std::string>& ids) {
      v1::GetConditionRequest request;
      request.set_id(ids[0]);
      v1::Condition response;
      grpc::ClientContext context;
      return stub->GetCondition(&context, request, &response).ok();
    };
  };
  auto grpc_batch_get = [&](int) -> Call {
    auto stub = std::shared_ptr<v1::ContentService::Stub>(v1::ContentService::NewStub(channel));
    return [stub](const std::vector<std::string>& ids) {
      v1::BatchGetConditionsRequest request;
      for (const std::string& id : ids) request.add_ids(id);
      v1::BatchGetConditionsResponse response;
      grpc::ClientContext context;
      return stub->BatchGetConditions(&context, request, &response).ok();
    };
  };
  auto direct_get = [&](int) -> Call {
    auto reader = std::make_shared<RecordStoreReader>(*RecordStoreReader::Open(records_path));
    return [reader](const std::vector<std::string>& ids) {
      for (const std::string& id : ids) {
        if (!reader->GetCondition(id).ok()) return false;
      }
      return true;
    };
  };

  std::printf("Bundle %s: %zu conditions; %s per measurement; %u CPUs.\n\n",
              (*service)->manifest().version().c_str(), ids->size(),
              absl::FormatDuration(duration).c_str(), std::thread::hardware_concurrency());
  std::printf(
      "| Call | Streams | gRPC QPS | gRPC p50 µs | gRPC p99 µs | direct QPS | direct p50 µs | "
      "direct p99 µs | QPS gRPC/direct | p50 gRPC/direct |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  struct Kind {
    const char* name;
    int ids_per_call;
    std::function<Call(int)> grpc_call;
  };
  const Kind kinds[] = {{"GetCondition", 1, grpc_get},
                        {"BatchGetConditions (50 ids)", kBatchSize, grpc_batch_get}};
  for (const Kind& kind : kinds) {
    for (int streams : kStreamCounts) {
      const Measurement grpc =
          Measure(streams, kind.ids_per_call, duration, *ids, kind.grpc_call);
      const Measurement direct = Measure(streams, kind.ids_per_call, duration, *ids, direct_get);
      std::printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.1f |\n",
                  kind.name, streams, grpc.qps, grpc.p50_us, grpc.p99_us, direct.qps,
                  direct.p50_us, direct.p99_us, grpc.qps / direct.qps,
                  grpc.p50_us / std::max(direct.p50_us, 1e-3));
      std::fflush(stdout);
    }
  }
  (*server)->Shutdown(absl::Seconds(1));
  if (!temp_dir.empty()) fs::remove_all(temp_dir);
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures content-service throughput and latency beside direct store reads.\n"
      "Usage: content_benchmark [--bundle BUNDLE_DIR | --corpus CORPUS_DIR] [--duration 2s]");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Run();
}
