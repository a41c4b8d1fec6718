#include "content-service/content_service.h"

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/grpc_serving.h"
#include "common/record_store.h"
#include "indexer/index_builder.h"
#include "testing/grpc_test_support.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

MATCHER_P2(GrpcStatusIs, code, message_matcher, "") {
  *result_listener << "status is " << arg.error_code() << ": " << arg.error_message();
  return arg.error_code() == code &&
         ::testing::Matches(message_matcher)(arg.error_message());
}

MATCHER(GrpcOk, "is OK") {
  *result_listener << "status is " << arg.error_code() << ": " << arg.error_message();
  return arg.ok();
}

MATCHER_P(EqualsProto, expected, "") {
  return MessageDifferencer::Equals(arg, expected);
}

// grpc.health.v1.Health/Check; 1 is SERVING. No generated health stub is
// installed, and the request ({string service = 1}) and response
// ({ServingStatus status = 1}) have the wire format of StringValue and Int32Value.
fs::path BuildSampleBundle(const fs::path& out) {
  std::vector<std::string> problems;
  absl::StatusOr<bundle::Manifest> manifest =
      BuildBundle({.corpus_dirs = {SampleCorpusDir()}, .out = out}, &problems);
  EXPECT_THAT(manifest, IsOk());
  return out;
}

// One server over the sample bundle for the whole suite.
class ContentServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir;
    absl::StatusOr<Corpus> corpus = LoadCorpus({SampleCorpusDir()}, {}, nullptr);
    ASSERT_THAT(corpus, IsOk());
    corpus_ = new Corpus(*std::move(corpus));
    bundle_ = new fs::path(BuildSampleBundle(temp_->path() / "bundle"));
    absl::StatusOr<std::unique_ptr<ContentServiceImpl>> service =
        ContentServiceImpl::Open(*bundle_);
    ASSERT_THAT(service, IsOk());
    service_ = service->release();
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start("127.0.0.1:0", {service_}, kContentServiceName);
    ASSERT_THAT(server, IsOk());
    server_ = server->release();
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    stub_ = v1::ContentService::NewStub(*channel_).release();
  }

  static void TearDownTestSuite() {
    delete stub_;
    delete channel_;
    delete server_;
    delete service_;
    delete bundle_;
    delete corpus_;
    delete temp_;
  }

  v1::ContentService::Stub& stub() { return *stub_; }

  static const v1::Condition& CorpusCondition(const std::string& id) {
    for (const v1::Condition& condition : corpus_->conditions) {
      if (condition.id() == id) return condition;
    }
    ADD_FAILURE() << "no condition " << id << " in the sample corpus";
    return v1::Condition::default_instance();
  }

  static const v1::Article& CorpusArticle(const std::string& id) {
    for (const v1::Article& article : corpus_->articles) {
      if (article.id() == id) return article;
    }
    ADD_FAILURE() << "no article " << id << " in the sample corpus";
    return v1::Article::default_instance();
  }

  // Every page of `request` until next_page_token is empty.
  std::vector<v1::Condition> ListAllConditions(v1::ListConditionsRequest request) {
    std::vector<v1::Condition> all;
    for (int pages = 0; pages < 1000; ++pages) {
      v1::ListConditionsResponse response;
      grpc::ClientContext context;
      grpc::Status status = stub().ListConditions(&context, request, &response);
      EXPECT_THAT(status, GrpcOk());
      if (!status.ok()) break;
      all.insert(all.end(), response.conditions().begin(), response.conditions().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  std::vector<v1::Article> ListAllArticles(v1::ListArticlesRequest request) {
    std::vector<v1::Article> all;
    for (int pages = 0; pages < 1000; ++pages) {
      v1::ListArticlesResponse response;
      grpc::ClientContext context;
      grpc::Status status = stub().ListArticles(&context, request, &response);
      EXPECT_THAT(status, GrpcOk());
      if (!status.ok()) break;
      all.insert(all.end(), response.articles().begin(), response.articles().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  template <typename Record>
  static std::vector<std::string> Ids(const std::vector<Record>& records) {
    std::vector<std::string> ids;
    for (const Record& record : records) ids.push_back(record.id());
    return ids;
  }

  static TempDir* temp_;
  static Corpus* corpus_;
  static fs::path* bundle_;
  static ContentServiceImpl* service_;
  static GrpcServer* server_;
  static std::shared_ptr<grpc::Channel>* channel_;
  static v1::ContentService::Stub* stub_;
};

TempDir* ContentServiceTest::temp_ = nullptr;
Corpus* ContentServiceTest::corpus_ = nullptr;
fs::path* ContentServiceTest::bundle_ = nullptr;
ContentServiceImpl* ContentServiceTest::service_ = nullptr;
GrpcServer* ContentServiceTest::server_ = nullptr;
std::shared_ptr<grpc::Channel>* ContentServiceTest::channel_ = nullptr;
v1::ContentService::Stub* ContentServiceTest::stub_ = nullptr;

TEST_F(ContentServiceTest, HealthReportsServingForTheServiceAndTheServer) {
  for (const std::string& name : {std::string(kContentServiceName), std::string()}) {
    absl::StatusOr<::healthsearch::testing::HealthStatus> health =
        ::healthsearch::testing::CheckHealth(*channel_, name);
    ASSERT_THAT(health, IsOk()) << name;
    EXPECT_EQ(*health, grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }
}

TEST_F(ContentServiceTest, ManifestIsTheServedBundles) {
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(*bundle_);
  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(service_->manifest().version(), bundle->manifest.version());
  EXPECT_EQ(service_->manifest().condition_count(), 94);
  EXPECT_EQ(service_->manifest().article_count(), 16);
}

TEST_F(ContentServiceTest, GetReturnsEveryRecordExactlyAsIndexed) {
  for (const v1::Condition& expected : corpus_->conditions) {
    v1::GetConditionRequest request;
    request.set_id(expected.id());
    v1::Condition condition;
    grpc::ClientContext context;
    ASSERT_THAT(stub().GetCondition(&context, request, &condition), GrpcOk()) << expected.id();
    EXPECT_THAT(condition, EqualsProto(expected));
  }
  for (const v1::Article& expected : corpus_->articles) {
    v1::GetArticleRequest request;
    request.set_id(expected.id());
    v1::Article article;
    grpc::ClientContext context;
    ASSERT_THAT(stub().GetArticle(&context, request, &article), GrpcOk()) << expected.id();
    EXPECT_THAT(article, EqualsProto(expected));
  }
}

TEST_F(ContentServiceTest, GetOfAnUnknownIdIsNotFoundNamingIt) {
  v1::GetConditionRequest condition_request;
  condition_request.set_id("no-such-condition");
  v1::Condition condition;
  grpc::ClientContext condition_context;
  EXPECT_THAT(stub().GetCondition(&condition_context, condition_request, &condition),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("\"no-such-condition\"")));

  // An article id is not a condition id, and the other way round.
  condition_request.set_id("article-cold-vs-flu");
  grpc::ClientContext cross_context;
  EXPECT_THAT(stub().GetCondition(&cross_context, condition_request, &condition),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("article-cold-vs-flu")));

  v1::GetArticleRequest article_request;
  article_request.set_id("polymyositis");
  v1::Article article;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().GetArticle(&article_context, article_request, &article),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("\"polymyositis\"")));
}

TEST_F(ContentServiceTest, GetWithAnEmptyIdIsInvalidArgument) {
  v1::Condition condition;
  grpc::ClientContext condition_context;
  EXPECT_THAT(stub().GetCondition(&condition_context, {}, &condition),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("id")));
  v1::Article article;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().GetArticle(&article_context, {}, &article),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("id")));
}

TEST_F(ContentServiceTest, BatchGetReturnsRecordsInRequestOrder) {
  v1::BatchGetConditionsRequest request;
  for (const char* id : {"common-cold", "polymyositis", "acne", "common-cold"}) {
    request.add_ids(id);
  }
  v1::BatchGetConditionsResponse response;
  grpc::ClientContext context;
  ASSERT_THAT(stub().BatchGetConditions(&context, request, &response), GrpcOk());
  ASSERT_THAT(response.conditions(), SizeIs(4));
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(response.conditions(i), EqualsProto(CorpusCondition(request.ids(i))));
  }

  v1::BatchGetArticlesRequest article_request;
  article_request.add_ids("article-heartburn-or-heart");
  article_request.add_ids("article-autoimmune-muscle-cramps");
  v1::BatchGetArticlesResponse article_response;
  grpc::ClientContext article_context;
  ASSERT_THAT(stub().BatchGetArticles(&article_context, article_request, &article_response),
              GrpcOk());
  ASSERT_THAT(article_response.articles(), SizeIs(2));
  EXPECT_THAT(article_response.articles(0), EqualsProto(CorpusArticle("article-heartburn-or-heart")));
  EXPECT_THAT(article_response.articles(1),
              EqualsProto(CorpusArticle("article-autoimmune-muscle-cramps")));
}

TEST_F(ContentServiceTest, BatchGetWithUnknownIdsIsNotFoundListingEveryOne) {
  v1::BatchGetConditionsRequest request;
  for (const char* id : {"polymyositis", "unknown-one", "acne", "unknown-two"}) request.add_ids(id);
  v1::BatchGetConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(stub().BatchGetConditions(&context, request, &response),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND,
                           AllOf(HasSubstr("\"unknown-one\""), HasSubstr("\"unknown-two\""),
                                 Not(HasSubstr("polymyositis")))));
  EXPECT_THAT(response.conditions(), IsEmpty());

  v1::BatchGetArticlesRequest article_request;
  article_request.add_ids("article-cold-vs-flu");
  article_request.add_ids("missing-article");
  v1::BatchGetArticlesResponse article_response;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().BatchGetArticles(&article_context, article_request, &article_response),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, HasSubstr("\"missing-article\"")));
}

TEST_F(ContentServiceTest, BatchGetTakesUpTo1000NonEmptyIds) {
  v1::BatchGetConditionsRequest request;
  for (int i = 0; i < 1000; ++i) request.add_ids(corpus_->conditions[i % 94].id());
  {
    v1::BatchGetConditionsResponse response;
    grpc::ClientContext context;
    ASSERT_THAT(stub().BatchGetConditions(&context, request, &response), GrpcOk());
    EXPECT_THAT(response.conditions(), SizeIs(1000));
  }
  request.add_ids("polymyositis");
  {
    v1::BatchGetConditionsResponse response;
    grpc::ClientContext context;
    EXPECT_THAT(stub().BatchGetConditions(&context, request, &response),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("1000")));
  }
  v1::BatchGetArticlesRequest too_many_articles;
  for (int i = 0; i < 1001; ++i) too_many_articles.add_ids("article-cold-vs-flu");
  v1::BatchGetArticlesResponse article_response;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().BatchGetArticles(&article_context, too_many_articles, &article_response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("1000")));
}

TEST_F(ContentServiceTest, BatchGetWithAnEmptyIdIsInvalidArgument) {
  v1::BatchGetConditionsRequest request;
  request.add_ids("polymyositis");
  request.add_ids("");
  v1::BatchGetConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(stub().BatchGetConditions(&context, request, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("ids[1]")));

  v1::BatchGetArticlesRequest article_request;
  article_request.add_ids("");
  v1::BatchGetArticlesResponse article_response;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().BatchGetArticles(&article_context, article_request, &article_response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("ids[0]")));
}

TEST_F(ContentServiceTest, BatchGetOfNoIdsReturnsNothing) {
  v1::BatchGetConditionsResponse response;
  grpc::ClientContext context;
  ASSERT_THAT(stub().BatchGetConditions(&context, {}, &response), GrpcOk());
  EXPECT_THAT(response.conditions(), IsEmpty());
  v1::BatchGetArticlesResponse article_response;
  grpc::ClientContext article_context;
  ASSERT_THAT(stub().BatchGetArticles(&article_context, {}, &article_response), GrpcOk());
  EXPECT_THAT(article_response.articles(), IsEmpty());
}

TEST_F(ContentServiceTest, PageSizeZeroMeansFifty) {
  v1::ListConditionsRequest request;
  v1::ListConditionsResponse first;
  grpc::ClientContext first_context;
  ASSERT_THAT(stub().ListConditions(&first_context, request, &first), GrpcOk());
  EXPECT_THAT(first.conditions(), SizeIs(50));
  ASSERT_THAT(first.next_page_token(), Not(IsEmpty()));

  request.set_page_token(first.next_page_token());
  v1::ListConditionsResponse second;
  grpc::ClientContext second_context;
  ASSERT_THAT(stub().ListConditions(&second_context, request, &second), GrpcOk());
  EXPECT_THAT(second.conditions(), SizeIs(44));
  EXPECT_THAT(second.next_page_token(), IsEmpty());
}

TEST_F(ContentServiceTest, PageSizeAbove1000IsClampedNotRejected) {
  v1::ListConditionsRequest request;
  request.set_page_size(1'000'000);
  v1::ListConditionsResponse response;
  grpc::ClientContext context;
  ASSERT_THAT(stub().ListConditions(&context, request, &response), GrpcOk());
  EXPECT_THAT(response.conditions(), SizeIs(94));
  EXPECT_THAT(response.next_page_token(), IsEmpty());
}

TEST_F(ContentServiceTest, NegativePageSizeIsInvalidArgument) {
  v1::ListConditionsRequest request;
  request.set_page_size(-1);
  v1::ListConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(stub().ListConditions(&context, request, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("page_size")));
  v1::ListArticlesRequest article_request;
  article_request.set_page_size(-5);
  v1::ListArticlesResponse article_response;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().ListArticles(&article_context, article_request, &article_response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("page_size")));
}

TEST_F(ContentServiceTest, PagingBySevenReturnsEveryConditionOnceInIdOrder) {
  v1::ListConditionsRequest request;
  request.set_page_size(7);
  const std::vector<v1::Condition> listed = ListAllConditions(request);

  absl::StatusOr<BundleVersion> bundle = ResolveBundle(*bundle_);
  ASSERT_THAT(bundle, IsOk());
  absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle->records_path());
  ASSERT_THAT(store, IsOk());
  absl::StatusOr<std::vector<v1::Condition>> stored = store->ListConditions({}, "", 1000);
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(listed.size(), stored->size());
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_THAT(listed[i], EqualsProto((*stored)[i]));
    EXPECT_THAT(listed[i], EqualsProto(CorpusCondition(listed[i].id())));
  }
  const std::vector<std::string> ids = Ids(listed);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 94u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_F(ContentServiceTest, PagingThroughArticlesReturnsEachOnce) {
  v1::ListArticlesRequest request;
  request.set_page_size(3);
  const std::vector<std::string> ids = Ids(ListAllArticles(request));
  EXPECT_THAT(ids, SizeIs(16));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 16u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_F(ContentServiceTest, PageTokensWeDidNotIssueAreInvalidArgument) {
  v1::ListConditionsRequest request;
  request.set_page_token("not-a-token");
  v1::ListConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(stub().ListConditions(&context, request, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("page_token")));

  v1::ListArticlesRequest article_request;
  article_request.set_page_token("AAAA");
  v1::ListArticlesResponse article_response;
  grpc::ClientContext article_context;
  EXPECT_THAT(stub().ListArticles(&article_context, article_request, &article_response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("page_token")));
}

TEST_F(ContentServiceTest, PageTokenIsBoundToItsFilters) {
  v1::ListConditionsRequest autoimmune;
  autoimmune.set_category("autoimmune");
  autoimmune.set_page_size(5);
  v1::ListConditionsResponse first;
  grpc::ClientContext first_context;
  ASSERT_THAT(stub().ListConditions(&first_context, autoimmune, &first), GrpcOk());
  ASSERT_THAT(first.next_page_token(), Not(IsEmpty()));

  // The same token with another page size is fine; with other filters it is not.
  v1::ListConditionsRequest bigger_page = autoimmune;
  bigger_page.set_page_size(6);
  bigger_page.set_page_token(first.next_page_token());
  v1::ListConditionsResponse next;
  grpc::ClientContext next_context;
  EXPECT_THAT(stub().ListConditions(&next_context, bigger_page, &next), GrpcOk());

  v1::ListConditionsRequest other_filter;
  other_filter.set_category("skin");
  other_filter.set_page_size(5);
  other_filter.set_page_token(first.next_page_token());
  v1::ListConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(stub().ListConditions(&context, other_filter, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("filters")));

  v1::ListConditionsRequest no_filter;
  no_filter.set_page_token(first.next_page_token());
  grpc::ClientContext no_filter_context;
  EXPECT_THAT(stub().ListConditions(&no_filter_context, no_filter, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("filters")));
}

TEST_F(ContentServiceTest, PageTokenIsBoundToTheBundleVersion) {
  TempDir other_temp;
  absl::StatusOr<std::unique_ptr<ContentServiceImpl>> other_service =
      ContentServiceImpl::Open(BuildSampleBundle(other_temp.path() / "bundle"));
  ASSERT_THAT(other_service, IsOk());
  ASSERT_NE((*other_service)->manifest().version(), service_->manifest().version());
  absl::StatusOr<std::unique_ptr<GrpcServer>> other_server =
      GrpcServer::Start("127.0.0.1:0", {other_service->get()}, kContentServiceName);
  ASSERT_THAT(other_server, IsOk());
  std::unique_ptr<v1::ContentService::Stub> other_stub =
      v1::ContentService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", (*other_server)->port()), grpc::InsecureChannelCredentials()));

  v1::ListConditionsRequest request;
  request.set_page_size(10);
  v1::ListConditionsResponse first;
  grpc::ClientContext first_context;
  ASSERT_THAT(stub().ListConditions(&first_context, request, &first), GrpcOk());
  request.set_page_token(first.next_page_token());
  v1::ListConditionsResponse response;
  grpc::ClientContext context;
  EXPECT_THAT(other_stub->ListConditions(&context, request, &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("version")));
}

TEST_F(ContentServiceTest, ListConditionsFiltersByCategoryCaseInsensitively) {
  for (const char* category : {"autoimmune", "AutoImmune"}) {
    v1::ListConditionsRequest request;
    request.set_category(category);
    const std::vector<std::string> ids = Ids(ListAllConditions(request));
    EXPECT_THAT(ids, Contains("polymyositis")) << category;
    EXPECT_THAT(ids, Contains("hashimotos-thyroiditis")) << category;
    EXPECT_THAT(ids, Not(Contains("common-cold"))) << category;
  }
}

TEST_F(ContentServiceTest, ListConditionsFiltersByCodeAndSource) {
  v1::ListConditionsRequest by_code;
  by_code.set_code("M33.2");
  EXPECT_THAT(Ids(ListAllConditions(by_code)), ElementsAre("polymyositis"));

  v1::ListConditionsRequest by_source;
  by_source.set_source("HealthSearch Sample");
  EXPECT_THAT(ListAllConditions(by_source), SizeIs(94));
  by_source.set_source("no such source");
  EXPECT_THAT(ListAllConditions(by_source), IsEmpty());
}

TEST_F(ContentServiceTest, ListArticlesFiltersByConditionTagAndSource) {
  v1::ListArticlesRequest by_condition;
  by_condition.set_condition_id("polymyositis");
  const std::vector<v1::Article> about_polymyositis = ListAllArticles(by_condition);
  EXPECT_THAT(Ids(about_polymyositis), ElementsAre("article-autoimmune-muscle-cramps",
                                                   "article-swallowing-problems-dysphagia"));
  for (const v1::Article& article : about_polymyositis) {
    EXPECT_THAT(article, EqualsProto(CorpusArticle(article.id())));
  }

  v1::ListArticlesRequest by_tag;
  by_tag.set_tag("Muscle Cramps");
  const std::vector<std::string> tagged = Ids(ListAllArticles(by_tag));
  EXPECT_THAT(tagged, Contains("article-autoimmune-muscle-cramps"));
  EXPECT_THAT(tagged, Not(Contains("article-cold-vs-flu")));

  v1::ListArticlesRequest by_source;
  by_source.set_source("healthsearch sample");
  EXPECT_THAT(ListAllArticles(by_source), SizeIs(16));
}

TEST(ContentServiceOpenTest, ExplainsWhyABundleCannotBeServed) {
  TempDir temp;
  EXPECT_THAT(ContentServiceImpl::Open(temp.path() / "missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no bundle at")));

  fs::create_directories(temp.path() / "incomplete" / kXapianDir);
  EXPECT_THAT(ContentServiceImpl::Open(temp.path() / "incomplete"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("incomplete")));

  fs::create_directories(temp.path() / "future" / kXapianDir);
  WriteTextFile(temp.path() / "future" / kRecordsFile, "");
  WriteTextFile(temp.path() / "future" / kManifestFile, R"({"format_version": 99})");
  EXPECT_THAT(ContentServiceImpl::Open(temp.path() / "future"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("format version 99")));

  fs::create_directories(temp.path() / "garbage" / kXapianDir);
  WriteTextFile(temp.path() / "garbage" / kRecordsFile, "this is not an SQLite database");
  WriteTextFile(temp.path() / "garbage" / kManifestFile,
                absl::StrCat(R"({"format_version": )", kBundleFormatVersion, "}"));
  EXPECT_THAT(ContentServiceImpl::Open(temp.path() / "garbage"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(kRecordsFile)));
}

}  // namespace
}  // namespace healthsearch
