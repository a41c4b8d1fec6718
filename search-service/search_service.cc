#include "search-service/search_service.h"

#include "common/grpc_serving.h"

namespace healthsearch {

SearchServiceImpl::SearchServiceImpl(std::unique_ptr<Searcher> searcher, TelemetryOptions telemetry)
    : telemetry_options_(telemetry),
      telemetry_(kSearchServiceName, telemetry),
      searcher_(std::move(searcher)) {}

void SearchServiceImpl::ReplaceSearcher(std::unique_ptr<Searcher> searcher) {
  std::shared_ptr<const Searcher> previous = std::move(searcher);
  {
    absl::MutexLock lock(&mutex_);
    searcher_.swap(previous);
  }
  // Our reference to the previous Searcher goes here, outside the lock, so
  // that closing it (when no call holds it) never holds up new calls.
}

std::shared_ptr<const Searcher> SearchServiceImpl::current_searcher() const {
  absl::MutexLock lock(&mutex_);
  return searcher_;
}

// A search takes a millisecond or so, so it runs inline on gRPC's callback
// thread; a call whose client has gone or whose deadline has passed is not
// started.
grpc::ServerUnaryReactor* SearchServiceImpl::Search(grpc::CallbackServerContext* context,
                                                    const v1::SearchRequest* request,
                                                    v1::SearchResponse* response) {
  CallTelemetry::Call call = telemetry_.Begin(context, "Search");
  call.SetRequest(*request);
  const std::shared_ptr<const Searcher> searcher = current_searcher();
  call.SetBundleVersion(searcher->manifest().version());
  if (absl::Status wanted = call.CheckStillWanted(); !wanted.ok()) return call.Finish(wanted);
  absl::StatusOr<v1::SearchResponse> result = searcher->Search(*request);
  if (!result.ok()) return call.Finish(result.status());
  call.SetResultCount(result->total_size());
  if (telemetry_options_.metrics != nullptr) {
    telemetry_options_.metrics->RecordSearchResultCount(result->total_size());
  }
  *response = *std::move(result);
  return call.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* SearchServiceImpl::Suggest(grpc::CallbackServerContext* context,
                                                     const v1::SuggestRequest* request,
                                                     v1::SuggestResponse* response) {
  CallTelemetry::Call call = telemetry_.Begin(context, "Suggest");
  call.SetRequest(*request);
  const std::shared_ptr<const Searcher> searcher = current_searcher();
  call.SetBundleVersion(searcher->manifest().version());
  if (absl::Status wanted = call.CheckStillWanted(); !wanted.ok()) return call.Finish(wanted);
  absl::StatusOr<v1::SuggestResponse> result = searcher->Suggest(*request);
  if (!result.ok()) return call.Finish(result.status());
  call.SetResultCount(result->suggestions_size());
  *response = *std::move(result);
  return call.Finish(absl::OkStatus());
}

}  // namespace healthsearch
