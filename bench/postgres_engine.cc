// bench_postgres --conninfo "host=127.0.0.1 port=P dbname=bench" --queries FILE
//                --json_out FILE [--query_form or|as_typed] [--streams 1,8,32]
//                [--warmup 1s] [--duration 5s] [--statement_timeout 2s]
//
// Measures PostgreSQL full-text search over the table bench/postgres/load.sql
// builds: websearch_to_tsquery('english', ...), the weighted tsvector's GIN
// index, ts_rank_cd, top 10. One connection per stream. websearch_to_tsquery
// ANDs the words of the text as typed, which finds nothing for most
// descriptions; --query_form=or (the default) gives it the query's words
// joined by "or", as a portal searching descriptions would. With
// --statement_timeout the server cancels a search that runs longer, and the
// search counts as failed: a miss for hit@10, an error under load.
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>

#include "bench/bench_support.h"
#include "bench/load_flags.h"

ABSL_FLAG(std::string, conninfo, "", "libpq connection string of the loaded database");
ABSL_FLAG(std::string, queries, "", "Judged queries (JSON Lines) to search");
ABSL_FLAG(std::string, json_out, "", "Where to write the EngineResult");
ABSL_FLAG(std::string, query_form, "or",
          "or: the query's words joined by \"or\"; as_typed: the query text unchanged");
ABSL_FLAG(absl::Duration, statement_timeout, absl::ZeroDuration(),
          "Cancel a search that runs longer than this (PostgreSQL's statement_timeout); "
          "0: no limit");

namespace healthsearch::bench {
namespace {

constexpr char kSearchSql[] =
    "SELECT id FROM records, websearch_to_tsquery('english', $1) AS q "
    "WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10";

// The SQLSTATE of a statement cancelled by statement_timeout.
constexpr std::string_view kQueryCanceled = "57014";

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, ConnectionCloser>;
using Result = std::unique_ptr<PGresult, ResultClearer>;

std::string QueryText(const std::string& query, bool or_words) {
  return or_words ? absl::StrJoin(QueryWords(query), " or ") : query;
}

absl::StatusOr<std::shared_ptr<PGconn>> Connect(const std::string& conninfo,
                                                absl::Duration statement_timeout) {
  Connection connection(PQconnectdb(conninfo.c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("connect: ", PQerrorMessage(connection.get())));
  }
  Result prepared(PQprepare(connection.get(), "search", kSearchSql, 1, nullptr));
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    return absl::InternalError(absl::StrCat("prepare: ", PQerrorMessage(connection.get())));
  }
  // Set once prepared, so that the limit is the searches' alone.
  if (statement_timeout > absl::ZeroDuration()) {
    // In whole milliseconds, rounded up: 0 would mean no limit.
    const int64_t milliseconds =
        absl::ToInt64Milliseconds(absl::Ceil(statement_timeout, absl::Milliseconds(1)));
    const std::string set_timeout = absl::StrCat("SET statement_timeout = ", milliseconds);
    Result set(PQexec(connection.get(), set_timeout.c_str()));
    if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) {
      return absl::InternalError(absl::StrCat(set_timeout, ": ", PQerrorMessage(connection.get())));
    }
  }
  return std::shared_ptr<PGconn>(connection.release(), ConnectionCloser());
}

TopTen SearchOn(const std::string& conninfo, bool or_words, absl::Duration statement_timeout) {
  absl::StatusOr<std::shared_ptr<PGconn>> connected = Connect(conninfo, statement_timeout);
  if (!connected.ok()) {
    return [status = connected.status()](const std::string&)
               -> absl::StatusOr<std::vector<std::string>> { return status; };
  }
  return [connection = *connected,
          or_words](const std::string& query) -> absl::StatusOr<std::vector<std::string>> {
    const std::string text = QueryText(query, or_words);
    const char* values[] = {text.c_str()};
    Result result(PQexecPrepared(connection.get(), "search", 1, values, nullptr, nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      const std::string message = absl::StrCat("search: ", PQerrorMessage(connection.get()));
      const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      if (sqlstate != nullptr && std::string_view(sqlstate) == kQueryCanceled) {
        return absl::DeadlineExceededError(message);
      }
      return absl::InternalError(message);
    }
    std::vector<std::string> ids;
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      ids.emplace_back(PQgetvalue(result.get(), row, 0));
    }
    return ids;
  };
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench_postgres: %s\n", status.ToString().c_str());
  return 1;
}

int Run() {
  const std::string conninfo = absl::GetFlag(FLAGS_conninfo);
  const std::string form = absl::GetFlag(FLAGS_query_form);
  if (form != "or" && form != "as_typed") {
    return Fail(absl::InvalidArgumentError("--query_form must be or or as_typed"));
  }
  const bool or_words = form == "or";
  absl::StatusOr<std::vector<eval::JudgedQuery>> queries =
      LoadJudgedQueries(absl::GetFlag(FLAGS_queries));
  if (!queries.ok()) return Fail(queries.status());
  absl::StatusOr<LoadSchedule> load = LoadScheduleFromFlags();
  if (!load.ok()) return Fail(load.status());
  const absl::Duration statement_timeout = absl::GetFlag(FLAGS_statement_timeout);
  if (statement_timeout < absl::ZeroDuration()) {
    return Fail(absl::InvalidArgumentError("--statement_timeout must not be negative"));
  }

  std::string notes = or_words ? "websearch_to_tsquery of the words joined by \"or\" (stopwords "
                                 "dropped); weighted tsvector A-D, GIN, ts_rank_cd"
                               : "websearch_to_tsquery of the query as typed (ANDs every word); "
                                 "weighted tsvector A-D, GIN, ts_rank_cd";
  if (statement_timeout > absl::ZeroDuration()) {
    absl::StrAppend(&notes, "; a search is cancelled after ",
                    absl::FormatDuration(statement_timeout),
                    " (statement_timeout) and counts as a miss and an error");
  }
  absl::Status measured = MeasureEngine(
      {.engine = or_words ? "postgres-fts" : "postgres-fts-as-typed",
       .notes = notes,
       .load = *load},
      *queries, [&] { return SearchOn(conninfo, or_words, statement_timeout); },
      absl::GetFlag(FLAGS_json_out));
  if (!measured.ok()) return Fail(measured);
  return 0;
}

}  // namespace
}  // namespace healthsearch::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures PostgreSQL full-text search over a loaded bench database.\n"
      "Usage: bench_postgres --conninfo STR --queries FILE --json_out FILE");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::bench::Run();
}
