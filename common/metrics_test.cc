#include "common/metrics.h"

#include <absl/strings/str_cat.h>
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// What a Prometheus server scraping 127.0.0.1:`port` receives, headers included.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

bundle::Manifest Manifest(const std::string& version, int conditions, int articles) {
  bundle::Manifest manifest;
  manifest.set_version(version);
  manifest.set_build_time("2020-01-01T00:00:00Z");
  manifest.set_condition_count(conditions);
  manifest.set_article_count(articles);
  return manifest;
}

TEST(ServiceMetricsTest, CountsCallsByServiceMethodAndCode) {
  ServiceMetrics metrics;
  metrics.RecordCall("healthsearch.v1.SearchService", "Search", absl::StatusCode::kOk,
                     absl::Milliseconds(2));
  metrics.RecordCall("healthsearch.v1.SearchService", "Search", absl::StatusCode::kOk,
                     absl::Milliseconds(3));
  metrics.RecordCall("healthsearch.v1.SearchService", "Search", absl::StatusCode::kDeadlineExceeded,
                     absl::Milliseconds(50));
  const std::string text = metrics.TextExposition();
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Search\","
                              "grpc_service=\"healthsearch.v1.SearchService\"} 2"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{grpc_code=\"DEADLINE_EXCEEDED\","
                              "grpc_method=\"Search\","
                              "grpc_service=\"healthsearch.v1.SearchService\"} 1"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{grpc_method=\"Search\","
                              "grpc_service=\"healthsearch.v1.SearchService\"} 3"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_bucket{grpc_method=\"Search\","
                              "grpc_service=\"healthsearch.v1.SearchService\",le=\"0.0025\"} 1"));
}

TEST(ServiceMetricsTest, ShowsOnlyTheBundleNowServed) {
  ServiceMetrics metrics;
  metrics.SetBundle(Manifest("v1", 94, 16));
  metrics.SetBundle(Manifest("v2", 95, 17));
  const std::string text = metrics.TextExposition();
  EXPECT_THAT(text, AllOf(HasSubstr("healthsearch_bundle_info{version=\"v2\"} 1"),
                          Not(HasSubstr("version=\"v1\"")),
                          HasSubstr("healthsearch_bundle_documents{type=\"condition\"} 95"),
                          HasSubstr("healthsearch_bundle_documents{type=\"article\"} 17")));
  // Built in 2020: years old, in seconds.
  const size_t age = text.find("\nhealthsearch_bundle_age_seconds ");
  ASSERT_NE(age, std::string::npos) << text;
  EXPECT_GT(std::stod(text.substr(age + 33)), 3 * 365 * 24 * 3600.0);
}

TEST(ServiceMetricsTest, HistogramOfSearchResultCountsSeparatesZero) {
  ServiceMetrics metrics;
  metrics.RecordSearchResultCount(0);
  metrics.RecordSearchResultCount(7);
  const std::string text = metrics.TextExposition();
  EXPECT_THAT(text, HasSubstr("healthsearch_search_result_count_bucket{le=\"0\"} 1"));
  EXPECT_THAT(text, HasSubstr("healthsearch_search_result_count_bucket{le=\"10\"} 2"));
  EXPECT_THAT(text, HasSubstr("healthsearch_search_result_count_sum 7"));
}

TEST(ServiceMetricsTest, ServesTheTextFormatOverHttp) {
  ServiceMetrics metrics;
  ASSERT_THAT(metrics.ServeHttp("127.0.0.1:0"), IsOk());
  ASSERT_GT(metrics.http_port(), 0);
  metrics.SetBundle(Manifest("v7", 1, 2));
  metrics.RecordBundleLoadFailure();
  const std::string response = HttpGet(metrics.http_port(), "/metrics");
  EXPECT_THAT(response, AllOf(HasSubstr("200 OK"), HasSubstr("text/plain"),
                              HasSubstr("healthsearch_bundle_info{version=\"v7\"} 1"),
                              HasSubstr("healthsearch_bundle_load_failures_total 1"),
                              HasSubstr("healthsearch_bundle_age_seconds ")));
}

TEST(ServiceMetricsTest, BusyPortIsUnavailable) {
  ServiceMetrics first;
  ASSERT_THAT(first.ServeHttp("127.0.0.1:0"), IsOk());
  ServiceMetrics second;
  EXPECT_EQ(second.ServeHttp(absl::StrCat("127.0.0.1:", first.http_port())).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace healthsearch
