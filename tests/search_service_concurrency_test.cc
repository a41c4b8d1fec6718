// 16 client threads x 2,000 searches over MedQuAD through gRPC: no errors,
// and every answer identical to the single-threaded one.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/corpus_reader.h"
#include "common/grpc_serving.h"
#include "search-service/search_service.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::IsOk;

constexpr int kThreads = 16;
constexpr int kCallsPerThread = 2000;
constexpr int kDistinctQueries = 200;

// Queries a person might type, drawn from the corpus: names, symptoms, and a
// misspelling of each tenth name.
std::vector<v1::SearchRequest> QueryMix(const Corpus& corpus) {
  std::vector<v1::SearchRequest> requests;
  const size_t step = std::max<size_t>(1, corpus.conditions.size() / kDistinctQueries);
  for (size_t i = 0; requests.size() < kDistinctQueries && i < corpus.conditions.size(); i += step) {
    const v1::Condition& condition = corpus.conditions[i];
    v1::SearchRequest request;
    std::string query = condition.name();
    if (requests.size() % 10 == 3 && query.size() > 5) std::swap(query[2], query[3]);
    for (int s = 0; s < condition.symptoms_size() && s < 4; ++s) {
      absl::StrAppend(&query, " ", condition.symptoms(s).name());
    }
    request.set_query(query.substr(0, 300));
    if (requests.size() % 5 == 0) request.add_facets("type");
    if (requests.size() % 7 == 0) request.set_page_size(25);
    requests.push_back(request);
  }
  return requests;
}

TEST(SearchServiceConcurrencyTest, ManyClientsGetTheSameAnswersAsOne) {
  HEALTHSEARCH_REQUIRE_MEDQUAD(medquad);
  absl::StatusOr<Corpus> corpus = LoadCorpus({medquad}, {}, nullptr);
  ASSERT_THAT(corpus, IsOk());
  const std::vector<v1::SearchRequest> requests = QueryMix(*corpus);
  ASSERT_EQ(requests.size(), static_cast<size_t>(kDistinctQueries));

  absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(::healthsearch::testing::SharedMedquadBundle());
  ASSERT_THAT(searcher, IsOk());
  SearchServiceImpl service(*std::move(searcher));
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start("127.0.0.1:0", {&service}, "healthsearch.v1.SearchService");
  ASSERT_THAT(server, IsOk());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::SearchService::NewStub(channel);

  std::vector<v1::SearchResponse> expected(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->Search(&context, requests[i], &expected[i]).ok()) << requests[i].query();
    ASSERT_FALSE(expected[i].results().empty()) << requests[i].query();
  }

  std::atomic<int> errors = 0;
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCallsPerThread; ++call) {
        const size_t i = (static_cast<size_t>(t) * 7919 + call * 31) % requests.size();
        grpc::ClientContext context;
        v1::SearchResponse response;
        if (!stub->Search(&context, requests[i], &response).ok()) {
          ++errors;
        } else if (!MessageDifferencer::Equals(response, expected[i])) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace healthsearch
