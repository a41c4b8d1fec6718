// The flags both services take beyond their own --bundle, --listen and
// --metrics_listen:
//   --tls_cert, --tls_key, --tls_client_ca   PEM files; plaintext when unset
//   --log_queries                            log request messages in full (off)
//   --bundle_poll_interval                   how often to look for a new bundle (1s)
// Link only into the services' executables.
#ifndef HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_
#define HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_

#include <absl/time/time.h>

#include "common/grpc_serving.h"

namespace healthsearch {

struct ServiceFlags {
  ServerTlsFiles tls;
  bool log_queries = false;
  absl::Duration bundle_poll_interval;
};

// Call after absl::ParseCommandLine.
ServiceFlags GetServiceFlags();

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_SERVICE_FLAGS_H_
