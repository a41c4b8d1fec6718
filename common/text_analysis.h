// Text analysis shared by the indexer and the search service: field prefixes,
// stemming, stopwords and value slots. Indexing and querying both configure
// Xapian through these functions, so they can never disagree.
#ifndef HEALTHSEARCH_COMMON_TEXT_ANALYSIS_H_
#define HEALTHSEARCH_COMMON_TEXT_ANALYSIS_H_

#include <xapian.h>

#include <string>
#include <absl/strings/string_view.h>

namespace healthsearch::text {

// Term prefixes (xapian-core docs/termprefixes.rst: Q for the unique id, S for
// the title, X for our own). Free-text fields are also indexed unprefixed so a
// plain query searches them all.
inline constexpr char kIdPrefix[] = "Q";
inline constexpr char kTitlePrefix[] = "S";
inline constexpr char kAlsoCalledPrefix[] = "XA";
inline constexpr char kSymptomPrefix[] = "XY";
inline constexpr char kSummaryPrefix[] = "XS";
inline constexpr char kBodyPrefix[] = "XB";
// Symptom-profile text added at index time from the knowledge base.
inline constexpr char kProfilePrefix[] = "XP";

// Boolean filter terms. Values are lower-cased (BooleanTerm).
inline constexpr char kTypePrefix[] = "XTYPE";
inline constexpr char kCategoryPrefix[] = "XCAT";
inline constexpr char kSourcePrefix[] = "XSRC";
inline constexpr char kCodePrefix[] = "XCODE";
inline constexpr char kTagPrefix[] = "XTAG";

// Value slots.
inline constexpr Xapian::valueno kTypeSlot = 0;      // "condition" | "article"
inline constexpr Xapian::valueno kSourceSlot = 1;    // source name as written
inline constexpr Xapian::valueno kCategorySlot = 2;  // categories, '\n'-joined
inline constexpr Xapian::valueno kSortNameSlot = 3;  // lower-cased name/title
inline constexpr Xapian::valueno kProfiledSlot = 4;  // "1" if enriched with a symptom profile

inline constexpr char kConditionType[] = "condition";
inline constexpr char kArticleType[] = "article";

// The stemming language of the whole index.
Xapian::Stem Stemmer();

// English function words, plus the narrative filler of lay symptom
// descriptions ("I have been feeling ..."). Shared, immutable.
const Xapian::Stopper& Stopwords();

// A TermGenerator with our stemmer and stopwords (stopwords get no stemmed term).
// Add FLAG_SPELLING and set_database() to record spelling data.
Xapian::TermGenerator MakeTermGenerator();

// A QueryParser over `db` with the same stemmer and stopwords, and our field
// names ("name:", "symptom:", "category:", ...) mapped to their prefixes.
Xapian::QueryParser MakeQueryParser(const Xapian::Database& db);

// prefix + lower-cased value, e.g. BooleanTerm(kCodePrefix, "M33.2") == "XCODEm33.2".
std::string BooleanTerm(absl::string_view prefix, absl::string_view value);

// The unique-id term of a record.
std::string IdTerm(absl::string_view id);

// The key under which a phrase's synonyms are stored in (and looked up from)
// the index's synonym table: its words lower-cased, stemmed and joined by
// single spaces, so "Trouble Swallowing" and "trouble swallowed" share one.
std::string SynonymKey(absl::string_view phrase);

// ASCII lower-casing (filter values and codes are ASCII in practice; other
// bytes pass through unchanged).
std::string AsciiLower(absl::string_view s);

}  // namespace healthsearch::text

#endif  // HEALTHSEARCH_COMMON_TEXT_ANALYSIS_H_
