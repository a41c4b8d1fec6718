// Bad input given to the real executables: a corpus the indexer must refuse
// without touching the published bundle, and damaged bundles the services
// must refuse to start on, saying why.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "testing/subprocess.h"
#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::SnapshotPublishedBundle;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kFlu[] = R"({"id": "flu", "name": "Flu", "summary": "A fever that lasts."})";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A corpus the indexer is run on, and what it must say about it.
struct CorpusCase {
  std::string name;
  // Writes the corpus under `dir`, returns the --corpus directories to pass.
  std::vector<fs::path> (*write)(const fs::path& dir);
  std::string expected;  // in the indexer's output; {dir} stands for `dir`
};

void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.name; }

std::vector<CorpusCase> BadCorpora() {
  return {
      {"CutOffMidRecord",
       [](const fs::path& dir) {
         WriteTextFile(dir / kConditionsFile, absl::StrCat(kFlu, "\n", R"({"id": "cold", "na)"));
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:2: not a valid Condition record"},
      {"BinaryGarbage",
       [](const fs::path& dir) {
         std::mt19937 random(8);
         std::string garbage(16 << 10, '\0');
         for (char& byte : garbage) byte = static_cast<char>(random() & 0xFF);
         WriteTextFile(dir / kConditionsFile, garbage);
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:1: "},
      {"LineOverTheLimit",
       [](const fs::path& dir) {
         WriteTextFile(dir / kConditionsFile,
                       absl::StrCat(R"({"id": "flu", "name": "Flu", "summary": ")",
                                    std::string(kMaxLineBytes, 'a'), "\"}\n"));
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:1: line is longer than"},
      {"DeeplyNestedJson",
       [](const fs::path& dir) {
         WriteTextFile(dir / kConditionsFile,
                       absl::StrCat(R"({"id": "flu", "name": "Flu", "categories": )",
                                    std::string(100000, '['), std::string(100000, ']'), "}\n"));
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:1: not a valid Condition record"},
      {"NumberWhereAStringGoes",
       [](const fs::path& dir) {
         WriteTextFile(dir / kConditionsFile, R"({"id": "flu", "name": 42})" "\n");
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:1: not a valid Condition record"},
      {"DuplicateIdsAcrossFiles",
       [](const fs::path& dir) {
         WriteTextFile(dir / "a" / kConditionsFile, absl::StrCat(kFlu, "\n"));
         WriteTextFile(dir / "b" / kConditionsFile, absl::StrCat(kFlu, "\n"));
         return std::vector<fs::path>{dir / "a", dir / "b"};
       },
       "{dir}/b/conditions.jsonl:1: duplicate id \"flu\""},
      {"EmptyFile",
       [](const fs::path& dir) {
         WriteTextFile(dir / kConditionsFile, "");
         return std::vector<fs::path>{dir};
       },
       "{dir}/conditions.jsonl:1: file is empty"},
      {"MissingDirectory",
       [](const fs::path& dir) { return std::vector<fs::path>{dir / "nowhere"}; },
       "{dir}/nowhere: no such corpus directory"},
  };
}

class BadCorpusTest : public ::testing::TestWithParam<CorpusCase> {
 protected:
  // Publishes the sample corpus, so there is a bundle to lose.
  void SetUp() override {
    ASSERT_EQ(RunProgram(BinaryDir() / "indexer",
                         {"--corpus", SampleCorpusDir().string(), "--out", out_.string()}),
              0);
    before_ = SnapshotPublishedBundle(out_);
  }

  // Runs the indexer on `dirs`: it must exit 1 saying `expected`, and leave
  // the published bundle byte for byte as it was.
  void ExpectRefused(const std::vector<fs::path>& dirs, const std::string& expected) {
    std::vector<std::string> args = {"--out", out_.string()};
    for (const fs::path& dir : dirs) args.insert(args.end(), {"--corpus", dir.string()});
    std::string output;
    EXPECT_EQ(RunProgram(BinaryDir() / "indexer", args, &output), 1) << output.substr(0, 2000);
    EXPECT_THAT(output, AllOf(HasSubstr(expected), HasSubstr("nothing published")))
        << output.substr(0, 2000);
    EXPECT_EQ(SnapshotPublishedBundle(out_), before_);
    EXPECT_THAT(ResolveBundle(out_), IsOk());
  }

  TempDir temp_;
  const fs::path out_ = temp_.path() / "bundle";
  std::map<std::string, std::string> before_;
};

TEST_P(BadCorpusTest, IsRefusedNamingFileAndLineAndThePublishedBundleStays) {
  const fs::path dir = temp_.path() / "corpus";
  const std::vector<fs::path> dirs = GetParam().write(dir);
  ExpectRefused(dirs, absl::StrReplaceAll(GetParam().expected, {{"{dir}", dir.string()}}));
}

INSTANTIATE_TEST_SUITE_P(Cases, BadCorpusTest, ::testing::ValuesIn(BadCorpora()),
                         [](const ::testing::TestParamInfo<CorpusCase>& info) {
                           return info.param.name;
                         });

TEST_F(BadCorpusTest, AnUnreadableFileIsRefused) {
  const fs::path file = temp_.path() / "corpus" / kConditionsFile;
  WriteTextFile(file, absl::StrCat(kFlu, "\n"));
  fs::permissions(file, fs::perms::none);
  if (std::ifstream(file).is_open()) {
    GTEST_SKIP() << "permission bits do not stop this user (uid " << ::getuid()
                 << ", root?) reading a file";
  }
  ExpectRefused({file.parent_path()}, file.string() + ": cannot open file for reading");
}

// Odd but valid input is indexed in full: nothing is dropped.
TEST_F(BadCorpusTest, AByteOrderMarkCrlfAndATenMegabyteLineAreIndexedWhole) {
  const fs::path dir = temp_.path() / "corpus";
  WriteTextFile(dir / kConditionsFile,
                absl::StrCat("\xEF\xBB\xBF", kFlu, "\r\n",
                             R"({"id": "big", "name": "Big", "summary": ")",
                             std::string(10 << 20, 'b'), "\"}\r\n",
                             R"({"id": "cold", "name": "Cold"})"));  // no final newline
  std::string output;
  ASSERT_EQ(RunProgram(BinaryDir() / "indexer", {"--corpus", dir.string(), "--out", out_.string()},
                       &output),
            0)
      << output;
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(out_);
  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->manifest.condition_count(), 3);
}

// A damaged copy of a published bundle, and which services read the part
// that is damaged.
struct DamageCase {
  std::string name;
  void (*damage)(const fs::path& version_dir);
  std::vector<std::string> services;
  std::string expected;  // in the service's one line on stderr
};

void PrintTo(const DamageCase& c, std::ostream* os) { *os << c.name; }

void Truncate(const fs::path& file, double fraction) {
  fs::resize_file(file, static_cast<uintmax_t>(fs::file_size(file) * fraction));
}

std::vector<DamageCase> DamagedBundles() {
  const std::vector<std::string> both = {"search-service", "content-service"};
  return {
      {"NoManifest", [](const fs::path& dir) { fs::remove(dir / kManifestFile); }, both,
       "is incomplete: it has no manifest.json"},
      {"NoRecordStore", [](const fs::path& dir) { fs::remove(dir / kRecordsFile); }, both,
       "is incomplete: missing"},
      {"NoIndex", [](const fs::path& dir) { fs::remove_all(dir / kXapianDir); }, both,
       "is incomplete: missing"},
      {"IndexFileMissing",
       [](const fs::path& dir) { fs::remove(dir / kXapianDir / "postlist.glass"); },
       {"search-service"}, "cannot open the index"},
      {"IndexTruncated",
       [](const fs::path& dir) {
         for (const auto& entry : fs::directory_iterator(dir / kXapianDir)) {
           if (entry.path().extension() == ".glass") Truncate(entry.path(), 0.5);
         }
       },
       {"search-service"}, "cannot open the index"},
      {"FutureFormatVersion",
       [](const fs::path& dir) {
         const std::string manifest = ReadFile(dir / kManifestFile);
         const std::string current = absl::StrCat("\"format_version\": ", kBundleFormatVersion, ",");
         ASSERT_THAT(manifest, HasSubstr(current));
         WriteTextFile(dir / kManifestFile,
                       absl::StrReplaceAll(manifest, {{current, "\"format_version\": 99,"}}));
       },
       both, "format version 99"},
      {"ManifestNotJson", [](const fs::path& dir) { WriteTextFile(dir / kManifestFile, "{\"forma"); },
       both, "is unreadable"},
      {"RecordStoreTruncated", [](const fs::path& dir) { Truncate(dir / kRecordsFile, 0.3); },
       {"content-service"}, "records.sqlite"},
      {"RecordStorePageOverwritten",
       [](const fs::path& dir) {
         // SQLite pages are 4 KiB: spoil three in the middle of the file.
         std::fstream file(dir / kRecordsFile, std::ios::in | std::ios::out | std::ios::binary);
         file.seekp(4096 * 40);
         const std::string junk(3 * 4096, '\xA5');
         file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
       },
       {"content-service"}, "records.sqlite"},
  };
}

class DamagedBundleTest : public ::testing::TestWithParam<DamageCase> {
 protected:
  static void SetUpTestSuite() {
    sample_ = new TempDir;
    ASSERT_EQ(RunProgram(BinaryDir() / "indexer", {"--corpus", SampleCorpusDir().string(), "--out",
                                                   (sample_->path() / "bundle").string()}),
              0);
  }
  static void TearDownTestSuite() { delete sample_; }
  static TempDir* sample_;
};

TempDir* DamagedBundleTest::sample_ = nullptr;

TEST_P(DamagedBundleTest, ServicesRefuseToStartSayingWhy) {
  TempDir temp;
  const fs::path damaged = temp.path() / "damaged";
  fs::copy(fs::canonical(sample_->path() / "bundle"), damaged, fs::copy_options::recursive);
  GetParam().damage(damaged);
  for (const std::string& service : GetParam().services) {
    std::string output;
    EXPECT_EQ(RunProgram(BinaryDir() / service,
                         {"--bundle", damaged.string(), "--listen", "127.0.0.1:0"}, &output),
              1)
        << service << ": " << output;
    EXPECT_THAT(output, AllOf(HasSubstr(service), HasSubstr("cannot serve"),
                              HasSubstr(GetParam().expected)))
        << service;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DamagedBundleTest, ::testing::ValuesIn(DamagedBundles()),
                         [](const ::testing::TestParamInfo<DamageCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace healthsearch
