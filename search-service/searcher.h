// The search library: answers SearchRequests and SuggestRequests from one
// bundle version, in-process. The gRPC service, the relevance harness and the
// benchmarks all call it.
#ifndef HEALTHSEARCH_SEARCH_SERVICE_SEARCHER_H_
#define HEALTHSEARCH_SEARCH_SERVICE_SEARCHER_H_

#include <filesystem>
#include <memory>
#include <string>

#include <absl/status/statusor.h>

#include "common/bundle.h"
#include "healthsearch/config/ranking.pb.h"
#include "healthsearch/v1/search_service.pb.h"

namespace healthsearch {

// Limits of the request, documented in search_service.proto.
inline constexpr int kMaxQueryCharacters = 1000;
inline constexpr int kDefaultSearchPageSize = 10;
inline constexpr int kMaxSearchPageSize = 100;
inline constexpr int kDefaultSuggestPageSize = 10;
inline constexpr int kMaxSuggestPageSize = 50;
inline constexpr int kMaxSuggestPrefixCharacters = 100;
// Results beyond this depth are not served (page past it: INVALID_ARGUMENT).
inline constexpr int kMaxSearchDepth = 10000;
// Each filter list (types, categories, sources, codes, facets) holds at most
// kMaxFilterValues values of at most text::kMaxFilterValueBytes bytes each;
// longer lists or values are INVALID_ARGUMENT.
inline constexpr int kMaxFilterValues = 100;

// Reads a ranking configuration (JSON; see ranking.proto). INVALID_ARGUMENT
// naming the file for one that does not parse or has unknown fields.
absl::StatusOr<config::RankingConfig> LoadRankingConfig(const std::filesystem::path& path);

class Searcher {
 public:
  // Opens the bundle's index and loads the suggestion list. FAILED_PRECONDITION
  // or NOT_FOUND, saying what is wrong, for a missing or broken bundle.
  static absl::StatusOr<std::unique_ptr<Searcher>> Open(
      const std::filesystem::path& bundle, const config::RankingConfig& ranking = {});

  ~Searcher();
  Searcher(const Searcher&) = delete;
  Searcher& operator=(const Searcher&) = delete;

  // Thread-safe. INVALID_ARGUMENT with a readable message for a request that
  // cannot be answered (too long, invalid UTF-8, control characters, a bad
  // page token, a negative page size). Malformed query syntax degrades to
  // plain words rather than failing.
  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request) const;

  // Thread-safe. Names of conditions, their other names and symptom names
  // with a word starting with the prefix, best first.
  absl::StatusOr<v1::SuggestResponse> Suggest(const v1::SuggestRequest& request) const;

  const bundle::Manifest& manifest() const;

 private:
  class Impl;
  explicit Searcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_SEARCH_SERVICE_SEARCHER_H_
