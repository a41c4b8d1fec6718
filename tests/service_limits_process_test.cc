// Both services as real processes, pushed at and past their limits: request
// fields at their bounds, messages around the 4 MiB maximum, invalid UTF-8,
// thousands of calls at once, and clients that go away mid-call. Every call
// succeeds or fails with a code that says why, and the service stays up.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "common/grpc_serving.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "testing/grpc_test_support.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::Subprocess;
using ::healthsearch::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kSearchName[] = "healthsearch.v1.SearchService";
constexpr char kContentName[] = "healthsearch.v1.ContentService";
// Set in the environment of this binary re-run as a client process
// (ServiceLoadClient below) that the test kills mid-call.
constexpr char kLoadClientVariable[] = "HEALTHSEARCH_TEST_LOAD_CLIENT";

// Many records of the sample corpus mention a doctor: more than a page of 100.
constexpr char kBroadQuery[] = "doctor";

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

class ServiceLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir;
    const fs::path bundle = temp_->path() / "bundle";
    ASSERT_EQ(RunProgram(BinaryDir() / "indexer", {"--corpus",
                                                   ::healthsearch::testing::SampleCorpusDir().string(),
                                                   "--out", bundle.string()}),
              0);
    search_address_ = new std::string(
        absl::StrCat("127.0.0.1:", ::healthsearch::testing::PickUnusedPort()));
    content_address_ = new std::string(
        absl::StrCat("127.0.0.1:", ::healthsearch::testing::PickUnusedPort()));
    search_ = new Subprocess(BinaryDir() / "search-service",
                             {"--bundle", bundle.string(), "--listen", *search_address_},
                             temp_->path() / "search-service.log");
    content_ = new Subprocess(BinaryDir() / "content-service",
                              {"--bundle", bundle.string(), "--listen", *content_address_},
                              temp_->path() / "content-service.log");
    ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(*search_address_, kSearchName));
    ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(*content_address_, kContentName));
  }

  static void TearDownTestSuite() {
    delete search_;
    delete content_;
    delete search_address_;
    delete content_address_;
    delete temp_;
  }

  void SetUp() override {
    if (search_ == nullptr) GTEST_SKIP() << "the services did not start";
    search_stub_ = v1::SearchService::NewStub(Connect(*search_address_));
    content_stub_ = v1::ContentService::NewStub(Connect(*content_address_));
  }

  // Both processes still run and answer an ordinary call.
  void ExpectBothServing() {
    EXPECT_FALSE(search_->Poll().has_value()) << "search-service exited";
    EXPECT_FALSE(content_->Poll().has_value()) << "content-service exited";
    v1::SearchRequest search;
    search.set_query("asthma");
    absl::StatusOr<v1::SearchResponse> found = Search(search);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_FALSE(found->results().empty());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetConditionRequest get;
    get.set_id("polymyositis");
    v1::Condition condition;
    const grpc::Status status = content_stub_->GetCondition(&context, get, &condition);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(condition.id(), "polymyositis");
  }

  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request,
                                            std::chrono::seconds deadline = std::chrono::seconds(60)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::SearchResponse response;
    const grpc::Status status = search_stub_->Search(&context, request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return response;
  }

  grpc::Status ListConditions(const v1::ListConditionsRequest& request,
                              v1::ListConditionsResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return content_stub_->ListConditions(&context, request, response);
  }

  static TempDir* temp_;
  static std::string* search_address_;
  static std::string* content_address_;
  static Subprocess* search_;
  static Subprocess* content_;
  std::unique_ptr<v1::SearchService::Stub> search_stub_;
  std::unique_ptr<v1::ContentService::Stub> content_stub_;
};

TempDir* ServiceLimitsTest::temp_ = nullptr;
std::string* ServiceLimitsTest::search_address_ = nullptr;
std::string* ServiceLimitsTest::content_address_ = nullptr;
Subprocess* ServiceLimitsTest::search_ = nullptr;
Subprocess* ServiceLimitsTest::content_ = nullptr;

using ::healthsearch::testing::StatusIs;

TEST_F(ServiceLimitsTest, SearchPageSizeIsTenByDefaultAtMostAHundredAndNeverNegative) {
  v1::SearchRequest request;
  request.set_query(kBroadQuery);
  absl::StatusOr<v1::SearchResponse> response = Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_GT(response->total_size(), 100) << "the query must match more than 100 records";
  EXPECT_EQ(response->results_size(), 10);
  for (const int page_size : {100, 101, 1 << 30}) {
    request.set_page_size(page_size);
    response = Search(request);
    ASSERT_TRUE(response.ok()) << page_size << ": " << response.status();
    EXPECT_EQ(response->results_size(), 100) << page_size;
  }
  for (const int page_size : {-1, -(1 << 30)}) {
    request.set_page_size(page_size);
    EXPECT_THAT(Search(request),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  }
}

TEST_F(ServiceLimitsTest, SearchQueryOfAThousandCharactersIsAnsweredAndOneMoreIsNot) {
  std::string query = "muscle cramps and a weak neck ";
  while (query.size() < 1000) query += "x";
  v1::SearchRequest request;
  request.set_query(query);
  EXPECT_TRUE(Search(request).ok());
  std::string two_byte_characters;  // 1,000 characters, 2,000 bytes
  for (int i = 0; i < 1000; ++i) two_byte_characters += "\xC3\xA9";
  request.set_query(two_byte_characters);
  EXPECT_TRUE(Search(request).ok());
  request.set_query(query + "x");
  EXPECT_THAT(Search(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1001 characters")));
}

TEST_F(ServiceLimitsTest, SearchTakesHugeFilterListsAndLongFilterValues) {
  v1::SearchRequest request;
  request.set_query(kBroadQuery);
  for (int i = 0; i < 20000; ++i) request.add_categories(absl::StrCat("category-", i));
  request.add_categories("respiratory");
  for (int i = 0; i < 20000; ++i) request.add_codes(absl::StrCat("Z", i));
  request.add_sources(std::string(4000, 's'));
  request.add_sources("healthsearch sample");
  request.add_categories(std::string(100000, 'c'));
  // Whatever it answers, it answers cleanly and soon: results, or a refusal
  // saying why. (A request under 4 MiB must not hold a CPU for long.)
  absl::StatusOr<v1::SearchResponse> response = Search(request, std::chrono::seconds(10));
  if (!response.ok()) {
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << response.status();
  } else {
    EXPECT_THAT(response->results(), ::testing::IsEmpty())
        << "no record has every code filter's Z codes";
  }
  ExpectBothServing();
}

TEST_F(ServiceLimitsTest, SearchRejectsPageTokensItDidNotIssue) {
  v1::SearchRequest request;
  request.set_query(kBroadQuery);
  absl::StatusOr<v1::SearchResponse> first = Search(request);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token().empty());
  for (const std::string& token : {std::string("not a token"), std::string("AAAA"),
                                   std::string(100000, 'A'), std::string("\xFF\xFE")}) {
    request.set_page_token(token);
    absl::StatusOr<v1::SearchResponse> response = Search(request);
    EXPECT_FALSE(response.ok()) << token.substr(0, 20);
    if (!response.ok() && token != "\xFF\xFE") {
      EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument)
          << token.substr(0, 20) << ": " << response.status();
    }
  }
  // The token it issued is bound to its query.
  request.set_page_token(first->next_page_token());
  request.set_query("asthma");
  EXPECT_THAT(Search(request), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token")));
}

// Protobuf will not parse a string field that is not UTF-8, so gRPC fails the
// call before it reaches our code. (gRPC 1.51's callback API then answers
// UNIMPLEMENTED with no message, which misleads: nothing of ours can change
// that short of taking raw bytes, so only the failure is asserted.)
TEST_F(ServiceLimitsTest, InvalidUtf8FailsTheCallAndNothingElse) {
  v1::SearchRequest search;
  search.set_query("fever \xC0\xAF and \xFF");
  absl::StatusOr<v1::SearchResponse> found = Search(search);
  EXPECT_FALSE(found.ok());
  grpc::ClientContext context;
  v1::GetConditionRequest get;
  get.set_id("poly\xED\xA0\x80myositis");
  v1::Condition condition;
  EXPECT_FALSE(content_stub_->GetCondition(&context, get, &condition).ok());
  ExpectBothServing();
}

// 4 MiB is the documented largest request (common/grpc_serving.h). A search
// that large can only carry an over-long filter value, which the search-service
// itself refuses: its message shows the request got through.
TEST_F(ServiceLimitsTest, RequestsUpTo4MiBAreServedAndLargerAreResourceExhausted) {
  v1::SearchRequest search;
  search.set_query("asthma");
  search.add_sources("healthsearch sample");
  search.add_sources(std::string(kMaxReceiveMessageBytes, 's'));
  const size_t over = search.ByteSizeLong() - kMaxReceiveMessageBytes;
  search.mutable_sources(1)->resize(kMaxReceiveMessageBytes - over - 1);
  ASSERT_EQ(search.ByteSizeLong(), static_cast<size_t>(kMaxReceiveMessageBytes) - 1);
  EXPECT_THAT(Search(search), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("a value in sources is 4194")));
  search.mutable_sources(1)->append(2, 's');
  EXPECT_THAT(Search(search), StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));

  v1::ListConditionsRequest list;
  list.set_category(std::string(kMaxReceiveMessageBytes, 'c'));
  list.mutable_category()->resize(kMaxReceiveMessageBytes - (list.ByteSizeLong() - kMaxReceiveMessageBytes) - 1);
  ASSERT_EQ(list.ByteSizeLong(), static_cast<size_t>(kMaxReceiveMessageBytes) - 1);
  v1::ListConditionsResponse listed;
  grpc::Status status = ListConditions(list, &listed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(listed.conditions().empty());
  list.mutable_category()->append(2, 'c');
  status = ListConditions(list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  ExpectBothServing();
}

TEST_F(ServiceLimitsTest, BatchGetTakesAThousandIdsAndRefusesMore) {
  v1::ListConditionsRequest list;
  list.set_page_size(1000);
  v1::ListConditionsResponse all;
  ASSERT_TRUE(ListConditions(list, &all).ok());
  v1::BatchGetConditionsRequest batch;
  for (int i = 0; i < 1000; ++i) batch.add_ids(all.conditions(i % all.conditions_size()).id());
  {
    grpc::ClientContext context;
    v1::BatchGetConditionsResponse got;
    const grpc::Status status = content_stub_->BatchGetConditions(&context, batch, &got);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(got.conditions_size(), 1000);
  }
  batch.add_ids(all.conditions(0).id());
  grpc::ClientContext context;
  v1::BatchGetConditionsResponse got;
  const grpc::Status status = content_stub_->BatchGetConditions(&context, batch, &got);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("1000"));
}

// Calls of one kind started at once on one channel, then awaited.
template <typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  Response response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
};

// Starts a call, `start(context, queue)` making its reader; its end is
// reported on `queue`.
template <typename Response, typename Start>
std::unique_ptr<AsyncCall<Response>> StartCall(grpc::CompletionQueue& queue, const Start& start,
                                               absl::Duration deadline = absl::InfiniteDuration()) {
  auto call = std::make_unique<AsyncCall<Response>>();
  if (deadline != absl::InfiniteDuration()) {
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  call->reader = start(&call->context, &queue);
  call->reader->Finish(&call->response, &call->status, call.get());
  return call;
}

// Waits for `count` calls on `queue` to end; false if the queue shut down first.
bool AwaitCalls(grpc::CompletionQueue& queue, int count) {
  for (int i = 0; i < count; ++i) {
    void* tag;
    bool ok;
    if (!queue.Next(&tag, &ok)) return false;
  }
  return true;
}

// Counts the outcomes by code; OK responses must equal `expected`.
template <typename Response>
std::map<grpc::StatusCode, int> Outcomes(
    std::vector<std::unique_ptr<AsyncCall<Response>>>& calls, const Response& expected,
    int* mismatches) {
  std::map<grpc::StatusCode, int> outcomes;
  for (auto& call : calls) {
    ++outcomes[call->status.error_code()];
    if (call->status.ok() && !MessageDifferencer::Equals(call->response, expected)) ++*mismatches;
  }
  return outcomes;
}

constexpr int kConcurrentCalls = 2000;

// Each call either succeeds with the right answer or fails with a code a
// client can act on (overload or deadline), never anything else.
void ExpectOnlyCleanOutcomes(const std::map<grpc::StatusCode, int>& outcomes, int mismatches) {
  for (const auto& [code, count] : outcomes) {
    EXPECT_THAT(code, ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       grpc::StatusCode::UNAVAILABLE,
                                       grpc::StatusCode::DEADLINE_EXCEEDED))
        << count << " call(s) ended with code " << code;
  }
  EXPECT_EQ(mismatches, 0);
  const auto ok = outcomes.find(grpc::StatusCode::OK);
  EXPECT_GT(ok == outcomes.end() ? 0 : ok->second, kConcurrentCalls / 2);
}

TEST_F(ServiceLimitsTest, TwoThousandConcurrentSearchesAllEndCleanly) {
  v1::SearchRequest request;
  request.set_query("stiff joints in the morning");
  absl::StatusOr<v1::SearchResponse> expected = Search(request);
  ASSERT_TRUE(expected.ok()) << expected.status();

  grpc::CompletionQueue queue;
  std::vector<std::unique_ptr<AsyncCall<v1::SearchResponse>>> calls;
  for (int i = 0; i < kConcurrentCalls; ++i) {
    calls.push_back(StartCall<v1::SearchResponse>(
        queue,
        [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return search_stub_->AsyncSearch(context, request, cq);
        },
        absl::Minutes(5)));
  }
  ASSERT_TRUE(AwaitCalls(queue, kConcurrentCalls));
  int mismatches = 0;
  ExpectOnlyCleanOutcomes(Outcomes(calls, *expected, &mismatches), mismatches);
  ExpectBothServing();
}

TEST_F(ServiceLimitsTest, TwoThousandConcurrentGetsAllEndCleanly) {
  v1::GetConditionRequest request;
  request.set_id("polymyositis");
  v1::Condition expected;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(content_stub_->GetCondition(&context, request, &expected).ok());
  }
  grpc::CompletionQueue queue;
  std::vector<std::unique_ptr<AsyncCall<v1::Condition>>> calls;
  for (int i = 0; i < kConcurrentCalls; ++i) {
    calls.push_back(StartCall<v1::Condition>(
        queue,
        [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return content_stub_->AsyncGetCondition(context, request, cq);
        },
        absl::Minutes(5)));
  }
  ASSERT_TRUE(AwaitCalls(queue, kConcurrentCalls));
  int mismatches = 0;
  ExpectOnlyCleanOutcomes(Outcomes(calls, expected, &mismatches), mismatches);
  ExpectBothServing();
}

TEST_F(ServiceLimitsTest, CallsCancelledMidWayLeaveTheServicesHealthy) {
  grpc::CompletionQueue queue;
  std::vector<std::unique_ptr<AsyncCall<v1::SearchResponse>>> searches;
  std::vector<std::unique_ptr<AsyncCall<v1::ListConditionsResponse>>> lists;
  v1::SearchRequest search;
  search.set_query(kBroadQuery);
  search.set_page_size(100);
  search.add_facets("category");
  v1::ListConditionsRequest list;
  list.set_page_size(1000);
  for (int i = 0; i < 300; ++i) {
    searches.push_back(StartCall<v1::SearchResponse>(
        queue, [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return search_stub_->AsyncSearch(context, search, cq);
        }));
    lists.push_back(StartCall<v1::ListConditionsResponse>(
        queue, [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
          return content_stub_->AsyncListConditions(context, list, cq);
        }));
    if (i % 3 == 0) {
      searches[i / 2]->context.TryCancel();
      lists[i / 2]->context.TryCancel();
    }
  }
  for (int i = 0; i < 300; i += 2) {
    searches[i]->context.TryCancel();
    lists[i]->context.TryCancel();
  }
  ASSERT_TRUE(AwaitCalls(queue, 600));
  int cancelled = 0;
  for (const auto& call : searches) {
    EXPECT_THAT(call->status.error_code(),
                ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::CANCELLED));
    cancelled += call->status.error_code() == grpc::StatusCode::CANCELLED;
  }
  for (const auto& call : lists) {
    EXPECT_THAT(call->status.error_code(),
                ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::CANCELLED));
    cancelled += call->status.error_code() == grpc::StatusCode::CANCELLED;
  }
  EXPECT_GT(cancelled, 0);
  ExpectBothServing();
}

TEST_F(ServiceLimitsTest, ClientProcessesKilledMidCallLeaveTheServicesHealthy) {
  const fs::path self = fs::read_symlink("/proc/self/exe");
  for (int round = 0; round < 3; ++round) {
    const fs::path started = temp_->path() / absl::StrCat("client-", round, ".started");
    ::setenv(kLoadClientVariable,
             absl::StrCat(*search_address_, ",", *content_address_, ",", started.string()).c_str(),
             1);
    Subprocess client(self,
                      {"--gtest_also_run_disabled_tests",
                       "--gtest_filter=ServiceLoadClient.DISABLED_CallsUntilKilled"},
                      temp_->path() / absl::StrCat("client-", round, ".log"));
    ::unsetenv(kLoadClientVariable);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (!fs::exists(started) && absl::Now() < deadline && !client.Poll().has_value()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(fs::exists(started)) << "the client never got going";
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + 150 * round));
    client.Signal(SIGKILL);
    EXPECT_EQ(client.Wait(), 128 + SIGKILL) << "the client ended before it was killed";
    ExpectBothServing();
  }
}

// Not a test on its own: the client process that the test above kills. It
// keeps hundreds of calls in flight on both services until it is killed.
TEST(ServiceLoadClient, DISABLED_CallsUntilKilled) {
  const char* target = std::getenv(kLoadClientVariable);
  if (target == nullptr) GTEST_SKIP() << kLoadClientVariable << " is not set";
  const std::vector<std::string> parts = absl::StrSplit(target, ',');
  ASSERT_EQ(parts.size(), 3u);
  auto search_stub = v1::SearchService::NewStub(Connect(parts[0]));
  auto content_stub = v1::ContentService::NewStub(Connect(parts[1]));
  v1::SearchRequest search;
  search.set_query(kBroadQuery);
  search.set_page_size(100);
  v1::ListConditionsRequest list;
  list.set_page_size(1000);
  for (int batch = 0;; ++batch) {
    grpc::CompletionQueue queue;
    std::vector<std::unique_ptr<AsyncCall<v1::SearchResponse>>> searches;
    std::vector<std::unique_ptr<AsyncCall<v1::ListConditionsResponse>>> lists;
    for (int i = 0; i < 100; ++i) {
      searches.push_back(StartCall<v1::SearchResponse>(
          queue, [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
            return search_stub->AsyncSearch(context, search, cq);
          }));
      lists.push_back(StartCall<v1::ListConditionsResponse>(
          queue, [&](grpc::ClientContext* context, grpc::CompletionQueue* cq) {
            return content_stub->AsyncListConditions(context, list, cq);
          }));
    }
    AwaitCalls(queue, 200);
    if (batch == 0) ::healthsearch::testing::WriteTextFile(parts[2], "");
  }
}

}  // namespace
}  // namespace healthsearch
