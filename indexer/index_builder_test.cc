#include "indexer/index_builder.h"

#include <xapian.h>

#include <fstream>
#include <map>
#include <sstream>

#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "common/text_analysis.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;


// The published bundle at `out` holds exactly `corpus`.
void ExpectBundleHolds(const fs::path& out, const Corpus& corpus) {
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(out);
  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->manifest.condition_count(), static_cast<int64_t>(corpus.conditions.size()));
  EXPECT_EQ(bundle->manifest.article_count(), static_cast<int64_t>(corpus.articles.size()));
  ASSERT_EQ(bundle->manifest.inputs_size(), static_cast<int>(corpus.files.size()));
  for (size_t i = 0; i < corpus.files.size(); ++i) {
    EXPECT_EQ(bundle->manifest.inputs(i).sha256(), corpus.files[i].sha256);
    EXPECT_EQ(bundle->manifest.inputs(i).record_count(), corpus.files[i].record_count);
  }

  Xapian::Database db(bundle->xapian_path().string());
  EXPECT_EQ(db.get_doccount(), corpus.conditions.size() + corpus.articles.size());
  absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle->records_path());
  ASSERT_THAT(store, IsOk());
  for (const v1::Condition& condition : corpus.conditions) {
    EXPECT_EQ(db.get_termfreq(text::IdTerm(condition.id())), 1u) << condition.id();
    absl::StatusOr<v1::Condition> stored = store->GetCondition(condition.id());
    ASSERT_THAT(stored, IsOk());
    EXPECT_TRUE(MessageDifferencer::Equals(*stored, condition)) << condition.id();
  }
  for (const v1::Article& article : corpus.articles) {
    EXPECT_EQ(db.get_termfreq(text::IdTerm(article.id())), 1u) << article.id();
    absl::StatusOr<v1::Article> stored = store->GetArticle(article.id());
    ASSERT_THAT(stored, IsOk());
    EXPECT_TRUE(MessageDifferencer::Equals(*stored, article)) << article.id();
  }
}

void BuildAndCheck(const fs::path& corpus_dir, const fs::path& out) {
  std::vector<std::string> problems;
  absl::StatusOr<bundle::Manifest> manifest =
      BuildBundle({.corpus_dirs = {corpus_dir}, .out = out}, &problems);
  ASSERT_THAT(manifest, IsOk()) << ::testing::PrintToString(problems);
  absl::StatusOr<Corpus> corpus = LoadCorpus({corpus_dir}, {}, nullptr);
  ASSERT_THAT(corpus, IsOk());
  ExpectBundleHolds(out, *corpus);
}

TEST(BuildBundleTest, SampleCorpusBundleHoldsEveryRecord) {
  TempDir temp;
  BuildAndCheck(SampleCorpusDir(), temp.path() / "bundle");
}

TEST(BuildBundleTest, MedquadBundleHoldsEveryRecord) {
  HEALTHSEARCH_REQUIRE_MEDQUAD(medquad);
  TempDir temp;
  BuildAndCheck(medquad, temp.path() / "bundle");
}

TEST(BuildBundleTest, IndexesFieldsUnderTheirOwnPrefixes) {
  TempDir temp;
  WriteTextFile(temp.path() / "c" / kConditionsFile,
                R"({"id": "pm", "name": "Polymyositis", "also_called": ["idiopathic myositis"],)"
                R"( "summary": "Inflamed muscles.", "symptoms": [{"name": "dysphagia",)"
                R"( "also_called": ["trouble swallowing"]}], "sections": [{"kind": "overview",)"
                R"( "text": "Weakness of the hips."}], "categories": ["Autoimmune"],)"
                R"( "codes": [{"system": "ICD-10-CM", "code": "M33.2"}],)"
                R"( "source": {"name": "Sample"}})"
                "\n");
  ASSERT_THAT(BuildBundle({.corpus_dirs = {temp.path() / "c"}, .out = temp.path() / "b"}, nullptr),
              IsOk());
  Xapian::Database db((fs::canonical(temp.path() / "b") / kXapianDir).string());
  for (const char* term : {"Spolymyositis", "XAmyositis", "XYdysphagia", "ZXYswallow", "XSmuscles",
                           "hips", "polymyositis", "Zswallow", "XCATautoimmune", "XCODEm33.2",
                           "XSRCsample", "XTYPEcondition", "Qpm"}) {
    EXPECT_EQ(db.get_termfreq(term), 1u) << term;
  }
  Xapian::Document doc = db.get_document(*db.postlist_begin("Qpm"));
  EXPECT_EQ(doc.get_value(text::kTypeSlot), "condition");
  EXPECT_EQ(doc.get_value(text::kCategorySlot), "Autoimmune");
  EXPECT_NE(db.spellings_begin(), db.spellings_end());
}

TEST(BuildBundleTest, RebuildSwitchesAtomicallyWhileOpenReadersKeepTheirVersion) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  WriteTextFile(temp.path() / "v1" / kConditionsFile, R"({"id": "flu", "name": "Flu"})" "\n");
  WriteTextFile(temp.path() / "v2" / kConditionsFile,
                R"({"id": "flu", "name": "Flu"})" "\n" R"({"id": "cold", "name": "Cold"})" "\n");
  ASSERT_THAT(BuildBundle({.corpus_dirs = {temp.path() / "v1"}, .out = out}, nullptr), IsOk());
  absl::StatusOr<BundleVersion> first = ResolveBundle(out);
  ASSERT_THAT(first, IsOk());
  Xapian::Database reader(first->xapian_path().string());

  ASSERT_THAT(BuildBundle({.corpus_dirs = {temp.path() / "v2"}, .out = out}, nullptr), IsOk());
  absl::StatusOr<BundleVersion> second = ResolveBundle(out);
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(first->dir, second->dir);
  EXPECT_EQ(second->manifest.condition_count(), 2);
  EXPECT_EQ(Xapian::Database(second->xapian_path().string()).get_doccount(), 2u);
  reader.reopen();
  EXPECT_EQ(reader.get_doccount(), 1u);
}

TEST(BuildBundleTest, AFailedValidationLeavesThePublishedBundleByteIdentical) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  ASSERT_THAT(BuildBundle({.corpus_dirs = {SampleCorpusDir()}, .out = out}, nullptr), IsOk());
  const auto before = ::healthsearch::testing::SnapshotPublishedBundle(out);

  const fs::path bad = temp.path() / "bad";
  WriteTextFile(bad / kConditionsFile,
                R"({"id": "flu", "name": "Flu"})" "\n" R"({"id": "cold", "nme": "Cold"})" "\n");
  std::vector<std::string> problems;
  EXPECT_THAT(BuildBundle({.corpus_dirs = {bad}, .out = out}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StartsWith((bad / kConditionsFile).string() + ":2: "));
  EXPECT_EQ(::healthsearch::testing::SnapshotPublishedBundle(out), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(out.string() + ".versions"),
                          fs::directory_iterator()),
            2);  // the one version and the lock file
}

TEST(BuildBundleTest, AnEmptyCorpusPublishesNothing) {
  TempDir temp;
  EXPECT_THAT(BuildBundle({.corpus_dirs = {temp.path() / "missing"}, .out = temp.path() / "b"},
                          nullptr),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("1 problem")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(temp.path() / "b")));
}

}  // namespace
}  // namespace healthsearch
