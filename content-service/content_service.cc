#include "content-service/content_service.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/synchronization/mutex.h>

#include "common/bundle.h"
#include "common/grpc_serving.h"
#include "common/object_pool.h"
#include "common/page_token.h"
#include "common/record_store.h"

namespace healthsearch {
namespace {

using google::protobuf::RepeatedPtrField;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr int kMaxBatchSize = 1000;

template <typename Record>
using Getter = absl::StatusOr<Record> (RecordStoreReader::*)(const std::string&);
template <typename Record>
using Lister = absl::StatusOr<std::vector<Record>> (RecordStoreReader::*)(const ListFilter&,
                                                                          const std::string&,
                                                                          int);

absl::Status CheckId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("id must not be empty");
  return absl::OkStatus();
}

template <typename Record>
absl::Status Get(RecordStoreReader& store, Getter<Record> get, const std::string& id,
                 Record* response) {
  if (absl::Status s = CheckId(id); !s.ok()) return s;
  absl::StatusOr<Record> record = (store.*get)(id);
  if (!record.ok()) return record.status();
  *response = *std::move(record);
  return absl::OkStatus();
}

// All or nothing: NOT_FOUND lists every unknown id, in request order.
template <typename Record>
absl::Status BatchGet(RecordStoreReader& store, Getter<Record> get, const char* record_type,
                      const RepeatedPtrField<std::string>& ids, RepeatedPtrField<Record>* out) {
  if (ids.size() > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxBatchSize, " ids per call; got ", ids.size()));
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) return absl::InvalidArgumentError(absl::StrCat("ids[", i, "] is empty"));
  }
  std::vector<std::string> unknown;
  out->Reserve(ids.size());
  for (const std::string& id : ids) {
    absl::StatusOr<Record> record = (store.*get)(id);
    if (absl::IsNotFound(record.status())) {
      if (std::find(unknown.begin(), unknown.end(), id) == unknown.end()) unknown.push_back(id);
      continue;
    }
    if (!record.ok()) return record.status();
    if (unknown.empty()) *out->Add() = *std::move(record);
  }
  if (!unknown.empty()) {
    out->Clear();
    return absl::NotFoundError(absl::StrCat(
        "no ", record_type, " with id", unknown.size() == 1 ? " " : "s ", "\"",
        absl::StrJoin(unknown, "\", \""), "\""));
  }
  return absl::OkStatus();
}

// Keyset paging in id order. The token is bound to the bundle version and to
// `request` minus its page_size and page_token.
template <typename Request, typename Record>
absl::Status List(RecordStoreReader& store, Lister<Record> list,
                  const std::string& bundle_version, const Request& request,
                  const ListFilter& filter, RepeatedPtrField<Record>* out,
                  std::string* next_page_token) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must not be negative; got ", request.page_size()));
  }
  const int page_size =
      request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  Request query = request;
  query.clear_page_size();
  query.clear_page_token();
  PageCursor cursor;
  if (!request.page_token().empty()) {
    absl::StatusOr<PageCursor> decoded =
        DecodePageToken(request.page_token(), bundle_version, query);
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }
  absl::StatusOr<std::vector<Record>> records =
      (store.*list)(filter, cursor.after_id, page_size + 1);
  if (!records.ok()) return records.status();
  if (records->size() > static_cast<size_t>(page_size)) {
    records->resize(page_size);
    *next_page_token =
        EncodePageToken(bundle_version, query, PageCursor{.after_id = records->back().id()});
  }
  out->Reserve(static_cast<int>(records->size()));
  for (Record& record : *records) *out->Add() = std::move(record);
  return absl::OkStatus();
}

}  // namespace

struct ContentServiceImpl::Served {
  explicit Served(const std::filesystem::path& records_path)
      : readers([records_path]() -> absl::StatusOr<std::unique_ptr<RecordStoreReader>> {
          absl::StatusOr<RecordStoreReader> reader = RecordStoreReader::Open(records_path);
          if (!reader.ok()) {
            return absl::UnavailableError(absl::StrCat(
                "cannot open another record store connection: ", reader.status().message()));
          }
          return std::make_unique<RecordStoreReader>(*std::move(reader));
        }) {}

  bundle::Manifest manifest;
  // Read-only connections to the store, each used by one call at a time.
  mutable ObjectPool<RecordStoreReader> readers;
};

absl::StatusOr<std::shared_ptr<const ContentServiceImpl::Served>> ContentServiceImpl::OpenVersion(
    const BundleVersion& version) {
  absl::StatusOr<RecordStoreReader> reader = RecordStoreReader::Open(version.records_path());
  if (!reader.ok()) {
    return absl::FailedPreconditionError(reader.status().message());
  }
  auto served = std::make_shared<Served>(version.records_path());
  served->manifest = version.manifest;
  served->readers.AddIdle(std::make_unique<RecordStoreReader>(*std::move(reader)));
  return served;
}

absl::StatusOr<std::unique_ptr<ContentServiceImpl>> ContentServiceImpl::Open(
    const std::filesystem::path& bundle, TelemetryOptions telemetry) {
  absl::StatusOr<BundleVersion> version = ResolveBundle(bundle);
  if (!version.ok()) return version.status();
  absl::StatusOr<std::shared_ptr<const Served>> served = OpenVersion(*version);
  if (!served.ok()) return served.status();
  return std::unique_ptr<ContentServiceImpl>(
      new ContentServiceImpl(*std::move(served), telemetry));
}

ContentServiceImpl::ContentServiceImpl(std::shared_ptr<const Served> served,
                                       TelemetryOptions telemetry)
    : telemetry_(kContentServiceName, telemetry), served_(std::move(served)) {}

ContentServiceImpl::~ContentServiceImpl() = default;

absl::Status ContentServiceImpl::SwitchTo(const BundleVersion& version) {
  absl::StatusOr<std::shared_ptr<const Served>> served = OpenVersion(version);
  if (!served.ok()) return served.status();
  {
    absl::MutexLock lock(&mutex_);
    served_.swap(*served);
  }
  // Our reference to the previous version goes here, outside the lock.
  return absl::OkStatus();
}

std::shared_ptr<const ContentServiceImpl::Served> ContentServiceImpl::current() const {
  absl::MutexLock lock(&mutex_);
  return served_;
}

bundle::Manifest ContentServiceImpl::manifest() const { return current()->manifest; }

grpc::ServerUnaryReactor* ContentServiceImpl::Serve(
    grpc::CallbackServerContext* context, absl::string_view method,
    const google::protobuf::Message& request,
    absl::FunctionRef<absl::Status(RecordStoreReader&, const bundle::Manifest&, int64_t*)> read) {
  CallTelemetry::Call call = telemetry_.Begin(context, method);
  call.SetRequest(request);
  const std::shared_ptr<const Served> served = current();
  call.SetBundleVersion(served->manifest.version());
  if (absl::Status wanted = call.CheckStillWanted(); !wanted.ok()) return call.Finish(wanted);
  absl::Status status;
  absl::StatusOr<ObjectPool<RecordStoreReader>::Lease> reader = served->readers.Acquire();
  if (reader.ok()) {
    int64_t result_count = 0;
    status = read(**reader, served->manifest, &result_count);
    if (status.ok()) call.SetResultCount(result_count);
  } else {
    status = reader.status();
  }
  return call.Finish(status);
}

grpc::ServerUnaryReactor* ContentServiceImpl::GetCondition(
    grpc::CallbackServerContext* context, const v1::GetConditionRequest* request,
    v1::Condition* response) {
  return Serve(context, "GetCondition", *request,
               [&](RecordStoreReader& store, const bundle::Manifest&, int64_t* count) {
                 *count = 1;
                 return Get(store, &RecordStoreReader::GetCondition, request->id(), response);
               });
}

grpc::ServerUnaryReactor* ContentServiceImpl::GetArticle(grpc::CallbackServerContext* context,
                                                         const v1::GetArticleRequest* request,
                                                         v1::Article* response) {
  return Serve(context, "GetArticle", *request,
               [&](RecordStoreReader& store, const bundle::Manifest&, int64_t* count) {
                 *count = 1;
                 return Get(store, &RecordStoreReader::GetArticle, request->id(), response);
               });
}

grpc::ServerUnaryReactor* ContentServiceImpl::BatchGetConditions(
    grpc::CallbackServerContext* context, const v1::BatchGetConditionsRequest* request,
    v1::BatchGetConditionsResponse* response) {
  return Serve(context, "BatchGetConditions", *request,
               [&](RecordStoreReader& store, const bundle::Manifest&, int64_t* count) {
                 const absl::Status status =
                     BatchGet(store, &RecordStoreReader::GetCondition, "condition",
                              request->ids(), response->mutable_conditions());
                 *count = response->conditions_size();
                 return status;
               });
}

grpc::ServerUnaryReactor* ContentServiceImpl::BatchGetArticles(
    grpc::CallbackServerContext* context, const v1::BatchGetArticlesRequest* request,
    v1::BatchGetArticlesResponse* response) {
  return Serve(context, "BatchGetArticles", *request,
               [&](RecordStoreReader& store, const bundle::Manifest&, int64_t* count) {
                 const absl::Status status =
                     BatchGet(store, &RecordStoreReader::GetArticle, "article", request->ids(),
                              response->mutable_articles());
                 *count = response->articles_size();
                 return status;
               });
}

grpc::ServerUnaryReactor* ContentServiceImpl::ListConditions(
    grpc::CallbackServerContext* context, const v1::ListConditionsRequest* request,
    v1::ListConditionsResponse* response) {
  return Serve(context, "ListConditions", *request,
               [&](RecordStoreReader& store, const bundle::Manifest& manifest, int64_t* count) {
                 const ListFilter filter = {.category = request->category(),
                                            .source = request->source(),
                                            .code = request->code()};
                 const absl::Status status =
                     List(store, &RecordStoreReader::ListConditions, manifest.version(),
                          *request, filter, response->mutable_conditions(),
                          response->mutable_next_page_token());
                 *count = response->conditions_size();
                 return status;
               });
}

grpc::ServerUnaryReactor* ContentServiceImpl::ListArticles(grpc::CallbackServerContext* context,
                                                           const v1::ListArticlesRequest* request,
                                                           v1::ListArticlesResponse* response) {
  return Serve(context, "ListArticles", *request,
               [&](RecordStoreReader& store, const bundle::Manifest& manifest, int64_t* count) {
                 const ListFilter filter = {.source = request->source(),
                                            .condition_id = request->condition_id(),
                                            .tag = request->tag()};
                 const absl::Status status =
                     List(store, &RecordStoreReader::ListArticles, manifest.version(), *request,
                          filter, response->mutable_articles(),
                          response->mutable_next_page_token());
                 *count = response->articles_size();
                 return status;
               });
}

}  // namespace healthsearch
