// The content-service executable, run as a real process on a loopback port.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "indexer/index_builder.h"
#include "testing/grpc_test_support.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::Subprocess;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WaitUntilServing;
using ::healthsearch::testing::WriteTextFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kServingLine[] = "\"event\":\"serving\"";
constexpr char kAddressField[] = "\"address\":\"";

fs::path ContentService() { return BinaryDir() / "content-service"; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A content-service on the sample bundle, listening on a port it picked.
class RunningContentService {
 public:
  explicit RunningContentService(const TempDir& temp)
      : log_(temp.path() / "content-service.log") {
    std::vector<std::string> problems;
    const fs::path bundle = temp.path() / "bundle";
    EXPECT_THAT(BuildBundle({.corpus_dirs = {SampleCorpusDir()}, .out = bundle}, &problems),
                IsOk());
    process_ = std::make_unique<Subprocess>(
        ContentService(),
        std::vector<std::string>{"--bundle", bundle.string(), "--listen", "127.0.0.1:0",
                                 "--drain_period", "1s"},
        log_);
  }

  // The address from the "serving" line, or empty if the process did not
  // get that far within `timeout`.
  std::string WaitForAddress(absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      const std::string log = ReadFile(log_);
      const size_t serving = log.find(kServingLine);
      const size_t start = log.find(kAddressField, serving);
      const size_t end = log.find('"', start + std::strlen(kAddressField));
      if (serving != std::string::npos && start != std::string::npos && end != std::string::npos) {
        return log.substr(start + std::strlen(kAddressField),
                          end - start - std::strlen(kAddressField));
      }
      if (process_->Poll().has_value()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

  Subprocess& process() { return *process_; }
  std::string log() const { return ReadFile(log_); }

 private:
  fs::path log_;
  std::unique_ptr<Subprocess> process_;
};

TEST(ContentServiceProcessTest, ServesHealthAndRecordsThenStopsCleanlyOnSigint) {
  TempDir temp;
  RunningContentService service(temp);
  const std::string address = service.WaitForAddress();
  ASSERT_THAT(address, StartsWith("127.0.0.1:")) << service.log();
  EXPECT_THAT(service.log(), HasSubstr("\"conditions\":94,\"articles\":16"));
  ASSERT_TRUE(WaitUntilServing(address, "healthsearch.v1.ContentService"));
  ASSERT_TRUE(WaitUntilServing(address, ""));

  auto stub = v1::ContentService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::GetConditionRequest request;
  request.set_id("polymyositis");
  v1::Condition condition;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetCondition(&context, request, &condition).ok());
  EXPECT_EQ(condition.name(), "Polymyositis");

  service.process().Signal(SIGINT);
  EXPECT_EQ(service.process().Wait(), 0) << service.log();
  EXPECT_THAT(service.log(), HasSubstr("\"event\":\"stopped\""));
}

// Eight clients call continuously while the server gets SIGTERM: calls being
// handled finish OK, the rest are refused, and nothing fails any other way.
TEST(ContentServiceProcessTest, SigtermLetsCallsInFlightFinishAndExitsZero) {
  TempDir temp;
  RunningContentService service(temp);
  const std::string address = service.WaitForAddress();
  ASSERT_THAT(address, StartsWith("127.0.0.1:")) << service.log();
  ASSERT_TRUE(WaitUntilServing(address, "healthsearch.v1.ContentService"));

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::ContentService::NewStub(channel);
  v1::ListConditionsRequest all_ids;
  all_ids.set_page_size(1000);
  v1::ListConditionsResponse listed;
  grpc::ClientContext list_context;
  ASSERT_TRUE(stub->ListConditions(&list_context, all_ids, &listed).ok());
  // 1,000 lookups per call keeps each call in flight for a while.
  v1::BatchGetConditionsRequest slow_request;
  for (int i = 0; i < 1000; ++i) {
    slow_request.add_ids(listed.conditions(i % listed.conditions_size()).id());
  }

  constexpr int kClients = 8;
  std::atomic<bool> signalling{false};  // set just before kill()
  std::atomic<bool> signalled{false};   // set once kill() returned
  std::atomic<int> clients_with_a_reply{0};
  std::atomic<int> in_flight_across_signal_ok{0};
  absl::Mutex mutex;
  std::vector<std::string> unexpected;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);

  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      bool replied = false;
      while (absl::Now() < give_up) {
        const bool started_before_signal = !signalling.load();
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        v1::BatchGetConditionsResponse response;
        const grpc::Status status = stub->BatchGetConditions(&context, slow_request, &response);
        const bool finished_after_signal = signalled.load();
        if (status.ok()) {
          if (response.conditions_size() != 1000) {
            absl::MutexLock lock(&mutex);
            unexpected.push_back(absl::StrCat("OK with ", response.conditions_size(), " records"));
          }
          if (started_before_signal && finished_after_signal) ++in_flight_across_signal_ok;
          if (!replied) {
            replied = true;
            ++clients_with_a_reply;
          }
          continue;
        }
        // A call sent before the signal is served during the drain period. A
        // later one may be turned away: UNAVAILABLE, or CANCELLED when gRPC
        // had queued it but not started it as shutdown began.
        const bool refused = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::CANCELLED;
        if (started_before_signal || !refused) {
          absl::MutexLock lock(&mutex);
          unexpected.push_back(absl::StrCat(started_before_signal ? "sent before" : "sent after",
                                            " the signal: ", status.error_code(), " ",
                                            status.error_message()));
        }
        break;  // the server is going away
      }
    });
  }
  const absl::Time wait_for_clients = absl::Now() + absl::Seconds(30);
  while (clients_with_a_reply.load() < kClients && absl::Now() < wait_for_clients) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(clients_with_a_reply.load(), kClients);
  signalling = true;
  service.process().Signal(SIGTERM);
  signalled = true;
  const int exit_code = service.process().Wait();
  for (std::thread& client : clients) client.join();

  EXPECT_EQ(exit_code, 0) << service.log();
  EXPECT_THAT(unexpected, ::testing::IsEmpty());
  EXPECT_GE(in_flight_across_signal_ok.load(), 1);
  EXPECT_THAT(service.log(), AllOf(HasSubstr("stopping"), HasSubstr("\"event\":\"stopped\"")));
}

TEST(ContentServiceProcessTest, ExitsOneWithOneClearLineForABundleItCannotServe) {
  TempDir temp;
  fs::create_directories(temp.path() / "incomplete" / kXapianDir);
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {temp.path() / "missing", "no bundle at"},
      {temp.path() / "incomplete", "is incomplete"},
  };
  for (const auto& [bundle, reason] : cases) {
    std::string output;
    EXPECT_EQ(RunProgram(ContentService(),
                         {"--bundle", bundle.string(), "--listen", "127.0.0.1:0"}, &output),
              1)
        << output;
    EXPECT_THAT(output, AllOf(HasSubstr("\"source\":\"content-service\""),
                              HasSubstr(bundle.string()), HasSubstr(reason)));
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  }

  std::string output;
  EXPECT_EQ(RunProgram(ContentService(), {}, &output), 1);
  EXPECT_THAT(output, HasSubstr("--bundle is required"));
}

}  // namespace
}  // namespace healthsearch
