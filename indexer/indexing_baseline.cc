// indexing_baseline --corpus DIR [--corpus DIR ...] --out DIR [--json_out FILE]
//
// The limit our indexer is measured against: a bare Xapian TermGenerator loop
// over the same text fields of the same records (English stemmer, one
// document per record, one commit at the end), with none of what the indexer
// adds (field prefixes, weights, spelling data, symptom profiles, synonyms,
// values, stored records, the SQLite store). Reads the corpus with the same
// reader as the indexer, so JSON parsing and validation count on both sides.
// Prints records/s by wall clock and by CPU time; CPU time is the fairer
// ratio on a shared machine.
#include <sys/resource.h>
#include <xapian.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "common/corpus_reader.h"

ABSL_FLAG(std::vector<std::string>, corpus, {},
          "Corpus directories holding conditions.jsonl and/or articles.jsonl, comma-separated");
ABSL_FLAG(std::string, out, "", "Directory for the Xapian database (replaced if it exists)");
ABSL_FLAG(std::string, json_out, "", "Also write the measurement to this file as JSON");

namespace healthsearch {
namespace {

double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long PeakRssKilobytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The text the indexer indexes from one field, as one TermGenerator run.
void IndexText(Xapian::TermGenerator& generator, const std::string& text) {
  if (text.empty()) return;
  generator.index_text(text);
  generator.increase_termpos();
}

template <typename Record>
void IndexSummaryAndSections(Xapian::TermGenerator& generator, const Record& record) {
  IndexText(generator, record.summary());
  for (const v1::Section& section : record.sections()) {
    IndexText(generator, section.heading());
    IndexText(generator, section.text());
  }
}

Xapian::Document ConditionDocument(Xapian::TermGenerator& generator,
                                   const v1::Condition& condition) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexText(generator, condition.name());
  for (const std::string& name : condition.also_called()) IndexText(generator, name);
  for (const v1::Symptom& symptom : condition.symptoms()) {
    IndexText(generator, symptom.name());
    for (const std::string& name : symptom.also_called()) IndexText(generator, name);
  }
  IndexSummaryAndSections(generator, condition);
  return doc;
}

Xapian::Document ArticleDocument(Xapian::TermGenerator& generator, const v1::Article& article) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexText(generator, article.title());
  for (const std::string& name : article.also_called()) IndexText(generator, name);
  IndexSummaryAndSections(generator, article);
  for (const std::string& tag : article.tags()) IndexText(generator, tag);
  return doc;
}

struct Result {
  int64_t records = 0;
  double seconds = 0;
  double cpu_seconds = 0;
};

absl::StatusOr<Result> Run(const std::vector<std::filesystem::path>& corpus_dirs,
                           const std::filesystem::path& out) {
  const absl::Time start = absl::Now();
  const double cpu_start = CpuSeconds();
  Xapian::WritableDatabase db(out.string(),
                              Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
  Xapian::TermGenerator generator;
  generator.set_stemmer(Xapian::Stem("english"));
  Result result;
  const CorpusVisitor visitor{
      .on_condition =
          [&](v1::Condition&& condition) {
            db.add_document(ConditionDocument(generator, condition));
            ++result.records;
            return absl::OkStatus();
          },
      .on_article =
          [&](v1::Article&& article) {
            db.add_document(ArticleDocument(generator, article));
            ++result.records;
            return absl::OkStatus();
          },
  };
  std::vector<std::string> problems;
  if (absl::Status s = ReadCorpus(corpus_dirs, {}, visitor, &problems, nullptr); !s.ok()) {
    for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
    return s;
  }
  db.commit();
  db.close();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.cpu_seconds = CpuSeconds() - cpu_start;
  return result;
}

int Main() {
  std::vector<std::filesystem::path> corpus_dirs;
  for (const std::string& dir : absl::GetFlag(FLAGS_corpus)) {
    if (!dir.empty()) corpus_dirs.emplace_back(dir);
  }
  const std::filesystem::path out = absl::GetFlag(FLAGS_out);
  if (corpus_dirs.empty() || out.empty()) {
    std::fprintf(stderr, "indexing_baseline: --corpus and --out are required (see --help)\n");
    return 2;
  }
  absl::StatusOr<Result> result;
  try {
    result = Run(corpus_dirs, out);
  } catch (const Xapian::Error& e) {
    result = absl::InternalError(e.get_description());
  }
  if (!result.ok()) {
    std::fprintf(stderr, "indexing_baseline: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  const double per_second = result->records / std::max(result->seconds, 1e-9);
  const double per_cpu_second = result->records / std::max(result->cpu_seconds, 1e-9);
  const long peak_rss_kb = PeakRssKilobytes();
  std::printf(
      "indexing_baseline: %lld records in %.2f s (%.0f records/s), %.2f CPU s (%.0f records per "
      "CPU s), peak RSS %ld MiB\n",
      static_cast<long long>(result->records), result->seconds, per_second, result->cpu_seconds,
      per_cpu_second, peak_rss_kb / 1024);
  if (const std::string json_out = absl::GetFlag(FLAGS_json_out); !json_out.empty()) {
    std::ofstream json(json_out);
    json << absl::StrFormat(
        "{\"engine\": \"xapian-termgenerator-baseline\", \"records\": %d, \"seconds\": %.3f, "
        "\"cpu_seconds\": %.3f, \"records_per_second\": %.1f, \"records_per_cpu_second\": %.1f, "
        "\"peak_rss_kb\": %d}\n",
        result->records, result->seconds, result->cpu_seconds, per_second, per_cpu_second,
        peak_rss_kb);
    if (!json) {
      std::fprintf(stderr, "indexing_baseline: cannot write %s\n", json_out.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Indexes a corpus with a bare Xapian TermGenerator loop: the limit the indexer's speed "
      "is compared to.\n"
      "Usage: indexing_baseline --corpus DIR --out DIR [--json_out FILE]");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Main();
}
