#include "testing/test_support.h"

#include "testing/subprocess.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace healthsearch::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "healthsearch-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void WriteTextFile(const fs::path& path, absl::string_view contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::map<std::string, std::string> SnapshotPublishedBundle(const fs::path& out) {
  std::map<std::string, std::string> files;
  files["<link>"] = fs::read_symlink(out).string();
  for (const auto& entry : fs::recursive_directory_iterator(fs::canonical(out))) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().string()] =
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return files;
}

fs::path SampleCorpusDir() { return fs::path(HEALTHSEARCH_SOURCE_DIR) / "corpus" / "sample"; }

fs::path KnowledgeDir() { return fs::path(HEALTHSEARCH_SOURCE_DIR) / "knowledge"; }

namespace {

// The first `records` lines of each corpus file in `full`, copied once into
// build/test-bundles/medquad-N (the copy is complete once its key file exists).
fs::path MedquadSlice(const fs::path& full, int records) {
  const fs::path slice = BinaryDir().parent_path() / "test-bundles" /
                         ("medquad-" + std::to_string(records));
  const fs::path done = slice / ".complete";
  if (fs::exists(done)) return slice;
  const fs::path partial = slice.string() + ".partial-" + std::to_string(::getpid());
  fs::create_directories(partial);
  for (const char* name : {"conditions.jsonl", "articles.jsonl"}) {
    std::ifstream in(full / name);
    std::ofstream out(partial / name, std::ios::binary | std::ios::trunc);
    std::string line;
    for (int i = 0; i < records && std::getline(in, line); ++i) out << line << '\n';
    if (!out) throw std::runtime_error("cannot write " + (partial / name).string());
  }
  WriteTextFile(partial / ".complete", "");
  std::error_code ignored;
  fs::rename(partial, slice, ignored);  // loses harmlessly to a parallel test
  fs::remove_all(partial, ignored);
  return slice;
}

}  // namespace

fs::path MedquadCorpusDir() {
  fs::path dir = fs::path(HEALTHSEARCH_SOURCE_DIR).parent_path() / "shared" / "corpus" / "medquad";
  std::error_code error;
  if (!fs::is_directory(dir, error)) return {};
  const char* slice = std::getenv(kMedquadSliceVariable);
  if (slice == nullptr || *slice == '\0') return dir;
  const int records = std::atoi(slice);
  if (records <= 0) {
    throw std::runtime_error(std::string(kMedquadSliceVariable) + " must be a positive number");
  }
  return MedquadSlice(dir, records);
}

bool MedquadIsSliced() {
  const fs::path dir = MedquadCorpusDir();
  return !dir.empty() && dir.filename() != "medquad";
}

fs::path BinaryDir() { return HEALTHSEARCH_BINARY_DIR; }

fs::path SharedMedquadBundle() {
  const fs::path corpus = MedquadCorpusDir();
  if (corpus.empty()) return {};
  const fs::path dir = BinaryDir().parent_path() / "test-bundles";
  fs::create_directories(dir);
  // Tests run in parallel processes: one builds, the others wait.
  const int lock = ::open((dir / "medquad.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock test-bundles");
  const fs::path indexer = BinaryDir() / "indexer";
  const fs::path profiles = KnowledgeDir() / "profiles.jsonl";
  const fs::path thesaurus = KnowledgeDir() / "thesaurus.tsv";
  std::string key = std::to_string(fs::last_write_time(indexer).time_since_epoch().count());
  for (const auto& entry : fs::directory_iterator(corpus)) {
    key += " " + entry.path().filename().string() + ":" + std::to_string(entry.file_size());
  }
  for (const fs::path& file : {profiles, thesaurus}) {
    key += " " + file.filename().string() + ":" + std::to_string(fs::file_size(file)) + "@" +
           std::to_string(fs::last_write_time(file).time_since_epoch().count());
  }
  const fs::path bundle = dir / "medquad";
  const fs::path key_file = dir / "medquad.key";
  std::ifstream key_in(key_file);
  std::string built_key((std::istreambuf_iterator<char>(key_in)), std::istreambuf_iterator<char>());
  if (built_key != key || !fs::exists(bundle)) {
    std::string output;
    if (RunProgram(indexer, {"--corpus", corpus.string(), "--out", bundle.string(), "--profiles",
                             profiles.string(), "--thesaurus", thesaurus.string()},
                   &output) != 0) {
      ::close(lock);
      throw std::runtime_error("building the MedQuAD bundle failed: " + output);
    }
    WriteTextFile(key_file, key);
  }
  ::close(lock);
  return bundle;
}

}  // namespace healthsearch::testing
