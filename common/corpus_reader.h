// Reads and validates corpus directories: `conditions.jsonl` and/or
// `articles.jsonl`, one record per line in the proto3 JSON mapping of
// healthsearch.v1.Condition / Article (docs/corpus-format.md).
#ifndef HEALTHSEARCH_COMMON_CORPUS_READER_H_
#define HEALTHSEARCH_COMMON_CORPUS_READER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <absl/strings/string_view.h>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "healthsearch/v1/records.pb.h"

namespace healthsearch {

inline constexpr char kConditionsFile[] = "conditions.jsonl";
inline constexpr char kArticlesFile[] = "articles.jsonl";

// Ids are 1-128 characters of [A-Za-z0-9._:-].
inline constexpr size_t kMaxIdLength = 128;
// Longer lines are rejected without being parsed.
inline constexpr size_t kMaxLineBytes = 16 << 20;

struct CorpusFile {
  std::string path;
  int64_t size_bytes = 0;
  std::string sha256;  // lower-case hex of the file's bytes
  int64_t record_count = 0;
};

struct Corpus {
  std::vector<v1::Condition> conditions;
  std::vector<v1::Article> articles;
  std::vector<CorpusFile> files;
};

struct CorpusReadOptions {
  // Stop collecting problems after this many (reading still stops the build).
  size_t max_problems = 100;
};

// Called once per valid record, in file order. A non-OK status stops reading
// and is returned as is.
struct CorpusVisitor {
  std::function<absl::Status(v1::Condition&&)> on_condition;
  std::function<absl::Status(v1::Article&&)> on_article;
};

// Streams every directory through `visitor`, holding only the ids in memory.
// Returns OK only if every record of every file is valid; otherwise returns
// INVALID_ARGUMENT (NOT_FOUND for a missing directory or file) and appends
// each problem to `*problems` as "FILE:LINE: message", in file order, at most
// options.max_problems of them. Invalid records are not passed to the visitor,
// valid ones are even when others fail: a caller must discard what it built
// from a read that failed. `problems` and `files` may be null.
absl::Status ReadCorpus(const std::vector<std::filesystem::path>& dirs,
                        const CorpusReadOptions& options, const CorpusVisitor& visitor,
                        std::vector<std::string>* problems, std::vector<CorpusFile>* files);

// ReadCorpus into memory, for small corpora and tests.
absl::StatusOr<Corpus> LoadCorpus(const std::vector<std::filesystem::path>& dirs,
                                  const CorpusReadOptions& options,
                                  std::vector<std::string>* problems);

// Parses and validates one line (no trailing newline). Errors are
// INVALID_ARGUMENT with a message that names the field at fault.
absl::StatusOr<v1::Condition> ParseConditionLine(absl::string_view line);
absl::StatusOr<v1::Article> ParseArticleLine(absl::string_view line);

// True if `bytes` is well-formed UTF-8 (no overlongs, surrogates or values
// above U+10FFFF).
bool IsValidUtf8(absl::string_view bytes);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_CORPUS_READER_H_
