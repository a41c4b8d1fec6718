// Follows the published bundle symlink: every poll interval it resolves the
// path, and when it names a version other than the one last tried, hands that
// version to a callback that opens it fully and starts serving it.
#ifndef HEALTHSEARCH_COMMON_BUNDLE_WATCHER_H_
#define HEALTHSEARCH_COMMON_BUNDLE_WATCHER_H_

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "common/bundle.h"
#include "common/metrics.h"

namespace healthsearch {

class BundleWatcher {
 public:
  // Opens `version` and serves it from now on; on failure the version served
  // so far must stay in service.
  using SwitchFn = std::function<absl::Status(const BundleVersion& version)>;

  // Watches `bundle` (the published symlink), starting from `served_dir`, the
  // resolved directory of the version already served. A version that fails
  // to open is logged, counted in `metrics` (may be null) and not tried again
  // until the symlink names another version. Polls on a thread of its own
  // until destruction.
  BundleWatcher(std::filesystem::path bundle, std::filesystem::path served_dir,
                absl::Duration poll_interval, SwitchFn switch_to, ServiceMetrics* metrics);
  ~BundleWatcher();
  BundleWatcher(const BundleWatcher&) = delete;
  BundleWatcher& operator=(const BundleWatcher&) = delete;

 private:
  void Run();
  void Poll();

  const std::filesystem::path bundle_;
  const absl::Duration poll_interval_;
  const SwitchFn switch_to_;
  ServiceMetrics* const metrics_;
  // What the symlink named at the last poll (a directory, or why there was none).
  std::string last_seen_;

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_BUNDLE_WATCHER_H_
