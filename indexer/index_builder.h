// Builds a bundle from corpus directories and publishes it atomically.
#ifndef HEALTHSEARCH_INDEXER_INDEX_BUILDER_H_
#define HEALTHSEARCH_INDEXER_INDEX_BUILDER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "healthsearch/bundle/manifest.pb.h"

namespace healthsearch {

struct IndexProgress {
  int64_t records = 0;
  absl::Duration elapsed;
};

struct IndexerOptions {
  std::vector<std::filesystem::path> corpus_dirs;
  // The published bundle path (a symlink; see common/bundle.h).
  std::filesystem::path out;
  // Symptom profiles and thesauri (see knowledge_base.h); may be empty.
  std::vector<std::filesystem::path> profile_files;
  std::vector<std::filesystem::path> thesaurus_files;
  // At most this many corpus problems are reported.
  size_t max_problems = 100;
  // Records are indexed by this many threads (0: one per core), each
  // indexing shards (runs of consecutive records) into databases of their
  // own, which are merged into the bundle's index at the end.
  int index_threads = 0;
  // A shard ends once it holds this much summary and section text. Buffered
  // postings take about 10 bytes of memory per byte of text, so this bounds
  // each thread's memory whatever the corpus size.
  size_t shard_text_bytes = size_t{16} << 20;
  // Called about once a second while records are indexed; may be empty.
  std::function<void(const IndexProgress&)> on_progress;
};

// Validates the whole corpus and builds a new bundle version beside
// options.out, then switches options.out to it. Returns the published
// manifest. If any record is invalid, returns INVALID_ARGUMENT (NOT_FOUND for
// a missing corpus directory) with each problem in `*problems` as
// "FILE:LINE: message"; on any failure the previously published bundle is
// left exactly as it was.
absl::StatusOr<bundle::Manifest> BuildBundle(const IndexerOptions& options,
                                             std::vector<std::string>* problems);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_INDEXER_INDEX_BUILDER_H_
