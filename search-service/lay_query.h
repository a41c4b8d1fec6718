// How a plain-text query in a person's own words is understood before it is
// searched: which words count, which are negated ("no fever"), and which
// other words the thesaurus in the index's synonym table adds ("trouble
// swallowing" -> "dysphagia"). Internal to the search service.
#ifndef HEALTHSEARCH_SEARCH_SERVICE_LAY_QUERY_H_
#define HEALTHSEARCH_SEARCH_SERVICE_LAY_QUERY_H_

#include <xapian.h>

#include <string>
#include <vector>

namespace healthsearch {

// A thesaurus entry that applies to the query.
struct Expansion {
  std::string from;                // the person's words, e.g. "trouble swallowing"
  std::string to;                  // the synonym, e.g. "dysphagia"
  std::vector<std::string> terms;  // index terms that must all match for it to count
  std::vector<int> covers;         // indexes into LayQuery::concepts
};

struct LayQuery {
  // The query with negated words removed, for the query parser.
  std::string positive_text;
  // Words the person said they do not have.
  std::vector<std::string> negated;
  // Stemmed index terms ("Zcramp") of the distinct content words, and the
  // words as typed.
  std::vector<std::string> concepts;
  std::vector<std::string> concept_words;
  std::vector<Expansion> expansions;
};

// True if the query uses query-language syntax (quotes, AND/OR/NOT, +/-,
// field:value), which is then honoured as written rather than analysed.
bool HasQuerySyntax(const std::string& query);

// `db` supplies the synonym table. With `negation` off, nothing is treated
// as negated.
LayQuery AnalyzeLayQuery(const Xapian::Database& db, const std::string& query, bool negation);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_SEARCH_SERVICE_LAY_QUERY_H_
