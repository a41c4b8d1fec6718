#include "common/service_flags.h"

#include <absl/flags/flag.h>
#include <absl/strings/str_cat.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "common/json_log.h"

ABSL_FLAG(std::string, tls_cert, "",
          "Serve over TLS with this certificate chain (PEM); needs --tls_key");
ABSL_FLAG(std::string, tls_key, "", "Private key (PEM) of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "Mutual TLS: accept only clients with a certificate signed by this CA (PEM)");
ABSL_FLAG(bool, log_queries, false,
          "Log each request message in full, query text included. Health queries are private: "
          "off unless needed for debugging");
ABSL_FLAG(absl::Duration, bundle_poll_interval, absl::Seconds(1),
          "How often to check whether --bundle names a new version, and switch to it");
ABSL_FLAG(absl::Duration, drain_period, absl::Seconds(2),
          "On SIGTERM/SIGINT, how long to go on serving while health reports NOT_SERVING");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "After draining, how long calls in flight may take to finish before they are cancelled");

namespace healthsearch {

ServiceFlags GetServiceFlags() {
  return {.tls = {.cert_file = absl::GetFlag(FLAGS_tls_cert),
                  .key_file = absl::GetFlag(FLAGS_tls_key),
                  .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca)},
          .log_queries = absl::GetFlag(FLAGS_log_queries),
          .bundle_poll_interval = absl::GetFlag(FLAGS_bundle_poll_interval),
          .drain_period = absl::GetFlag(FLAGS_drain_period),
          .grace_period = absl::GetFlag(FLAGS_grace_period)};
}

const char* TlsMode(const ServerTlsFiles& tls) {
  if (tls.cert_file.empty()) return "off";
  return tls.client_ca_file.empty() ? "on" : "mutual";
}

void ExitOnStartupFailure(absl::string_view context, const absl::Status& status, int exit_code) {
  LogLine("startup_failed").Add("error", absl::StrCat(context, status.message())).Write();
  std::exit(exit_code);
}

void ServeMetricsIfAsked(ServiceMetrics& metrics, const std::string& listen) {
  if (listen.empty()) return;
  if (absl::Status served = metrics.ServeHttp(listen); !served.ok()) {
    LogLine("metrics_unavailable").Add("error", served.message()).Write();
  }
}

void ServeUntilTerminated(GrpcServer& server, std::unique_ptr<BundleWatcher> watcher,
                          const ServiceFlags& flags) {
  const int signal = WaitForTerminationSignal();
  LogLine("stopping")
      .AddInteger("signal", signal)
      .Add("grace_period", absl::FormatDuration(flags.grace_period))
      .Write();
  watcher.reset();
  server.Drain(flags.drain_period);
  server.Shutdown(flags.grace_period);
  LogLine("stopped").Write();
}

}  // namespace healthsearch
