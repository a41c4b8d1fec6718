#include "common/bundle.h"

#include <filesystem>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::IsOk;
using ::healthsearch::testing::StatusIs;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// Builds and publishes a version whose contents are just a marker file.
absl::StatusOr<bundle::Manifest> PublishVersion(const fs::path& out, int64_t conditions) {
  absl::StatusOr<BundleBuild> build = BundleBuild::Start(out);
  if (!build.ok()) return build.status();
  fs::create_directories(build->xapian_path());
  WriteTextFile(build->records_path(), "records");
  bundle::Manifest manifest;
  manifest.set_condition_count(conditions);
  return build->Publish(manifest);
}

std::vector<std::string> VersionDirs(const fs::path& out) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out.string() + ".versions")) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  return names;
}

TEST(BundleTest, PublishSwitchesTheSymlinkAndKeepsOnePreviousVersion) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  absl::StatusOr<bundle::Manifest> first = PublishVersion(out, 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(fs::is_symlink(out));
  EXPECT_EQ(first->format_version(), kBundleFormatVersion);

  absl::StatusOr<BundleVersion> resolved = ResolveBundle(out);
  ASSERT_THAT(resolved, IsOk());
  EXPECT_EQ(resolved->manifest.version(), first->version());
  EXPECT_EQ(resolved->manifest.condition_count(), 1);

  absl::StatusOr<bundle::Manifest> second = PublishVersion(out, 2);
  ASSERT_THAT(second, IsOk());
  absl::StatusOr<bundle::Manifest> third = PublishVersion(out, 3);
  ASSERT_THAT(third, IsOk());
  resolved = ResolveBundle(out);
  ASSERT_THAT(resolved, IsOk());
  EXPECT_EQ(resolved->manifest.condition_count(), 3);
  EXPECT_THAT(VersionDirs(out), UnorderedElementsAre(second->version(), third->version()));
  // The symlink is relative, so the bundle can be moved or mounted elsewhere.
  EXPECT_TRUE(fs::read_symlink(out).is_relative());
}

TEST(BundleTest, AnUnpublishedBuildLeavesNothingBehind) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  ASSERT_THAT(PublishVersion(out, 1), IsOk());
  const fs::path before = fs::read_symlink(out);
  {
    absl::StatusOr<BundleBuild> build = BundleBuild::Start(out);
    ASSERT_THAT(build, IsOk());
    fs::create_directories(build->xapian_path());
  }
  EXPECT_EQ(fs::read_symlink(out), before);
  EXPECT_THAT(VersionDirs(out), SizeIs(1));
}

TEST(BundleTest, StartRemovesPartialDirectoriesOfDeadBuilds) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  ASSERT_THAT(PublishVersion(out, 1), IsOk());
  fs::create_directories(out.string() + ".versions/20200101T000000Z-dead.partial/xapian");
  absl::StatusOr<BundleBuild> build = BundleBuild::Start(out);
  ASSERT_THAT(build, IsOk());
  EXPECT_FALSE(fs::exists(out.string() + ".versions/20200101T000000Z-dead.partial"));
}

TEST(BundleTest, OnlyOneBuildAtATime) {
  TempDir temp;
  const fs::path out = temp.path() / "bundle";
  absl::StatusOr<BundleBuild> first = BundleBuild::Start(out);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(BundleBuild::Start(out),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("another build")));
}

TEST(BundleTest, RefusesToReplaceARealDirectory) {
  TempDir temp;
  fs::create_directories(temp.path() / "data");
  EXPECT_THAT(BundleBuild::Start(temp.path() / "data"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("refusing to replace")));
}

TEST(ResolveBundleTest, ExplainsWhatIsWrong) {
  TempDir temp;
  EXPECT_THAT(ResolveBundle(temp.path() / "none"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no bundle at")));

  fs::create_directories(temp.path() / "incomplete" / "xapian");
  EXPECT_THAT(ResolveBundle(temp.path() / "incomplete"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has no manifest.json")));

  fs::create_directories(temp.path() / "future" / "xapian");
  WriteTextFile(temp.path() / "future" / "records.sqlite", "");
  WriteTextFile(temp.path() / "future" / "manifest.json", R"({"format_version": 99})");
  EXPECT_THAT(ResolveBundle(temp.path() / "future"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("has format version 99; this build reads format version ",
                                                 kBundleFormatVersion))));

  fs::create_directories(temp.path() / "no-records" / "xapian");
  WriteTextFile(temp.path() / "no-records" / "manifest.json",
                absl::StrCat(R"({"format_version": )", kBundleFormatVersion, "}"));
  EXPECT_THAT(ResolveBundle(temp.path() / "no-records"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is incomplete")));

  fs::create_symlink("nowhere", temp.path() / "dangling");
  EXPECT_THAT(ResolveBundle(temp.path() / "dangling"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("points to nothing")));
}

}  // namespace
}  // namespace healthsearch
