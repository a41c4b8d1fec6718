// Zero-downtime bundle updates: both services, as real processes, follow the
// bundle symlink while clients keep calling them and the real indexer
// republishes it.
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/bundle.h"
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
using ::healthsearch::testing::ReadTextFile;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::ServiceProcess;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::HasSubstr;

constexpr char kConditionId[] = "polymyositis";
constexpr char kSummaryStart[] = "Polymyositis is an uncommon";
constexpr absl::Duration kMaxSwitchDelay = absl::Seconds(5);

std::string BundleVersionHeader(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerInitialMetadata();
  const auto it = metadata.find(kBundleVersionHeader);
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

// The revision written into the condition's summary by WriteCorpus; -1 if none.
int RevisionOf(const v1::Condition& condition) {
  const std::string& summary = condition.summary();
  int revision = -1;
  if (absl::StartsWith(summary, "Revision ")) {
    (void)absl::SimpleAtoi(summary.substr(9, summary.find('.') - 9), &revision);
  }
  return revision;
}

// What the clients have seen, and when first.
class Observations {
 public:
  void Saw(const std::string& service, const std::string& version) {
    absl::MutexLock lock(&mutex_);
    first_seen_.try_emplace({service, version}, absl::Now());
  }
  void Failed(const std::string& what, const grpc::Status& status) {
    absl::MutexLock lock(&mutex_);
    if (failures_.size() < 20) {
      failures_.push_back(
          absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
    }
    ++failure_count_;
  }
  void Succeeded() { calls_.fetch_add(1); }

  // When `service` first answered from `version`, waiting up to `timeout`.
  std::optional<absl::Time> WaitFor(const std::string& service, const std::string& version,
                                    absl::Duration timeout) {
    absl::MutexLock lock(&mutex_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
      return first_seen_.contains({service, version});
    };
    if (!mutex_.AwaitWithTimeout(absl::Condition(&seen), timeout)) return std::nullopt;
    return first_seen_.at({service, version});
  }

  int failure_count() {
    absl::MutexLock lock(&mutex_);
    return failure_count_;
  }
  std::vector<std::string> failures() {
    absl::MutexLock lock(&mutex_);
    return failures_;
  }
  int64_t calls() const { return calls_.load(); }

 private:
  absl::Mutex mutex_;
  std::map<std::pair<std::string, std::string>, absl::Time> first_seen_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mutex_);
  int failure_count_ ABSL_GUARDED_BY(mutex_) = 0;
  std::atomic<int64_t> calls_{0};
};

class BundleSwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(corpus_);
    fs::copy_file(SampleCorpusDir() / "articles.jsonl", corpus_ / "articles.jsonl");
    conditions_ = ReadTextFile(SampleCorpusDir() / "conditions.jsonl");
    ASSERT_THAT(conditions_, HasSubstr(kSummaryStart));
    versions_.push_back(Publish(0));
    ASSERT_FALSE(versions_.back().empty());
    const std::vector<std::string> args = {"--bundle", bundle_.string(), "--bundle_poll_interval",
                                           "100ms"};
    search_ = std::make_unique<ServiceProcess>("search-service", args, temp_.path() / "search.log");
    content_ =
        std::make_unique<ServiceProcess>("content-service", args, temp_.path() / "content.log");
    ASSERT_TRUE(search_->WaitUntilServing()) << search_->log();
    ASSERT_TRUE(content_->WaitUntilServing()) << content_->log();
    search_stub_ = v1::SearchService::NewStub(
        grpc::CreateChannel(search_->address(), grpc::InsecureChannelCredentials()));
    content_stub_ = v1::ContentService::NewStub(
        grpc::CreateChannel(content_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override { StopClients(); }

  // Publishes the sample corpus with "Revision N. " before the condition's
  // summary, with the real indexer; returns the version.
  std::string Publish(int revision) {
    WriteTextFile(corpus_ / "conditions.jsonl",
                  absl::StrReplaceAll(
                      conditions_,
                      {{kSummaryStart, absl::StrCat("Revision ", revision, ". ", kSummaryStart)}}));
    return PublishWithIndexer(corpus_, bundle_);
  }

  // Continuous Search and GetCondition calls on `threads` threads.
  void StartClients(int threads) {
    for (int i = 0; i < threads; ++i) {
      clients_.emplace_back([this] {
        while (!stop_.load()) {
          {
            grpc::ClientContext context;
            context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
            v1::SearchRequest request;
            request.set_query("muscle weakness in the thighs and shoulders");
            v1::SearchResponse response;
            const grpc::Status status = search_stub_->Search(&context, request, &response);
            if (!status.ok() || response.results().empty()) {
              seen_.Failed("Search", status);
            } else {
              seen_.Succeeded();
              seen_.Saw("search", BundleVersionHeader(context));
            }
          }
          {
            grpc::ClientContext context;
            context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
            v1::GetConditionRequest request;
            request.set_id(kConditionId);
            v1::Condition condition;
            const grpc::Status status = content_stub_->GetCondition(&context, request, &condition);
            if (!status.ok()) {
              seen_.Failed("GetCondition", status);
            } else {
              seen_.Succeeded();
              seen_.Saw("content", BundleVersionHeader(context));
              seen_.Saw("content text", absl::StrCat(RevisionOf(condition)));
            }
          }
        }
      });
    }
  }

  void StopClients() {
    stop_.store(true);
    for (std::thread& client : clients_) client.join();
    clients_.clear();
  }

  // Asserts that both services serve `version` (revision `revision`) within
  // kMaxSwitchDelay of `published`.
  void ExpectServedSoon(const std::string& version, int revision, absl::Time published) {
    for (const char* service : {"search", "content"}) {
      const std::optional<absl::Time> seen = seen_.WaitFor(service, version, absl::Seconds(15));
      ASSERT_TRUE(seen.has_value()) << service << " never served " << version;
      EXPECT_LE(*seen - published, kMaxSwitchDelay) << service << " served " << version << " late";
      slowest_switch_ = std::max(slowest_switch_, *seen - published);
    }
    EXPECT_TRUE(seen_.WaitFor("content text", absl::StrCat(revision), absl::Seconds(1)).has_value())
        << "content-service never returned the text of revision " << revision;
  }

  TempDir temp_;
  const fs::path corpus_ = temp_.path() / "corpus";
  const fs::path bundle_ = temp_.path() / "bundle";
  std::string conditions_;
  std::vector<std::string> versions_;
  std::unique_ptr<ServiceProcess> search_;
  std::unique_ptr<ServiceProcess> content_;
  std::unique_ptr<v1::SearchService::Stub> search_stub_;
  std::unique_ptr<v1::ContentService::Stub> content_stub_;
  Observations seen_;
  std::atomic<bool> stop_{false};
  absl::Duration slowest_switch_ = absl::ZeroDuration();
  std::vector<std::thread> clients_;
};

// Paths of the files a process holds open that were deleted.
std::vector<std::string> DeletedOpenFiles(pid_t pid) {
  std::vector<std::string> deleted;
  std::error_code error;
  for (const fs::directory_entry& fd :
       fs::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error)) {
    const std::string target = fs::read_symlink(fd.path(), error).string();
    if (absl::StrContains(target, "(deleted)")) deleted.push_back(target);
  }
  return deleted;
}

TEST_F(BundleSwapTest, TenRepublishesUnderLoadLoseNoCallAndAreServedWithinFiveSeconds) {
  StartClients(4);
  ExpectServedSoon(versions_.front(), 0, absl::Now());
  for (int revision = 1; revision <= 10; ++revision) {
    const std::string version = Publish(revision);
    const absl::Time published = absl::Now();
    ASSERT_FALSE(version.empty());
    versions_.push_back(version);
    ExpectServedSoon(version, revision, published);
  }
  StopClients();
  EXPECT_EQ(seen_.failure_count(), 0) << ::testing::PrintToString(seen_.failures());
  EXPECT_GT(seen_.calls(), 100);
  RecordProperty("calls", absl::StrCat(seen_.calls()));
  RecordProperty("slowest_switch_ms", absl::StrCat(absl::ToInt64Milliseconds(slowest_switch_)));

  const std::string label = absl::StrCat("version=\"", versions_.back(), "\"");
  EXPECT_EQ(MetricSample(search_->Metrics(), "healthsearch_bundle_info", {label}), 1);
  EXPECT_EQ(MetricSample(content_->Metrics(), "healthsearch_bundle_info", {label}), 1);
  for (ServiceProcess* service : {search_.get(), content_.get()}) {
    const std::string log = service->log();
    for (size_t i = 1; i < versions_.size(); ++i) {
      EXPECT_THAT(log, HasSubstr(absl::StrCat("\"event\":\"bundle_switched\",\"bundle_version\":\"",
                                              versions_[i], "\"")));
    }
    // The indexer deleted all but the last two versions: a service that
    // still held one open would keep its disk space.
    EXPECT_THAT(DeletedOpenFiles(service->process().pid()), ::testing::IsEmpty());
  }
}

TEST_F(BundleSwapTest, BrokenBundleKeepsThePreviousOneServing) {
  // A complete-looking version whose files are corrupt, published the way
  // the indexer publishes: a new symlink renamed over the old one.
  const fs::path good = fs::canonical(bundle_);
  const fs::path broken = good.parent_path() / "broken";
  fs::copy(good, broken, fs::copy_options::recursive);
  for (const fs::directory_entry& file : fs::directory_iterator(broken / kXapianDir)) {
    WriteTextFile(file.path(), "not an index");
  }
  WriteTextFile(broken / kRecordsFile, "not a database");
  StartClients(4);
  const fs::path link = bundle_.string() + ".broken-link";
  fs::create_directory_symlink(fs::path(good.parent_path().filename()) / "broken", link);
  fs::rename(link, bundle_);

  for (ServiceProcess* service : {search_.get(), content_.get()}) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!absl::StrContains(service->log(), "bundle_load_failed") && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_THAT(service->log(), HasSubstr("\"event\":\"bundle_load_failed\""));
  }
  absl::SleepFor(absl::Seconds(1));  // ten polls: the broken version is not retried
  for (ServiceProcess* service : {search_.get(), content_.get()}) {
    const std::string metrics = service->Metrics();
    EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_load_failures_total"), 1);
    EXPECT_EQ(MetricSample(metrics, "healthsearch_bundle_info",
                           {absl::StrCat("version=\"", versions_.front(), "\"")}),
              1);
  }
  EXPECT_EQ(seen_.failure_count(), 0) << ::testing::PrintToString(seen_.failures());

  // The next good publish is picked up.
  const std::string version = Publish(1);
  const absl::Time published = absl::Now();
  ExpectServedSoon(version, 1, published);
  StopClients();
  EXPECT_EQ(seen_.failure_count(), 0) << ::testing::PrintToString(seen_.failures());
}

// The indexer keeps only the version it publishes and the one it replaced,
// so a slow watcher can still be serving a version that is deleted: it must
// go on from the files it holds open, never opening them again.
TEST_F(BundleSwapTest, AServedVersionDeletedUnderTheServicesKeepsServing) {
  fs::remove_all(fs::canonical(bundle_));
  StartClients(8);
  absl::SleepFor(absl::Seconds(2));
  StopClients();
  EXPECT_EQ(seen_.failure_count(), 0) << ::testing::PrintToString(seen_.failures());
  EXPECT_GT(seen_.calls(), 16);
}

TEST_F(BundleSwapTest, PageTokenOfTheOldVersionIsRefusedClearly) {
  grpc::ClientContext list_context;
  v1::ListConditionsRequest list;
  list.set_page_size(5);
  v1::ListConditionsResponse first_page;
  ASSERT_TRUE(content_stub_->ListConditions(&list_context, list, &first_page).ok());
  ASSERT_FALSE(first_page.next_page_token().empty());

  grpc::ClientContext search_context;
  v1::SearchRequest search;
  search.set_query("muscle weakness");
  search.set_page_size(2);
  v1::SearchResponse first_results;
  ASSERT_TRUE(search_stub_->Search(&search_context, search, &first_results).ok());
  ASSERT_FALSE(first_results.next_page_token().empty());

  StartClients(1);
  const std::string version = Publish(1);
  ExpectServedSoon(version, 1, absl::Now());
  StopClients();

  grpc::ClientContext next_list_context;
  list.set_page_token(first_page.next_page_token());
  v1::ListConditionsResponse next_page;
  const grpc::Status list_status =
      content_stub_->ListConditions(&next_list_context, list, &next_page);
  EXPECT_EQ(list_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(list_status.error_message(), HasSubstr("older version of the index"));

  grpc::ClientContext next_search_context;
  search.set_page_token(first_results.next_page_token());
  v1::SearchResponse next_results;
  const grpc::Status search_status =
      search_stub_->Search(&next_search_context, search, &next_results);
  EXPECT_EQ(search_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(search_status.error_message(), HasSubstr("older version of the index"));
}

}  // namespace
}  // namespace healthsearch
