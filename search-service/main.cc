// search-service --bundle BUNDLE [--listen HOST:PORT] [--metrics_listen HOST:PORT]
//                [--tls_cert FILE --tls_key FILE [--tls_client_ca FILE]] [--log_queries]
// Logs are JSON lines on stderr.
#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "common/bundle_watcher.h"
#include "common/command_line.h"
#include "common/grpc_serving.h"
#include "common/json_log.h"
#include "common/metrics.h"
#include "common/service_flags.h"
#include "search-service/search_service.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to serve (the path the indexer publishes)");
ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "Address to listen on, HOST:PORT");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9151",
          "HOST:PORT serving Prometheus metrics at /metrics; empty: none. If it cannot be "
          "bound, the service logs metrics_unavailable and serves without metrics");
ABSL_FLAG(std::string, ranking_config, "",
          "Ranking configuration (JSON, see config/ranking.json); built-in defaults if empty");

int main(int argc, char** argv) {
  healthsearch::BlockTerminationSignals();
  healthsearch::SetLogSource("search-service");
  absl::SetProgramUsageMessage(
      "Answers free-text symptom queries over gRPC.\n"
      "Usage: search-service --bundle BUNDLE [--listen HOST:PORT] [--metrics_listen HOST:PORT]");
  healthsearch::AcceptDashedFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  const std::string bundle = absl::GetFlag(FLAGS_bundle);
  if (bundle.empty())
    healthsearch::ExitOnStartupFailure(
        "", absl::InvalidArgumentError("--bundle is required (see --help)"), 2);
  const healthsearch::ServiceFlags flags = healthsearch::GetServiceFlags();

  healthsearch::config::RankingConfig ranking;
  if (const std::string path = absl::GetFlag(FLAGS_ranking_config); !path.empty()) {
    absl::StatusOr<healthsearch::config::RankingConfig> loaded =
        healthsearch::LoadRankingConfig(path);
    if (!loaded.ok()) healthsearch::ExitOnStartupFailure("", loaded.status());
    ranking = *std::move(loaded);
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      healthsearch::ServerCredentialsFromFiles(flags.tls);
  if (!credentials.ok()) healthsearch::ExitOnStartupFailure("", credentials.status());
  absl::StatusOr<healthsearch::BundleVersion> version = healthsearch::ResolveBundle(bundle);
  if (!version.ok()) healthsearch::ExitOnStartupFailure("cannot serve: ", version.status());
  absl::StatusOr<std::unique_ptr<healthsearch::Searcher>> searcher =
      healthsearch::Searcher::Open(version->dir, ranking);
  if (!searcher.ok()) healthsearch::ExitOnStartupFailure("cannot serve: ", searcher.status());

  healthsearch::ServiceMetrics metrics;
  metrics.SetBundle(version->manifest);
  healthsearch::SearchServiceImpl service(
      *std::move(searcher),
      {.metrics = &metrics, .log_requests = true, .log_requests_in_full = flags.log_queries});
  absl::StatusOr<std::unique_ptr<healthsearch::GrpcServer>> server =
      healthsearch::GrpcServer::Start(absl::GetFlag(FLAGS_listen), {&service},
                                      healthsearch::kSearchServiceName, *credentials);
  if (!server.ok()) healthsearch::ExitOnStartupFailure("", server.status());
  healthsearch::ServeMetricsIfAsked(metrics, absl::GetFlag(FLAGS_metrics_listen));
  auto watcher = std::make_unique<healthsearch::BundleWatcher>(
      bundle, version->dir, flags.bundle_poll_interval,
      [&](const healthsearch::BundleVersion& next) -> absl::Status {
        absl::StatusOr<std::unique_ptr<healthsearch::Searcher>> opened =
            healthsearch::Searcher::Open(next.dir, ranking);
        if (!opened.ok()) return opened.status();
        service.ReplaceSearcher(*std::move(opened));
        return absl::OkStatus();
      },
      &metrics);
  healthsearch::LogLine("serving")
      .Add("bundle_version", version->manifest.version())
      .AddInteger("conditions", version->manifest.condition_count())
      .AddInteger("articles", version->manifest.article_count())
      .AddInteger("port", (*server)->port())
      .AddInteger("metrics_port", metrics.http_port())
      .Add("tls", healthsearch::TlsMode(flags.tls))
      .Write();

  healthsearch::ServeUntilTerminated(**server, std::move(watcher), flags);
  return 0;
}
