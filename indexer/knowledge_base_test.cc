#include "indexer/knowledge_base.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/text_analysis.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kProfiles[] =
    R"({"name": "Urinary tract infection", "also_called": ["bladder infection"], "codes": [{"system": "ICD-10-CM", "code": "N39.0"}], "symptoms": [{"name": "burning when peeing", "frequency_percent": 90}]})"
    "\n"
    R"({"name": "Crohn's disease", "codes": [{"system": "ICD-10-CM", "code": "K50.90"}]})"
    "\n";

v1::Condition Named(const std::string& name) {
  v1::Condition condition;
  condition.set_name(name);
  return condition;
}

TEST(KnowledgeBaseTest, MatchesRecordsByNameAlsoCalledOrCode) {
  TempDir temp;
  WriteTextFile(temp.path() / "profiles.jsonl", kProfiles);
  absl::StatusOr<KnowledgeBase> knowledge = KnowledgeBase::Load({temp.path() / "profiles.jsonl"}, {});
  ASSERT_THAT(knowledge, IsOk());
  EXPECT_EQ(knowledge->profile_count(), 2u);

  // Plural, case and punctuation do not matter.
  const auto* profile = knowledge->ProfileFor(Named("Urinary Tract Infections"));
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(profile->name(), "Urinary tract infection");
  EXPECT_NE(knowledge->ProfileFor(Named("Crohns Disease")), nullptr);

  v1::Condition aka = Named("Cystitis");
  aka.add_also_called("Bladder infection");
  EXPECT_NE(knowledge->ProfileFor(aka), nullptr);

  v1::Condition coded = Named("UTI (adult)");
  coded.add_codes()->set_code("n39.0");
  EXPECT_NE(knowledge->ProfileFor(coded), nullptr);

  EXPECT_EQ(knowledge->ProfileFor(Named("Urinary incontinence")), nullptr);
}

TEST(KnowledgeBaseTest, ReadsTsvAndOboThesauriInBothDirections) {
  TempDir temp;
  WriteTextFile(temp.path() / "t.tsv",
                "term\tsynonym\n# body words\ntrouble swallowing\tdysphagia\n\nbelly\tabdomen\n");
  WriteTextFile(temp.path() / "s.obo",
                "format-version: 1.2\n\n[Term]\nid: SYMP:1\nname: nosebleed\n"
                "synonym: \"epistaxis\" EXACT []\nsynonym: \"nose trouble\" RELATED []\n\n"
                "[Term]\nid: SYMP:2\nname: old thing\nsynonym: \"older thing\" EXACT []\n"
                "is_obsolete: true\n");
  absl::StatusOr<KnowledgeBase> knowledge =
      KnowledgeBase::Load({}, {temp.path() / "t.tsv", temp.path() / "s.obo"});
  ASSERT_THAT(knowledge, IsOk());
  const auto& synonyms = knowledge->synonyms();
  EXPECT_THAT(synonyms, Contains(Pair(text::SynonymKey("trouble swallowing"), "dysphagia")));
  EXPECT_THAT(synonyms, Contains(Pair(text::SynonymKey("dysphagia"), "trouble swallowing")));
  EXPECT_THAT(synonyms, Contains(Pair(text::SynonymKey("belly"), "abdomen")));
  EXPECT_THAT(synonyms, Contains(Pair(text::SynonymKey("nosebleed"), "epistaxis")));
  EXPECT_EQ(synonyms.size(), 6u);  // RELATED and obsolete terms are left out
}

TEST(KnowledgeBaseTest, NamesTheFileAndLineOfABadEntry) {
  TempDir temp;
  WriteTextFile(temp.path() / "t.tsv", "term\tsynonym\nonly one column\n");
  EXPECT_THAT(KnowledgeBase::Load({}, {temp.path() / "t.tsv"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.tsv:2: expected \"term<TAB>synonym\"")));
  WriteTextFile(temp.path() / "p.jsonl", R"({"name": "x", "colour": 1})" "\n");
  EXPECT_THAT(KnowledgeBase::Load({temp.path() / "p.jsonl"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.jsonl:1:")));
  EXPECT_THAT(KnowledgeBase::Load({temp.path() / "missing.jsonl"}, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.jsonl")));
}

TEST(KnowledgeBaseTest, TheShippedKnowledgeBaseLoads) {
  const auto dir = ::healthsearch::testing::KnowledgeDir();
  absl::StatusOr<KnowledgeBase> knowledge =
      KnowledgeBase::Load({dir / "profiles.jsonl"}, {dir / "thesaurus.tsv"});
  ASSERT_THAT(knowledge, IsOk());
  EXPECT_GE(knowledge->profile_count(), 250u);
  EXPECT_GE(knowledge->synonyms().size(), 800u);
}

}  // namespace
}  // namespace healthsearch
