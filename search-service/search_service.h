// healthsearch.v1.SearchService over gRPC, answered by a Searcher.
#ifndef HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_
#define HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_

#include <memory>

#include "healthsearch/v1/search_service.grpc.pb.h"
#include "search-service/searcher.h"

namespace healthsearch {

class SearchServiceImpl final : public v1::SearchService::CallbackService {
 public:
  explicit SearchServiceImpl(std::unique_ptr<Searcher> searcher)
      : searcher_(std::move(searcher)) {}

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const v1::SearchRequest* request,
                                   v1::SearchResponse* response) override;
  grpc::ServerUnaryReactor* Suggest(grpc::CallbackServerContext* context,
                                    const v1::SuggestRequest* request,
                                    v1::SuggestResponse* response) override;

  const Searcher& searcher() const { return *searcher_; }

 private:
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_SEARCH_SERVICE_SEARCH_SERVICE_H_
