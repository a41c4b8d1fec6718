// bench_export_fields --corpus DIR --out FILE
//
// Writes every record as one line of five tab-separated fields: id, name,
// other names, summary, body (see RecordFields), escaped as PostgreSQL's COPY
// text format wants (backslash, tab, newline and carriage return as \\ \t \n
// \r). PostgreSQL loads it with COPY and the Lucene runner reads it, so both
// index exactly the text the SQLite FTS5 runner gets from the corpus.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>

#include "bench/bench_support.h"
#include "common/corpus_reader.h"

ABSL_FLAG(std::string, corpus, "", "Corpus directory");
ABSL_FLAG(std::string, out, "", "File to write");

namespace healthsearch::bench {
namespace {

void AppendEscaped(const std::string& text, std::string& line) {
  for (const char c : text) {
    switch (c) {
      case '\\': line += "\\\\"; break;
      case '\t': line += "\\t"; break;
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      default: line += c;
    }
  }
}

int Run() {
  const std::string corpus = absl::GetFlag(FLAGS_corpus);
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (corpus.empty() || out_path.empty()) {
    std::fprintf(stderr, "bench_export_fields: --corpus and --out are required\n");
    return 2;
  }
  std::ofstream out(out_path);
  int64_t records = 0;
  auto write = [&](const RecordFields& fields) {
    std::string line;
    for (const std::string* field :
         {&fields.id, &fields.name, &fields.other_names, &fields.summary, &fields.body}) {
      if (!line.empty()) line += '\t';
      AppendEscaped(*field, line);
    }
    out << line << '\n';
    ++records;
    return absl::OkStatus();
  };
  std::vector<std::string> problems;
  const absl::Status read = ReadCorpus(
      {corpus}, {},
      {.on_condition = [&](v1::Condition&& c) { return write(FieldsOf(c)); },
       .on_article = [&](v1::Article&& a) { return write(FieldsOf(a)); }},
      &problems, nullptr);
  out.close();
  if (!read.ok()) {
    for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
    std::fprintf(stderr, "bench_export_fields: %s\n", read.ToString().c_str());
    return 1;
  }
  if (!out) {
    std::fprintf(stderr, "bench_export_fields: cannot write %s\n", out_path.c_str());
    return 1;
  }
  std::printf("%" PRId64 " records\n", records);
  return 0;
}

}  // namespace
}  // namespace healthsearch::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes a corpus as tab-separated weighted fields for PostgreSQL and Lucene.\n"
      "Usage: bench_export_fields --corpus DIR --out FILE");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::bench::Run();
}
