// What both services' executables share beyond their own --bundle, --listen
// and --metrics_listen: the flags
//   --tls_cert, --tls_key, --tls_client_ca   PEM files; plaintext when unset
//   --log_queries                            log request messages in full (off)
//   --bundle_poll_interval                   how often to look for a new bundle (1s)
//   --drain_period, --grace_period           how SIGTERM/SIGINT stops serving
// and how they start up and stop.
// Link only into the services' executables.
#ifndef HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_
#define HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_

#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

#include "common/bundle_watcher.h"
#include "common/grpc_serving.h"
#include "common/metrics.h"

namespace healthsearch {

struct ServiceFlags {
  ServerTlsFiles tls;
  bool log_queries = false;
  absl::Duration bundle_poll_interval;
  absl::Duration drain_period;
  absl::Duration grace_period;
};

// Call after absl::ParseCommandLine.
ServiceFlags GetServiceFlags();

// "off", "on" or "mutual", for logs.
const char* TlsMode(const ServerTlsFiles& tls);

// Logs startup_failed with `context` before the status's message, and exits.
[[noreturn]] void ExitOnStartupFailure(absl::string_view context, const absl::Status& status,
                                       int exit_code = 1);

// Serves `metrics` at `listen` unless it is empty. Answers matter more than
// metrics: a port that cannot be bound is logged (metrics_unavailable), not
// fatal.
void ServeMetricsIfAsked(ServiceMetrics& metrics, const std::string& listen);

// Blocks until SIGTERM or SIGINT (see BlockTerminationSignals), then stops
// following the bundle, drains and shuts `server` down as `flags` say.
void ServeUntilTerminated(GrpcServer& server, std::unique_ptr<BundleWatcher> watcher,
                          const ServiceFlags& flags);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_
