#include "search-service/search_service.h"

#include "common/grpc_serving.h"

namespace healthsearch {
namespace {

template <typename Response>
grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                 absl::StatusOr<Response> result, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

}  // namespace

// A search takes a millisecond or so, so it runs inline on gRPC's callback thread.
grpc::ServerUnaryReactor* SearchServiceImpl::Search(grpc::CallbackServerContext* context,
                                                    const v1::SearchRequest* request,
                                                    v1::SearchResponse* response) {
  return Finish(context, searcher_->Search(*request), response);
}

grpc::ServerUnaryReactor* SearchServiceImpl::Suggest(grpc::CallbackServerContext* context,
                                                     const v1::SuggestRequest* request,
                                                     v1::SuggestResponse* response) {
  return Finish(context, searcher_->Suggest(*request), response);
}

}  // namespace healthsearch
