#include "common/service_flags.h"

#include <absl/flags/flag.h>

#include <string>

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

namespace healthsearch {

ServiceFlags GetServiceFlags() {
  return {.tls = {.cert_file = absl::GetFlag(FLAGS_tls_cert),
                  .key_file = absl::GetFlag(FLAGS_tls_key),
                  .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca)},
          .log_queries = absl::GetFlag(FLAGS_log_queries),
          .bundle_poll_interval = absl::GetFlag(FLAGS_bundle_poll_interval)};
}

}  // namespace healthsearch
