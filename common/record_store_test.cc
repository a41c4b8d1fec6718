#include "common/record_store.h"

#include <fstream>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Condition MakeCondition(const std::string& id, const std::string& category,
                            const std::string& code, const std::string& source) {
  v1::Condition condition;
  condition.set_id(id);
  condition.set_name("Name of " + id);
  condition.add_categories(category);
  v1::Code* c = condition.add_codes();
  c->set_system("ICD-10-CM");
  c->set_code(code);
  condition.mutable_source()->set_name(source);
  v1::Symptom* symptom = condition.add_symptoms();
  symptom->set_name("fever");
  symptom->set_frequency_percent(0);  // present, and zero
  return condition;
}

v1::Article MakeArticle(const std::string& id, const std::string& condition_id,
                        const std::string& tag) {
  v1::Article article;
  article.set_id(id);
  article.set_title("Title of " + id);
  article.add_condition_ids(condition_id);
  article.add_tags(tag);
  article.mutable_source()->set_name("Sample");
  return article;
}

template <typename Record>
std::vector<std::string> Ids(const std::vector<Record>& records) {
  std::vector<std::string> ids;
  for (const Record& r : records) ids.push_back(r.id());
  return ids;
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conditions_ = {MakeCondition("pm", "Autoimmune", "M33.2", "Sample"),
                   MakeCondition("flu", "infectious", "J11.1", "CDC"),
                   MakeCondition("dm", "autoimmune", "M33.1", "sample"),
                   MakeCondition("cold", "infectious", "J00", "Sample")};
    articles_ = {MakeArticle("a-cramps", "pm", "Muscles"), MakeArticle("a-flu", "flu", "fever")};
    absl::StatusOr<RecordStoreWriter> writer = RecordStoreWriter::Create(path());
    ASSERT_THAT(writer, IsOk());
    for (const auto& c : conditions_) ASSERT_THAT(writer->AddCondition(c), IsOk());
    for (const auto& a : articles_) ASSERT_THAT(writer->AddArticle(a), IsOk());
    ASSERT_THAT(writer->Finish(), IsOk());
    absl::StatusOr<RecordStoreReader> reader = RecordStoreReader::Open(path());
    ASSERT_THAT(reader, IsOk());
    reader_.emplace(*std::move(reader));
  }
  std::filesystem::path path() const { return temp_.path() / "records.sqlite"; }

  TempDir temp_;
  std::vector<v1::Condition> conditions_;
  std::vector<v1::Article> articles_;
  std::optional<RecordStoreReader> reader_;
};

TEST_F(RecordStoreTest, ReturnsEveryRecordExactlyAsStored) {
  for (const v1::Condition& expected : conditions_) {
    absl::StatusOr<v1::Condition> got = reader_->GetCondition(expected.id());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(MessageDifferencer::Equals(*got, expected)) << got->DebugString();
    EXPECT_TRUE(got->symptoms(0).has_frequency_percent());
  }
  for (const v1::Article& expected : articles_) {
    absl::StatusOr<v1::Article> got = reader_->GetArticle(expected.id());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(MessageDifferencer::Equals(*got, expected));
  }
  EXPECT_EQ(*reader_->CountConditions(), 4);
  EXPECT_EQ(*reader_->CountArticles(), 2);
}

TEST_F(RecordStoreTest, UnknownIdsAndWrongTypesAreNotFound) {
  EXPECT_THAT(reader_->GetCondition("nope"),
              StatusIs(absl::StatusCode::kNotFound, "no condition with id \"nope\""));
  EXPECT_THAT(reader_->GetArticle("pm"),
              StatusIs(absl::StatusCode::kNotFound, "no article with id \"pm\""));
  EXPECT_THAT(reader_->GetCondition("a-flu"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("a-flu")));
}

TEST_F(RecordStoreTest, ListsInIdOrderFromAnyPoint) {
  EXPECT_THAT(Ids(*reader_->ListConditions({}, "", 10)), ElementsAre("cold", "dm", "flu", "pm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({}, "", 2)), ElementsAre("cold", "dm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({}, "dm", 2)), ElementsAre("flu", "pm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({}, "pm", 2)), ElementsAre());
  EXPECT_THAT(Ids(*reader_->ListArticles({}, "", 10)), ElementsAre("a-cramps", "a-flu"));
}

TEST_F(RecordStoreTest, FiltersIgnoringCase) {
  EXPECT_THAT(Ids(*reader_->ListConditions({.category = "AUTOIMMUNE"}, "", 10)),
              ElementsAre("dm", "pm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({.source = "sample"}, "", 10)),
              ElementsAre("cold", "dm", "pm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({.code = "m33.2"}, "", 10)), ElementsAre("pm"));
  EXPECT_THAT(Ids(*reader_->ListConditions({.category = "infectious", .source = "CDC"}, "", 10)),
              ElementsAre("flu"));
  EXPECT_THAT(Ids(*reader_->ListArticles({.condition_id = "pm"}, "", 10)),
              ElementsAre("a-cramps"));
  EXPECT_THAT(Ids(*reader_->ListArticles({.tag = "muscles"}, "", 10)), ElementsAre("a-cramps"));
  EXPECT_THAT(Ids(*reader_->ListArticles({.condition_id = "cold"}, "", 10)), ElementsAre());
}

TEST_F(RecordStoreTest, CreateRefusesAnExistingFile) {
  EXPECT_THAT(RecordStoreWriter::Create(path()), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
}

TEST(RecordStoreReaderTest, RefusesMissingAndForeignFiles) {
  TempDir temp;
  EXPECT_THAT(RecordStoreReader::Open(temp.path() / "none.sqlite"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no record store")));
  ::healthsearch::testing::WriteTextFile(temp.path() / "garbage.sqlite",
                                         std::string(8192, 'x'));
  EXPECT_THAT(RecordStoreReader::Open(temp.path() / "garbage.sqlite"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("garbage.sqlite")));
}

// SQLite has no checksums, so a spoilt page would only show when a record on
// it is read; Open checks every page first.
TEST_F(RecordStoreTest, OpenRefusesAStoreWithADamagedPage) {
  {
    std::fstream file(path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);  // page 2 (of 4 KiB): the root of the first table
    const std::string junk(4096, '\xA5');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_THAT(RecordStoreReader::Open(path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path().string()), HasSubstr("is damaged"))));
}

TEST_F(RecordStoreTest, OpenRefusesATruncatedStore) {
  std::filesystem::resize_file(path(), std::filesystem::file_size(path()) / 2);
  EXPECT_THAT(RecordStoreReader::Open(path()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path().string())));
}

}  // namespace
}  // namespace healthsearch
