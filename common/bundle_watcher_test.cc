#include "common/bundle_watcher.h"

#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kPoll = absl::Milliseconds(20);

// The layout BundleBuild::Publish leaves: OUT -> OUT.versions/VERSION.
class PublishedBundle {
 public:
  explicit PublishedBundle(const TempDir& temp) : out_(temp.path() / "bundle") {}

  fs::path AddVersion(const std::string& version, bool complete = true) {
    const fs::path dir = fs::path(out_.string() + ".versions") / version;
    fs::create_directories(dir / kXapianDir);
    WriteTextFile(dir / kRecordsFile, "");
    if (complete) {
      WriteTextFile(dir / kManifestFile,
                    absl::StrCat(R"({"formatVersion": )", kBundleFormatVersion,
                                 R"(, "version": ")", version, R"("})"));
    }
    return dir;
  }

  // Swaps the symlink the way the indexer does: a new link renamed over it.
  void Publish(const std::string& version) {
    const fs::path link = out_.string() + ".new";
    fs::remove(link);
    fs::create_directory_symlink(fs::path("bundle.versions") / version, link);
    fs::rename(link, out_);
  }

  const fs::path& out() const { return out_; }

 private:
  fs::path out_;
};

// Versions the watcher switched to, in order.
class Switches {
 public:
  absl::Status SwitchTo(const BundleVersion& version, absl::Status result) {
    absl::MutexLock lock(&mutex_);
    tried_.push_back(version.manifest.version());
    return result;
  }

  std::vector<std::string> WaitFor(size_t count, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mutex_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return tried_.size() >= count; };
    mutex_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return tried_;
  }

 private:
  absl::Mutex mutex_;
  std::vector<std::string> tried_ ABSL_GUARDED_BY(mutex_);
};

TEST(BundleWatcherTest, SwitchesToEachNewlyPublishedVersionOnce) {
  TempDir temp;
  PublishedBundle bundle(temp);
  const fs::path v1 = bundle.AddVersion("v1");
  bundle.AddVersion("v2");
  bundle.AddVersion("v3");
  bundle.Publish("v1");
  Switches switches;
  ServiceMetrics metrics;
  BundleWatcher watcher(
      bundle.out(), fs::canonical(v1), kPoll,
      [&](const BundleVersion& v) { return switches.SwitchTo(v, absl::OkStatus()); }, &metrics);
  absl::SleepFor(5 * kPoll);
  EXPECT_THAT(switches.WaitFor(0), ::testing::IsEmpty());
  bundle.Publish("v2");
  EXPECT_THAT(switches.WaitFor(1), ElementsAre("v2"));
  bundle.Publish("v3");
  EXPECT_THAT(switches.WaitFor(2), ElementsAre("v2", "v3"));
  absl::SleepFor(5 * kPoll);
  EXPECT_THAT(switches.WaitFor(2), ElementsAre("v2", "v3"));
  EXPECT_THAT(metrics.TextExposition(), HasSubstr("healthsearch_bundle_info{version=\"v3\"} 1"));
}

TEST(BundleWatcherTest, VersionThatFailsToOpenIsTriedOnceAndCounted) {
  TempDir temp;
  PublishedBundle bundle(temp);
  const fs::path v1 = bundle.AddVersion("v1");
  bundle.AddVersion("bad");
  bundle.AddVersion("v2");
  bundle.Publish("v1");
  Switches switches;
  ServiceMetrics metrics;
  metrics.SetBundle([] {
    bundle::Manifest m;
    m.set_version("v1");
    return m;
  }());
  BundleWatcher watcher(
      bundle.out(), fs::canonical(v1), kPoll,
      [&](const BundleVersion& v) {
        return switches.SwitchTo(v, v.manifest.version() == "bad"
                                        ? absl::FailedPreconditionError("corrupt")
                                        : absl::OkStatus());
      },
      &metrics);
  bundle.Publish("bad");
  EXPECT_THAT(switches.WaitFor(1), ElementsAre("bad"));
  absl::SleepFor(10 * kPoll);
  EXPECT_THAT(switches.WaitFor(1), ElementsAre("bad"));
  std::string text = metrics.TextExposition();
  EXPECT_THAT(text, HasSubstr("healthsearch_bundle_load_failures_total 1"));
  EXPECT_THAT(text, HasSubstr("healthsearch_bundle_info{version=\"v1\"} 1"));
  bundle.Publish("v2");
  EXPECT_THAT(switches.WaitFor(2), ElementsAre("bad", "v2"));
}

TEST(BundleWatcherTest, IncompleteVersionIsNotHandedOver) {
  TempDir temp;
  PublishedBundle bundle(temp);
  const fs::path v1 = bundle.AddVersion("v1");
  bundle.AddVersion("partial", /*complete=*/false);
  bundle.AddVersion("v2");
  bundle.Publish("v1");
  Switches switches;
  ServiceMetrics metrics;
  BundleWatcher watcher(
      bundle.out(), fs::canonical(v1), kPoll,
      [&](const BundleVersion& v) { return switches.SwitchTo(v, absl::OkStatus()); }, &metrics);
  bundle.Publish("partial");
  absl::SleepFor(10 * kPoll);
  EXPECT_THAT(metrics.TextExposition(), HasSubstr("healthsearch_bundle_load_failures_total 1"));
  bundle.Publish("v2");
  EXPECT_THAT(switches.WaitFor(1), ElementsAre("v2"));
}

}  // namespace
}  // namespace healthsearch
