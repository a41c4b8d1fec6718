#include "common/record_store.h"

#include <sys/stat.h>

#include <mutex>
#include <set>
#include <tuple>

#include <absl/strings/str_cat.h>

#include "common/text_analysis.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

constexpr int kConditionType = 1;  // = v1::RECORD_TYPE_CONDITION
constexpr int kArticleType = 2;    // = v1::RECORD_TYPE_ARTICLE

constexpr const char* kSchema = R"sql(
CREATE TABLE records(
  id TEXT PRIMARY KEY,
  type INTEGER NOT NULL,
  name TEXT NOT NULL,
  source_key TEXT NOT NULL,  -- lower-cased source.name
  data BLOB NOT NULL         -- the serialized Condition or Article
) WITHOUT ROWID;
CREATE TABLE categories(id TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE codes(id TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE article_conditions(id TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE tags(id TEXT NOT NULL, value TEXT NOT NULL);
)sql";

constexpr const char* kIndexes = R"sql(
CREATE INDEX records_by_type ON records(type, id);
CREATE INDEX categories_by_value ON categories(value, id);
CREATE INDEX codes_by_value ON codes(value, id);
CREATE INDEX article_conditions_by_value ON article_conditions(value, id);
CREATE INDEX tags_by_value ON tags(value, id);
)sql";

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

absl::Status SqliteError(sqlite3* db, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

absl::StatusOr<Statement> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    return SqliteError(db, "preparing a query");
  }
  return Statement(statement);
}

void BindText(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

// A path as an SQLite URI filename (https://sqlite.org/uri.html).
std::string UriFor(const fs::path& path) {
  std::string uri = "file:";
  for (char c : fs::absolute(path).string()) {
    if (c == '?' || c == '#' || c == '%') {
      absl::StrAppend(&uri, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      uri.push_back(c);
    }
  }
  return uri;
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ParseAll(absl::StatusOr<std::vector<std::string>> data) {
  if (!data.ok()) return data.status();
  std::vector<Record> records(data->size());
  for (size_t i = 0; i < data->size(); ++i) {
    if (!records[i].ParseFromString((*data)[i])) {
      return absl::DataLossError("a stored record does not parse");
    }
  }
  return records;
}

}  // namespace

absl::StatusOr<RecordStoreWriter> RecordStoreWriter::Create(const fs::path& path) {
  std::error_code error;
  if (fs::exists(path, error)) {
    return absl::AlreadyExistsError(absl::StrCat(path.string(), " already exists"));
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("cannot create ", path.string(), ": ",
                                            raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  RecordStoreWriter writer(std::move(db));
  // The store is written once and discarded on failure, so no rollback
  // journal is needed; Finish() syncs it.
  if (absl::Status s = writer.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = writer.Exec(kSchema); !s.ok()) return s;
  if (absl::Status s = writer.Exec("BEGIN"); !s.ok()) return s;
  return writer;
}

absl::Status RecordStoreWriter::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
    absl::Status status = absl::InternalError(absl::StrCat("sqlite: ", message ? message : "?"));
    sqlite3_free(message);
    return status;
  }
  return absl::OkStatus();
}

absl::Status RecordStoreWriter::InsertRecord(const std::string& id, int type,
                                             const std::string& name, const std::string& source,
                                             const std::string& data) {
  absl::StatusOr<Statement> insert = Prepare(
      db_.get(), "INSERT INTO records(id, type, name, source_key, data) VALUES(?,?,?,?,?)");
  if (!insert.ok()) return insert.status();
  sqlite3_stmt* statement = insert->get();
  BindText(statement, 1, id);
  sqlite3_bind_int(statement, 2, type);
  BindText(statement, 3, name);
  BindText(statement, 4, text::AsciiLower(source));
  sqlite3_bind_blob(statement, 5, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(statement) != SQLITE_DONE) return SqliteError(db_.get(), "storing " + id);
  return absl::OkStatus();
}

absl::Status RecordStoreWriter::InsertPair(const char* table, const std::string& id,
                                           const std::string& value) {
  absl::StatusOr<Statement> insert =
      Prepare(db_.get(), absl::StrCat("INSERT INTO ", table, "(id, value) VALUES(?,?)"));
  if (!insert.ok()) return insert.status();
  BindText(insert->get(), 1, id);
  BindText(insert->get(), 2, text::AsciiLower(value));
  if (sqlite3_step(insert->get()) != SQLITE_DONE) return SqliteError(db_.get(), "storing " + id);
  return absl::OkStatus();
}

absl::Status RecordStoreWriter::AddCondition(const v1::Condition& condition) {
  if (absl::Status s = InsertRecord(condition.id(), kConditionType, condition.name(),
                                    condition.source().name(), condition.SerializeAsString());
      !s.ok()) {
    return s;
  }
  for (const std::string& category : condition.categories()) {
    if (absl::Status s = InsertPair("categories", condition.id(), category); !s.ok()) return s;
  }
  for (const v1::Code& code : condition.codes()) {
    if (absl::Status s = InsertPair("codes", condition.id(), code.code()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RecordStoreWriter::AddArticle(const v1::Article& article) {
  if (absl::Status s = InsertRecord(article.id(), kArticleType, article.title(),
                                    article.source().name(), article.SerializeAsString());
      !s.ok()) {
    return s;
  }
  for (const std::string& condition_id : article.condition_ids()) {
    if (absl::Status s = InsertPair("article_conditions", article.id(), condition_id); !s.ok()) {
      return s;
    }
  }
  for (const std::string& tag : article.tags()) {
    if (absl::Status s = InsertPair("tags", article.id(), tag); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RecordStoreWriter::Finish() {
  if (absl::Status s = Exec(kIndexes); !s.ok()) return s;
  if (absl::Status s = Exec("COMMIT"); !s.ok()) return s;
  if (absl::Status s = Exec("PRAGMA synchronous=FULL; PRAGMA optimize;"); !s.ok()) return s;
  if (sqlite3_close_v2(db_.release()) != SQLITE_OK) {
    return absl::InternalError("closing the record store failed");
  }
  return absl::OkStatus();
}

namespace {

// Which files this process has checked page by page. A published store never
// changes, so the check (which reads the whole file) runs once per file, not
// once per connection; a file rewritten in place has a new mtime or size.
class CheckedFiles {
 public:
  using Identity = std::tuple<dev_t, ino_t, off_t, int64_t, int64_t>;
  static std::optional<Identity> IdentityOf(const fs::path& path) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) return std::nullopt;
    return Identity(info.st_dev, info.st_ino, info.st_size, info.st_mtim.tv_sec,
                    info.st_mtim.tv_nsec);
  }
  bool Contains(const Identity& identity) {
    std::lock_guard<std::mutex> lock(mutex_);
    return checked_.count(identity) > 0;
  }
  void Add(const Identity& identity) {
    std::lock_guard<std::mutex> lock(mutex_);
    checked_.insert(identity);
  }

 private:
  std::mutex mutex_;
  std::set<Identity> checked_;  // guarded by mutex_
};

CheckedFiles& Checked() {
  static CheckedFiles* const checked = new CheckedFiles;
  return *checked;
}

}  // namespace

absl::StatusOr<RecordStoreReader> RecordStoreReader::Open(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("no record store at ", path.string(),
                                            error ? absl::StrCat(" (", error.message(), ")") : ""));
  }
  // immutable=1: a published bundle never changes, so SQLite may skip locking
  // (which also lets it work on a read-only volume).
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2((UriFor(path) + "?immutable=1").c_str(), &raw,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open record store ", path.string(), ": ", raw ? sqlite3_errmsg(raw) : "?"));
  }
  RecordStoreReader reader(std::move(db));
  // Fails on a file that is not an SQLite database or lacks our schema.
  if (absl::StatusOr<int64_t> count = reader.Count(kConditionType); !count.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "record store ", path.string(), " is unreadable: ", count.status().message()));
  }
  // A damaged page may only show when a record on it is read: look at every
  // page now, so a damaged store is refused before it is served.
  const std::optional<CheckedFiles::Identity> identity = CheckedFiles::IdentityOf(path);
  if (!identity.has_value() || !Checked().Contains(*identity)) {
    if (absl::Status s = reader.QuickCheck(); !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("record store ", path.string(), " is damaged: ", s.message()));
    }
    if (identity.has_value()) Checked().Add(*identity);
  }
  return reader;
}

absl::Status RecordStoreReader::QuickCheck() {
  absl::StatusOr<Statement> check = Prepare(db_.get(), "PRAGMA quick_check(1)");
  if (!check.ok()) return check.status();
  const int rc = sqlite3_step(check->get());
  if (rc != SQLITE_ROW) return SqliteError(db_.get(), "checking the pages");
  const char* verdict = reinterpret_cast<const char*>(sqlite3_column_text(check->get(), 0));
  if (verdict == nullptr || absl::string_view(verdict) != "ok") {
    return absl::DataLossError(verdict == nullptr ? "no verdict" : verdict);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecordStoreReader::GetData(const std::string& id, int type) {
  absl::StatusOr<Statement> select =
      Prepare(db_.get(), "SELECT data FROM records WHERE id = ? AND type = ?");
  if (!select.ok()) return select.status();
  BindText(select->get(), 1, id);
  sqlite3_bind_int(select->get(), 2, type);
  const int rc = sqlite3_step(select->get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat(
        "no ", type == kConditionType ? "condition" : "article", " with id \"", id, "\""));
  }
  if (rc != SQLITE_ROW) return SqliteError(db_.get(), "reading " + id);
  const void* blob = sqlite3_column_blob(select->get(), 0);
  const int size = sqlite3_column_bytes(select->get(), 0);
  return std::string(static_cast<const char*>(blob), size);
}

absl::StatusOr<v1::Condition> RecordStoreReader::GetCondition(const std::string& id) {
  absl::StatusOr<std::string> data = GetData(id, kConditionType);
  if (!data.ok()) return data.status();
  v1::Condition condition;
  if (!condition.ParseFromString(*data)) {
    return absl::DataLossError(absl::StrCat("stored condition \"", id, "\" does not parse"));
  }
  return condition;
}

absl::StatusOr<v1::Article> RecordStoreReader::GetArticle(const std::string& id) {
  absl::StatusOr<std::string> data = GetData(id, kArticleType);
  if (!data.ok()) return data.status();
  v1::Article article;
  if (!article.ParseFromString(*data)) {
    return absl::DataLossError(absl::StrCat("stored article \"", id, "\" does not parse"));
  }
  return article;
}

absl::StatusOr<std::vector<std::string>> RecordStoreReader::ListData(int type,
                                                                     const ListFilter& filter,
                                                                     const std::string& after_id,
                                                                     int limit) {
  std::string sql = "SELECT data FROM records r WHERE type = ? AND id > ?";
  std::vector<std::string> values;
  auto add_pair_filter = [&](const char* table, const std::string& value) {
    if (value.empty()) return;
    absl::StrAppend(&sql, " AND EXISTS(SELECT 1 FROM ", table,
                    " f WHERE f.value = ? AND f.id = r.id)");
    values.push_back(text::AsciiLower(value));
  };
  if (!filter.source.empty()) {
    sql += " AND source_key = ?";
    values.push_back(text::AsciiLower(filter.source));
  }
  add_pair_filter("categories", filter.category);
  add_pair_filter("codes", filter.code);
  add_pair_filter("article_conditions", filter.condition_id);
  add_pair_filter("tags", filter.tag);
  sql += " ORDER BY id LIMIT ?";

  absl::StatusOr<Statement> select = Prepare(db_.get(), sql);
  if (!select.ok()) return select.status();
  sqlite3_stmt* statement = select->get();
  int index = 1;
  sqlite3_bind_int(statement, index++, type);
  BindText(statement, index++, after_id);
  for (const std::string& value : values) BindText(statement, index++, value);
  sqlite3_bind_int(statement, index, limit);

  std::vector<std::string> rows;
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(statement, 0);
    rows.emplace_back(static_cast<const char*>(blob), sqlite3_column_bytes(statement, 0));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_.get(), "listing records");
  return rows;
}

absl::StatusOr<std::vector<v1::Condition>> RecordStoreReader::ListConditions(
    const ListFilter& filter, const std::string& after_id, int limit) {
  return ParseAll<v1::Condition>(ListData(kConditionType, filter, after_id, limit));
}

absl::StatusOr<std::vector<v1::Article>> RecordStoreReader::ListArticles(
    const ListFilter& filter, const std::string& after_id, int limit) {
  return ParseAll<v1::Article>(ListData(kArticleType, filter, after_id, limit));
}

absl::StatusOr<int64_t> RecordStoreReader::Count(int type) {
  absl::StatusOr<Statement> select =
      Prepare(db_.get(), "SELECT count(*) FROM records WHERE type = ?");
  if (!select.ok()) return select.status();
  sqlite3_bind_int(select->get(), 1, type);
  if (sqlite3_step(select->get()) != SQLITE_ROW) return SqliteError(db_.get(), "counting");
  return sqlite3_column_int64(select->get(), 0);
}

absl::StatusOr<int64_t> RecordStoreReader::CountConditions() { return Count(kConditionType); }
absl::StatusOr<int64_t> RecordStoreReader::CountArticles() { return Count(kArticleType); }

}  // namespace healthsearch
