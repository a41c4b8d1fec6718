#include "common/metrics.h"

#include <absl/base/thread_annotations.h>
#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>
#include <vector>

namespace healthsearch {
namespace {

// Seconds; a search or a record read usually takes about a millisecond.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Zero matters most: queries the portal could not answer.
const prometheus::Histogram::BucketBoundaries kResultCountBuckets = {0,  1,   2,   5,   10,   20,
                                                                     50, 100, 200, 500, 1000, 5000};

// The age of the served bundle, computed at each scrape.
class BundleAge final : public prometheus::Collectable {
 public:
  void Set(absl::Time build_time) {
    absl::MutexLock lock(&mutex_);
    build_time_ = build_time;
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mutex_);
    if (build_time_ == absl::InfinitePast()) return {};
    prometheus::ClientMetric age;
    age.gauge.value = absl::ToDoubleSeconds(absl::Now() - build_time_);
    return {prometheus::MetricFamily{
        .name = "healthsearch_bundle_age_seconds",
        .help = "Seconds since the indexer built the bundle version being served",
        .type = prometheus::MetricType::Gauge,
        .metric = {age}}};
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time build_time_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace

class ServiceMetrics::Impl {
 public:
  Impl()
      : registry_(std::make_shared<prometheus::Registry>()),
        bundle_age_(std::make_shared<BundleAge>()),
        handled_(prometheus::BuildCounter()
                     .Name("grpc_server_handled_total")
                     .Help("RPCs completed on the server, by status code")
                     .Register(*registry_)),
        handling_seconds_(prometheus::BuildHistogram()
                              .Name("grpc_server_handling_seconds")
                              .Help("Time from receiving an RPC to finishing it")
                              .Register(*registry_)),
        bundle_info_(prometheus::BuildGauge()
                         .Name("healthsearch_bundle_info")
                         .Help("1 for the bundle version being served")
                         .Register(*registry_)),
        documents_(prometheus::BuildGauge()
                       .Name("healthsearch_bundle_documents")
                       .Help("Records in the bundle version being served")
                       .Register(*registry_)),
        load_failures_(prometheus::BuildCounter()
                           .Name("healthsearch_bundle_load_failures_total")
                           .Help("Published bundle versions that could not be opened")
                           .Register(*registry_)
                           .Add({})),
        result_counts_(prometheus::BuildHistogram()
                           .Name("healthsearch_search_result_count")
                           .Help("Matching records (total_size) per answered Search")
                           .Register(*registry_)
                           .Add({}, kResultCountBuckets)) {}

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<BundleAge> bundle_age_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  prometheus::Family<prometheus::Gauge>& bundle_info_;
  prometheus::Family<prometheus::Gauge>& documents_;
  prometheus::Counter& load_failures_;
  prometheus::Histogram& result_counts_;

  absl::Mutex bundle_mutex_;
  prometheus::Gauge* current_bundle_info_ ABSL_GUARDED_BY(bundle_mutex_) = nullptr;

  std::unique_ptr<prometheus::Exposer> exposer_;
};

ServiceMetrics::ServiceMetrics() : impl_(std::make_unique<Impl>()) {}

ServiceMetrics::~ServiceMetrics() = default;

absl::Status ServiceMetrics::ServeHttp(const std::string& address) {
  try {
    impl_->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  impl_->exposer_->RegisterCollectable(impl_->registry_);
  impl_->exposer_->RegisterCollectable(impl_->bundle_age_);
  return absl::OkStatus();
}

int ServiceMetrics::http_port() const {
  if (impl_->exposer_ == nullptr) return 0;
  const std::vector<int> ports = impl_->exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void ServiceMetrics::RecordCall(absl::string_view service, absl::string_view method,
                                absl::StatusCode code, absl::Duration latency) {
  const std::string service_label(service);
  const std::string method_label(method);
  impl_->handled_
      .Add({{"grpc_service", service_label},
            {"grpc_method", method_label},
            {"grpc_code", absl::StatusCodeToString(code)}})
      .Increment();
  impl_->handling_seconds_
      .Add({{"grpc_service", service_label}, {"grpc_method", method_label}}, kLatencyBuckets)
      .Observe(absl::ToDoubleSeconds(latency));
}

void ServiceMetrics::RecordSearchResultCount(int64_t total_size) {
  impl_->result_counts_.Observe(static_cast<double>(total_size));
}

void ServiceMetrics::SetBundle(const bundle::Manifest& manifest) {
  {
    absl::MutexLock lock(&impl_->bundle_mutex_);
    if (impl_->current_bundle_info_ != nullptr) {
      impl_->bundle_info_.Remove(impl_->current_bundle_info_);
    }
    impl_->current_bundle_info_ = &impl_->bundle_info_.Add({{"version", manifest.version()}});
    impl_->current_bundle_info_->Set(1);
  }
  impl_->documents_.Add({{"type", "condition"}})
      .Set(static_cast<double>(manifest.condition_count()));
  impl_->documents_.Add({{"type", "article"}}).Set(static_cast<double>(manifest.article_count()));
  absl::Time build_time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, manifest.build_time(), &build_time, &error)) {
    impl_->bundle_age_->Set(build_time);
  }
}

void ServiceMetrics::RecordBundleLoadFailure() { impl_->load_failures_.Increment(); }

std::string ServiceMetrics::TextExposition() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry_->Collect();
  for (prometheus::MetricFamily& family : impl_->bundle_age_->Collect()) {
    families.push_back(std::move(family));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace healthsearch
