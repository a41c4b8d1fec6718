#include "common/text_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace healthsearch::text {
namespace {

using ::testing::Contains;
using ::testing::Not;

std::vector<std::string> TermsOf(const std::string& input) {
  Xapian::Document doc;
  Xapian::TermGenerator generator = MakeTermGenerator();
  generator.set_document(doc);
  generator.index_text(input);
  return {doc.termlist_begin(), doc.termlist_end()};
}

TEST(TextAnalysisTest, IndexingStemsContentWordsButNotStopwords) {
  std::vector<std::string> terms = TermsOf("I have swollen joints and cramping muscles");
  EXPECT_THAT(terms, Contains("Zjoint"));
  EXPECT_THAT(terms, Contains("Zcramp"));
  EXPECT_THAT(terms, Contains("Zmuscl"));
  EXPECT_THAT(terms, Contains("and"));  // kept unstemmed, so a quoted phrase can match
  EXPECT_THAT(terms, Not(Contains("Zand")));
}

TEST(TextAnalysisTest, QueriesDropNarrativeFillerAndKeepNegations) {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  Xapian::QueryParser parser = MakeQueryParser(db);
  Xapian::Query query = parser.parse_query(
      "I have been experiencing cramps for the past few weeks, no fever",
      Xapian::QueryParser::FLAG_DEFAULT);
  std::vector<std::string> terms(query.get_terms_begin(), query.get_terms_end());
  EXPECT_THAT(terms, Contains("Zcramp"));
  EXPECT_THAT(terms, Contains("Zfever"));
  EXPECT_THAT(terms, Contains("Zno"));
  EXPECT_THAT(terms, Not(Contains("Zexperienc")));
  EXPECT_THAT(terms, Not(Contains("Zweek")));
}

TEST(TextAnalysisTest, FieldNamesMapToPrefixes) {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  Xapian::QueryParser parser = MakeQueryParser(db);
  Xapian::Query query =
      parser.parse_query("symptom:cramps category:Autoimmune code:M33.2",
                         Xapian::QueryParser::FLAG_DEFAULT);
  std::vector<std::string> terms(query.get_terms_begin(), query.get_terms_end());
  EXPECT_THAT(terms, Contains("ZXYcramp"));
  EXPECT_THAT(terms, Contains("XCATautoimmune"));
  EXPECT_THAT(terms, Contains("XCODEm33.2"));
}

TEST(TextAnalysisTest, BooleanTermsAreLowerCased) {
  EXPECT_EQ(BooleanTerm(kCodePrefix, "M33.2"), "XCODEm33.2");
  EXPECT_EQ(BooleanTerm(kCategoryPrefix, "Autoimmune"), "XCATautoimmune");
  EXPECT_EQ(IdTerm("Polymyositis"), "QPolymyositis");
}

}  // namespace
}  // namespace healthsearch::text
