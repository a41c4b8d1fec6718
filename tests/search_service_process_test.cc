// search-service and the healthsearch client, run as real processes.
#include <signal.h>

#include <atomic>
#include <thread>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "healthsearch/v1/search_service.grpc.pb.h"
#include "indexer/index_builder.h"
#include "testing/grpc_test_support.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::Subprocess;
using ::healthsearch::testing::TempDir;
using ::testing::HasSubstr;

class SearchServiceProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(BuildBundle({.corpus_dirs = {::healthsearch::testing::SampleCorpusDir()},
                             .out = temp_.path() / "bundle"},
                            nullptr),
                IsOk());
    address_ = absl::StrCat("127.0.0.1:", ::healthsearch::testing::PickUnusedPort());
    server_ = std::make_unique<Subprocess>(
        BinaryDir() / "search-service",
        std::vector<std::string>{"--bundle", (temp_.path() / "bundle").string(), "--listen",
                                 address_, "--drain_period", "1s", "--grace_period", "5s"},
        temp_.path() / "server.log");
    ASSERT_TRUE(::healthsearch::testing::WaitUntilServing(address_, "healthsearch.v1.SearchService"));
  }

  std::string Client(const std::vector<std::string>& args, int* exit_code = nullptr) {
    std::vector<std::string> all = {"--search_address", address_};
    all.insert(all.end(), args.begin(), args.end());
    std::string output;
    const int code = RunProgram(BinaryDir() / "healthsearch", all, &output);
    if (exit_code != nullptr) *exit_code = code;
    return output;
  }

  TempDir temp_;
  std::string address_;
  std::unique_ptr<Subprocess> server_;
};

TEST_F(SearchServiceProcessTest, ClientPrintsRankedResultsReadably) {
  int code = -1;
  const std::string output = Client({"search", "what autoimmune disease causes muscle cramps"}, &code);
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("Which autoimmune diseases cause muscle cramps or weakness?"));
  EXPECT_THAT(output, HasSubstr(" 1. "));
  EXPECT_THAT(output, HasSubstr("score"));
  EXPECT_THAT(output, HasSubstr("<b>"));
}

TEST_F(SearchServiceProcessTest, ClientJsonIsOneObjectPerResult) {
  int code = -1;
  const std::string output = Client({"search", "joint pain", "--json", "--page_size", "3"}, &code);
  ASSERT_EQ(code, 0) << output;
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << output;
  v1::SearchResult first;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &first).ok()) << lines[0];
  EXPECT_FALSE(first.id().empty());
  EXPECT_FALSE(first.title().empty());
}

TEST_F(SearchServiceProcessTest, ClientSuggestsAndReportsBadQueries) {
  int code = -1;
  EXPECT_THAT(Client({"suggest", "migr"}, &code), HasSubstr("Migraine"));
  EXPECT_EQ(code, 0);
  EXPECT_THAT(Client({"search", std::string(1200, 'a')}, &code), HasSubstr("the maximum is 1000"));
  EXPECT_EQ(code, 1);
}

TEST_F(SearchServiceProcessTest, ClientReadsTheAddressFromTheEnvironment) {
  ::setenv("HEALTHSEARCH_SEARCH_ADDRESS", address_.c_str(), 1);
  std::string output;
  const int code = RunProgram(BinaryDir() / "healthsearch", {"search", "asthma"}, &output);
  ::unsetenv("HEALTHSEARCH_SEARCH_ADDRESS");
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("Asthma"));
}

TEST_F(SearchServiceProcessTest, SigtermLetsCallsInFlightFinishAndExitsZero) {
  auto stub = v1::SearchService::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  std::atomic<bool> stop = false;
  std::atomic<int> ok_after_signal = 0;
  std::atomic<int> other_failures = 0;
  std::atomic<bool> signalled = false;
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::SearchRequest request;
        request.set_query("fever headache muscle aches tiredness cough sore throat");
        request.add_facets("category");
        v1::SearchResponse response;
        const bool started_before_signal = !signalled;
        grpc::Status status = stub->Search(&context, request, &response);
        if (status.ok()) {
          if (started_before_signal && signalled) ++ok_after_signal;
        } else if (started_before_signal ||
                   (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
                    status.error_code() != grpc::StatusCode::CANCELLED)) {
          // A call in flight when the signal came must finish; a later one
          // may only be turned away.
          ++other_failures;
          ADD_FAILURE() << "call failed with " << status.error_code() << ": "
                        << status.error_message();
        }
        if (!status.ok()) break;  // the server has stopped accepting calls
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let calls get going
  signalled = true;
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(other_failures, 0);
  EXPECT_GT(ok_after_signal, 0) << "no call was in flight when the signal arrived";
}

TEST(SearchServiceStartupTest, FailsFastOnAMissingBundle) {
  TempDir temp;
  std::string output;
  EXPECT_EQ(RunProgram(BinaryDir() / "search-service",
                       {"--bundle", (temp.path() / "none").string(), "--listen", "127.0.0.1:0"},
                       &output),
            1);
  EXPECT_THAT(output, HasSubstr("cannot serve: no bundle at"));
}

}  // namespace
}  // namespace healthsearch
