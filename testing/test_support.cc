#include "testing/test_support.h"

#include <stdlib.h>

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

fs::path SampleCorpusDir() { return fs::path(HEALTHSEARCH_SOURCE_DIR) / "corpus" / "sample"; }

fs::path MedquadCorpusDir() {
  fs::path dir = fs::path(HEALTHSEARCH_SOURCE_DIR).parent_path() / "shared" / "corpus" / "medquad";
  std::error_code error;
  return fs::is_directory(dir, error) ? dir : fs::path();
}

fs::path BinaryDir() { return HEALTHSEARCH_BINARY_DIR; }

}  // namespace healthsearch::testing
