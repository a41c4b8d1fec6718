#include "common/bundle_watcher.h"

#include <absl/strings/str_cat.h>

#include <system_error>

#include "common/json_log.h"

namespace healthsearch {
namespace fs = std::filesystem;

BundleWatcher::BundleWatcher(fs::path bundle, fs::path served_dir, absl::Duration poll_interval,
                             SwitchFn switch_to, ServiceMetrics* metrics)
    : bundle_(std::move(bundle)),
      poll_interval_(poll_interval),
      switch_to_(std::move(switch_to)),
      metrics_(metrics),
      last_seen_(served_dir.string()),
      thread_([this] { Run(); }) {}

BundleWatcher::~BundleWatcher() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void BundleWatcher::Run() {
  const auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (mutex_.AwaitWithTimeout(absl::Condition(&stopping), poll_interval_)) return;
    }
    Poll();
  }
}

void BundleWatcher::Poll() {
  std::error_code error;
  const fs::path target = fs::canonical(bundle_, error);
  const std::string seen = error ? absl::StrCat("(", error.message(), ")") : target.string();
  if (seen == last_seen_) return;
  last_seen_ = seen;

  absl::StatusOr<BundleVersion> version = ResolveBundle(bundle_);
  absl::Status status = version.status();
  if (version.ok()) {
    // The symlink may have moved on since canonical(); remember what was tried.
    last_seen_ = version->dir.string();
    status = switch_to_(*version);
  }
  if (status.ok()) {
    if (metrics_ != nullptr) metrics_->SetBundle(version->manifest);
    LogLine("bundle_switched")
        .Add("bundle_version", version->manifest.version())
        .AddInteger("conditions", version->manifest.condition_count())
        .AddInteger("articles", version->manifest.article_count())
        .Write();
    return;
  }
  if (metrics_ != nullptr) metrics_->RecordBundleLoadFailure();
  LogLine("bundle_load_failed")
      .Add("bundle", bundle_.string())
      .Add("code", absl::StatusCodeToString(status.code()))
      .Add("error", status.message())
      .Add("action", "still serving the previous version")
      .Write();
}

}  // namespace healthsearch
