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
// plain query searches them all. The body (section headings and text) is
// indexed only unprefixed: it is the bulk of every record, and what a word's
// unprefixed wdf holds beyond the prefixed fields' share is its body count
// (BodyWdf).
inline constexpr char kIdPrefix[] = "Q";
inline constexpr char kTitlePrefix[] = "S";
inline constexpr char kAlsoCalledPrefix[] = "XA";
inline constexpr char kSymptomPrefix[] = "XY";
inline constexpr char kSummaryPrefix[] = "XS";
// Symptom-profile text added at index time from the knowledge base.
inline constexpr char kProfilePrefix[] = "XP";

// How much more a word counts in the unprefixed text (its wdf there) when it
// occurs in each field. Prefixed terms count each occurrence once, except
// symptoms' (and profile symptoms'), whose weight varies by how typical the
// symptom is and is carried in the prefixed wdf as well.
inline constexpr Xapian::termcount kTitleWeight = 6;
inline constexpr Xapian::termcount kAlsoCalledWeight = 4;
inline constexpr Xapian::termcount kSummaryWeight = 1;
inline constexpr Xapian::termcount kBodyWeight = 1;
// A symptom counts for 1 (rare) to kMaxSymptomWeight (nearly always present)
// by how typical it is; kSymptomWeight when its frequency is unknown.
inline constexpr Xapian::termcount kSymptomWeight = 2;
inline constexpr Xapian::termcount kMaxSymptomWeight = 4;

// The wdfs of one word (unstemmed, or stemmed with its "Z") in one document:
// unprefixed and under each field prefix.
struct FieldWdfs {
  Xapian::termcount unprefixed = 0;
  Xapian::termcount title = 0;
  Xapian::termcount also_called = 0;
  Xapian::termcount symptom = 0;
  Xapian::termcount summary = 0;
  Xapian::termcount profile = 0;
};

// How often the word occurs in the body (and, for articles, the tags), by
// subtracting the prefixed fields' weighted share from the unprefixed wdf.
Xapian::termcount BodyWdf(const FieldWdfs& wdfs);

// Search results show snippets of this many bytes, cut from the first this
// many bytes of summary and section text (bundle::DocumentData's
// snippet_source): Xapian's snippet stems every word it reads.
inline constexpr size_t kSnippetBytes = 240;
inline constexpr size_t kSnippetSourceBytes = 2 * kSnippetBytes;

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

// The stemming language of the whole index: English, remembering recent
// stems. The Stem belongs to the calling thread: neither it nor the
// TermGenerators and QueryParsers made with it may be used by another.
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
// The longest value BooleanTerm takes: Xapian's terms are at most 245 bytes.
inline constexpr size_t kMaxFilterValueBytes = 200;

// The unique-id term of a record.
std::string IdTerm(absl::string_view id);

// The key under which a phrase's synonyms are stored in (and looked up from)
// the index's synonym table: its words lower-cased, stemmed and joined by
// single spaces, so "Trouble Swallowing" and "trouble swallowed" share one.
std::string SynonymKey(absl::string_view phrase);

// `text` cut to at most `bytes` at a space where there is one, else at a
// character boundary.
absl::string_view TruncatedText(absl::string_view text, size_t bytes);

// ASCII lower-casing (filter values and codes are ASCII in practice; other
// bytes pass through unchanged).
std::string AsciiLower(absl::string_view s);

}  // namespace healthsearch::text

#endif  // HEALTHSEARCH_COMMON_TEXT_ANALYSIS_H_
