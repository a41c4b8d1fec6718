// bench_report --report FILE --markdown_out FILE
//
// Reads the BenchReport scripts/bench assembled (strictly: an unknown field
// is an error), fills in each run's QPS ratio against healthsearch, writes the
// report back and renders it as markdown: per corpus, the engines' build and
// relevance, their load runs, then indexing and the targets.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>

#include "bench/bench_support.h"

ABSL_FLAG(std::string, report, "", "BenchReport JSON; rewritten with the ratios filled in");
ABSL_FLAG(std::string, markdown_out, "", "Where to write the markdown");

namespace healthsearch::bench {
namespace {

constexpr char kInProcess[] = "healthsearch-inprocess";
constexpr char kGrpc[] = "healthsearch-grpc";

bool IsServer(const std::string& engine) { return engine.rfind("postgres", 0) == 0; }

double Megabytes(int64_t bytes) { return bytes / 1e6; }

std::string Number(double value, int decimals = 0) {
  return value > 0 ? absl::StrFormat("%.*f", decimals, value) : "–";
}

// QPS per (engine, streams) for one corpus.
using QpsTable = std::map<std::pair<std::string, int>, double>;

QpsTable QpsOf(const BenchReport& report, const std::string& corpus) {
  QpsTable table;
  for (const EngineResult& engine : report.engines()) {
    if (engine.corpus() != corpus) continue;
    for (const LoadRun& run : engine.runs()) table[{run.engine(), run.streams()}] = run.qps();
  }
  return table;
}

void FillRatios(BenchReport& report) {
  for (EngineResult& engine : *report.mutable_engines()) {
    const QpsTable qps = QpsOf(report, engine.corpus());
    for (LoadRun& run : *engine.mutable_runs()) {
      if (run.engine().rfind("healthsearch", 0) == 0) continue;
      const std::string reference = IsServer(run.engine()) ? kGrpc : kInProcess;
      auto found = qps.find({reference, run.streams()});
      if (found == qps.end() || run.qps() <= 0) continue;
      run.set_healthsearch_reference(reference);
      run.set_healthsearch_qps_ratio(found->second / run.qps());
    }
  }
}

std::string RelevanceCell(const Relevance& relevance) {
  if (relevance.queries() == 0) return "–";
  std::vector<std::string> groups;
  const std::map<std::string, double> sorted(relevance.hit_at_10_by_group().begin(),
                                              relevance.hit_at_10_by_group().end());
  for (const auto& [group, hit] : sorted) {
    groups.push_back(absl::StrFormat("%s %.2f", group, hit));
  }
  std::string cell =
      absl::StrFormat("%.3f (%s)", relevance.hit_at_10(), absl::StrJoin(groups, ", "));
  if (relevance.failed() > 0) {
    absl::StrAppendFormat(&cell, "; %d of %d searches failed, counted as misses",
                          relevance.failed(), relevance.queries());
  }
  return cell;
}

void RenderCorpus(const BenchReport& report, const CorpusInfo& corpus, std::string& md) {
  absl::StrAppendFormat(&md,
                        "\n## %s: %d records, %.0f MB of JSON\n\nMeasured from %s; load average "
                        "%.2f at the start, %.2f at the end.\n\n",
                        corpus.name(), corpus.records(), Megabytes(corpus.bytes()),
                        corpus.started_at(), corpus.load_average_at_start(),
                        corpus.load_average_at_end());
  md +=
      "| Engine | Build s | Index MB | Build peak RSS MB | Search peak RSS MB | hit@10 (by group) "
      "| Notes |\n|---|---:|---:|---:|---:|---|---|\n";
  for (const EngineResult& engine : report.engines()) {
    if (engine.corpus() != corpus.name()) continue;
    absl::StrAppendFormat(&md, "| %s | %s | %s | %s | %s | %s | %s |\n", engine.engine(),
                          Number(engine.build().seconds(), 1),
                          Number(Megabytes(engine.build().index_bytes()), 1),
                          Number(engine.build().peak_rss_kb() / 1e3),
                          Number(engine.search_peak_rss_kb() / 1e3),
                          RelevanceCell(engine.relevance()), engine.notes());
  }
  md +=
      "\n| Engine | Streams | QPS | p50 ms | p90 ms | p99 ms | Errors | healthsearch QPS ÷ this "
      "|\n|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const EngineResult& engine : report.engines()) {
    if (engine.corpus() != corpus.name()) continue;
    for (const LoadRun& run : engine.runs()) {
      if (run.p50_ms() <= 0) {
        absl::StrAppendFormat(&md, "| %s | %d | 0 | – | – | – | %d | no call finished in time |\n",
                              run.engine(), run.streams(), run.errors());
        continue;
      }
      const std::string ratio =
          run.healthsearch_qps_ratio() > 0
              ? absl::StrFormat("%.2f× (%s)", run.healthsearch_qps_ratio(),
                                run.healthsearch_reference())
              : "";
      absl::StrAppendFormat(&md, "| %s | %d | %s | %.3f | %.3f | %.3f | %d | %s |\n",
                            run.engine(), run.streams(),
                            Number(run.qps(), run.qps() < 10 ? 1 : 0), run.p50_ms(),
                            run.p90_ms(), run.p99_ms(), run.errors(), ratio);
    }
  }
}

void RenderIndexing(const BenchReport& report, std::string& md) {
  if (report.indexing().empty()) return;
  md +=
      "\n## Indexing\n\nRecords per second of wall-clock time, and per second of CPU time "
      "(user + system), which compares the work done apart from the threads doing it.\n\n"
      "| Corpus | Records | indexer threads | indexer rec/s | indexer rec/CPU-s | indexer peak "
      "RSS MB | bare Xapian loop rec/s | bare loop rec/CPU-s | bare loop peak RSS MB | indexer ÷ "
      "bare loop, wall | indexer ÷ bare loop, CPU |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const IndexingResult& row : report.indexing()) {
    absl::StrAppendFormat(&md, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                          row.corpus(), row.records(), Number(row.indexer_threads()),
                          Number(row.indexer_records_per_second()),
                          Number(row.indexer_records_per_cpu_second()),
                          Number(row.indexer_peak_rss_kb() / 1e3),
                          Number(row.baseline_records_per_second()),
                          Number(row.baseline_records_per_cpu_second()),
                          Number(row.baseline_peak_rss_kb() / 1e3), Number(row.ratio(), 2),
                          Number(row.cpu_ratio(), 2));
  }
}

const LoadRun* FindRun(const BenchReport& report, const std::string& corpus,
                       const std::string& engine, int streams) {
  for (const EngineResult& result : report.engines()) {
    if (result.corpus() != corpus) continue;
    for (const LoadRun& run : result.runs()) {
      if (run.engine() == engine && run.streams() == streams) return &run;
    }
  }
  return nullptr;
}

double BestQps(const BenchReport& report, const std::string& corpus, const std::string& engine) {
  double best = 0;
  for (const auto& [key, qps] : QpsOf(report, corpus)) {
    if (key.first == engine) best = std::max(best, qps);
  }
  return best;
}

std::string Verdict(bool met) { return met ? "met" : "**not met**"; }

// The targets of issue #7, checked on the first corpus (MedQuAD when run).
void RenderTargets(const BenchReport& report, std::string& md) {
  if (report.corpora().empty()) return;
  const std::string corpus = report.corpora(0).name();
  absl::StrAppendFormat(&md, "\n## Targets (on %s)\n\n| Target | Measured | Verdict |\n|---|---|---|\n",
                        corpus);
  if (const LoadRun* grpc8 = FindRun(report, corpus, kGrpc, 8)) {
    absl::StrAppendFormat(&md, "| gRPC p50 < 1 ms at 8 streams | %.3f ms | %s |\n",
                          grpc8->p50_ms(), Verdict(grpc8->p50_ms() < 1));
    absl::StrAppendFormat(&md, "| gRPC p99 < 5 ms at 8 streams | %.3f ms | %s |\n",
                          grpc8->p99_ms(), Verdict(grpc8->p99_ms() < 5));
  }
  const double grpc = BestQps(report, corpus, kGrpc);
  const double in_process = BestQps(report, corpus, kInProcess);
  if (grpc > 0 && in_process > 0) {
    absl::StrAppendFormat(&md,
                          "| gRPC saturation ≥ 70%% of in-process | %.0f ÷ %.0f QPS = %.0f%% | %s |\n",
                          grpc, in_process, 100 * grpc / in_process,
                          Verdict(grpc >= 0.7 * in_process));
  }
  const struct {
    const char* engine;
    const char* reference;
    double factor;
  } kVersus[] = {{"postgres-fts", kGrpc, 10},
                 {"postgres-fts-as-typed", kGrpc, 10},
                 {"lucene8", kInProcess, 1},
                 {"sqlite-fts5", kInProcess, 1}};
  for (const auto& versus : kVersus) {
    const double theirs = BestQps(report, corpus, versus.engine);
    const double ours = BestQps(report, corpus, versus.reference);
    if (theirs <= 0 || ours <= 0) continue;
    absl::StrAppendFormat(&md, "| best QPS ≥ %.0f× %s's | %s %.0f ÷ %.0f = %.2f× | %s |\n",
                          versus.factor, versus.engine, versus.reference, ours, theirs,
                          ours / theirs, Verdict(ours >= versus.factor * theirs));
  }
  for (const IndexingResult& row : report.indexing()) {
    if (row.ratio() <= 0) continue;
    // The indexer may run on more threads than the loop's one, so the work per
    // CPU second must keep up as well as the wall clock.
    absl::StrAppendFormat(&md,
                          "| indexing ≥ 50%% of the bare Xapian loop, by wall clock and per CPU "
                          "second (%s) | %.0f%% and %.0f%% | %s |\n",
                          row.corpus(), 100 * row.ratio(), 100 * row.cpu_ratio(),
                          Verdict(row.ratio() >= 0.5 && row.cpu_ratio() >= 0.5));
  }
}

std::string Render(const BenchReport& report) {
  std::string md = absl::StrFormat(
      "# healthsearch against other engines\n\nReport written %s on %s, %d CPUs; load average "
      "%.2f at the start of its last run, %.2f at the end. %d judged queries, every engine given "
      "the same text and asked for its top 10:",
      report.started_at(), report.host(), report.cpus(), report.load_average_start(),
      report.load_average_end(), report.queries());
  std::vector<std::string> groups;
  for (const auto& [group, count] : report.queries_by_group()) {
    groups.push_back(absl::StrFormat("%s %d", group, count));
  }
  absl::StrAppend(&md, " ", absl::StrJoin(groups, ", "), ".\n");
  if (!report.skipped().empty()) {
    absl::StrAppend(&md, "\nSkipped: ", absl::StrJoin(report.skipped(), "; "), ".\n");
  }
  for (const CorpusInfo& corpus : report.corpora()) RenderCorpus(report, corpus, md);
  RenderIndexing(report, md);
  RenderTargets(report, md);
  return md;
}

int Run() {
  const std::string path = absl::GetFlag(FLAGS_report);
  BenchReport report;
  if (absl::Status read = ReadJson(path, &report); !read.ok()) {
    std::fprintf(stderr, "bench_report: %s\n", read.ToString().c_str());
    return 1;
  }
  FillRatios(report);
  if (absl::Status written = WriteJson(report, path); !written.ok()) {
    std::fprintf(stderr, "bench_report: %s\n", written.ToString().c_str());
    return 1;
  }
  std::ofstream out(absl::GetFlag(FLAGS_markdown_out));
  out << Render(report);
  out.close();
  if (!out) {
    std::fprintf(stderr, "bench_report: cannot write %s\n", absl::GetFlag(FLAGS_markdown_out).c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace healthsearch::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Renders a scripts/bench report as markdown.\n"
      "Usage: bench_report --report FILE --markdown_out FILE");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::bench::Run();
}
