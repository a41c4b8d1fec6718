// What an operator sees of the running services: Prometheus metrics, JSON
// logs without the private query text, and calls whose deadline expired.
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/call_telemetry.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "testing/test_support.h"
#include "tests/serving_test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::MetricSample;
using ::healthsearch::testing::PublishWithIndexer;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::ServiceProcess;
using ::healthsearch::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// A query nobody else would write, to look for in the logs.
constexpr char kPrivateQuery[] = "embarrassing itchy rash zqxj";
constexpr char kSearch[] = "grpc_service=\"healthsearch.v1.SearchService\"";
constexpr char kContent[] = "grpc_service=\"healthsearch.v1.ContentService\"";

// Every line of a log, parsed; a line that is not a JSON object fails the test.
std::vector<google::protobuf::Struct> ParseLogLines(const std::string& log) {
  std::vector<google::protobuf::Struct> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &parsed).ok())
        << "not a JSON line: " << line;
    lines.push_back(std::move(parsed));
  }
  return lines;
}

std::string Field(const google::protobuf::Struct& line, const std::string& name) {
  const auto it = line.fields().find(name);
  if (it == line.fields().end()) return "";
  if (it->second.has_number_value()) return absl::StrCat(it->second.number_value());
  return it->second.string_value();
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    version_ = PublishWithIndexer(SampleCorpusDir(), bundle_);
    ASSERT_FALSE(version_.empty());
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary,
                                        std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"--bundle", bundle_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto service = std::make_unique<ServiceProcess>(binary, args, temp_.path() / (binary + ".log"));
    EXPECT_TRUE(service->WaitUntilServing()) << service->log();
    return service;
  }

  grpc::Status Search(const ServiceProcess& service, const std::string& query,
                      absl::Duration timeout = absl::Seconds(10),
                      const std::string& request_id = "",
                      std::string* echoed_request_id = nullptr) {
    auto stub = v1::SearchService::NewStub(
        grpc::CreateChannel(service.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    if (!request_id.empty()) context.AddMetadata(kRequestIdHeader, request_id);
    v1::SearchRequest request;
    request.set_query(query);
    v1::SearchResponse response;
    grpc::Status status = stub->Search(&context, request, &response);
    if (echoed_request_id != nullptr) {
      const auto it = context.GetServerInitialMetadata().find(kRequestIdHeader);
      if (it != context.GetServerInitialMetadata().end()) {
        *echoed_request_id = std::string(it->second.data(), it->second.size());
      }
    }
    return status;
  }

  TempDir temp_;
  const fs::path bundle_ = temp_.path() / "bundle";
  std::string version_;
};

TEST_F(ObservabilityTest, SearchMetricsCountCallsByCodeAndDescribeTheBundle) {
  std::unique_ptr<ServiceProcess> search = Start("search-service");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Search(*search, "muscle weakness").ok());
  EXPECT_EQ(Search(*search, std::string(1001, 'a')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string metrics = search->Metrics();
  EXPECT_EQ(MetricSample(metrics, "grpc_server_handled_total",
                         {kSearch, "grpc_method=\"Search\"", "grpc_code=\"OK\""}),
            3);
  EXPECT_EQ(MetricSample(metrics, "grpc_server_handled_total",
                         {kSearch, "grpc_method=\"Search\"", "grpc_code=\"INVALID_ARGUMENT\""}),
            1);
  EXPECT_EQ(MetricSample(metrics, "grpc_server_handling_seconds_count",
                         {kSearch, "grpc_method=\"Search\""}),
            4);
  EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_info",
                         {absl::StrCat("version=\"", version_, "\"")}),
            1);
  EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_documents", {"type=\"condition\""}), 94);
  EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_documents", {"type=\"article\""}), 16);
  EXPECT_THAT(metrics, HasSubstr("\nhealthsearch_bundle_age_seconds "));
  EXPECT_EQ(MetricSample(metrics, "healthsearch_search_result_count_count"), 3);
  EXPECT_GT(MetricSample(metrics, "healthsearch_search_result_count_sum"), 0);
}

TEST_F(ObservabilityTest, ContentMetricsCountFoundAndNotFound) {
  std::unique_ptr<ServiceProcess> content = Start("content-service");
  auto stub = v1::ContentService::NewStub(
      grpc::CreateChannel(content->address(), grpc::InsecureChannelCredentials()));
  for (const char* id : {"polymyositis", "no-such-condition"}) {
    grpc::ClientContext context;
    v1::GetConditionRequest request;
    request.set_id(id);
    v1::Condition condition;
    (void)stub->GetCondition(&context, request, &condition);
  }
  const std::string metrics = content->Metrics();
  for (const char* code : {"grpc_code=\"OK\"", "grpc_code=\"NOT_FOUND\""}) {
    EXPECT_EQ(MetricSample(metrics, "grpc_server_handled_total",
                           {kContent, "grpc_method=\"GetCondition\"", code}),
              1)
        << code << "\n"
        << metrics;
  }
  EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_documents", {"type=\"condition\""}), 94);
}

TEST_F(ObservabilityTest, LogsAreJsonLinesWithoutTheQueryText) {
  std::unique_ptr<ServiceProcess> search = Start("search-service");
  std::string echoed;
  ASSERT_TRUE(Search(*search, kPrivateQuery, absl::Seconds(10), "portal-req-0042", &echoed).ok());
  EXPECT_EQ(echoed, "portal-req-0042");
  ASSERT_TRUE(Search(*search, kPrivateQuery, absl::Seconds(10), "", &echoed).ok());
  EXPECT_FALSE(echoed.empty());
  search->process().Signal(SIGTERM);
  EXPECT_EQ(search->process().Wait(), 0);

  const std::string log = search->log();
  EXPECT_THAT(log, Not(HasSubstr("itchy")));
  EXPECT_THAT(log, Not(HasSubstr("zqxj")));
  std::vector<std::string> events;
  std::vector<google::protobuf::Struct> requests;
  for (const google::protobuf::Struct& line : ParseLogLines(log)) {
    EXPECT_EQ(Field(line, "source"), "search-service");
    EXPECT_FALSE(Field(line, "time").empty());
    events.push_back(Field(line, "event"));
    if (Field(line, "event") == "request") requests.push_back(line);
  }
  EXPECT_THAT(events, Contains("serving"));
  EXPECT_THAT(events, Contains("stopping"));
  EXPECT_THAT(events, Contains("stopped"));
  ASSERT_EQ(requests.size(), 2u) << log;
  EXPECT_EQ(Field(requests[0], "request_id"), "portal-req-0042");
  EXPECT_EQ(Field(requests[1], "request_id"), echoed);
  for (const google::protobuf::Struct& request : requests) {
    EXPECT_EQ(Field(request, "method"), "healthsearch.v1.SearchService/Search");
    EXPECT_EQ(Field(request, "code"), "OK");
    EXPECT_EQ(Field(request, "bundle_version"), version_);
    EXPECT_TRUE(request.fields().at("latency_ms").has_number_value());
    EXPECT_TRUE(request.fields().at("result_count").has_number_value());
  }
}

TEST_F(ObservabilityTest, LogQueriesFlagLogsTheRequestInFull) {
  std::unique_ptr<ServiceProcess> search = Start("search-service", {"--log-queries"});
  ASSERT_TRUE(Search(*search, kPrivateQuery).ok());
  search->process().Signal(SIGTERM);
  EXPECT_EQ(search->process().Wait(), 0);
  EXPECT_THAT(search->log(), HasSubstr(absl::StrCat("\"request\":{\"query\":\"", kPrivateQuery)));
}

// A call whose deadline has passed is answered DEADLINE_EXCEEDED (not
// searched when it was already late) and counted as such. How late a call
// arrives is up to the scheduler, so deadlines shrink until the server sees one.
TEST_F(ObservabilityTest, ExpiredDeadlineIsCancelledAndCounted) {
  std::unique_ptr<ServiceProcess> search = Start("search-service");
  ASSERT_TRUE(Search(*search, "muscle weakness").ok());
  double counted = 0;
  int client_saw_deadline = 0;
  for (int attempt = 0; attempt < 2000 && counted == 0; ++attempt) {
    const absl::Duration timeout = absl::Microseconds(100 + (attempt % 20) * 100);
    const grpc::Status status =
        Search(*search, "muscle weakness in the thighs and shoulders with fever", timeout);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) ++client_saw_deadline;
    if (attempt % 20 == 19) {
      counted = MetricSample(search->Metrics(), "grpc_server_handled_total",
                             {kSearch, "grpc_code=\"DEADLINE_EXCEEDED\""});
    }
  }
  EXPECT_GT(client_saw_deadline, 0);
  EXPECT_GE(counted, 1);
  EXPECT_THAT(search->log(), HasSubstr("\"code\":\"DEADLINE_EXCEEDED\""));
}

}  // namespace
}  // namespace healthsearch
