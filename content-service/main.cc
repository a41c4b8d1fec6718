// content-service --bundle BUNDLE_DIR [--listen HOST:PORT] [--drain_period 2s] [--grace_period 10s]
#include <cstdio>
#include <string>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "common/grpc_serving.h"
#include "content-service/content_service.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to serve (the indexer's --out, or a version directory)");
ABSL_FLAG(std::string, listen, "0.0.0.0:50052", "HOST:PORT to listen on; port 0 picks a free one");
ABSL_FLAG(absl::Duration, drain_period, absl::Seconds(2),
          "On SIGTERM/SIGINT, how long to go on serving while health reports NOT_SERVING");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long calls in flight may take to finish");

namespace {

// `listen` with its port replaced by the one actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(colon == std::string::npos ? listen : listen.substr(0, colon), ":", port);
}

}  // namespace

int main(int argc, char** argv) {
  healthsearch::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "Serves the records of a search bundle over gRPC (healthsearch.v1.ContentService).\n"
      "Usage: content-service --bundle BUNDLE_DIR [--listen HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  const std::string bundle_path = absl::GetFlag(FLAGS_bundle);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (bundle_path.empty()) {
    std::fprintf(stderr, "content-service: --bundle is required (see --help)\n");
    return 1;
  }

  absl::StatusOr<std::unique_ptr<healthsearch::ContentServiceImpl>> service =
      healthsearch::ContentServiceImpl::Open(bundle_path);
  if (!service.ok()) {
    std::fprintf(stderr, "content-service: cannot serve bundle %s: %s\n", bundle_path.c_str(),
                 std::string(service.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<healthsearch::GrpcServer>> server =
      healthsearch::GrpcServer::Start(listen, {service->get()},
                                      healthsearch::kContentServiceName);
  if (!server.ok()) {
    std::fprintf(stderr, "content-service: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  const healthsearch::bundle::Manifest& manifest = (*service)->manifest();
  std::fprintf(stderr, "content-service: serving bundle %s (%lld conditions, %lld articles) on %s\n",
               manifest.version().c_str(), static_cast<long long>(manifest.condition_count()),
               static_cast<long long>(manifest.article_count()),
               BoundAddress(listen, (*server)->port()).c_str());

  const int signal = healthsearch::WaitForTerminationSignal();
  const absl::Duration grace = absl::GetFlag(FLAGS_grace_period);
  std::fprintf(stderr, "content-service: signal %d, stopping (grace period %s)\n", signal,
               absl::FormatDuration(grace).c_str());
  (*server)->Drain(absl::GetFlag(FLAGS_drain_period));
  (*server)->Shutdown(grace);
  std::fprintf(stderr, "content-service: stopped\n");
  return 0;
}
