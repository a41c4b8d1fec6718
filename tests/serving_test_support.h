// What the serving tests share: the services run as real processes on free
// loopback ports, their JSON logs, /metrics scrapes, and bundles published
// by the real indexer.
#ifndef HEALTHSEARCH_TESTS_SERVING_TEST_SUPPORT_H_
#define HEALTHSEARCH_TESTS_SERVING_TEST_SUPPORT_H_

#include <absl/time/time.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testing/subprocess.h"

namespace healthsearch::testing {

std::string ReadTextFile(const std::filesystem::path& path);

// The body of GET http://127.0.0.1:`port``path`; empty when it fails.
std::string HttpGet(int port, const std::string& path);

// The sum of the samples of metric `name` in a text exposition whose labels
// include every `label="value"` in `labels`; 0 when there is none.
double MetricSample(const std::string& exposition, const std::string& name,
                    const std::vector<std::string>& labels = {});

// Runs the indexer binary on `corpus_dir`, publishing at `out`; returns the
// version it published (empty, with the output in a test failure, if it failed).
std::string PublishWithIndexer(const std::filesystem::path& corpus_dir,
                               const std::filesystem::path& out);

// search-service or content-service, started with `args` plus --listen and
// --metrics_listen on free loopback ports; its stderr goes to `log_path`.
class ServiceProcess {
 public:
  ServiceProcess(const std::string& binary_name, std::vector<std::string> args,
                 const std::filesystem::path& log_path);

  // Waits for the "serving" log line; false if the process exits or the line
  // does not come within `timeout`.
  bool WaitUntilServing(absl::Duration timeout = absl::Seconds(30));

  const std::string& address() const { return address_; }
  int metrics_port() const { return metrics_port_; }
  std::string log() const { return ReadTextFile(log_path_); }
  std::string Metrics() const { return HttpGet(metrics_port_, "/metrics"); }
  Subprocess& process() { return *process_; }

 private:
  std::filesystem::path log_path_;
  std::string address_;
  int metrics_port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace healthsearch::testing

#endif  // HEALTHSEARCH_TESTS_SERVING_TEST_SUPPORT_H_
