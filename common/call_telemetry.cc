#include "common/call_telemetry.h"

#include <absl/random/random.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <google/protobuf/util/json_util.h>

#include <chrono>

#include "common/grpc_serving.h"
#include "common/json_log.h"

namespace healthsearch {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

bool IsUsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string NewRequestId() {
  static absl::Mutex mutex(absl::kConstInit);
  static absl::BitGen* bits = new absl::BitGen;
  absl::MutexLock lock(&mutex);
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(*bits));
}

bool DeadlinePassed(const grpc::CallbackServerContext& context) {
  return context.deadline() <= std::chrono::system_clock::now();
}

}  // namespace

CallTelemetry::Call CallTelemetry::Begin(grpc::CallbackServerContext* context,
                                         absl::string_view method) const {
  return Call(this, context, method);
}

CallTelemetry::Call::Call(const CallTelemetry* telemetry, grpc::CallbackServerContext* context,
                          absl::string_view method)
    : telemetry_(telemetry), context_(context), method_(method), start_(absl::Now()) {
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kRequestIdHeader); it != metadata.end()) {
    const absl::string_view id(it->second.data(), it->second.size());
    if (IsUsableRequestId(id)) request_id_ = std::string(id);
  }
  if (request_id_.empty()) request_id_ = NewRequestId();
  context->AddInitialMetadata(kRequestIdHeader, request_id_);
}

absl::Status CallTelemetry::Call::CheckStillWanted() const {
  if (DeadlinePassed(*context_)) {
    return absl::DeadlineExceededError("the call's deadline passed before it was answered");
  }
  if (context_->IsCancelled()) return absl::CancelledError("the client cancelled the call");
  return absl::OkStatus();
}

void CallTelemetry::Call::SetBundleVersion(const std::string& version) {
  bundle_version_ = version;
  context_->AddInitialMetadata(kBundleVersionHeader, version);
}

absl::StatusCode CallTelemetry::Call::ClientVisibleCode(const absl::Status& status) const {
  if (context_->IsCancelled() || DeadlinePassed(*context_)) {
    return DeadlinePassed(*context_) ? absl::StatusCode::kDeadlineExceeded
                                     : absl::StatusCode::kCancelled;
  }
  return status.code();
}

grpc::ServerUnaryReactor* CallTelemetry::Call::Finish(const absl::Status& status) {
  const absl::StatusCode code = ClientVisibleCode(status);
  const absl::Duration latency = absl::Now() - start_;
  const TelemetryOptions& options = telemetry_->options_;
  if (options.metrics != nullptr) {
    options.metrics->RecordCall(telemetry_->service_, method_, code, latency);
  }
  if (options.log_requests) {
    LogLine line("request");
    line.Add("request_id", request_id_)
        .Add("method", absl::StrCat(telemetry_->service_, "/", method_))
        .Add("code", absl::StatusCodeToString(code))
        .AddNumber("latency_ms", absl::ToDoubleMilliseconds(latency));
    if (result_count_.has_value()) line.AddInteger("result_count", *result_count_);
    if (!bundle_version_.empty()) line.Add("bundle_version", bundle_version_);
    // Messages about a bad request may quote it.
    if (!status.ok() &&
        (status.code() != absl::StatusCode::kInvalidArgument || options.log_requests_in_full)) {
      line.Add("error", status.message());
    }
    if (options.log_requests_in_full && request_ != nullptr) {
      std::string json;
      if (google::protobuf::util::MessageToJsonString(*request_, &json).ok()) {
        line.AddJson("request", json);
      }
    }
    line.Write();
  }
  grpc::ServerUnaryReactor* reactor = context_->DefaultReactor();
  reactor->Finish(code == status.code() ? ToGrpcStatus(status)
                                        : grpc::Status(static_cast<grpc::StatusCode>(code),
                                                       code == absl::StatusCode::kDeadlineExceeded
                                                           ? "Deadline Exceeded"
                                                           : "Cancelled"));
  return reactor;
}

}  // namespace healthsearch
