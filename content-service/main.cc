// content-service --bundle BUNDLE [--listen HOST:PORT] [--metrics_listen HOST:PORT]
//                 [--tls_cert FILE --tls_key FILE [--tls_client_ca FILE]] [--log_queries]
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
#include "content-service/content_service.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to serve (the indexer's --out, or a version directory)");
ABSL_FLAG(std::string, listen, "0.0.0.0:50052", "HOST:PORT to listen on; port 0 picks a free one");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9152",
          "HOST:PORT serving Prometheus metrics at /metrics; empty: none. If it cannot be "
          "bound, the service logs metrics_unavailable and serves without metrics");

namespace {

// `listen` with its port replaced by the one actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(colon == std::string::npos ? listen : listen.substr(0, colon), ":", port);
}

}  // namespace

int main(int argc, char** argv) {
  healthsearch::BlockTerminationSignals();
  healthsearch::SetLogSource("content-service");
  absl::SetProgramUsageMessage(
      "Serves the records of a search bundle over gRPC (healthsearch.v1.ContentService).\n"
      "Usage: content-service --bundle BUNDLE [--listen HOST:PORT] [--metrics_listen HOST:PORT]");
  healthsearch::AcceptDashedFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  const std::string bundle_path = absl::GetFlag(FLAGS_bundle);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (bundle_path.empty())
    healthsearch::ExitOnStartupFailure(
        "", absl::InvalidArgumentError("--bundle is required (see --help)"));
  const healthsearch::ServiceFlags flags = healthsearch::GetServiceFlags();

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      healthsearch::ServerCredentialsFromFiles(flags.tls);
  if (!credentials.ok()) healthsearch::ExitOnStartupFailure("", credentials.status());
  absl::StatusOr<healthsearch::BundleVersion> version = healthsearch::ResolveBundle(bundle_path);
  if (!version.ok())
    healthsearch::ExitOnStartupFailure(absl::StrCat("cannot serve bundle ", bundle_path, ": "),
                                       version.status());
  healthsearch::ServiceMetrics metrics;
  absl::StatusOr<std::unique_ptr<healthsearch::ContentServiceImpl>> service =
      healthsearch::ContentServiceImpl::Open(
          version->dir,
          {.metrics = &metrics, .log_requests = true, .log_requests_in_full = flags.log_queries});
  if (!service.ok())
    healthsearch::ExitOnStartupFailure(absl::StrCat("cannot serve bundle ", bundle_path, ": "),
                                       service.status());
  metrics.SetBundle(version->manifest);
  absl::StatusOr<std::unique_ptr<healthsearch::GrpcServer>> server =
      healthsearch::GrpcServer::Start(listen, {service->get()}, healthsearch::kContentServiceName,
                                      *credentials);
  if (!server.ok()) healthsearch::ExitOnStartupFailure("", server.status());
  healthsearch::ServeMetricsIfAsked(metrics, absl::GetFlag(FLAGS_metrics_listen));
  healthsearch::ContentServiceImpl* content = service->get();
  auto watcher = std::make_unique<healthsearch::BundleWatcher>(
      bundle_path, version->dir, flags.bundle_poll_interval,
      [content](const healthsearch::BundleVersion& next) { return content->SwitchTo(next); },
      &metrics);
  healthsearch::LogLine("serving")
      .Add("bundle_version", version->manifest.version())
      .AddInteger("conditions", version->manifest.condition_count())
      .AddInteger("articles", version->manifest.article_count())
      .Add("address", BoundAddress(listen, (*server)->port()))
      .AddInteger("metrics_port", metrics.http_port())
      .Add("tls", healthsearch::TlsMode(flags.tls))
      .Write();

  healthsearch::ServeUntilTerminated(**server, std::move(watcher), flags);
  return 0;
}
