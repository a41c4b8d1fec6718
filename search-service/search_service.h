// healthsearch.v1.SearchService over gRPC, answered by a Searcher that can be
// replaced while serving (a new bundle version).
#ifndef HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_
#define HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>

#include <memory>

#include "common/call_telemetry.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "search-service/searcher.h"

namespace healthsearch {

inline constexpr char kSearchServiceName[] = "healthsearch.v1.SearchService";

// Thread-safe. Each call answers from the Searcher current when it began;
// responses carry that bundle's version in the kBundleVersionHeader header.
class SearchServiceImpl final : public v1::SearchService::CallbackService {
 public:
  explicit SearchServiceImpl(std::unique_ptr<Searcher> searcher, TelemetryOptions telemetry = {});

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const v1::SearchRequest* request,
                                   v1::SearchResponse* response) override;
  grpc::ServerUnaryReactor* Suggest(grpc::CallbackServerContext* context,
                                    const v1::SuggestRequest* request,
                                    v1::SuggestResponse* response) override;

  // New calls go to `searcher`; calls in flight finish on the previous one,
  // which is closed when the last of them is done.
  void ReplaceSearcher(std::unique_ptr<Searcher> searcher);

  std::shared_ptr<const Searcher> current_searcher() const;
  // The current Searcher, valid until the next ReplaceSearcher.
  const Searcher& searcher() const { return *current_searcher(); }

 private:
  const TelemetryOptions telemetry_options_;
  const CallTelemetry telemetry_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const Searcher> searcher_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_
