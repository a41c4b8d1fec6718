// What the indexer knows beyond the corpus: symptom profiles, which enrich the
// records of the conditions they describe, and the lay <-> clinical thesaurus,
// which goes into the index's synonym table.
#ifndef HEALTHSEARCH_INDEXER_KNOWLEDGE_BASE_H_
#define HEALTHSEARCH_INDEXER_KNOWLEDGE_BASE_H_

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include "healthsearch/knowledge/profile.pb.h"
#include "healthsearch/v1/records.pb.h"

namespace healthsearch {

class KnowledgeBase {
 public:
  // Profile files are JSON Lines of knowledge.ConditionProfile. Thesaurus
  // files are either TSV ("term<TAB>synonym" per line; '#' comments; a first
  // line "term<TAB>synonym" is a header) or OBO (.obo: each term's name and
  // its EXACT synonyms). Later files add to earlier ones. INVALID_ARGUMENT
  // naming FILE:LINE for a malformed line; NOT_FOUND for a missing file.
  static absl::StatusOr<KnowledgeBase> Load(const std::vector<std::filesystem::path>& profile_files,
                                            const std::vector<std::filesystem::path>& thesaurus_files);

  // The profile of the condition this record is about (matched by name or
  // also_called, compared as SynonymKey()s, or else by a shared code), or null.
  const knowledge::ConditionProfile* ProfileFor(const v1::Condition& condition) const;

  // Phrase pairs, each in both directions, as (SynonymKey(phrase), synonym).
  const std::vector<std::pair<std::string, std::string>>& synonyms() const { return synonyms_; }

  size_t profile_count() const { return profiles_.size(); }

 private:
  void IndexProfile(size_t index);
  void AddSynonymPair(const std::string& a, const std::string& b);

  std::vector<knowledge::ConditionProfile> profiles_;
  absl::flat_hash_map<std::string, size_t> by_name_;  // SynonymKey(name) -> profile
  absl::flat_hash_map<std::string, size_t> by_code_;  // upper-cased code -> profile
  std::vector<std::pair<std::string, std::string>> synonyms_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_INDEXER_KNOWLEDGE_BASE_H_
