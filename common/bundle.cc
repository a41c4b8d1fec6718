#include "common/bundle.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <google/protobuf/util/json_util.h>

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

constexpr char kPartialSuffix[] = ".partial";
constexpr char kLockFile[] = ".lock";

absl::Status ErrnoError(absl::string_view what, const fs::path& path) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", std::strerror(errno)));
}

absl::Status SyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("cannot fsync", path);
  return absl::OkStatus();
}

// fsyncs every file and directory under `dir`, then `dir` itself.
absl::Status SyncTree(const fs::path& dir) {
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, error)) {
    if (absl::Status s = SyncPath(entry.path()); !s.ok()) return s;
  }
  if (error) return absl::InternalError(absl::StrCat("cannot list ", dir.string(), ": ", error.message()));
  return SyncPath(dir);
}

std::string NewVersionName() {
  std::random_device random;
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%E6SZ", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::StrFormat("%04x", random() & 0xffff));
}

fs::path VersionsDirFor(const fs::path& out) {
  return fs::path(out.string() + ".versions");
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return ErrnoError("cannot write", path);
  return absl::OkStatus();
}

}  // namespace

BundleBuild::BundleBuild(fs::path out, std::string version, int lock_fd)
    : out_(std::move(out)),
      versions_dir_(VersionsDirFor(out_)),
      partial_dir_(versions_dir_ / (version + kPartialSuffix)),
      version_(std::move(version)),
      lock_fd_(lock_fd) {}

BundleBuild::BundleBuild(BundleBuild&& other) noexcept
    : out_(std::move(other.out_)),
      versions_dir_(std::move(other.versions_dir_)),
      partial_dir_(std::move(other.partial_dir_)),
      version_(std::move(other.version_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      published_(other.published_) {}

BundleBuild::~BundleBuild() {
  if (lock_fd_ < 0) return;  // moved from
  if (!published_) {
    std::error_code ignored;
    fs::remove_all(partial_dir_, ignored);
  }
  ::close(lock_fd_);
}

absl::StatusOr<BundleBuild> BundleBuild::Start(const fs::path& out_arg) {
  if (out_arg.empty()) return absl::InvalidArgumentError("no output path given");
  const fs::path out = fs::absolute(out_arg).lexically_normal();
  std::error_code error;
  const fs::file_status status = fs::symlink_status(out, error);
  if (fs::exists(status) && !fs::is_symlink(status)) {
    return absl::FailedPreconditionError(absl::StrCat(
        out.string(), " exists and is not a bundle symlink; refusing to replace it"));
  }
  const fs::path versions_dir = VersionsDirFor(out);
  fs::create_directories(versions_dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", versions_dir.string(), ": ", error.message()));
  }
  const fs::path lock_path = versions_dir / kLockFile;
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return ErrnoError("cannot open", lock_path);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::UnavailableError(
        absl::StrCat("another build of ", out.string(), " is running (", lock_path.string(),
                     " is locked)"));
  }
  // We hold the lock, so any partial directory belongs to a build that died.
  for (const auto& entry : fs::directory_iterator(versions_dir, error)) {
    if (absl::EndsWith(entry.path().filename().string(), kPartialSuffix)) {
      fs::remove_all(entry.path(), error);
    }
  }
  BundleBuild build(out, NewVersionName(), lock_fd);
  fs::create_directory(build.partial_dir_, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", build.partial_dir_.string(), ": ", error.message()));
  }
  return build;
}

absl::StatusOr<bundle::Manifest> BundleBuild::Publish(bundle::Manifest manifest) {
  manifest.set_format_version(kBundleFormatVersion);
  manifest.set_version(version_);
  manifest.set_xapian_path(kXapianDir);
  manifest.set_records_path(kRecordsFile);
  std::string json;
  google::protobuf::util::JsonPrintOptions print_options;
  print_options.add_whitespace = true;
  print_options.preserve_proto_field_names = true;
  print_options.always_print_primitive_fields = true;
  if (auto s = google::protobuf::util::MessageToJsonString(manifest, &json, print_options);
      !s.ok()) {
    return absl::InternalError(absl::StrCat("cannot encode manifest: ", s.message().ToString()));
  }
  if (absl::Status s = WriteFile(partial_dir_ / kManifestFile, json); !s.ok()) return s;
  if (absl::Status s = SyncTree(partial_dir_); !s.ok()) return s;

  const fs::path version_dir = versions_dir_ / version_;
  std::error_code error;
  fs::rename(partial_dir_, version_dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot rename ", partial_dir_.string(), ": ",
                                            error.message()));
  }
  partial_dir_ = version_dir;  // a failure below removes it again
  if (absl::Status s = SyncPath(versions_dir_); !s.ok()) return s;

  const std::string previous_version = fs::read_symlink(out_, error).filename().string();
  // The new symlink is made beside OUT and renamed over it: rename() is atomic.
  const fs::path link_target = versions_dir_.filename() / version_;
  const fs::path temporary_link = fs::path(out_.string() + ".next-" + version_);
  fs::remove(temporary_link, error);
  fs::create_symlink(link_target, temporary_link, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create symlink ", temporary_link.string(),
                                            ": ", error.message()));
  }
  fs::rename(temporary_link, out_, error);
  if (error) {
    fs::remove(temporary_link, error);
    return absl::InternalError(
        absl::StrCat("cannot switch ", out_.string(), " to ", version_, ": ", error.message()));
  }
  published_ = true;
  if (absl::Status s = SyncPath(out_.parent_path()); !s.ok()) return s;

  // Keep the new version and the one it replaced, for rollback.
  for (const auto& entry : fs::directory_iterator(versions_dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name != version_ && name != previous_version &&
        !absl::EndsWith(name, kPartialSuffix)) {
      fs::remove_all(entry.path(), error);
    }
  }
  return manifest;
}

absl::StatusOr<BundleVersion> ResolveBundle(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(path, error))) {
    return absl::NotFoundError(absl::StrCat("no bundle at ", path.string()));
  }
  BundleVersion bundle;
  bundle.dir = fs::canonical(path, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle ", path.string(), " points to nothing (", error.message(), ")"));
  }
  const fs::path manifest_path = bundle.dir / kManifestFile;
  absl::StatusOr<std::string> json = ReadFile(manifest_path);
  if (!json.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle ", bundle.dir.string(), " is incomplete: it has no ", kManifestFile));
  }
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = true;  // newer writers may add fields
  if (auto s = google::protobuf::util::JsonStringToMessage(*json, &bundle.manifest, parse_options);
      !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("bundle manifest ", manifest_path.string(), " is unreadable: ", s.message().ToString()));
  }
  if (bundle.manifest.format_version() != kBundleFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle ", bundle.dir.string(), " has format version ", bundle.manifest.format_version(),
        "; this build reads format version ", kBundleFormatVersion));
  }
  if (!fs::is_directory(bundle.xapian_path(), error) ||
      !fs::is_regular_file(bundle.records_path(), error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle ", bundle.dir.string(), " is incomplete: missing ", kXapianDir, "/ or ",
        kRecordsFile));
  }
  return bundle;
}

}  // namespace healthsearch
