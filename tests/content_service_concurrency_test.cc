// Many clients at once against one in-process content-service over the
// MedQuAD bundle: every call succeeds and returns exactly the indexed records.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/corpus_reader.h"
#include "common/grpc_serving.h"
#include "content-service/content_service.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::MedquadCorpusDir;

constexpr int kClients = 16;
constexpr int kCallsPerClient = 2000;
constexpr int kMaxProblemsKept = 20;

// Records by id and the ids in the order List returns them.
template <typename Record>
struct Expected {
  std::map<std::string, Record> by_id;
  std::vector<std::string> sorted_ids;
};

template <typename Record>
Expected<Record> Index(const std::vector<Record>& records) {
  Expected<Record> expected;
  for (const Record& record : records) expected.by_id[record.id()] = record;
  for (const auto& [id, record] : expected.by_id) expected.sorted_ids.push_back(id);
  return expected;
}

class ContentServiceConcurrencyTest : public ::testing::Test {
 protected:
  // Building the MedQuAD bundle takes tens of seconds: once per binary.
  static void SetUpTestSuite() {
    const fs::path corpus_dir = MedquadCorpusDir();
    if (corpus_dir.empty()) return;
    absl::StatusOr<Corpus> corpus = LoadCorpus({corpus_dir}, {}, nullptr);
    ASSERT_THAT(corpus, IsOk());
    conditions_ = new Expected<v1::Condition>(Index(corpus->conditions));
    articles_ = new Expected<v1::Article>(Index(corpus->articles));
    absl::StatusOr<std::unique_ptr<ContentServiceImpl>> service =
        ContentServiceImpl::Open(::healthsearch::testing::SharedMedquadBundle());
    ASSERT_THAT(service, IsOk());
    service_ = service->release();
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start("127.0.0.1:0", {service_}, kContentServiceName);
    ASSERT_THAT(server, IsOk());
    server_ = server->release();
    address_ = new std::string(absl::StrCat("127.0.0.1:", server_->port()));
  }

  static void TearDownTestSuite() {
    delete server_;
    delete service_;
    delete articles_;
    delete conditions_;
    delete address_;
  }

  static Expected<v1::Condition>* conditions_;
  static Expected<v1::Article>* articles_;
  static ContentServiceImpl* service_;
  static GrpcServer* server_;
  static std::string* address_;
};

Expected<v1::Condition>* ContentServiceConcurrencyTest::conditions_ = nullptr;
Expected<v1::Article>* ContentServiceConcurrencyTest::articles_ = nullptr;
ContentServiceImpl* ContentServiceConcurrencyTest::service_ = nullptr;
GrpcServer* ContentServiceConcurrencyTest::server_ = nullptr;
std::string* ContentServiceConcurrencyTest::address_ = nullptr;

// Collects what went wrong across client threads.
class Problems {
 public:
  void Add(std::string problem) {
    absl::MutexLock lock(&mutex_);
    ++count_;
    if (kept_.size() < kMaxProblemsKept) kept_.push_back(std::move(problem));
  }
  int count() {
    absl::MutexLock lock(&mutex_);
    return count_;
  }
  std::vector<std::string> kept() {
    absl::MutexLock lock(&mutex_);
    return kept_;
  }

 private:
  absl::Mutex mutex_;
  int count_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::string> kept_ ABSL_GUARDED_BY(mutex_);
};

// One client's mixed workload; each response is checked against the corpus.
class Client {
 public:
  Client(int seed, std::shared_ptr<grpc::Channel> channel, const Expected<v1::Condition>& conditions,
         const Expected<v1::Article>& articles, Problems& problems)
      : random_(seed),
        stub_(v1::ContentService::NewStub(std::move(channel))),
        conditions_(conditions),
        articles_(articles),
        problems_(problems) {}

  void Run(int calls) {
    for (int i = 0; i < calls; ++i) {
      switch (Uniform(6)) {
        case 0: GetCondition(); break;
        case 1: GetArticle(); break;
        case 2: BatchGetConditions(); break;
        case 3: BatchGetArticles(); break;
        case 4: NextConditionsPage(); break;
        case 5: NextArticlesPage(); break;
      }
    }
  }

 private:
  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  template <typename Record>
  const std::string& RandomId(const Expected<Record>& expected) {
    return expected.sorted_ids[Uniform(static_cast<int>(expected.sorted_ids.size()))];
  }

  bool Check(const grpc::Status& status, absl::string_view call) {
    if (status.ok()) return true;
    problems_.Add(absl::StrCat(call, ": ", status.error_code(), " ", status.error_message()));
    return false;
  }

  template <typename Record>
  void Compare(const Record& actual, const Expected<Record>& expected, const std::string& id,
               absl::string_view call) {
    auto it = expected.by_id.find(id);
    if (it == expected.by_id.end() || actual.id() != id ||
        !MessageDifferencer::Equals(actual, it->second)) {
      problems_.Add(absl::StrCat(call, ": record for ", id, " differs from the corpus"));
    }
  }

  void GetCondition() {
    v1::GetConditionRequest request;
    request.set_id(RandomId(conditions_));
    v1::Condition response;
    grpc::ClientContext context;
    if (!Check(stub_->GetCondition(&context, request, &response), "GetCondition")) return;
    Compare(response, conditions_, request.id(), "GetCondition");
  }

  void GetArticle() {
    v1::GetArticleRequest request;
    request.set_id(RandomId(articles_));
    v1::Article response;
    grpc::ClientContext context;
    if (!Check(stub_->GetArticle(&context, request, &response), "GetArticle")) return;
    Compare(response, articles_, request.id(), "GetArticle");
  }

  void BatchGetConditions() {
    v1::BatchGetConditionsRequest request;
    for (int i = 1 + Uniform(20); i > 0; --i) request.add_ids(RandomId(conditions_));
    v1::BatchGetConditionsResponse response;
    grpc::ClientContext context;
    if (!Check(stub_->BatchGetConditions(&context, request, &response), "BatchGetConditions")) {
      return;
    }
    if (response.conditions_size() != request.ids_size()) {
      problems_.Add("BatchGetConditions: wrong number of records");
      return;
    }
    for (int i = 0; i < request.ids_size(); ++i) {
      Compare(response.conditions(i), conditions_, request.ids(i), "BatchGetConditions");
    }
  }

  void BatchGetArticles() {
    v1::BatchGetArticlesRequest request;
    for (int i = 1 + Uniform(20); i > 0; --i) request.add_ids(RandomId(articles_));
    v1::BatchGetArticlesResponse response;
    grpc::ClientContext context;
    if (!Check(stub_->BatchGetArticles(&context, request, &response), "BatchGetArticles")) return;
    if (response.articles_size() != request.ids_size()) {
      problems_.Add("BatchGetArticles: wrong number of records");
      return;
    }
    for (int i = 0; i < request.ids_size(); ++i) {
      Compare(response.articles(i), articles_, request.ids(i), "BatchGetArticles");
    }
  }

  // Each client pages through the whole list, page after page, and checks
  // that each page continues exactly where the previous one ended.
  template <typename Record, typename Request, typename Response>
  struct Paging {
    Request request;
    size_t position = 0;  // index into sorted_ids of the page's first record
  };

  template <typename Record, typename Response, typename Request, typename Call>
  void NextPage(Paging<Record, Request, Response>& paging, const Expected<Record>& expected,
                const google::protobuf::RepeatedPtrField<Record>& (Response::*records)() const,
                Call call, absl::string_view name) {
    paging.request.set_page_size(1 + Uniform(100));
    Response response;
    grpc::ClientContext context;
    if (!Check(call(&context, paging.request, &response), name)) return;
    const auto& page = (response.*records)();
    for (int i = 0; i < page.size(); ++i) {
      const size_t position = paging.position + i;
      if (position >= expected.sorted_ids.size()) {
        problems_.Add(absl::StrCat(name, ": more records than the corpus has"));
        return;
      }
      Compare(page[i], expected, expected.sorted_ids[position], name);
    }
    paging.position += page.size();
    if (response.next_page_token().empty()) {
      if (paging.position != expected.sorted_ids.size()) {
        problems_.Add(absl::StrCat(name, ": paging ended after ", paging.position, " records"));
      }
      paging = {};
    } else {
      paging.request.set_page_token(response.next_page_token());
    }
  }

  void NextConditionsPage() {
    NextPage(conditions_paging_, conditions_, &v1::ListConditionsResponse::conditions,
             [&](grpc::ClientContext* context, const v1::ListConditionsRequest& request,
                 v1::ListConditionsResponse* response) {
               return stub_->ListConditions(context, request, response);
             },
             "ListConditions");
  }

  void NextArticlesPage() {
    NextPage(articles_paging_, articles_, &v1::ListArticlesResponse::articles,
             [&](grpc::ClientContext* context, const v1::ListArticlesRequest& request,
                 v1::ListArticlesResponse* response) {
               return stub_->ListArticles(context, request, response);
             },
             "ListArticles");
  }

  std::mt19937 random_;
  std::unique_ptr<v1::ContentService::Stub> stub_;
  const Expected<v1::Condition>& conditions_;
  const Expected<v1::Article>& articles_;
  Problems& problems_;
  Paging<v1::Condition, v1::ListConditionsRequest, v1::ListConditionsResponse> conditions_paging_;
  Paging<v1::Article, v1::ListArticlesRequest, v1::ListArticlesResponse> articles_paging_;
};

// One test, so that the bundle is built once (ctest runs each test in its own process).
TEST_F(ContentServiceConcurrencyTest, ManyClientsGetExactlyTheIndexedRecords) {
  HEALTHSEARCH_REQUIRE_MEDQUAD(corpus_dir);
  ASSERT_NE(service_, nullptr);

  // Page sizes above 1,000 are clamped; only a corpus this large shows it
  // (not the slice the sanitizer builds read). A full page of MedQuAD
  // conditions is larger than gRPC's default 4 MiB client receive limit.
  if (!::healthsearch::testing::MedquadIsSliced()) {
    ASSERT_GT(conditions_->sorted_ids.size(), 1000u);
  }
  if (conditions_->sorted_ids.size() > 1000u) {
    grpc::ChannelArguments large_messages;
    large_messages.SetMaxReceiveMessageSize(64 << 20);
    auto stub = v1::ContentService::NewStub(grpc::CreateCustomChannel(
        *address_, grpc::InsecureChannelCredentials(), large_messages));
    v1::ListConditionsRequest clamped;
    clamped.set_page_size(5000);
    v1::ListConditionsResponse clamped_page;
    grpc::ClientContext clamped_context;
    const grpc::Status clamped_status =
        stub->ListConditions(&clamped_context, clamped, &clamped_page);
    ASSERT_TRUE(clamped_status.ok()) << clamped_status.error_message();
    EXPECT_EQ(clamped_page.conditions_size(), 1000);
    EXPECT_FALSE(clamped_page.next_page_token().empty());
    EXPECT_EQ(clamped_page.conditions(999).id(), conditions_->sorted_ids[999]);
  }

  Problems problems;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    // A channel per client, so calls travel over several connections.
    grpc::ChannelArguments arguments;
    arguments.SetInt("client_index", i);
    auto channel = grpc::CreateCustomChannel(*address_, grpc::InsecureChannelCredentials(),
                                             arguments);
    threads.emplace_back([&problems, channel, i] {
      Client(i, channel, *conditions_, *articles_, problems).Run(kCallsPerClient);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(problems.count(), 0) << ::testing::PrintToString(problems.kept());
}

}  // namespace
}  // namespace healthsearch
