// The bundle's SQLite store of records: each record as serialized protobuf,
// plus the columns that listing and filtering need.
#ifndef HEALTHSEARCH_COMMON_RECORD_STORE_H_
#define HEALTHSEARCH_COMMON_RECORD_STORE_H_

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "healthsearch/v1/records.pb.h"

namespace healthsearch {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

// Writes a new store. Not thread-safe. Records are added inside one
// transaction that Finish() commits; a store that was never finished is
// incomplete and must be discarded.
class RecordStoreWriter {
 public:
  // Fails if `path` exists.
  static absl::StatusOr<RecordStoreWriter> Create(const std::filesystem::path& path);

  absl::Status AddCondition(const v1::Condition& condition);
  absl::Status AddArticle(const v1::Article& article);
  // Commits, builds the indexes and syncs the file to disk.
  absl::Status Finish();

 private:
  explicit RecordStoreWriter(SqliteHandle db) : db_(std::move(db)) {}
  absl::Status Exec(const char* sql);
  absl::Status InsertRecord(const std::string& id, int type, const std::string& name,
                            const std::string& source, const std::string& data);
  absl::Status InsertPair(const char* table, const std::string& id, const std::string& value);

  SqliteHandle db_;
};

// Which records a List call returns. Empty members match everything;
// comparisons are case-insensitive.
struct ListFilter {
  std::string category;      // conditions
  std::string source;        // source.name, both types
  std::string code;          // conditions: a code in any system, e.g. "M33.2"
  std::string condition_id;  // articles about this condition
  std::string tag;           // articles
};

// Reads a finished store, opened read-only. One reader is one SQLite
// connection: not thread-safe, so give each thread its own.
class RecordStoreReader {
 public:
  // NOT_FOUND for a missing file; FAILED_PRECONDITION for one that is not a
  // store of ours or has a damaged page (every page is checked, which reads
  // the whole file, on the first Open of each file in a process).
  static absl::StatusOr<RecordStoreReader> Open(const std::filesystem::path& path);

  // NOT_FOUND naming the id when there is no such record of that type.
  absl::StatusOr<v1::Condition> GetCondition(const std::string& id);
  absl::StatusOr<v1::Article> GetArticle(const std::string& id);

  // Up to `limit` records in id order whose id is greater than `after_id`.
  absl::StatusOr<std::vector<v1::Condition>> ListConditions(const ListFilter& filter,
                                                            const std::string& after_id,
                                                            int limit);
  absl::StatusOr<std::vector<v1::Article>> ListArticles(const ListFilter& filter,
                                                        const std::string& after_id,
                                                        int limit);

  absl::StatusOr<int64_t> CountConditions();
  absl::StatusOr<int64_t> CountArticles();

 private:
  explicit RecordStoreReader(SqliteHandle db) : db_(std::move(db)) {}
  absl::StatusOr<std::string> GetData(const std::string& id, int type);
  absl::StatusOr<std::vector<std::string>> ListData(int type, const ListFilter& filter,
                                                    const std::string& after_id, int limit);
  absl::StatusOr<int64_t> Count(int type);
  // SQLite's quick_check over every page: DATA_LOSS saying what is damaged.
  absl::Status QuickCheck();

  SqliteHandle db_;
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_RECORD_STORE_H_
