// Prometheus metrics of one service, in the text exposition format, served
// over HTTP at /metrics on a port of their own:
//
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}  counter
//   grpc_server_handling_seconds{grpc_service,grpc_method}          histogram
//   healthsearch_bundle_info{version}                  1 for the version served
//   healthsearch_bundle_age_seconds                    since the indexer built it
//   healthsearch_bundle_documents{type}                conditions and articles served
//   healthsearch_bundle_load_failures_total            bundles that could not be opened
//   healthsearch_search_result_count                   histogram of matches per Search
#ifndef HEALTHSEARCH_COMMON_METRICS_H_
#define HEALTHSEARCH_COMMON_METRICS_H_

#include <absl/status/status.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

#include <cstdint>
#include <memory>
#include <string>

#include "healthsearch/bundle/manifest.pb.h"

namespace healthsearch {

// Thread-safe.
class ServiceMetrics {
 public:
  ServiceMetrics();
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // Serves GET /metrics on `address` ("HOST:PORT"; port 0 picks a free one)
  // from threads of its own until destruction. UNAVAILABLE if it cannot listen.
  absl::Status ServeHttp(const std::string& address);
  // The port ServeHttp listens on; 0 before it has been called.
  int http_port() const;

  // One finished call, with the status code the client saw.
  void RecordCall(absl::string_view service, absl::string_view method, absl::StatusCode code,
                  absl::Duration latency);
  // The total_size of one answered Search.
  void RecordSearchResultCount(int64_t total_size);
  // The bundle now served; replaces the previous one's info and counts.
  void SetBundle(const bundle::Manifest& manifest);
  void RecordBundleLoadFailure();

  // What a scrape of /metrics returns.
  std::string TextExposition() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_METRICS_H_
