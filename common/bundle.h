// The on-disk bundle: versioned directories next to a symlink that names the
// published one.
//
//   OUT                  -> symlink to OUT.versions/VERSION (relative)
//   OUT.versions/VERSION/manifest.json    written last; its presence means complete
//   OUT.versions/VERSION/xapian/          the full-text index
//   OUT.versions/VERSION/records.sqlite   the records
//
// A version directory never changes once published. Publishing renames a new
// symlink over OUT, so readers see the old version or the new one, never a mix.
#ifndef HEALTHSEARCH_COMMON_BUNDLE_H_
#define HEALTHSEARCH_COMMON_BUNDLE_H_

#include <filesystem>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "healthsearch/bundle/manifest.pb.h"

namespace healthsearch {

inline constexpr int kBundleFormatVersion = 2;
inline constexpr char kManifestFile[] = "manifest.json";
inline constexpr char kXapianDir[] = "xapian";
inline constexpr char kRecordsFile[] = "records.sqlite";

// A new bundle version being built. Holds an exclusive lock on OUT.versions
// for its lifetime, so two builds of one bundle never interleave. Destroying
// an unpublished build removes its directory.
class BundleBuild {
 public:
  // Fails if `out` exists and is not a symlink (we never replace a real
  // directory), or if another build of `out` holds the lock. Removes partial
  // directories left by builds that died.
  static absl::StatusOr<BundleBuild> Start(const std::filesystem::path& out);

  BundleBuild(BundleBuild&& other) noexcept;
  BundleBuild& operator=(BundleBuild&&) = delete;
  ~BundleBuild();

  const std::string& version() const { return version_; }
  // Where to write the index and the records.
  std::filesystem::path xapian_path() const { return partial_dir_ / kXapianDir; }
  std::filesystem::path records_path() const { return partial_dir_ / kRecordsFile; }

  // Writes the manifest (format version, version and paths filled in here),
  // syncs every file to disk, switches OUT to the new version and removes
  // every older version but the one it replaced (kept for rollback). Returns the manifest as written. On failure OUT is unchanged.
  absl::StatusOr<bundle::Manifest> Publish(bundle::Manifest manifest);

 private:
  BundleBuild(std::filesystem::path out, std::string version, int lock_fd);

  std::filesystem::path out_;
  std::filesystem::path versions_dir_;
  std::filesystem::path partial_dir_;
  std::string version_;
  int lock_fd_ = -1;
  bool published_ = false;
};

// A complete, published bundle version.
struct BundleVersion {
  std::filesystem::path dir;  // the resolved version directory
  bundle::Manifest manifest;
  std::filesystem::path xapian_path() const { return dir / kXapianDir; }
  std::filesystem::path records_path() const { return dir / kRecordsFile; }
};

// Resolves `path` (the published symlink, or a version directory) and checks
// that the version is complete and of a format we read. NOT_FOUND when there
// is nothing at `path`; FAILED_PRECONDITION, saying what is wrong, for an
// incomplete bundle or an unknown format version.
absl::StatusOr<BundleVersion> ResolveBundle(const std::filesystem::path& path);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_BUNDLE_H_
