// Drives the search library with arbitrary queries, filters, page tokens and
// suggestion prefixes over a bundle of corpus/sample. Every request must be
// answered or refused with INVALID_ARGUMENT; nothing may crash or hang.
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "indexer/index_builder.h"
#include "search-service/searcher.h"

namespace {

namespace fs = std::filesystem;

fs::path* bundle_dir = nullptr;
healthsearch::Searcher* searcher = nullptr;

void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "search_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void RemoveBundle() {
  delete searcher;
  searcher = nullptr;
  std::error_code ignored;
  fs::remove_all(*bundle_dir, ignored);
}

template <typename T>
bool Answered(const absl::StatusOr<T>& response, const char* call) {
  if (response.ok()) return true;
  if (!absl::IsInvalidArgument(response.status())) {
    Fail(call, response.status().ToString());
  }
  return false;
}

// Values that exist in the sample bundle, and some that do not.
constexpr const char* kCategories[] = {"autoimmune", "skin", "Neurological", "", "no-such"};
constexpr const char* kSources[] = {"healthsearch", "MedlinePlus", "x"};
constexpr const char* kCodes[] = {"M33.2", "m33.2", "L40.0", "ZZZ"};
constexpr const char* kFacets[] = {"type", "category", "source", "bogus"};

template <size_t N>
const char* Pick(FuzzedDataProvider& provider, const char* const (&values)[N]) {
  return values[provider.ConsumeIntegralInRange<size_t>(0, N - 1)];
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Corrupted page tokens make protobuf log an error each time.
  google::protobuf::SetLogHandler(nullptr);
  std::string pattern = (fs::temp_directory_path() / "search-fuzzer-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) Fail("mkdtemp failed", pattern);
  bundle_dir = new fs::path(pattern);
  const fs::path source = HEALTHSEARCH_SOURCE_DIR;
  std::vector<std::string> problems;
  absl::StatusOr<healthsearch::bundle::Manifest> manifest = healthsearch::BuildBundle(
      {.corpus_dirs = {source / "corpus" / "sample"},
       .out = *bundle_dir / "bundle",
       .profile_files = {source / "knowledge" / "profiles.jsonl"},
       .thesaurus_files = {source / "knowledge" / "thesaurus.tsv"}},
      &problems);
  if (!manifest.ok()) Fail("cannot build the sample bundle", manifest.status().ToString());
  absl::StatusOr<std::unique_ptr<healthsearch::Searcher>> opened =
      healthsearch::Searcher::Open(*bundle_dir / "bundle");
  if (!opened.ok()) Fail("cannot open the sample bundle", opened.status().ToString());
  searcher = opened->release();
  std::atexit(RemoveBundle);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  // The input as typed, with every default.
  healthsearch::v1::SearchRequest plain;
  plain.set_query(input);
  Answered(searcher->Search(plain), "Search");

  healthsearch::v1::SuggestRequest suggest;
  suggest.set_prefix(input);
  Answered(searcher->Suggest(suggest), "Suggest");

  // Options from the input's last bytes, the query from the rest.
  FuzzedDataProvider provider(data, size);
  const uint16_t flags = provider.ConsumeIntegral<uint16_t>();
  healthsearch::v1::SearchRequest request;
  request.set_page_size(provider.ConsumeIntegralInRange<int32_t>(-2, 120));
  request.set_disable_spelling_correction(flags & 1);
  if (flags & 2) request.add_types(healthsearch::v1::RECORD_TYPE_CONDITION);
  if (flags & 4) request.add_types(healthsearch::v1::RECORD_TYPE_ARTICLE);
  if (flags & 8) request.add_types(static_cast<healthsearch::v1::RecordType>(flags >> 12));
  if (flags & 16) request.add_categories(Pick(provider, kCategories));
  if (flags & 32) request.add_sources(Pick(provider, kSources));
  if (flags & 64) request.add_codes(Pick(provider, kCodes));
  if (flags & 128) request.add_facets(Pick(provider, kFacets));
  if (flags & 256) request.add_facets(Pick(provider, kFacets));
  const bool follow_pages = flags & 512;
  const bool corrupt_token = flags & 1024;
  const size_t corrupt_at = provider.ConsumeIntegral<uint16_t>();
  request.set_query(provider.ConsumeRemainingBytesAsString());

  absl::StatusOr<healthsearch::v1::SearchResponse> response = searcher->Search(request);
  if (!Answered(response, "Search with options")) return 0;
  for (int page = 0; follow_pages && page < 3 && !response->next_page_token().empty(); ++page) {
    std::string token = response->next_page_token();
    if (corrupt_token) {
      token[corrupt_at % token.size()] ^= static_cast<char>(flags >> 8 | 1);
      healthsearch::v1::SearchRequest corrupted = request;
      corrupted.set_page_token(token);
      Answered(searcher->Search(corrupted), "Search with a corrupted page token");
      break;
    }
    request.set_page_token(token);
    response = searcher->Search(request);
    // A token we just issued, for the same request, must be honoured.
    if (!response.ok()) Fail("next page refused", response.status().ToString());
  }
  return 0;
}
