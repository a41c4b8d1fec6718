// search-service --bundle BUNDLE_DIR --listen HOST:PORT
#include <cstdio>
#include <string>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/time/time.h>

#include "common/grpc_serving.h"
#include "search-service/search_service.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to serve (the path the indexer publishes)");
ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "Address to listen on, HOST:PORT");
ABSL_FLAG(std::string, ranking_config, "",
          "Ranking configuration (JSON, see config/ranking.json); built-in defaults if empty");
ABSL_FLAG(absl::Duration, drain_period, absl::Seconds(2),
          "On SIGTERM/SIGINT, how long to go on serving while health reports NOT_SERVING");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "After draining, how long calls in flight may take to finish before they are cancelled");

int main(int argc, char** argv) {
  healthsearch::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "Answers free-text symptom queries over gRPC.\n"
      "Usage: search-service --bundle BUNDLE_DIR [--listen HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  const std::string bundle = absl::GetFlag(FLAGS_bundle);
  if (bundle.empty()) {
    std::fprintf(stderr, "search-service: --bundle is required (see --help)\n");
    return 2;
  }
  healthsearch::config::RankingConfig ranking;
  if (const std::string path = absl::GetFlag(FLAGS_ranking_config); !path.empty()) {
    absl::StatusOr<healthsearch::config::RankingConfig> loaded =
        healthsearch::LoadRankingConfig(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "search-service: %s\n", std::string(loaded.status().message()).c_str());
      return 1;
    }
    ranking = *std::move(loaded);
  }
  absl::StatusOr<std::unique_ptr<healthsearch::Searcher>> searcher =
      healthsearch::Searcher::Open(bundle, ranking);
  if (!searcher.ok()) {
    std::fprintf(stderr, "search-service: cannot serve: %s\n",
                 std::string(searcher.status().message()).c_str());
    return 1;
  }
  const healthsearch::bundle::Manifest manifest = (*searcher)->manifest();
  healthsearch::SearchServiceImpl service(*std::move(searcher));
  absl::StatusOr<std::unique_ptr<healthsearch::GrpcServer>> server =
      healthsearch::GrpcServer::Start(absl::GetFlag(FLAGS_listen), {&service},
                                      "healthsearch.v1.SearchService");
  if (!server.ok()) {
    std::fprintf(stderr, "search-service: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr,
               "search-service: serving bundle %s (%lld conditions, %lld articles) on port %d\n",
               manifest.version().c_str(), static_cast<long long>(manifest.condition_count()),
               static_cast<long long>(manifest.article_count()), (*server)->port());
  const int signal = healthsearch::WaitForTerminationSignal();
  std::fprintf(stderr, "search-service: signal %d, shutting down\n", signal);
  (*server)->Drain(absl::GetFlag(FLAGS_drain_period));
  (*server)->Shutdown(absl::GetFlag(FLAGS_grace_period));
  std::fprintf(stderr, "search-service: stopped\n");
  return 0;
}
