#include "common/corpus_reader.h"

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kFullCondition[] =
    R"({"id": "polymyositis", "name": "Polymyositis", "also_called": ["PM", "idiopathic myositis"],)"
    R"( "summary": "Muscle inflammation.", "symptoms": [{"name": "dysphagia", "also_called": )"
    R"(["trouble swallowing"], "frequency_percent": 30.5}, {"name": "muscle weakness"}],)"
    R"( "sections": [{"kind": "overview", "heading": "What is it?", "text": "An illness."}],)"
    R"( "categories": ["autoimmune", "musculoskeletal"], "codes": [{"system": "ICD-10-CM",)"
    R"( "code": "M33.2"}], "related_ids": ["dermatomyositis"], "source": {"name": "sample",)"
    R"( "url": "https://example.org/pm"}})";

constexpr char kFullArticle[] =
    R"({"id": "article-cramps", "title": "Cramps", "also_called": ["charley horse"],)"
    R"( "summary": "Why muscles cramp.", "sections": [{"kind": "overview", "heading": "H",)"
    R"( "text": "T"}], "tags": ["muscles"], "condition_ids": ["polymyositis"],)"
    R"( "images": [{"url": "https://example.org/a.png", "caption": "A calf"}],)"
    R"( "source": {"name": "sample", "url": "https://example.org/a"}})";

TEST(ParseConditionLineTest, ReadsEveryField) {
  absl::StatusOr<v1::Condition> condition = ParseConditionLine(kFullCondition);
  ASSERT_THAT(condition, IsOk());
  EXPECT_EQ(condition->id(), "polymyositis");
  EXPECT_EQ(condition->name(), "Polymyositis");
  EXPECT_THAT(condition->also_called(), ElementsAre("PM", "idiopathic myositis"));
  EXPECT_EQ(condition->summary(), "Muscle inflammation.");
  ASSERT_THAT(condition->symptoms(), SizeIs(2));
  EXPECT_EQ(condition->symptoms(0).name(), "dysphagia");
  EXPECT_THAT(condition->symptoms(0).also_called(), ElementsAre("trouble swallowing"));
  EXPECT_TRUE(condition->symptoms(0).has_frequency_percent());
  EXPECT_DOUBLE_EQ(condition->symptoms(0).frequency_percent(), 30.5);
  EXPECT_FALSE(condition->symptoms(1).has_frequency_percent());
  ASSERT_THAT(condition->sections(), SizeIs(1));
  EXPECT_EQ(condition->sections(0).kind(), "overview");
  EXPECT_EQ(condition->sections(0).heading(), "What is it?");
  EXPECT_EQ(condition->sections(0).text(), "An illness.");
  EXPECT_THAT(condition->categories(), ElementsAre("autoimmune", "musculoskeletal"));
  ASSERT_THAT(condition->codes(), SizeIs(1));
  EXPECT_EQ(condition->codes(0).system(), "ICD-10-CM");
  EXPECT_EQ(condition->codes(0).code(), "M33.2");
  EXPECT_THAT(condition->related_ids(), ElementsAre("dermatomyositis"));
  EXPECT_EQ(condition->source().name(), "sample");
  EXPECT_EQ(condition->source().url(), "https://example.org/pm");
}

TEST(ParseArticleLineTest, ReadsEveryField) {
  absl::StatusOr<v1::Article> article = ParseArticleLine(kFullArticle);
  ASSERT_THAT(article, IsOk());
  EXPECT_EQ(article->id(), "article-cramps");
  EXPECT_EQ(article->title(), "Cramps");
  EXPECT_THAT(article->also_called(), ElementsAre("charley horse"));
  EXPECT_EQ(article->summary(), "Why muscles cramp.");
  ASSERT_THAT(article->sections(), SizeIs(1));
  EXPECT_EQ(article->sections(0).text(), "T");
  EXPECT_THAT(article->tags(), ElementsAre("muscles"));
  EXPECT_THAT(article->condition_ids(), ElementsAre("polymyositis"));
  ASSERT_THAT(article->images(), SizeIs(1));
  EXPECT_EQ(article->images(0).url(), "https://example.org/a.png");
  EXPECT_EQ(article->images(0).caption(), "A calf");
  EXPECT_EQ(article->source().url(), "https://example.org/a");
}

// Printing a parsed record as JSON and parsing that again gives the same record.
TEST(ParseConditionLineTest, RoundTripsThroughJson) {
  absl::StatusOr<v1::Condition> condition = ParseConditionLine(kFullCondition);
  ASSERT_THAT(condition, IsOk());
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*condition, &json, options).ok());
  absl::StatusOr<v1::Condition> again = ParseConditionLine(json);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*condition, *again)) << json;
}

struct BadLineCase {
  std::string name;
  std::string line;
  std::string message;  // expected in the error
};

void PrintTo(const BadLineCase& c, std::ostream* os) { *os << c.name; }

class BadConditionLineTest : public ::testing::TestWithParam<BadLineCase> {};

TEST_P(BadConditionLineTest, IsRejectedWithAReadableMessage) {
  EXPECT_THAT(ParseConditionLine(GetParam().line),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConditionLineTest,
    ::testing::ValuesIn(std::vector<BadLineCase>{
        {"MalformedJson", R"({"id": "a", "name": )", "not a valid Condition record"},
        {"NotAnObject", R"(["a", "b"])", "not a valid Condition record"},
        {"MissingId", R"({"name": "Flu"})", "missing required field \"id\""},
        {"EmptyId", R"({"id": "", "name": "Flu"})", "missing required field \"id\""},
        {"MissingName", R"({"id": "flu"})", "missing required field \"name\""},
        {"BlankName", R"({"id": "flu", "name": "  "})", "missing required field \"name\""},
        {"IdWithSpace", R"({"id": "the flu", "name": "Flu"})", "is not 1-128 characters"},
        {"UnknownField", R"({"id": "flu", "name": "Flu", "colour": "red"})", "colour"},
        {"NumberForString", R"({"id": "flu", "name": 42})", "not a valid Condition record"},
        {"StringForNumber",
         R"({"id": "flu", "name": "Flu", "symptoms": [{"name": "fever", "frequency_percent": "high"}]})",
         "not a valid Condition record"},
        {"ObjectForList", R"({"id": "flu", "name": "Flu", "categories": {"a": 1}})",
         "not a valid Condition record"},
        {"InvalidUtf8", "{\"id\": \"flu\", \"name\": \"Fl\xC3\x28\"}", "invalid UTF-8"},
        {"OverlongUtf8", "{\"id\": \"flu\", \"name\": \"\xC0\xAF\"}", "invalid UTF-8"},
        {"Blank", "   ", "blank line"},
        {"NestedTenThousandArraysDeep",
         R"({"id": "flu", "name": "Flu", "categories": )" + std::string(10000, '[') +
             std::string(10000, ']') + "}",
         "a list inside a list at byte 45"},
        // Protobuf's parser alone would read this as ["x", "y", "z"].
        {"ListInAList", R"({"id": "flu", "name": "Flu", "categories": [["x", "y"], "z"]})",
         "a list inside a list"},
        {"NestedTenThousandObjectsDeep",
         R"({"id": "flu", "name": "Flu", "source": )" + [] {
           std::string nested;
           for (int i = 0; i < 10000; ++i) nested += R"({"name": )";
           return nested + "\"x\"" + std::string(10000, '}');
         }() + "}",
         "not a valid Condition record"},
        {"NumberForId", R"({"id": 7, "name": "Flu"})", "not a valid Condition record"},
        {"NumbersForListOfStrings", R"({"id": "flu", "name": "Flu", "also_called": [1, 2]})",
         "not a valid Condition record"},
        // Each would be an index term over Xapian's 245-byte limit.
        {"LongCategory",
         R"({"id": "flu", "name": "Flu", "categories": [")" + std::string(201, 'c') + R"("]})",
         "category \"cccc"},
        {"LongCode",
         R"({"id": "flu", "name": "Flu", "codes": [{"code": ")" + std::string(300, '9') +
             R"("}]})",
         "code \"9999"},
        {"LongSourceName",
         R"({"id": "flu", "name": "Flu", "source": {"name": ")" + std::string(1000, 's') + R"("}})",
         "source.name \"ssss"},
    }),
    [](const ::testing::TestParamInfo<BadLineCase>& info) { return info.param.name; });

TEST(ParseConditionLineTest, BracketsInsideStringsAreText) {
  absl::StatusOr<v1::Condition> condition = ParseConditionLine(
      R"({"id": "flu", "name": "Flu [[x]] \"[[\"", "categories": ["a[[b", "[c]"]})");
  ASSERT_THAT(condition, IsOk());
  EXPECT_EQ(condition->name(), "Flu [[x]] \"[[\"");
  EXPECT_THAT(condition->categories(), ElementsAre("a[[b", "[c]"));
}

TEST(ParseArticleLineTest, RejectsATagTooLongToFilterOn) {
  const std::string tag(201, 't');
  EXPECT_THAT(ParseArticleLine(R"({"id": "a1", "title": "x", "tags": [")" + tag + R"("]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is 201 bytes long; values used as filters may be at most 200")));
  EXPECT_THAT(
      ParseArticleLine(R"({"id": "a1", "title": "x", "tags": [")" + tag.substr(1) + R"("]})"),
      IsOk());
}

TEST(ParseArticleLineTest, RequiresATitle) {
  EXPECT_THAT(ParseArticleLine(R"({"id": "a1", "name": "x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(ParseArticleLine(R"({"id": "a1"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing required field \"title\"")));
}

TEST(IsValidUtf8Test, AcceptsWellFormedAndRejectsTheRest) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Sj\xC3\xB6gren \xE2\x80\x94 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x80"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));          // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

class ReadCorpusTest : public ::testing::Test {
 protected:
  std::filesystem::path Dir(const std::string& name) { return temp_.path() / name; }
  TempDir temp_;
};

TEST_F(ReadCorpusTest, LoadsConditionsAndArticlesWithChecksums) {
  WriteTextFile(Dir("c") / kConditionsFile, std::string(kFullCondition) + "\n");
  WriteTextFile(Dir("c") / kArticlesFile, std::string(kFullArticle) + "\n");
  std::vector<std::string> problems;
  absl::StatusOr<Corpus> corpus = LoadCorpus({Dir("c")}, {}, &problems);
  ASSERT_THAT(corpus, IsOk());
  EXPECT_THAT(problems, IsEmpty());
  ASSERT_THAT(corpus->conditions, SizeIs(1));
  ASSERT_THAT(corpus->articles, SizeIs(1));
  ASSERT_THAT(corpus->files, SizeIs(2));
  EXPECT_EQ(corpus->files[0].record_count, 1);
  EXPECT_EQ(corpus->files[0].sha256.size(), 64u);
  EXPECT_NE(corpus->files[0].sha256, corpus->files[1].sha256);
}

TEST_F(ReadCorpusTest, AcceptsCrlfLineEndsAndAByteOrderMark) {
  WriteTextFile(Dir("c") / kConditionsFile,
                "\xEF\xBB\xBF" + std::string(kFullCondition) + "\r\n" +
                    R"({"id": "flu", "name": "Flu"})" + "\r\n");
  absl::StatusOr<Corpus> corpus = LoadCorpus({Dir("c")}, {}, nullptr);
  ASSERT_THAT(corpus, IsOk());
  ASSERT_THAT(corpus->conditions, SizeIs(2));
  EXPECT_EQ(corpus->conditions[0].id(), "polymyositis");
  EXPECT_EQ(corpus->conditions[1].name(), "Flu");
}

TEST_F(ReadCorpusTest, ReportsEveryProblemWithFileAndLine) {
  const std::filesystem::path file = Dir("c") / kConditionsFile;
  WriteTextFile(file, std::string(R"({"id": "flu", "name": "Flu"})") + "\n" +
                          R"({"id": "cold"})" + "\n" +  // line 2: no name
                          R"({"id": "x", "name": "X", "oops": 1})" + "\n" +  // 3: unknown field
                          R"({"id": "flu", "name": "Flu again"})" + "\n");  // 4: duplicate
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 problem(s)")));
  ASSERT_THAT(problems, SizeIs(3));
  EXPECT_THAT(problems[0], StartsWith(file.string() + ":2: missing required field \"name\""));
  EXPECT_THAT(problems[1], StartsWith(file.string() + ":3: "));
  EXPECT_THAT(problems[1], HasSubstr("oops"));
  EXPECT_EQ(problems[2], file.string() + ":4: duplicate id \"flu\" (first used at " +
                             file.string() + ":1)");
}

TEST_F(ReadCorpusTest, FindsDuplicateIdsAcrossFilesAndDirectories) {
  WriteTextFile(Dir("a") / kConditionsFile, R"({"id": "flu", "name": "Flu"})" "\n");
  WriteTextFile(Dir("a") / kArticlesFile, R"({"id": "flu", "title": "Flu article"})" "\n");
  WriteTextFile(Dir("b") / kConditionsFile,
                R"({"id": "cold", "name": "Cold"})" "\n" R"({"id": "flu", "name": "Flu"})" "\n");
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("a"), Dir("b")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 problem(s)")));
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_THAT(problems[0], StartsWith((Dir("a") / kArticlesFile).string() + ":1: duplicate id"));
  EXPECT_THAT(problems[1], StartsWith((Dir("b") / kConditionsFile).string() + ":2: duplicate id"));
  EXPECT_THAT(problems[1],
              EndsWith("(first used at " + (Dir("a") / kConditionsFile).string() + ":1)"));
}

TEST_F(ReadCorpusTest, RemembersEveryIdForTheWholeRead) {
  // 2 MB of ids: more than one of the blocks the reader keeps them in.
  constexpr int kRecords = 16000;
  const auto id_of = [](int i) { return absl::StrCat(std::string(kMaxIdLength - 8, 'x'), i); };
  std::string lines;
  for (int i = 0; i < kRecords; ++i) {
    absl::StrAppend(&lines, R"({"id": ")", id_of(i), R"(", "name": "N"})", "\n");
  }
  for (int i : {0, kRecords - 1}) {
    absl::StrAppend(&lines, R"({"id": ")", id_of(i), R"(", "name": "N"})", "\n");
  }
  WriteTextFile(Dir("d") / kConditionsFile, lines);
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("d")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 problem(s)")));
  const std::string file = (Dir("d") / kConditionsFile).string();
  EXPECT_THAT(problems,
              ElementsAre(absl::StrCat(file, ":", kRecords + 1, ": duplicate id \"", id_of(0),
                                       "\" (first used at ", file, ":1)"),
                          absl::StrCat(file, ":", kRecords + 2, ": duplicate id \"",
                                       id_of(kRecords - 1), "\" (first used at ", file, ":",
                                       kRecords, ")")));
}

TEST_F(ReadCorpusTest, ReadsALastLineWithoutANewline) {
  WriteTextFile(Dir("c") / kConditionsFile,
                R"({"id": "cold", "name": "Cold"})" "\n" R"({"id": "flu", "name": "Flu"})");
  absl::StatusOr<Corpus> corpus = LoadCorpus({Dir("c")}, {}, nullptr);
  ASSERT_THAT(corpus, IsOk());
  ASSERT_THAT(corpus->conditions, SizeIs(2));
  EXPECT_EQ(corpus->conditions[1].name(), "Flu");
}

TEST_F(ReadCorpusTest, AFileCutOffMidRecordNamesTheCutLine) {
  const std::filesystem::path file = Dir("c") / kConditionsFile;
  WriteTextFile(file, R"({"id": "cold", "name": "Cold"})" "\n" R"({"id": "flu", "na)");
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  EXPECT_THAT(problems,
              ElementsAre(StartsWith(file.string() + ":2: not a valid Condition record")));
}

TEST_F(ReadCorpusTest, RejectsBinaryGarbageLineByLine) {
  std::mt19937 random(8);
  std::string garbage(64 << 10, '\0');
  for (char& byte : garbage) byte = static_cast<char>(random() & 0xFF);
  const std::filesystem::path file = Dir("c") / kArticlesFile;
  WriteTextFile(file, garbage);
  std::vector<std::string> problems;
  absl::StatusOr<Corpus> corpus = LoadCorpus({Dir("c")}, {}, &problems);
  EXPECT_THAT(corpus, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("problem(s)")));
  ASSERT_THAT(problems, Not(IsEmpty()));
  for (const std::string& problem : problems) {
    EXPECT_THAT(problem, StartsWith(file.string() + ":")) << problem;
  }
}

TEST_F(ReadCorpusTest, ReadsATenMegabyteLineWhole) {
  const std::string summary(10 << 20, 'a');
  WriteTextFile(Dir("c") / kConditionsFile,
                R"({"id": "flu", "name": "Flu", "summary": ")" + summary + "\"}\n");
  absl::StatusOr<Corpus> corpus = LoadCorpus({Dir("c")}, {}, nullptr);
  ASSERT_THAT(corpus, IsOk());
  ASSERT_THAT(corpus->conditions, SizeIs(1));
  EXPECT_EQ(corpus->conditions[0].summary().size(), summary.size());
}

TEST_F(ReadCorpusTest, RejectsALineOverTheLimitWithoutParsingIt) {
  const std::filesystem::path file = Dir("c") / kConditionsFile;
  WriteTextFile(file, R"({"id": "flu", "name": "Flu", "summary": ")" +
                          std::string(kMaxLineBytes, 'a') + "\"}\n" +
                          R"({"id": "cold", "name": "Cold"})" "\n");
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  EXPECT_THAT(problems, ElementsAre(file.string() + ":1: line is longer than " +
                                    std::to_string(kMaxLineBytes) + " bytes"));
}

TEST_F(ReadCorpusTest, ReportsAnUnreadableFile) {
  const std::filesystem::path file = Dir("c") / kConditionsFile;
  WriteTextFile(file, R"({"id": "flu", "name": "Flu"})" "\n");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  if (std::ifstream(file).is_open()) {
    GTEST_SKIP() << "permission bits do not stop this user (root?) reading " << file;
  }
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  EXPECT_THAT(problems, ElementsAre(file.string() + ": cannot open file for reading"));
}

TEST_F(ReadCorpusTest, RejectsAnEmptyFile) {
  WriteTextFile(Dir("c") / kConditionsFile, "");
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  EXPECT_THAT(problems, ElementsAre((Dir("c") / kConditionsFile).string() +
                                    ":1: file is empty (expected one record per line)"));
}

TEST_F(ReadCorpusTest, RejectsAMissingDirectoryOrOneWithoutCorpusFiles) {
  std::filesystem::create_directories(Dir("empty"));
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("nowhere"), Dir("empty")}, {}, &problems),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("2 problem(s)")));
  EXPECT_THAT(problems, ElementsAre(Dir("nowhere").string() + ": no such corpus directory",
                                    Dir("empty").string() +
                                        ": corpus directory has neither conditions.jsonl nor "
                                        "articles.jsonl"));
}

TEST_F(ReadCorpusTest, CapsTheNumberOfProblemsListed) {
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += "not json\n";
  WriteTextFile(Dir("c") / kConditionsFile, lines);
  std::vector<std::string> problems;
  EXPECT_THAT(LoadCorpus({Dir("c")}, {.max_problems = 5}, &problems),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("30 problem(s) in the corpus (first 5 listed)")));
  EXPECT_THAT(problems, SizeIs(5));
  EXPECT_THAT(problems[4], StartsWith((Dir("c") / kConditionsFile).string() + ":5: "));
}

TEST_F(ReadCorpusTest, StopsCallingTheVisitorOnceAProblemIsFound) {
  WriteTextFile(Dir("c") / kConditionsFile, R"({"id": "a", "name": "A"})" "\n" "oops\n"
                                            R"({"id": "b", "name": "B"})" "\n");
  std::vector<std::string> seen;
  CorpusVisitor visitor{.on_condition = [&](v1::Condition&& c) {
    seen.push_back(c.id());
    return absl::OkStatus();
  }};
  EXPECT_THAT(ReadCorpus({Dir("c")}, {}, visitor, nullptr, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 problem")));
  EXPECT_THAT(seen, ElementsAre("a"));
}

TEST_F(ReadCorpusTest, AVisitorErrorStopsReadingAndIsReturned) {
  WriteTextFile(Dir("c") / kConditionsFile, R"({"id": "a", "name": "A"})" "\n");
  CorpusVisitor visitor{.on_condition = [](v1::Condition&&) {
    return absl::ResourceExhaustedError("disk full");
  }};
  EXPECT_THAT(ReadCorpus({Dir("c")}, {}, visitor, nullptr, nullptr),
              StatusIs(absl::StatusCode::kResourceExhausted, "disk full"));
}

TEST(SampleCorpusTest, IsValid) {
  std::vector<std::string> problems;
  absl::StatusOr<Corpus> corpus =
      LoadCorpus({::healthsearch::testing::SampleCorpusDir()}, {}, &problems);
  ASSERT_THAT(corpus, IsOk()) << ::testing::PrintToString(problems);
  EXPECT_GE(corpus->conditions.size(), 80u);
  EXPECT_GE(corpus->articles.size(), 12u);
}

}  // namespace
}  // namespace healthsearch
