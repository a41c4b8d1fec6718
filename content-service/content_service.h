// The ContentService: the structured records of one published bundle,
// served from its SQLite record store.
#ifndef HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_
#define HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>

#include <absl/functional/function_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "healthsearch/bundle/manifest.pb.h"
#include "healthsearch/v1/content_service.grpc.pb.h"

namespace healthsearch {

class RecordStoreReader;

inline constexpr char kContentServiceName[] = "healthsearch.v1.ContentService";

// Thread-safe: each call borrows a store connection of its own from a pool
// that grows to the number of calls in flight.
class ContentServiceImpl final : public v1::ContentService::CallbackService {
 public:
  // Opens the bundle at `bundle` (the published symlink or a version
  // directory) read-only. NOT_FOUND when there is nothing there;
  // FAILED_PRECONDITION, saying what is wrong, for an incomplete bundle, one
  // of an unknown format version, or a record store that cannot be read.
  static absl::StatusOr<std::unique_ptr<ContentServiceImpl>> Open(
      const std::filesystem::path& bundle);

  ~ContentServiceImpl() override;

  // The manifest of the bundle version being served.
  const bundle::Manifest& manifest() const { return manifest_; }

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
  class ReaderPool;

  ContentServiceImpl(bundle::Manifest manifest, std::unique_ptr<ReaderPool> readers);

  // Runs `read` on a pooled connection inline and finishes the call with its status.
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  absl::FunctionRef<absl::Status(RecordStoreReader&)> read);

  const bundle::Manifest manifest_;
  const std::unique_ptr<ReaderPool> readers_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_CONTENT_SERVICE_CONTENT_SERVICE_H_
