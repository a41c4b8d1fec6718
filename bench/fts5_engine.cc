// bench_fts5 --db FILE [--corpus DIR] [--queries FILE --json_out FILE]
//            [--streams 1,8,32] [--warmup 1s] [--duration 5s]
//
// SQLite FTS5 as a portal would set it up: one table with the four weighted
// fields (bench_support.h), the porter tokenizer over unicode61, bm25() with
// weights 10/4/2/1, the query's words OR-ed. With --corpus, builds FILE
// afresh; with --queries, measures search (one connection per stream) and
// hit@10 and writes an EngineResult.
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "bench/bench_support.h"
#include "bench/load_flags.h"
#include "common/corpus_reader.h"

ABSL_FLAG(std::string, db, "", "SQLite database file");
ABSL_FLAG(std::string, corpus, "", "Corpus to build --db from");
ABSL_FLAG(std::string, queries, "", "Judged queries (JSON Lines) to search");
ABSL_FLAG(std::string, json_out, "", "Where to write the EngineResult");

namespace healthsearch::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kEngine[] = "sqlite-fts5";
constexpr char kSearchSql[] =
    "SELECT id FROM records WHERE records MATCH ?1 "
    "ORDER BY bm25(records, 0, 10, 4, 2, 1) LIMIT 10";

absl::Status SqliteError(sqlite3* db, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

// The words as FTS5 strings ("word", quotes doubled) joined by OR; empty
// when the query has no words.
std::string MatchExpression(const std::string& query) {
  std::vector<std::string> terms;
  for (const std::string& word : QueryWords(query)) {
    std::string quoted = "\"";
    for (const char c : word) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    terms.push_back(quoted + "\"");
  }
  return absl::StrJoin(terms, " OR ");
}

absl::Status Build(const fs::path& corpus, const fs::path& db_path) {
  fs::remove(db_path);
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    absl::Status error = SqliteError(db, "open " + db_path.string());
    sqlite3_close(db);
    return error;
  }
  auto exec = [&](const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK
               ? absl::OkStatus()
               : SqliteError(db, sql);
  };
  absl::Status status = exec(
      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
      "CREATE VIRTUAL TABLE records USING fts5(id UNINDEXED, name, other_names, summary, body, "
      "tokenize='porter unicode61'); BEGIN");
  sqlite3_stmt* insert = nullptr;
  if (status.ok() && sqlite3_prepare_v2(db, "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5)", -1,
                                        &insert, nullptr) != SQLITE_OK) {
    status = SqliteError(db, "prepare insert");
  }
  auto add = [&](const RecordFields& fields) {
    int column = 1;
    for (const std::string* field :
         {&fields.id, &fields.name, &fields.other_names, &fields.summary, &fields.body}) {
      sqlite3_bind_text(insert, column++, field->data(), static_cast<int>(field->size()),
                        SQLITE_TRANSIENT);
    }
    const int step = sqlite3_step(insert);
    sqlite3_reset(insert);
    return step == SQLITE_DONE ? absl::OkStatus() : SqliteError(db, "insert " + fields.id);
  };
  std::vector<std::string> problems;
  if (status.ok()) {
    status = ReadCorpus({corpus}, {},
                        {.on_condition = [&](v1::Condition&& c) { return add(FieldsOf(c)); },
                         .on_article = [&](v1::Article&& a) { return add(FieldsOf(a)); }},
                        &problems, nullptr);
  }
  sqlite3_finalize(insert);
  if (status.ok()) status = exec("COMMIT; INSERT INTO records(records) VALUES('optimize')");
  sqlite3_close(db);
  for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return status;
}

// One read-only connection; not thread-safe, so one per stream.
class Fts5Search {
 public:
  static absl::StatusOr<std::shared_ptr<Fts5Search>> Open(const fs::path& db_path) {
    auto search = std::shared_ptr<Fts5Search>(new Fts5Search);
    if (sqlite3_open_v2(db_path.c_str(), &search->db_,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(search->db_, kSearchSql, -1, &search->statement_, nullptr) !=
            SQLITE_OK) {
      return SqliteError(search->db_, "open " + db_path.string());
    }
    return search;
  }
  ~Fts5Search() {
    sqlite3_finalize(statement_);
    sqlite3_close(db_);
  }

  absl::StatusOr<std::vector<std::string>> TopTen(const std::string& query) {
    std::vector<std::string> ids;
    const std::string match = MatchExpression(query);
    if (match.empty()) return ids;
    sqlite3_bind_text(statement_, 1, match.data(), static_cast<int>(match.size()),
                      SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(statement_)) == SQLITE_ROW) {
      ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement_, 0)));
    }
    sqlite3_reset(statement_);
    if (step != SQLITE_DONE) return SqliteError(db_, "search");
    return ids;
  }

 private:
  Fts5Search() = default;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
};

TopTen SearchOn(const fs::path& db_path) {
  absl::StatusOr<std::shared_ptr<Fts5Search>> opened = Fts5Search::Open(db_path);
  if (!opened.ok()) {
    return [status = opened.status()](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
      return status;
    };
  }
  return [search = *opened](const std::string& query) { return search->TopTen(query); };
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench_fts5: %s\n", status.ToString().c_str());
  return 1;
}

int Run() {
  const fs::path db_path = absl::GetFlag(FLAGS_db);
  if (db_path.empty()) return Fail(absl::InvalidArgumentError("--db is required"));
  if (const std::string corpus = absl::GetFlag(FLAGS_corpus); !corpus.empty()) {
    if (absl::Status built = Build(corpus, db_path); !built.ok()) return Fail(built);
  }
  const std::string queries_path = absl::GetFlag(FLAGS_queries);
  if (queries_path.empty()) return 0;
  absl::StatusOr<std::vector<eval::JudgedQuery>> queries = LoadJudgedQueries(queries_path);
  if (!queries.ok()) return Fail(queries.status());

  absl::StatusOr<LoadSchedule> load = LoadScheduleFromFlags();
  if (!load.ok()) return Fail(load.status());
  absl::Status measured = MeasureEngine(
      {.engine = kEngine,
       .notes = "words OR-ed, English stopwords dropped; porter unicode61; bm25 10/4/2/1",
       .load = *load},
      *queries, [&] { return SearchOn(db_path); }, absl::GetFlag(FLAGS_json_out));
  if (!measured.ok()) return Fail(measured);
  return 0;
}

}  // namespace
}  // namespace healthsearch::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Builds and measures a SQLite FTS5 index of a corpus.\n"
      "Usage: bench_fts5 --db FILE [--corpus DIR] [--queries FILE --json_out FILE]");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::bench::Run();
}
