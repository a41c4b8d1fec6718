// What each served call leaves behind: a metrics sample and one JSON log line
// with a request id, the method, the status code the client saw, the latency
// and the result count. The request itself (the query text of a health
// search) is logged only when `log_requests_in_full` is set.
#ifndef HEALTHSEARCH_COMMON_CALL_TELEMETRY_H_
#define HEALTHSEARCH_COMMON_CALL_TELEMETRY_H_

#include <absl/status/status.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/metrics.h"

namespace healthsearch {

// Request metadata: a caller's id for the request (echoed back, and made up
// when absent) and, in the response, the bundle version that answered.
inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kBundleVersionHeader[] = "x-healthsearch-bundle-version";

struct TelemetryOptions {
  ServiceMetrics* metrics = nullptr;  // not owned; nothing is recorded when null
  bool log_requests = false;          // one JSON line on stderr per call
  bool log_requests_in_full = false;  // ...with the request message (query text!)
};

class CallTelemetry {
 public:
  class Call;

  // `service` is the full gRPC service name, e.g. "healthsearch.v1.SearchService".
  CallTelemetry(std::string service, TelemetryOptions options)
      : service_(std::move(service)), options_(options) {}

  // Call first thing in a handler; the context must outlive the Call.
  Call Begin(grpc::CallbackServerContext* context, absl::string_view method) const;

 private:
  std::string service_;
  TelemetryOptions options_;
};

class CallTelemetry::Call {
 public:
  Call(Call&&) = default;

  // OK while the client still waits for an answer; DEADLINE_EXCEEDED or
  // CANCELLED once it does not, so that no more work is spent on the call.
  absl::Status CheckStillWanted() const;

  // Sent to the client as the kBundleVersionHeader response header.
  void SetBundleVersion(const std::string& version);
  void SetResultCount(int64_t count) { result_count_ = count; }
  void SetRequest(const google::protobuf::Message& request) { request_ = &request; }

  // Finishes the call with `status`, records it, and returns the reactor for
  // the handler to return. A client that has gone or whose deadline has
  // passed is recorded with the CANCELLED or DEADLINE_EXCEEDED it saw.
  grpc::ServerUnaryReactor* Finish(const absl::Status& status);

 private:
  friend class CallTelemetry;
  Call(const CallTelemetry* telemetry, grpc::CallbackServerContext* context,
       absl::string_view method);

  // The code the client sees when the handler answers with `status`.
  absl::StatusCode ClientVisibleCode(const absl::Status& status) const;

  const CallTelemetry* telemetry_;
  grpc::CallbackServerContext* context_;
  std::string method_;
  std::string request_id_;
  std::string bundle_version_;
  absl::Time start_;
  std::optional<int64_t> result_count_;
  const google::protobuf::Message* request_ = nullptr;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_CALL_TELEMETRY_H_
