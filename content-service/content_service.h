// The ContentService: the structured records of one published bundle,
// served from its SQLite record store.
#ifndef HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_
#define HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>

#include <absl/base/thread_annotations.h>
#include <absl/functional/function_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/synchronization/mutex.h>

#include "common/bundle.h"
#include "common/call_telemetry.h"
#include "healthsearch/bundle/manifest.pb.h"
#include "healthsearch/v1/content_service.grpc.pb.h"

namespace healthsearch {

class RecordStoreReader;

inline constexpr char kContentServiceName[] = "healthsearch.v1.ContentService";

// Thread-safe: each call borrows a store connection of its own from a pool
// that grows to the number of calls in flight. Each call answers from the
// bundle version current when it began; responses carry that version in the
// kBundleVersionHeader header, and page tokens are valid only for it.
class ContentServiceImpl final : public v1::ContentService::CallbackService {
 public:
  // Opens the bundle at `bundle` (the published symlink or a version
  // directory) read-only. NOT_FOUND when there is nothing there;
  // FAILED_PRECONDITION, saying what is wrong, for an incomplete bundle, one
  // of an unknown format version, or a record store that cannot be read.
  static absl::StatusOr<std::unique_ptr<ContentServiceImpl>> Open(
      const std::filesystem::path& bundle, TelemetryOptions telemetry = {});

  ~ContentServiceImpl() override;

  // Opens `version` and serves it to new calls; calls in flight finish on
  // the previous version, whose store is closed when the last of them is
  // done. On failure (FAILED_PRECONDITION) the previous version stays.
  absl::Status SwitchTo(const BundleVersion& version);

  // The manifest of the bundle version being served.
  bundle::Manifest manifest() const;

  grpc::ServerUnaryReactor* GetCondition(grpc::CallbackServerContext* context,
                                         const v1::GetConditionRequest* request,
                                         v1::Condition* response) override;
  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* context,
                                       const v1::GetArticleRequest* request,
                                       v1::Article* response) override;
  grpc::ServerUnaryReactor* BatchGetConditions(grpc::CallbackServerContext* context,
                                               const v1::BatchGetConditionsRequest* request,
                                               v1::BatchGetConditionsResponse* response) override;
  grpc::ServerUnaryReactor* BatchGetArticles(grpc::CallbackServerContext* context,
                                             const v1::BatchGetArticlesRequest* request,
                                             v1::BatchGetArticlesResponse* response) override;
  grpc::ServerUnaryReactor* ListConditions(grpc::CallbackServerContext* context,
                                           const v1::ListConditionsRequest* request,
                                           v1::ListConditionsResponse* response) override;
  grpc::ServerUnaryReactor* ListArticles(grpc::CallbackServerContext* context,
                                         const v1::ListArticlesRequest* request,
                                         v1::ListArticlesResponse* response) override;

 private:
  // One bundle version's manifest and store connections.
  struct Served;

  ContentServiceImpl(std::shared_ptr<const Served> served, TelemetryOptions telemetry);

  static absl::StatusOr<std::shared_ptr<const Served>> OpenVersion(const BundleVersion& version);
  std::shared_ptr<const Served> current() const;

  // Runs `read` on a pooled connection of the current version inline and
  // finishes the call with its status. `read` sets the number of records it
  // returns.
  grpc::ServerUnaryReactor* Serve(
      grpc::CallbackServerContext* context, absl::string_view method,
      const google::protobuf::Message& request,
      absl::FunctionRef<absl::Status(RecordStoreReader&, const bundle::Manifest&, int64_t*)>
          read);

  const CallTelemetry telemetry_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const Served> served_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_
