// indexer --corpus DIR [--corpus DIR ...] --out BUNDLE_DIR
#include <cstdio>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_format.h>
#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>

#include "indexer/index_builder.h"

ABSL_FLAG(std::vector<std::string>, corpus, {},
          "Corpus directory holding conditions.jsonl and/or articles.jsonl; repeat the flag "
          "(or separate with commas) for several");
ABSL_FLAG(std::string, out, "", "Bundle path to publish (a symlink to the newest version)");
ABSL_FLAG(std::vector<std::string>, profiles, {},
          "Symptom-profile files (JSON Lines, see knowledge/README.md), comma-separated");
ABSL_FLAG(std::vector<std::string>, thesaurus, {},
          "Thesaurus files (TSV term<TAB>synonym, or OBO), comma-separated");
ABSL_FLAG(int, max_problems, 100, "Report at most this many corpus problems");
ABSL_FLAG(int, threads, 0, "Index on this many threads (0: one per core)");

namespace {

// absl flags keep only the last occurrence of a flag; gather every --corpus
// into one comma-separated flag so that the flag may be repeated.
std::vector<char*> GatherCorpusFlags(int argc, char** argv, std::string* joined) {
  std::vector<char*> args = {argv[0]};
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if ((arg == "--corpus" || arg == "-corpus") && i + 1 < argc) {
      dirs.emplace_back(argv[++i]);
    } else if (absl::StartsWith(arg, "--corpus=") || absl::StartsWith(arg, "-corpus=")) {
      dirs.emplace_back(arg.substr(arg.find('=') + 1));
    } else {
      args.push_back(argv[i]);
    }
  }
  if (!dirs.empty()) {
    *joined = "--corpus=" + absl::StrJoin(dirs, ",");
    args.push_back(joined->data());
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Validates corpus directories and publishes a search bundle.\n"
      "Usage: indexer --corpus DIR [--corpus DIR ...] --out BUNDLE_DIR");
  std::string joined_corpus_flag;
  std::vector<char*> args = GatherCorpusFlags(argc, argv, &joined_corpus_flag);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());

  healthsearch::IndexerOptions options;
  for (const std::string& dir : absl::GetFlag(FLAGS_corpus)) {
    if (!dir.empty()) options.corpus_dirs.emplace_back(dir);
  }
  options.out = absl::GetFlag(FLAGS_out);
  for (const std::string& file : absl::GetFlag(FLAGS_profiles)) options.profile_files.emplace_back(file);
  for (const std::string& file : absl::GetFlag(FLAGS_thesaurus)) {
    options.thesaurus_files.emplace_back(file);
  }
  options.max_problems = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_problems)));
  options.index_threads = std::max(0, absl::GetFlag(FLAGS_threads));
  if (options.corpus_dirs.empty() || options.out.empty()) {
    std::fprintf(stderr, "indexer: --corpus and --out are required (see --help)\n");
    return 2;
  }
  options.on_progress = [](const healthsearch::IndexProgress& progress) {
    std::fprintf(stderr, "indexer: %lld records indexed (%.0f records/s)\n",
                 static_cast<long long>(progress.records),
                 progress.records / absl::ToDoubleSeconds(progress.elapsed));
  };

  const absl::Time start = absl::Now();
  std::vector<std::string> problems;
  absl::StatusOr<healthsearch::bundle::Manifest> manifest =
      healthsearch::BuildBundle(options, &problems);
  for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
  if (!manifest.ok()) {
    std::fprintf(stderr, "indexer: nothing published: %s\n",
                 std::string(manifest.status().message()).c_str());
    return 1;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t records = manifest->condition_count() + manifest->article_count();
  std::fprintf(stderr,
               "indexer: published version %s to %s: %lld conditions (%lld with a symptom "
               "profile), %lld articles, %lld synonyms in %.1f s (%.0f records/s)\n",
               manifest->version().c_str(), options.out.c_str(),
               static_cast<long long>(manifest->condition_count()),
               static_cast<long long>(manifest->profiled_record_count()),
               static_cast<long long>(manifest->article_count()),
               static_cast<long long>(manifest->synonym_count()), seconds,
               records / std::max(seconds, 1e-9));
  return 0;
}
