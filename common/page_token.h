// Opaque page tokens for List and Search calls.
#ifndef HEALTHSEARCH_COMMON_PAGE_TOKEN_H_
#define HEALTHSEARCH_COMMON_PAGE_TOKEN_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

#include <absl/status/statusor.h>

namespace healthsearch {

// Where the next page starts.
struct PageCursor {
  std::string after_id;  // keyset paging (List calls)
  int64_t offset = 0;    // offset paging (Search)
};

// A token for the page after `cursor`. `request` is the call's request with
// its page_size and page_token cleared: the token is valid only for a request
// that is otherwise the same, against the same bundle version.
std::string EncodePageToken(const std::string& bundle_version,
                            const google::protobuf::Message& request, const PageCursor& cursor);

// INVALID_ARGUMENT, saying why, for a token we did not issue, one issued for
// another bundle version (the results may have changed: start again), or one
// issued for a different query or filters.
absl::StatusOr<PageCursor> DecodePageToken(const std::string& token,
                                           const std::string& bundle_version,
                                           const google::protobuf::Message& request);

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_PAGE_TOKEN_H_
