// The SearchService over a real gRPC channel, in-process on a loopback port.
#include "search-service/search_service.h"

#include <grpcpp/grpcpp.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/grpc_serving.h"
#include "indexer/index_builder.h"
#include "testing/grpc_test_support.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::TempDir;
using ::testing::HasSubstr;

class SearchServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(BuildBundle({.corpus_dirs = {::healthsearch::testing::SampleCorpusDir()},
                             .out = temp_.path() / "bundle"},
                            nullptr),
                IsOk());
    absl::StatusOr<std::unique_ptr<Searcher>> searcher = Searcher::Open(temp_.path() / "bundle");
    ASSERT_THAT(searcher, IsOk());
    service_ = std::make_unique<SearchServiceImpl>(*std::move(searcher));
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start("127.0.0.1:0", {service_.get()}, "healthsearch.v1.SearchService");
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::SearchService::NewStub(channel_);
  }

  TempDir temp_;
  std::unique_ptr<SearchServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SearchService::Stub> stub_;
};

TEST_F(SearchServiceTest, AnswersSearchAndSuggest) {
  grpc::ClientContext context;
  v1::SearchRequest request;
  request.set_query("migrane with nausea");
  v1::SearchResponse response;
  ASSERT_TRUE(stub_->Search(&context, request, &response).ok());
  EXPECT_EQ(response.corrected_query(), "migraine with nausea");
  ASSERT_FALSE(response.results().empty());
  EXPECT_EQ(response.results(0).id(), "migraine");

  grpc::ClientContext suggest_context;
  v1::SuggestRequest suggest;
  suggest.set_prefix("asth");
  v1::SuggestResponse suggestions;
  ASSERT_TRUE(stub_->Suggest(&suggest_context, suggest, &suggestions).ok());
  ASSERT_FALSE(suggestions.suggestions().empty());
  EXPECT_EQ(suggestions.suggestions(0).text(), "Asthma");
}

TEST_F(SearchServiceTest, BadQueriesAreInvalidArgumentWithAReadableMessage) {
  for (const std::string& query :
       {std::string(1 << 20, 'x'), std::string("a\x02"), std::string("  ")}) {
    grpc::ClientContext context;
    v1::SearchRequest request;
    request.set_query(query);
    v1::SearchResponse response;
    grpc::Status status = stub_->Search(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << query.substr(0, 10);
    EXPECT_THAT(status.error_message(), HasSubstr("query"));
  }
}

// Protobuf refuses to parse a string field that is not UTF-8, so such a call
// fails before it reaches the service; the service goes on serving.
TEST_F(SearchServiceTest, InvalidUtf8FailsTheCallOnly) {
  {
    grpc::ClientContext context;
    v1::SearchRequest request;
    request.set_query("fever \xC0\xAF");
    v1::SearchResponse response;
    EXPECT_FALSE(stub_->Search(&context, request, &response).ok());
  }
  grpc::ClientContext context;
  v1::SearchRequest request;
  request.set_query("fever");
  v1::SearchResponse response;
  EXPECT_TRUE(stub_->Search(&context, request, &response).ok());
}

TEST_F(SearchServiceTest, OversizedRequestsAreRefused) {
  grpc::ClientContext context;
  v1::SearchRequest request;
  request.set_query(std::string(kMaxReceiveMessageBytes + 1, 'x'));
  v1::SearchResponse response;
  EXPECT_EQ(stub_->Search(&context, request, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(SearchServiceTest, HealthIsServingUntilShutdown) {
  for (const char* service : {"healthsearch.v1.SearchService", ""}) {
    absl::StatusOr<::healthsearch::testing::HealthStatus> health =
        ::healthsearch::testing::CheckHealth(channel_, service);
    ASSERT_THAT(health, IsOk());
    EXPECT_EQ(*health, grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  server_->Shutdown(absl::Seconds(1));
  EXPECT_FALSE(::healthsearch::testing::CheckHealth(channel_, "", absl::Milliseconds(500)).ok());
}

}  // namespace
}  // namespace healthsearch
