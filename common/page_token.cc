#include "common/page_token.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <absl/strings/escaping.h>

#include "healthsearch/internal/page_token.pb.h"

namespace healthsearch {
namespace {

// Hex of the first 16 bytes of SHA-256 over the request's type name and
// deterministic encoding.
std::string Fingerprint(const google::protobuf::Message& request) {
  std::string bytes = request.GetDescriptor()->full_name();
  {
    google::protobuf::io::StringOutputStream stream(&bytes);  // appends
    google::protobuf::io::CodedOutputStream output(&stream);
    output.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&output);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), std::min(length, 16u)));
}

}  // namespace

std::string EncodePageToken(const std::string& bundle_version,
                            const google::protobuf::Message& request, const PageCursor& cursor) {
  internal::PageToken token;
  token.set_bundle_version(bundle_version);
  token.set_request_fingerprint(Fingerprint(request));
  token.set_after_id(cursor.after_id);
  token.set_offset(cursor.offset);
  return absl::WebSafeBase64Escape(token.SerializeAsString());
}

absl::StatusOr<PageCursor> DecodePageToken(const std::string& token,
                                           const std::string& bundle_version,
                                           const google::protobuf::Message& request) {
  std::string bytes;
  internal::PageToken decoded;
  if (!absl::WebSafeBase64Unescape(token, &bytes) || !decoded.ParseFromString(bytes) ||
      decoded.request_fingerprint().empty() || decoded.offset() < 0) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  if (decoded.bundle_version() != bundle_version) {
    return absl::InvalidArgumentError(
        "page_token was issued for an older version of the index; start again from the first "
        "page");
  }
  if (decoded.request_fingerprint() != Fingerprint(request)) {
    return absl::InvalidArgumentError(
        "page_token was issued for a different query or filters; send the same request with "
        "only page_token changed");
  }
  return PageCursor{.after_id = decoded.after_id(), .offset = decoded.offset()};
}

}  // namespace healthsearch
