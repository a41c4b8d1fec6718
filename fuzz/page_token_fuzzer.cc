// Page tokens come from clients: decoding any bytes must fail cleanly, and a
// token we issue must decode to the cursor it was issued for, for that
// request and bundle version only.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "common/page_token.h"
#include "healthsearch/v1/search_service.pb.h"

namespace {

constexpr char kVersion[] = "v1";

void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "page_token_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

const healthsearch::v1::SearchRequest& FixedRequest() {
  static const auto* request = [] {
    auto* r = new healthsearch::v1::SearchRequest();
    r->set_query("muscle cramps");
    r->add_categories("autoimmune");
    return r;
  }();
  return *request;
}

// Record ids are 1-128 characters of [A-Za-z0-9._:-]; map bytes onto them.
std::string IdFrom(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";
  std::string id;
  for (char c : bytes.substr(0, 128)) {
    id.push_back(kAlphabet[static_cast<unsigned char>(c) % (sizeof(kAlphabet) - 1)]);
  }
  return id;
}

}  // namespace

// Parsing invalid UTF-8 into a string field logs an error each time.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<healthsearch::PageCursor> decoded =
      healthsearch::DecodePageToken(input, kVersion, FixedRequest());
  if (!decoded.ok() && !absl::IsInvalidArgument(decoded.status())) {
    Fail("error that is not INVALID_ARGUMENT", decoded.status().ToString());
  }
  if (decoded.ok() && decoded->offset < 0) Fail("decoded a negative offset", input);

  // A cursor derived from the input, for a request derived from it too.
  FuzzedDataProvider provider(data, size);
  healthsearch::PageCursor cursor;
  cursor.offset = provider.ConsumeIntegralInRange<int64_t>(0, INT64_MAX);
  healthsearch::v1::SearchRequest request = FixedRequest();
  request.set_page_size(provider.ConsumeIntegral<int32_t>());
  cursor.after_id = IdFrom(provider.ConsumeRemainingBytesAsString());
  const std::string token = healthsearch::EncodePageToken(kVersion, request, cursor);
  absl::StatusOr<healthsearch::PageCursor> round_trip =
      healthsearch::DecodePageToken(token, kVersion, request);
  if (!round_trip.ok()) Fail("issued token does not decode", round_trip.status().ToString());
  if (round_trip->offset != cursor.offset || round_trip->after_id != cursor.after_id) {
    Fail("issued token decodes to another cursor", token);
  }
  if (healthsearch::DecodePageToken(token, "v2", request).ok()) {
    Fail("token accepted for another bundle version", token);
  }
  request.set_page_size(request.page_size() ^ 1);
  if (healthsearch::DecodePageToken(token, kVersion, request).ok()) {
    Fail("token accepted for another request", token);
  }
  return 0;
}
