// What the tests share: absl::Status matchers (abseil 20220623 has none),
// temporary directories, and where the corpora and binaries are.
#ifndef HEALTHSEARCH_TESTING_TEST_SUPPORT_H_
#define HEALTHSEARCH_TESTING_TEST_SUPPORT_H_

#include <filesystem>
#include <map>
#include <string>
#include <absl/strings/string_view.h>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <gmock/gmock.h>

// Failure messages show a StatusOr's status rather than its bytes.
namespace absl {
ABSL_NAMESPACE_BEGIN
template <typename T>
void PrintTo(const StatusOr<T>& status_or, std::ostream* os) {
  *os << status_or.status();
}
ABSL_NAMESPACE_END
}  // namespace absl

namespace healthsearch::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

// A fresh directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void WriteTextFile(const std::filesystem::path& path, absl::string_view contents);

// The bytes of every file of the bundle version published at `out`, by path,
// and the symlink's target under "<link>": equal snapshots mean untouched.
std::map<std::string, std::string> SnapshotPublishedBundle(const std::filesystem::path& out);

// The project's own sample corpus (corpus/sample).
std::filesystem::path SampleCorpusDir();
// The project's knowledge base (knowledge/: symptom profiles and thesaurus).
std::filesystem::path KnowledgeDir();
// ../shared/corpus/medquad beside the project, or empty when it is absent.
// With HEALTHSEARCH_TEST_MEDQUAD_SLICE=N in the environment (the sanitizer
// builds set it), a copy of its first N conditions and N articles instead.
inline constexpr char kMedquadSliceVariable[] = "HEALTHSEARCH_TEST_MEDQUAD_SLICE";
std::filesystem::path MedquadCorpusDir();
// True when MedquadCorpusDir() is a slice, not the whole corpus.
bool MedquadIsSliced();
// Where the built executables are (build/bin).
std::filesystem::path BinaryDir();

// A MedQuAD bundle that tests share instead of each building its own: built
// once with build/bin/indexer, with the knowledge base in knowledge/, into
// build/test-bundles/, and rebuilt when the indexer, the corpus or the
// knowledge base changes. Empty when ../shared/corpus/medquad is absent.
// Test binaries that call it must depend on the indexer target. Throws if the
// build fails.
std::filesystem::path SharedMedquadBundle();

}  // namespace healthsearch::testing

// Skips the current test when ../shared/corpus/medquad is absent.
#define HEALTHSEARCH_REQUIRE_MEDQUAD(dir_var)                                        \
  const std::filesystem::path dir_var = ::healthsearch::testing::MedquadCorpusDir(); \
  if (dir_var.empty()) GTEST_SKIP() << "../shared/corpus/medquad is absent"

#endif  // HEALTHSEARCH_TESTING_TEST_SUPPORT_H_
