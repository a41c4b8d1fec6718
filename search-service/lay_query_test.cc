#include "search-service/lay_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/text_analysis.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class LayQueryTest : public ::testing::Test {
 protected:
  // The in-memory backend has no synonym table, so this is a real one.
  LayQueryTest() : db_((temp_.path() / "db").string(), Xapian::DB_CREATE) {
    db_.add_synonym(text::SynonymKey("trouble swallowing"), "dysphagia");
    db_.add_synonym(text::SynonymKey("dysphagia"), "trouble swallowing");
    db_.add_synonym(text::SynonymKey("itchy"), "pruritus");
    db_.add_synonym(text::SynonymKey("swallowing"), "deglutition");
  }
  ::healthsearch::testing::TempDir temp_;
  Xapian::WritableDatabase db_;
};

TEST_F(LayQueryTest, NegatedWordsDoNotCount) {
  LayQuery lay = AnalyzeLayQuery(db_, "fever and a rash but no itching", true);
  EXPECT_THAT(lay.negated, ElementsAre("itching"));
  EXPECT_THAT(lay.concept_words, ElementsAre("fever", "rash"));
  EXPECT_EQ(lay.positive_text, "fever and a rash but");

  lay = AnalyzeLayQuery(db_, "joint pain without any swelling or redness, tired", true);
  EXPECT_THAT(lay.negated, ElementsAre("swelling"));
  EXPECT_THAT(lay.concept_words, ElementsAre("joint", "pain", "redness", "tired"));
}

TEST_F(LayQueryTest, InabilityIsASymptomNotANegation) {
  LayQuery lay = AnalyzeLayQuery(db_, "I can't sleep and I'm not eating", true);
  EXPECT_THAT(lay.negated, IsEmpty());
  EXPECT_THAT(lay.concept_words, Contains("sleep"));
  EXPECT_THAT(lay.concept_words, Contains("eating"));
}

TEST_F(LayQueryTest, NegationCanBeTurnedOff) {
  LayQuery lay = AnalyzeLayQuery(db_, "rash but no itching", false);
  EXPECT_THAT(lay.negated, IsEmpty());
  EXPECT_THAT(lay.concept_words, Contains("itching"));
}

TEST_F(LayQueryTest, ExpandsTheLongestThesaurusPhraseAndSaysWhatItCovers) {
  LayQuery lay = AnalyzeLayQuery(db_, "Trouble swallowing and itchy skin", true);
  ASSERT_EQ(lay.expansions.size(), 2u);
  EXPECT_EQ(lay.expansions[0].from, "trouble swallowing");
  EXPECT_EQ(lay.expansions[0].to, "dysphagia");
  EXPECT_THAT(lay.expansions[0].terms, ElementsAre("Zdysphagia"));
  EXPECT_THAT(lay.expansions[0].covers, ElementsAre(0, 1));  // trouble, swallowing
  EXPECT_EQ(lay.expansions[1].from, "itchy");
  // "swallowing" on its own is not expanded again: the phrase used it.
  for (const Expansion& expansion : lay.expansions) EXPECT_NE(expansion.to, "deglutition");
}

TEST_F(LayQueryTest, MultiWordSynonymsNeedEveryWord) {
  LayQuery lay = AnalyzeLayQuery(db_, "dysphagia", true);
  ASSERT_EQ(lay.expansions.size(), 1u);
  EXPECT_THAT(lay.expansions[0].terms, ElementsAre("Ztroubl", "Zswallow"));
}

TEST_F(LayQueryTest, NegatedWordsAreNotExpanded) {
  LayQuery lay = AnalyzeLayQuery(db_, "rash, no itchy skin", true);
  for (const Expansion& expansion : lay.expansions) EXPECT_NE(expansion.from, "itchy");
}

TEST(HasQuerySyntaxTest, RecognisesOperatorsButNotPlainWords) {
  for (const char* query : {"\"muscle cramps\"", "fever AND rash", "fever NOT rash", "+rash",
                            "-itch fever", "symptom:cramps", "(fever)"}) {
    EXPECT_TRUE(HasQuerySyntax(query)) << query;
  }
  for (const char* query : {"fever and rash", "my knee won't bend", "not sleeping well",
                            "pain in my lower-back"}) {
    EXPECT_FALSE(HasQuerySyntax(query)) << query;
  }
}

}  // namespace
}  // namespace healthsearch
