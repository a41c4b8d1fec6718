// gRPC helpers for tests: health checks and free loopback ports.
#ifndef HEALTHSEARCH_TESTING_GRPC_TEST_SUPPORT_H_
#define HEALTHSEARCH_TESTING_GRPC_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "testing/health_check.pb.h"

namespace healthsearch::testing {

using HealthStatus = ::grpc::health::v1::HealthCheckResponse::ServingStatus;

// Calls grpc.health.v1.Health/Check for `service` ("" for the whole server).
absl::StatusOr<HealthStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service,
                                         absl::Duration timeout = absl::Seconds(2));

// Polls until the server at `address` reports `service` SERVING; false if it
// has not within `timeout`.
bool WaitUntilServing(const std::string& address, const std::string& service,
                      absl::Duration timeout = absl::Seconds(30));

// A loopback TCP port that was free a moment ago.
int PickUnusedPort();

}  // namespace healthsearch::testing

#endif  // HEALTHSEARCH_TESTING_GRPC_TEST_SUPPORT_H_
