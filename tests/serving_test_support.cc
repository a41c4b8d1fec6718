#include "tests/serving_test_support.h"

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/grpc_test_support.h"
#include "testing/test_support.h"

namespace healthsearch::testing {

namespace fs = std::filesystem;

std::string ReadTextFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

double MetricSample(const std::string& exposition, const std::string& name,
                    const std::vector<std::string>& labels) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, name)) continue;
    const absl::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    bool all = true;
    for (const std::string& label : labels) all = all && absl::StrContains(rest, label);
    double value = 0;
    if (all && absl::SimpleAtod(rest.substr(rest.rfind(' ') + 1), &value)) sum += value;
  }
  return sum;
}

std::string PublishWithIndexer(const fs::path& corpus_dir, const fs::path& out) {
  std::string output;
  const int exit_code = RunProgram(
      BinaryDir() / "indexer", {"--corpus", corpus_dir.string(), "--out", out.string()}, &output);
  if (exit_code != 0) {
    ADD_FAILURE() << "indexer exited with " << exit_code << ":\n" << output;
    return "";
  }
  return fs::read_symlink(out).filename().string();
}

ServiceProcess::ServiceProcess(const std::string& binary_name, std::vector<std::string> args,
                               const fs::path& log_path)
    : log_path_(log_path),
      address_(absl::StrCat("127.0.0.1:", PickUnusedPort())),
      metrics_port_(PickUnusedPort()) {
  args.insert(args.end(), {"--listen", address_, "--metrics_listen",
                           absl::StrCat("127.0.0.1:", metrics_port_), "--drain_period", "0s"});
  process_ = std::make_unique<Subprocess>(BinaryDir() / binary_name, args, log_path_);
}

bool ServiceProcess::WaitUntilServing(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (absl::StrContains(log(), "\"event\":\"serving\"")) return true;
    if (process_->Poll().has_value()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace healthsearch::testing
