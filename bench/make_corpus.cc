// bench_make_corpus --corpus SRC --records N --seed S --out DIR
//
// Writes a corpus of N records for scaling benchmarks. Up to SRC's size it is
// SRC's first N records; beyond that it is every SRC record unchanged (so the
// judged queries still have their answers) followed by synthetic conditions,
// each recombining real text: one condition's name, other names and
// categories, another's summary, a third's symptoms, and for each of the
// first condition's sections the text of a random section of the same kind.
// Records stay the size of real ones. The same seed gives the same corpus.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <google/protobuf/util/json_util.h>

#include "common/corpus_reader.h"

ABSL_FLAG(std::string, corpus, "", "Source corpus directory");
ABSL_FLAG(int64_t, records, 100000, "Records to write");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the recombination");
ABSL_FLAG(std::string, out, "", "Directory to write conditions.jsonl and articles.jsonl to");

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

class LineWriter {
 public:
  explicit LineWriter(const fs::path& path) : out_(path) {}
  bool ok() const { return static_cast<bool>(out_); }

  void Write(const google::protobuf::Message& record) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string line;
    (void)google::protobuf::util::MessageToJsonString(record, &line, options);
    out_ << line << '\n';
  }

 private:
  std::ofstream out_;
};

class Recombiner {
 public:
  Recombiner(const std::vector<v1::Condition>& conditions, uint64_t seed)
      : conditions_(conditions), random_(seed) {
    for (const v1::Condition& condition : conditions_) {
      for (const v1::Section& section : condition.sections()) {
        sections_by_kind_[section.kind()].push_back(&section);
      }
    }
  }

  v1::Condition Make(int64_t number) {
    const v1::Condition& base = Pick();
    v1::Condition made;
    made.set_id(absl::StrFormat("synth-%08d", number));
    made.set_name(absl::StrCat(base.name(), " (variant ", number % 97 + 1, ")"));
    *made.mutable_also_called() = base.also_called();
    *made.mutable_categories() = base.categories();
    made.set_summary(Pick().summary());
    *made.mutable_symptoms() = Pick().symptoms();
    for (const v1::Section& section : base.sections()) {
      const std::vector<const v1::Section*>& same_kind = sections_by_kind_[section.kind()];
      v1::Section* added = made.add_sections();
      *added = *same_kind[random_() % same_kind.size()];
      added->set_heading(section.heading());
    }
    made.mutable_source()->set_name("synthetic recombination");
    return made;
  }

 private:
  // Plain modulo of the engine's output: unlike std::uniform_int_distribution
  // it gives the same corpus with every standard library.
  const v1::Condition& Pick() { return conditions_[random_() % conditions_.size()]; }

  const std::vector<v1::Condition>& conditions_;
  std::mt19937_64 random_;
  std::map<std::string, std::vector<const v1::Section*>> sections_by_kind_;
};

int Run() {
  const fs::path source = absl::GetFlag(FLAGS_corpus);
  const fs::path out = absl::GetFlag(FLAGS_out);
  const int64_t wanted = absl::GetFlag(FLAGS_records);
  if (source.empty() || out.empty() || wanted < 1) {
    std::fprintf(stderr, "bench_make_corpus: --corpus, --out and --records >= 1 are required\n");
    return 2;
  }
  std::vector<std::string> problems;
  absl::StatusOr<Corpus> corpus = LoadCorpus({source}, {}, &problems);
  if (!corpus.ok()) {
    for (const std::string& problem : problems) std::fprintf(stderr, "%s\n", problem.c_str());
    std::fprintf(stderr, "bench_make_corpus: %s\n", corpus.status().ToString().c_str());
    return 1;
  }
  if (corpus->conditions.empty()) {
    std::fprintf(stderr, "bench_make_corpus: %s has no conditions to recombine\n",
                 source.c_str());
    return 1;
  }
  fs::create_directories(out);
  LineWriter conditions(out / kConditionsFile);
  LineWriter articles(out / kArticlesFile);
  int64_t written = 0;
  for (const v1::Condition& condition : corpus->conditions) {
    if (written == wanted) break;
    conditions.Write(condition);
    ++written;
  }
  for (const v1::Article& article : corpus->articles) {
    if (written == wanted) break;
    articles.Write(article);
    ++written;
  }
  Recombiner recombiner(corpus->conditions, absl::GetFlag(FLAGS_seed));
  for (int64_t number = 1; written < wanted; ++number, ++written) {
    conditions.Write(recombiner.Make(number));
  }
  if (!conditions.ok() || !articles.ok()) {
    std::fprintf(stderr, "bench_make_corpus: cannot write to %s\n", out.c_str());
    return 1;
  }
  if (corpus->articles.empty() || written <= static_cast<int64_t>(corpus->conditions.size())) {
    fs::remove(out / kArticlesFile);  // the reader rejects an empty file
  }
  std::printf("%" PRId64 " records in %s\n", written, out.c_str());
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes a benchmark corpus of N records recombined from a real one.\n"
      "Usage: bench_make_corpus --corpus SRC --records N --seed S --out DIR");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Run();
}
